//! The JSON-RPC unix socket, framed as Core Lightning's `lightning-rpc`.
//!
//! The framing is CLN's, so pyln-client's `LightningRpc(path)` works unchanged:
//! - requests are JSON values written back to back on the stream, with no HTTP and no length
//!   prefix; a value ends where its JSON ends (whitespace between values is ignored);
//! - every answer is one compact JSON value followed by `"\n\n"`, which is what pyln-client
//!   reads up to;
//! - each request is answered by the same jsonrpsee service as HTTP POST `/jsonrpc` (so single
//!   calls, batches, notifications and errors behave identically), without authentication:
//!   the socket's file mode (0600) decides who may connect, as CLN's does;
//! - requests on one connection run concurrently; answers go out as they finish (the `id`
//!   pairs them);
//! - bytes that are not JSON cannot be resynchronised: they get one `-32700` answer and the
//!   connection is closed. So does a request larger than `rpc_max_body_bytes`.
//!
//! Lifecycle: at start-up a socket file left by a crash is replaced (one that still answers
//! belongs to a running daemon and start-up fails instead; a file that is not a socket is never
//! touched). The socket is bound under a temporary name, set to 0600 and only then renamed into
//! place, so no one can connect while it has the default mode. At shutdown it stops accepting,
//! lets in-flight requests finish (up to [`SHUTDOWN_GRACE`]) and removes the file if it is still
//! the one it created.

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt;
use serde_json::value::RawValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use super::codes::{INVALID_REQUEST, PARSE_ERROR};
use super::JsonRpcSurface;
use crate::transport::SHUTDOWN_GRACE;

/// The socket's file mode: owner read and write only.
pub const SOCKET_MODE: u32 = 0o600;

/// Longest path a unix socket can be bound to (`sun_path` less its NUL, on Linux).
const MAX_SOCKET_PATH_BYTES: usize = 107;

/// What is read from a connection at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Failures to set up the socket.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("the JSON-RPC socket path {} is longer than the {MAX_SOCKET_PATH_BYTES} bytes a unix socket path may have; set rpc_socket to a shorter path", .0.display())]
    PathTooLong(PathBuf),
    #[error("{} exists and is not a socket; refusing to replace it (set rpc_socket elsewhere)", .0.display())]
    NotASocket(PathBuf),
    #[error("another process is serving the JSON-RPC socket {} (is another mmln running on this data directory?)", .0.display())]
    InUse(PathBuf),
    #[error("could not create the JSON-RPC socket {}: {source}", path.display())]
    CreateFailed { path: PathBuf, source: io::Error },
}

/// A running socket server.
pub struct SocketServer {
    path: PathBuf,
    /// The inode of the socket file this server created.
    inode: u64,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// A socket created but not yet served: connections wait in the backlog. Dropped unserved
/// (a failed start-up), it removes its file.
pub struct BoundSocket {
    path: PathBuf,
    inode: u64,
    listener: Option<UnixListener>,
}

impl BoundSocket {
    /// Creates the socket at `path` (see the module docs for a stale file).
    pub async fn bind(path: PathBuf) -> Result<BoundSocket, SocketError> {
        let (listener, inode) = bind(&path).await?;
        Ok(BoundSocket {
            path,
            inode,
            listener: Some(listener),
        })
    }

    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Serves `surface` on the socket. Requests larger than `max_request_bytes` close the
    /// connection.
    pub fn serve(mut self, surface: Arc<JsonRpcSurface>, max_request_bytes: usize) -> SocketServer {
        let (stop, stopped) = watch::channel(false);
        let listener = self.listener.take();
        let task = tokio::spawn(async move {
            if let Some(listener) = listener {
                accept_loop(listener, surface, max_request_bytes, stopped).await;
            }
        });
        SocketServer {
            path: self.path.clone(),
            inode: self.inode,
            stop,
            task,
        }
    }
}

impl Drop for BoundSocket {
    fn drop(&mut self) {
        if self.listener.is_some() {
            remove_if_ours(&self.path, self.inode);
        }
    }
}

impl SocketServer {
    /// Where the socket is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops accepting, lets in-flight requests finish, removes the socket file.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::warn!("JSON-RPC socket task ended abnormally: {e}");
        }
        remove_if_ours(&self.path, self.inode);
    }
}

