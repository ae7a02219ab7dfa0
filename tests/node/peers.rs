//! Outbound connection attempts.

use std::time::Duration;

use mmln::node::ConnectError;
use tokio::io::AsyncReadExt;

use crate::common::{node_config, start_node, Chain};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_connection_attempt_is_cancelled() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    // Accepts the TCP connection but never answers the handshake.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let peer_id = bitcoin::secp256k1::PublicKey::from_secret_key(
        &bitcoin::secp256k1::Secp256k1::new(),
        &bitcoin::secp256k1::SecretKey::from_slice(&[7; 32]).unwrap(),
    );
    let accepted = tokio::spawn(async move { silent.accept().await.map(|(s, _)| s) });

    let err = a
        .node
        .connect_peer(
            peer_id,
            &silent_addr.to_string(),
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Timeout { .. }), "{err}");

    // The attempt is over: our side closed the socket. (Left running, it would sit in the
    // handshake until LDK's peer timer dropped it, and could connect after the timeout.)
    let mut socket = accepted
        .await
        .unwrap()
        .expect("the dial reached the listener");
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                // The handshake's first act; keep reading until the close.
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the timed-out connection was still open 5 s after connect_peer returned"
    );
    assert!(!a.node.is_peer_connected(&peer_id));
    a.node.stop().await;
}
