//! A JSON-RPC 2.0 client for the daemon's three JSON-RPC surfaces (HTTP POST `/jsonrpc`,
//! WebSocket `/jsonrpc`, the unix socket in Core Lightning's framing) that checks every answer
//! against `rpc-spec/`: the envelope, the method's result schema, and for an error its code
//! (from the one code table), its listed `error_type` and its `error_data`.
//!
//! The raw helpers ([`JsonRpcClient::post_text`], [`ws_connect`], [`SocketConnection`]) check
//! nothing, for negative tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mmln::transport::jsonrpc::codes::code_for;
use serde_json::{json, Value};
use soketto::handshake::client::Header;
use soketto::handshake::{Client, ServerResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

use super::check::{check_listed_error, conforms};
use super::spec::{spec, Spec};

/// Bound on every exchange, so a hung daemon fails the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(120);

/// JSON-RPC 2.0's own codes, which jsonrpsee answers without `data`.
const STANDARD_CODES: [i64; 5] = [-32700, -32600, -32601, -32602, -32603];

/// Which surface a call goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Http,
    WebSocket,
    Socket,
}

impl Surface {
    pub const ALL: [Surface; 3] = [Surface::Http, Surface::WebSocket, Surface::Socket];
}

/// A client for one daemon. Cheap to clone.
#[derive(Clone)]
pub struct JsonRpcClient {
    http: reqwest::Client,
    addr: SocketAddr,
    password: String,
    socket: Option<PathBuf>,
    spec: Arc<Spec>,
    next_id: Arc<AtomicU64>,
}

