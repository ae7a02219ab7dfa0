//! HTTP-level behaviour: version end to end, methods, paths, body limit, shutdown, panics.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;
use crate::test_methods::{test_router, ENTERED, RELEASE, STUCK_ENTERED};

#[tokio::test]
async fn version_answers_in_the_mmrpc_shape() {
    let server = TestServer::start(test_config()).await;
    let resp = server
        .client
        .post(&server.url)
        .body(request("version", Value::Null, 42).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let ctype = resp.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(ctype, "application/json");
    let text = resp.text().await.unwrap();
    assert!(
        text.starts_with(r#"{"mmrpc":"2.0","result":{"result":""#),
        "{text}"
    );
    assert!(text.ends_with(r#","id":42}"#), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["result"]["result"], env!("CARGO_PKG_VERSION"));
    let datetime = v["result"]["datetime"].as_str().unwrap();
    assert_eq!(datetime.len(), 20, "{datetime}");
    assert!(
        datetime.ends_with('Z') && datetime.as_bytes()[10] == b'T',
        "{datetime}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn any_path_is_served() {
    let server = TestServer::start(test_config()).await;
    let resp = server
        .client
        .post(format!("{}some/where?x=1", server.url))
        .body(request("version", json!({}), 1).to_string())
        .send()
        .await
        .unwrap();
    let (status, v) = read_reply(resp).await;
    assert_eq!(status.as_u16(), 200, "{v}");
    assert!(v.get("result").is_some());
}

#[tokio::test]
async fn methods_other_than_post_are_refused() {
    let server = TestServer::start(test_config()).await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let resp = server
            .client
            .request(method.clone(), &server.url)
            .send()
            .await
            .unwrap();
        let (status, v) = read_reply(resp).await;
        assert_error(status, &v, 405, "MethodNotAllowed");
        assert_eq!(v["error_data"], method.as_str());
        assert_eq!(v["error_path"], "server");
    }
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let mut cfg = test_config();
    cfg.rpc_max_body_bytes = 1024;
    let server = TestServer::start(cfg).await;
    let big =
        json!({"method": "version", "userpass": PASSWORD, "params": {"pad": "x".repeat(4000)}});
    let (status, v) = server.post(&big).await;
    assert_error(status, &v, 413, "PayloadTooLarge");
    assert_eq!(v["error_data"], json!({"limit_bytes": 1024}));
    assert_eq!(
        v["error"],
        "Request body is larger than the limit of 1024 bytes"
    );
    // At the limit is fine.
    let small = request("version", json!({"pad": "x"}), 1);
    let (status, _) = server.post(&small).await;
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test]
async fn an_oversized_chunked_body_is_413() {
    let mut cfg = test_config();
    cfg.rpc_max_body_bytes = 1024;
    let server = TestServer::start(cfg).await;
    let addr = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = "y".repeat(800);
    for _ in 0..3 {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        // The server may answer and close before taking every chunk.
        if tcp.write_all(framed.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut raw))
        .await
        .expect("reply within the wait bound")
        .expect("read reply");
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{text}"
    );
    assert!(text.contains(r#""error_type":"PayloadTooLarge""#), "{text}");
}

#[tokio::test]
async fn a_panicking_method_is_an_internal_error() {
    let server = TestServer::start_with(test_config(), test_router()).await;
    let (status, v) = server.post(&request("test::panics", Value::Null, 3)).await;
    assert_error(status, &v, 500, "InternalError");
    // The server still serves.
    let (status, _) = server.post(&request("version", Value::Null, 4)).await;
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let mut server = TestServer::start_with(test_config(), test_router()).await;
    let client = server.client.clone();
    let url = server.url.clone();
    let in_flight = tokio::spawn(async move {
        let body = request("test::hold", Value::Null, 8).to_string();
        read_reply(client.post(&url).body(body).send().await.unwrap()).await
    });
    tokio::time::timeout(WAIT, ENTERED.notified())
        .await
        .expect("the held call started");
    server.stop_signal();
    // Give the server a moment to act on the signal before releasing the call; the assertion
    // below does not depend on how long this takes.
    tokio::time::sleep(Duration::from_millis(50)).await;
    RELEASE.notify_one();
    let (status, v) = tokio::time::timeout(WAIT, in_flight)
        .await
        .expect("in-flight reply within the wait bound")
        .unwrap();
    assert_eq!(status.as_u16(), 200, "{v}");
    assert_eq!(v["result"], "released");
    server.join().await.unwrap();
}

#[tokio::test]
async fn a_server_without_password_refuses_to_start() {
    for password in [None, Some(String::new())] {
        let mut cfg = test_config();
        cfg.rpc_password = password;
        let err = mmln::transport::RpcServerState::from_config(std::sync::Arc::new(cfg))
            .err()
            .expect("refused");
        assert!(matches!(
            err,
            mmln::transport::TransportError::MissingRpcPassword
        ));
    }
}

#[tokio::test]
async fn shutdown_is_bounded_by_the_grace_period() {
    let cfg = test_config();
    let listener = mmln::transport::bind(&cfg).await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let ctx = mmln::rpc::RpcContext::new(std::sync::Arc::new(cfg));
    let state = mmln::transport::RpcServerState::new(ctx, test_router()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mmln::transport::serve_with_grace(
        listener,
        std::sync::Arc::new(state),
        async {
            let _ = stopped.await;
        },
        Duration::from_millis(100),
    ));
    let stuck = tokio::spawn(async move {
        let body = request("test::stuck", Value::Null, 1).to_string();
        reqwest::Client::new().post(&url).body(body).send().await
    });
    tokio::time::timeout(WAIT, STUCK_ENTERED.notified())
        .await
        .expect("the stuck call started");
    stop.send(()).unwrap();
    tokio::time::timeout(WAIT, server)
        .await
        .expect("serve returns after the grace period despite a stuck request")
        .unwrap()
        .unwrap();
    stuck.abort();
}
