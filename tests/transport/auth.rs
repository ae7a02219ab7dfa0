//! userpass, the failed-attempt limit and its decay, over HTTP.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;

fn with_password(userpass: Option<&str>, id: u64) -> Value {
    let mut body = request("version", Value::Null, id);
    match userpass {
        Some(p) => body["userpass"] = json!(p),
        None => {
            body.as_object_mut().unwrap().remove("userpass");
        }
    }
    body
}

#[tokio::test]
async fn a_missing_userpass_is_not_set_and_not_counted() {
    let mut cfg = test_config();
    cfg.rpc_max_failed_attempts = 2;
    let server = TestServer::start(cfg).await;
    for id in 0..5 {
        let (status, v) = server.post(&with_password(None, id)).await;
        assert_error(status, &v, 403, "UserpassIsNotSet");
        assert_eq!(v["error"], "Userpass is not set!");
        assert!(v.get("error_data").is_none(), "{v}");
        assert_eq!(v["id"], id);
    }
    let (status, _) = server.post(&with_password(Some(PASSWORD), 9)).await;
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test]
async fn a_wrong_userpass_counts_down_then_bans_then_decays() {
    let mut cfg = test_config();
    cfg.rpc_max_failed_attempts = 3;
    cfg.rpc_failed_attempts_window_secs = 1;
    let server = TestServer::start(cfg).await;

    for left in [2, 1, 0] {
        let (status, v) = server.post(&with_password(Some("wrong"), 1)).await;
        assert_error(status, &v, 403, "UserpassIsInvalid");
        assert_eq!(
            v["error_data"],
            json!({"error_type": "NbAttemptsLeft", "error_data": left})
        );
        assert_eq!(
            v["error"],
            format!("Userpass is invalid! - Rate Limit attempts left: {left}")
        );
    }
    // Banned, checked before authentication: the right password does not help.
    let (status, v) = server.post(&with_password(Some(PASSWORD), 2)).await;
    assert_error(status, &v, 403, "Banned");
    assert_eq!(v["error"], "Your ip is banned.");
    assert!(v.get("error_data").is_none(), "{v}");

    // The ban lifts once a window passes with no failures. Poll, bounded.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, v) = server.post(&with_password(Some(PASSWORD), 3)).await;
        if status.as_u16() == 200 {
            break;
        }
        assert_error(status, &v, 403, "Banned");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ban did not lift"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The count restarted from zero.
    let (status, v) = server.post(&with_password(Some("wrong"), 4)).await;
    assert_error(status, &v, 403, "UserpassIsInvalid");
    assert_eq!(v["error_data"]["error_data"], 2);
}

#[tokio::test]
async fn auth_comes_before_method_lookup() {
    let server = TestServer::start(test_config()).await;
    let mut body = request("no::such", Value::Null, 1);
    body.as_object_mut().unwrap().remove("userpass");
    let (status, v) = server.post(&body).await;
    assert_error(status, &v, 403, "UserpassIsNotSet");
}

#[tokio::test]
async fn loopback_callers_are_served_when_local_only() {
    let mut cfg = test_config();
    cfg.rpc_local_only = true;
    let server = TestServer::start(cfg).await;
    let (status, _) = server.post(&with_password(Some(PASSWORD), 1)).await;
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test]
async fn nested_error_data_is_written_type_first_as_in_kdf() {
    let server = TestServer::start(test_config()).await;
    let text = server
        .client
        .post(&server.url)
        .body(with_password(Some("wrong"), 1).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.ends_with(r#""error_type":"UserpassIsInvalid","error_data":{"error_type":"NbAttemptsLeft","error_data":9},"id":1}"#),
        "{text}"
    );
    assert!(text.starts_with(r#"{"mmrpc":"2.0","error":"Userpass is invalid! - Rate Limit attempts left: 9","error_path":"auth","error_trace":"auth:"#), "{text}");
}

/// This machine's address on its default route, if it has one (no packet is sent).
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket
        .connect("192.0.2.1:9")
        .or_else(|_| socket.connect("198.51.100.1:9"))
        .ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn remote_callers_get_local_host_only() {
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback address on this machine; covered by the unit tests only");
        return;
    };
    for local_only in [true, false] {
        let mut cfg = test_config();
        cfg.rpcip = std::net::Ipv4Addr::UNSPECIFIED.into();
        cfg.rpc_local_only = local_only;
        let server = TestServer::start(cfg).await;
        let remote_url = format!("http://{}/", std::net::SocketAddr::new(ip, server.port));
        let body = with_password(Some(PASSWORD), 1).to_string();
        let resp = server
            .client
            .post(&remote_url)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (status, v) = read_reply(resp).await;
        if local_only {
            assert_error(status, &v, 403, "LocalHostOnly");
            assert_eq!(v["error"], "Only local connections are allowed");
            assert!(v.get("error_data").is_none(), "{v}");
        } else {
            assert_eq!(status.as_u16(), 200, "{v}");
        }
        // Loopback is always served.
        let local_url = format!("http://127.0.0.1:{}/", server.port);
        let resp = server
            .client
            .post(&local_url)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(read_reply(resp).await.0.as_u16(), 200);
    }
}