impl JsonRpcClient {
    /// A validating client for the daemon whose RPC port is `addr` and whose socket (if any) is
    /// `socket`.
    pub fn new(addr: SocketAddr, password: &str, socket: Option<PathBuf>) -> Self {
        JsonRpcClient {
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .expect("reqwest client"),
            addr,
            password: password.to_string(),
            socket,
            spec: spec(),
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    pub fn http_url(&self) -> String {
        format!("http://{}/jsonrpc", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn socket_path(&self) -> &Path {
        self.socket
            .as_deref()
            .expect("this daemon has a JSON-RPC socket")
    }

    /// `Bearer <password>`.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.password)
    }

    /// A request object with a fresh id; `params` of `null` is left out.
    pub fn request(&self, method: &str, params: Value) -> Value {
        let mut request = json!({ "jsonrpc": "2.0", "method": method });
        if !params.is_null() {
            request["params"] = params;
        }
        request["id"] = json!(self.next_id.fetch_add(1, Ordering::Relaxed));
        request
    }

    /// Calls `method` over `surface`; validates and returns the whole response object.
    pub async fn call(&self, surface: Surface, method: &str, params: Value) -> Value {
        let request = self.request(method, params);
        let response = self
            .exchange(surface, &request)
            .await
            .unwrap_or_else(|| panic!("no answer to {request} over {surface:?}"));
        check_jsonrpc_response(&self.spec, &request, &response)
            .unwrap_or_else(|e| panic!("over {surface:?}: {e}"));
        response
    }

    /// Calls `method` and returns its `result`; panics unless it succeeded.
    pub async fn ok(&self, surface: Surface, method: &str, params: Value) -> Value {
        let response = self.call(surface, method, params).await;
        response
            .get("result")
            .unwrap_or_else(|| panic!("{method} over {surface:?} failed: {response}"))
            .clone()
    }

    /// Calls `method`, asserts it failed with `code` (and, when given, `error_type` in `data`),
    /// and returns the error object.
    pub async fn expect_error(
        &self,
        surface: Surface,
        method: &str,
        params: Value,
        code: i64,
        error_type: Option<&str>,
    ) -> Value {
        let response = self.call(surface, method, params).await;
        let error = response
            .get("error")
            .unwrap_or_else(|| panic!("{method} over {surface:?} succeeded: {response}"))
            .clone();
        assert_eq!(error["code"], code, "code of {error}");
        assert_eq!(
            error["data"]["error_type"].as_str(),
            error_type,
            "error_type of {error}"
        );
        error
    }

    /// Sends any JSON body over `surface` (authenticated) and returns the answer, `None` when
    /// there is none (notifications). Checks nothing.
    pub async fn exchange(&self, surface: Surface, body: &Value) -> Option<Value> {
        let text = body.to_string();
        match surface {
            Surface::Http => {
                let (status, body) = self.post_text(&text, Some(&self.bearer())).await;
                assert_eq!(status, 200, "JSON-RPC over HTTP answers 200: {body}");
                (!body.is_empty()).then(|| parse(&body))
            }
            Surface::WebSocket => {
                let mut ws = ws_connect(self.addr, Some(&self.bearer()))
                    .await
                    .unwrap_or_else(|status| panic!("WebSocket refused with HTTP {status}"));
                ws.send(&text).await;
                if expects_answer(body) {
                    Some(ws.receive().await)
                } else {
                    None
                }
            }
            Surface::Socket => {
                let mut socket = SocketConnection::connect(self.socket_path()).await;
                socket.send(&text).await;
                if expects_answer(body) {
                    Some(socket.receive().await)
                } else {
                    None
                }
            }
        }
    }

    /// POSTs `text` to `/jsonrpc` with `Authorization: auth` (if any); the status and body.
    pub async fn post_text(&self, text: &str, auth: Option<&str>) -> (u16, String) {
        let mut request = self
            .http
            .post(self.http_url())
            .header("content-type", "application/json")
            .body(text.to_string());
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {} failed: {e}", self.http_url()));
        let status = response.status().as_u16();
        let body = response.text().await.expect("reading the body");
        (status, body)
    }
}

/// Whether a request body gets an answer: a call, or a batch holding anything but
/// notifications (or nothing, which is an error).
fn expects_answer(body: &Value) -> bool {
    match body {
        Value::Array(items) => items.is_empty() || items.iter().any(|i| i.get("id").is_some()),
        Value::Object(fields) => fields.contains_key("id"),
        _ => true,
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Checks a response to a single `request`.
pub fn check_jsonrpc_response(
    spec: &Spec,
    request: &Value,
    response: &Value,
) -> Result<(), String> {
    let method = request["method"].as_str().unwrap_or_default();
    let expected_id = request.get("id").cloned().unwrap_or(Value::Null);
    if response.get("id") != Some(&expected_id) {
        return Err(format!(
            "rpc-spec violation: the answer to `{method}` does not echo id {expected_id}: {response}"
        ));
    }
    if let Some(result) = response.get("result") {
        conforms(
            &spec.jsonrpc_success,
            response,
            "JSON-RPC success",
            "envelope/jsonrpc_success.json",
        )?;
        let method_spec = spec.methods.get(method).ok_or_else(|| {
            format!("rpc-spec violation: `{method}` has no schema but succeeded: {response}")
        })?;
        return conforms(
            &method_spec.response,
            result,
            &format!("result of `{method}`"),
            &format!("{}#/response", method_spec.path.display()),
        );
    }
    conforms(
        &spec.jsonrpc_error,
        response,
        "JSON-RPC error",
        "envelope/jsonrpc_error.json",
    )?;
    check_error_object(spec, method, &response["error"])
}

/// Checks an error object: a standard code without `data`, or a listed mmrpc error whose code
/// is the table's.
pub fn check_error_object(spec: &Spec, method: &str, error: &Value) -> Result<(), String> {
    let code = error["code"].as_i64().unwrap_or_default();
    let Some(data) = error.get("data") else {
        return if STANDARD_CODES.contains(&code) {
            Ok(())
        } else {
            Err(format!(
                "rpc-spec violation: error {code} without data is not a JSON-RPC 2.0 code: {error}"
            ))
        };
    };
    let error_type = data["error_type"].as_str().unwrap_or_default();
    let listed = spec
        .methods
        .get(method)
        .and_then(|m| m.errors.get(error_type))
        .or_else(|| spec.envelope_errors.get(error_type))
        .ok_or_else(|| {
            format!(
                "rpc-spec violation: `{method}` answered {error_type}, which neither its schema \
                 nor envelope/error.json lists: {error}"
            )
        })?;
    let expected = listed
        .jsonrpc_code
        .unwrap_or_else(|| i64::from(code_for(error_type, listed.http_status)));
    if code != expected {
        return Err(format!(
            "rpc-spec violation: {error_type} (HTTP {}) must have code {expected}, got {code}",
            listed.http_status
        ));
    }
    if error["message"] != data["error"] {
        return Err(format!("the message differs from data.error: {error}"));
    }
    check_listed_error(method, error_type, listed, None, data)
}

/// A WebSocket connection to `/jsonrpc`.
pub struct WsConnection {
    sender: soketto::Sender<Compat<TcpStream>>,
    receiver: soketto::Receiver<Compat<TcpStream>>,
}

/// Opens a WebSocket to `/jsonrpc` with `Authorization: auth` (if any); the HTTP status when
/// the upgrade is refused.
pub async fn ws_connect(addr: SocketAddr, auth: Option<&str>) -> Result<WsConnection, u16> {
    let stream = TcpStream::connect(addr).await.expect("TCP connect");
    ws_handshake(stream, addr, auth).await
}

/// [`ws_connect`] with a 4 KiB receive buffer, so that a client that stops reading makes the
/// daemon's sends back up after a few kilobytes instead of megabytes of kernel buffers.
pub async fn ws_connect_small_window(
    addr: SocketAddr,
    auth: Option<&str>,
) -> Result<WsConnection, u16> {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(addr).await.expect("TCP connect");
    ws_handshake(stream, addr, auth).await
}

async fn ws_handshake(
    stream: TcpStream,
    addr: SocketAddr,
    auth: Option<&str>,
) -> Result<WsConnection, u16> {
    let host = addr.to_string();
    let headers: Vec<Header> = auth
        .map(|value| Header {
            name: "Authorization",
            value: value.as_bytes(),
        })
        .into_iter()
        .collect();
    let mut client = Client::new(stream.compat(), &host, "/jsonrpc");
    client.set_headers(&headers);
    let handshake = tokio::time::timeout(TIMEOUT, client.handshake())
        .await
        .expect("handshake within the bound")
        .expect("WebSocket handshake");
    match handshake {
        ServerResponse::Accepted { .. } => {}
        ServerResponse::Rejected { status_code } => return Err(status_code),
        ServerResponse::Redirect { status_code, .. } => return Err(status_code),
    }
    let (sender, receiver) = client.into_builder().finish();
    Ok(WsConnection { sender, receiver })
}

impl WsConnection {
    pub async fn send(&mut self, text: &str) {
        self.sender.send_text(text).await.expect("WebSocket send");
        self.sender.flush().await.expect("WebSocket flush");
    }

    /// The next text message, as JSON, or `None` when none comes within `wait` (or the
    /// connection closed).
    pub async fn receive_within(&mut self, wait: Duration) -> Option<Value> {
        let mut message = Vec::new();
        match tokio::time::timeout(wait, self.receiver.receive_data(&mut message)).await {
            Ok(Ok(_)) => Some(parse(&String::from_utf8_lossy(&message))),
            Ok(Err(_)) | Err(_) => None,
        }
    }

    /// The next text message, as JSON.
    pub async fn receive(&mut self) -> Value {
        let mut message = Vec::new();
        tokio::time::timeout(TIMEOUT, self.receiver.receive_data(&mut message))
            .await
            .expect("WebSocket answer within the bound")
            .expect("WebSocket receive");
        parse(&String::from_utf8_lossy(&message))
    }
}

/// A connection to the unix socket, reading answers as pyln-client does: up to `"\n\n"`.
pub struct SocketConnection {
    stream: UnixStream,
    buffer: Vec<u8>,
}

impl SocketConnection {
    pub async fn connect(path: &Path) -> SocketConnection {
        let stream = UnixStream::connect(path)
            .await
            .unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
        SocketConnection {
            stream,
            buffer: Vec::new(),
        }
    }

    pub async fn send(&mut self, text: &str) {
        self.stream
            .write_all(text.as_bytes())
            .await
            .expect("socket write");
    }

    /// The next answer (the text before the next `"\n\n"`), as JSON.
    pub async fn receive(&mut self) -> Value {
        let frame = tokio::time::timeout(TIMEOUT, self.receive_frame())
            .await
            .expect("socket answer within the bound")
            .expect("the daemon closed the socket before answering");
        parse(&frame)
    }

    /// The next frame, `None` at end of stream.
    pub async fn receive_frame(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let frame = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                self.buffer.drain(..end + 2);
                return Some(frame);
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk).await.expect("socket read");
            if n == 0 {
                return None;
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }

    /// Whether the daemon closed the connection (after reading any pending answers).
    pub async fn closed(&mut self) -> bool {
        let read = tokio::time::timeout(TIMEOUT, self.receive_frame())
            .await
            .expect("the socket closes within the bound");
        read.is_none()
    }
}
