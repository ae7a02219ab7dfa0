//! Slow, idle and greedy clients cannot stall the server for others: per-IP connection limits,
//! a header read timeout, a body read timeout and an idle keep-alive timeout, through the real
//! server on loopback. No assertion is about time: each wait is bounded so that a server that
//! stalls fails the test instead of hanging it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::*;

const OTHER_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

fn addr(server: &TestServer) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], server.port))
}

/// A request head announcing a `len`-byte body.
fn head(server: &TestServer, len: usize, keep_alive: bool) -> String {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
         Content-Length: {len}\r\nConnection: {connection}\r\n\r\n",
        server.port
    )
}

/// Everything the server sends until it closes the connection.
async fn read_until_closed(tcp: &mut TcpStream) -> String {
    let mut raw = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut raw))
        .await
        .expect("the server closes the connection within the wait bound")
        .expect("read");
    String::from_utf8_lossy(&raw).into_owned()
}

fn json_body(reply: &str) -> Value {
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {reply}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_and_idle_connections_do_not_stall_another_client() {
    // The defaults: what a daemon runs with.
    let server = TestServer::start(test_config()).await;
    let target = addr(&server);
    let mut held = Vec::new();
    for i in 0..1000 {
        let Ok(mut tcp) = TcpStream::connect(target).await else {
            continue;
        };
        if i % 2 == 1 {
            // The start of a 100 kB body, then nothing.
            let start = format!("{}{}", head(&server, 100_000, true), "{".repeat(1000));
            let _ = tcp.write_all(start.as_bytes()).await;
        }
        held.push(tcp);
    }
    let client = reqwest::Client::builder()
        .local_address(OTHER_CLIENT)
        .build()
        .unwrap();
    let body = request("version", Value::Null, 1).to_string();
    let started = std::time::Instant::now();
    let reply = tokio::time::timeout(WAIT, client.post(&server.url).body(body).send())
        .await
        .expect("another client is answered while the slow connections are open")
        .expect("HTTP exchange");
    // A figure for the README, not an assertion.
    eprintln!(
        "answered in {:?} with {} slow or idle connections held",
        started.elapsed(),
        held.len()
    );
    let (status, v) = read_reply(reply).await;
    assert_eq!(status.as_u16(), 200, "{v}");
    assert!(v["result"]["result"].is_string(), "{v}");
    drop(held);
}

#[tokio::test]
async fn connections_over_the_per_ip_limit_are_refused_with_503() {
    let mut cfg = test_config();
    cfg.rpc_max_connections_per_ip = 2;
    let server = TestServer::start(cfg).await;
    let _first = TcpStream::connect(addr(&server)).await.unwrap();
    let _second = TcpStream::connect(addr(&server)).await.unwrap();
    let mut third = TcpStream::connect(addr(&server)).await.unwrap();
    let reply = read_until_closed(&mut third).await;
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    let v = json_body(&reply);
    check_reply_shape(&v);
    assert_eq!(v["error_type"], "TooManyConnections", "{v}");
    assert_eq!(v["error_data"]["limit_per_ip"], 2, "{v}");

    // Another IP has a budget of its own.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(OTHER_CLIENT, 0)).unwrap();
    let mut other = socket.connect(addr(&server)).await.unwrap();
    let body = request("version", Value::Null, 1).to_string();
    let message = format!("{}{body}", head(&server, body.len(), false));
    other.write_all(message.as_bytes()).await.unwrap();
    let reply = read_until_closed(&mut other).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}

#[tokio::test]
async fn a_connection_that_sends_no_head_is_closed() {
    let mut cfg = test_config();
    cfg.rpc_header_read_timeout_secs = 1;
    let server = TestServer::start(cfg).await;
    let mut silent = TcpStream::connect(addr(&server)).await.unwrap();
    assert_eq!(
        read_until_closed(&mut silent).await,
        "",
        "closed, unanswered"
    );
    let mut half = TcpStream::connect(addr(&server)).await.unwrap();
    half.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert_eq!(read_until_closed(&mut half).await, "", "closed, unanswered");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408() {
    let mut cfg = test_config();
    cfg.rpc_body_read_timeout_secs = 1;
    let server = TestServer::start(cfg).await;
    let mut tcp = TcpStream::connect(addr(&server)).await.unwrap();
    let start = format!("{}{{\"mmrpc\":", head(&server, 100_000, true));
    tcp.write_all(start.as_bytes()).await.unwrap();
    let reply = read_until_closed(&mut tcp).await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    let v = json_body(&reply);
    check_reply_shape(&v);
    assert_eq!(v["error_type"], "BodyReadTimeout", "{v}");
    assert_eq!(v["error_data"]["timeout_secs"], 1, "{v}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_its_answer() {
    let mut cfg = test_config();
    cfg.rpc_keepalive_timeout_secs = 1;
    let server = TestServer::start(cfg).await;
    let mut tcp = TcpStream::connect(addr(&server)).await.unwrap();
    let body = request("version", Value::Null, 1).to_string();
    let message = format!("{}{body}", head(&server, body.len(), true));
    tcp.write_all(message.as_bytes()).await.unwrap();
    // Kept alive, so the connection ends only when the idle timeout closes it.
    let reply = read_until_closed(&mut tcp).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert_eq!(json_body(&reply)["id"], 1, "{reply}");
}