/// Replaces a stale socket, binds under a temporary name, sets the mode, renames into place.
async fn bind(path: &Path) -> Result<(UnixListener, u64), SocketError> {
    let created = |source| SocketError::CreateFailed {
        path: path.to_path_buf(),
        source,
    };
    let temporary = temporary_path(path);
    for candidate in [path, temporary.as_path()] {
        if candidate.as_os_str().len() > MAX_SOCKET_PATH_BYTES {
            return Err(SocketError::PathTooLong(candidate.to_path_buf()));
        }
    }
    remove_stale(path).await?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(created)?;
    }
    let listener = UnixListener::bind(&temporary).map_err(created)?;
    let placed = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(SOCKET_MODE))
        .and_then(|()| std::fs::rename(&temporary, path))
        .and_then(|()| std::fs::symlink_metadata(path));
    match placed {
        Ok(meta) => Ok((listener, meta.ino())),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(created(e))
        }
    }
}

/// `<dir>/.<random>.tmp`: as short as the default name, so the length check means the same.
fn temporary_path(path: &Path) -> PathBuf {
    let name = format!(".{:08x}.tmp", rand::random::<u32>());
    match path.parent() {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

/// Removes a socket file left by a crash. A socket that accepts a connection belongs to a live
/// process; anything that is not a socket is not ours to delete.
async fn remove_stale(path: &Path) -> Result<(), SocketError> {
    use std::os::unix::fs::FileTypeExt;
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(SocketError::CreateFailed {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if !meta.file_type().is_socket() {
        return Err(SocketError::NotASocket(path.to_path_buf()));
    }
    if UnixStream::connect(path).await.is_ok() {
        return Err(SocketError::InUse(path.to_path_buf()));
    }
    tracing::info!("replacing the stale JSON-RPC socket {}", path.display());
    std::fs::remove_file(path).map_err(|source| SocketError::CreateFailed {
        path: path.to_path_buf(),
        source,
    })
}

/// Removes the socket file unless another process has replaced it since.
fn remove_if_ours(path: &Path, inode: u64) {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.ino() == inode => {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(
                    "could not remove the JSON-RPC socket {}: {e}",
                    path.display()
                );
            }
        }
        _ => {}
    }
}

async fn accept_loop(
    listener: UnixListener,
    surface: Arc<JsonRpcSurface>,
    max_request_bytes: usize,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let connection_stop = stopped.clone();
    loop {
        tokio::select! {
            () = stop_requested(&mut stopped) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(
                        stream,
                        Arc::clone(&surface),
                        max_request_bytes,
                        connection_stop.clone(),
                    ));
                }
                Err(e) => {
                    tracing::warn!("JSON-RPC socket accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            // Reap finished connections so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        tracing::warn!(
            "JSON-RPC socket: requests still open after shutdown; stopping without them"
        );
        connections.shutdown().await;
    }
}

/// Serves one connection until the client closes it, sends something unreadable, or the
/// daemon stops (then requests already read are still answered).
async fn connection(
    stream: UnixStream,
    surface: Arc<JsonRpcSurface>,
    max_request_bytes: usize,
    mut stopped: watch::Receiver<bool>,
) {
    let (mut reader, mut writer) = stream.into_split();
    let (answers, mut outbox) = mpsc::unbounded_channel::<String>();
    let write_task = tokio::spawn(async move {
        while let Some(answer) = outbox.recv().await {
            let framed = [answer.as_bytes(), b"\n\n"].concat();
            if writer.write_all(&framed).await.is_err() {
                break;
            }
        }
    });
    let mut calls = JoinSet::new();
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let framed = split_requests(&mut buffer);
        for request in framed.requests {
            let surface = Arc::clone(&surface);
            let answers = answers.clone();
            calls.spawn(async move {
                if let Some(answer) = answer(&surface, request).await {
                    let _ = answers.send(answer);
                }
            });
        }
        if let Some(reason) = framed.malformed {
            let _ = answers.send(error_text(PARSE_ERROR, &format!("Parse error: {reason}")));
            break;
        }
        if buffer.len() > max_request_bytes {
            let message = format!("Request is larger than the limit of {max_request_bytes} bytes");
            let _ = answers.send(error_text(INVALID_REQUEST, &message));
            break;
        }
        tokio::select! {
            () = stop_requested(&mut stopped) => break,
            read = reader.read(&mut chunk) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            },
            Some(_) = calls.join_next(), if !calls.is_empty() => {}
        }
    }
    while calls.join_next().await.is_some() {}
    drop(answers);
    let _ = write_task.await;
}

