//! The unix socket: its file (mode, stale file, removal) and Core Lightning's framing.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::sync::Arc;

use mmln::config::{Config, RpcSocket};
use mmln::rpc::RpcContext;
use mmln::transport::jsonrpc::socket::{BoundSocket, SocketError};
use mmln::transport::RpcServerState;
use serde_json::Value;

use crate::common::jsonrpc::SocketConnection;
use crate::server::{TestDaemon, PASSWORD};
use crate::test_methods::test_router;

#[tokio::test]
async fn the_socket_has_mode_0600_and_is_removed_on_shutdown() {
    let daemon = TestDaemon::start().await;
    let path = daemon.jsonrpc.socket_path().to_path_buf();
    assert_eq!(path, daemon.config.data_dir.join("lightning-rpc"));
    let meta = std::fs::symlink_metadata(&path).expect("the socket exists");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    // Nothing but the socket was left in the directory (no temporary name).
    let names: Vec<_> = std::fs::read_dir(&daemon.config.data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["lightning-rpc"]);
    daemon.stop().await;
    assert!(!path.exists(), "the socket is removed on shutdown");
}

#[tokio::test]
async fn an_empty_rpc_socket_disables_it() {
    let daemon = TestDaemon::start_with(|c| c.rpc_socket = RpcSocket::Disabled).await;
    assert_eq!(daemon.config.rpc_socket_path(), None);
    assert!(!daemon.config.data_dir.join("lightning-rpc").exists());
    daemon.stop().await;
}

fn surface(dir: &std::path::Path) -> Arc<mmln::transport::jsonrpc::JsonRpcSurface> {
    let config = Config {
        rpc_password: Some(PASSWORD.to_string()),
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    let ctx = RpcContext::new(Arc::new(config));
    let state = RpcServerState::new(ctx, test_router()).expect("server state");
    Arc::clone(state.jsonrpc())
}

#[tokio::test]
async fn a_stale_socket_from_a_crash_is_replaced_and_a_live_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lightning-rpc");
    // A crashed daemon leaves its socket file behind: bound, then the listener is gone.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());

    let bound = BoundSocket::bind(path.clone())
        .await
        .expect("stale socket replaced");
    let server = bound.serve(surface(dir.path()), 1 << 20);
    let mut connection = SocketConnection::connect(&path).await;
    connection
        .send(r#"{"jsonrpc":"2.0","method":"version","id":1}"#)
        .await;
    assert!(connection.receive().await["result"].is_object());

    // While it is served, a second daemon on the same path refuses to start.
    match BoundSocket::bind(path.clone()).await {
        Err(SocketError::InUse(p)) => assert_eq!(p, path),
        Err(e) => panic!("expected InUse, got {e}"),
        Ok(_) => panic!("a live socket was replaced"),
    }
    server.stop().await;
    assert!(!path.exists());

    // A file that is not a socket is never deleted.
    std::fs::write(&path, "keep me").unwrap();
    match BoundSocket::bind(path.clone()).await {
        Err(SocketError::NotASocket(_)) => {}
        Err(e) => panic!("expected NotASocket, got {e}"),
        Ok(_) => panic!("a regular file was replaced"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
}

#[tokio::test]
async fn requests_are_framed_as_core_lightning_frames_them() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    let mut socket = SocketConnection::connect(client.socket_path()).await;
    // Two requests in one write, the second split across writes, whitespace between.
    let first = client.request("version", Value::Null);
    let second = client.request("version", Value::Null);
    let second_text = second.to_string();
    let (head, tail) = second_text.split_at(10);
    socket.send(&format!("{first}\n {head}")).await;
    let answer = socket.receive().await;
    assert_eq!(answer["id"], first["id"]);
    socket.send(tail).await;
    let answer = socket.receive().await;
    assert_eq!(answer["id"], second["id"]);
    // Each answer is compact JSON followed by "\n\n", with nothing else on the stream.
    let third = client.request("version", Value::Null);
    socket.send(&third.to_string()).await;
    let frame = socket.receive_frame().await.expect("a frame");
    assert!(!frame.contains('\n'), "compact: {frame}");
    assert_eq!(
        serde_json::from_str::<Value>(&frame).unwrap()["id"],
        third["id"]
    );
    daemon.stop().await;
}

#[tokio::test]
async fn a_request_larger_than_the_limit_closes_the_connection() {
    let daemon = TestDaemon::start_with(|c| c.rpc_max_body_bytes = 1024).await;
    let mut socket = SocketConnection::connect(daemon.jsonrpc.socket_path()).await;
    let big = format!(
        r#"{{"jsonrpc":"2.0","method":"version","params":{{"x":"{}"#,
        "a".repeat(4096)
    );
    socket.send(&big).await;
    let answer = socket.receive().await;
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert!(socket.closed().await);
    daemon.stop().await;
}