/// Resolves once the daemon stops. The watch's guard is dropped inside, so it is never held
/// across an await (it is not `Send`).
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// Requests split off the front of a connection's buffer.
struct Framed {
    requests: Vec<String>,
    /// Set when the buffer holds bytes that are not JSON.
    malformed: Option<String>,
}

/// Takes every complete JSON value off the front of `buffer`, leaving an incomplete one.
fn split_requests(buffer: &mut Vec<u8>) -> Framed {
    let mut requests = Vec::new();
    let mut malformed = None;
    let mut consumed = 0;
    let mut values = serde_json::Deserializer::from_slice(buffer).into_iter::<&RawValue>();
    loop {
        match values.next() {
            Some(Ok(value)) => {
                requests.push(value.get().to_string());
                consumed = values.byte_offset();
            }
            Some(Err(e)) if e.is_eof() => break,
            Some(Err(e)) => {
                malformed = Some(e.to_string());
                break;
            }
            None => {
                consumed = values.byte_offset();
                break;
            }
        }
    }
    buffer.drain(..consumed);
    Framed {
        requests,
        malformed,
    }
}

/// Answers one request (single or batch) through the same service as HTTP POST; `None` for
/// notifications, which get no answer.
async fn answer(surface: &JsonRpcSurface, request: String) -> Option<String> {
    let http_request = Request::post(super::JSONRPC_PATH)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(request));
    let http_request = match http_request {
        Ok(r) => r,
        Err(e) => return Some(error_text(INVALID_REQUEST, &e.to_string())),
    };
    let response = match surface.service().oneshot(http_request).await {
        Ok(response) => response,
        Err(e) => return Some(error_text(super::codes::INTERNAL_ERROR, &e.to_string())),
    };
    let body = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return Some(error_text(super::codes::INTERNAL_ERROR, &e.to_string())),
    };
    if body.is_empty() || super::is_notification_ack(&body) {
        return None;
    }
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// A JSON-RPC error answer with a null id.
fn error_text(code: i32, message: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": code, "message": message },
        "id": null,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_split_where_their_json_ends() {
        let mut buffer = br#"{"a":1}  [{"b":2}]{"c":"#.to_vec();
        let framed = split_requests(&mut buffer);
        assert_eq!(framed.requests, [r#"{"a":1}"#, r#"[{"b":2}]"#]);
        assert!(framed.malformed.is_none());
        assert_eq!(buffer, br#"{"c":"#);
        buffer.extend_from_slice(b"3}\n");
        let framed = split_requests(&mut buffer);
        assert_eq!(framed.requests, [r#"{"c":3}"#]);
        assert!(buffer.is_empty(), "trailing whitespace is consumed");
    }

    #[test]
    fn bytes_that_are_not_json_are_reported() {
        let mut buffer = br#"{"a":1} }{"#.to_vec();
        let framed = split_requests(&mut buffer);
        assert_eq!(framed.requests, [r#"{"a":1}"#]);
        assert!(framed.malformed.is_some());
    }
}
