//! Authentication of `/jsonrpc` over HTTP and WebSocket: Bearer or Basic, the same
//! failed-attempt count and ban as mmrpc.

use base64::Engine;
use serde_json::{json, Value};

use crate::common::jsonrpc::{check_error_object, ws_connect};
use crate::common::spec::spec;
use crate::server::{TestDaemon, PASSWORD};

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// Parses a refusal, checks it against rpc-spec, returns its `data`.
fn refusal(body: &str, error_type: &str) -> Value {
    let answer: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(answer["jsonrpc"], "2.0");
    assert_eq!(answer["id"], Value::Null);
    check_error_object(&spec(), "version", &answer["error"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer["error"]["code"], -10403, "{answer}");
    assert_eq!(
        answer["error"]["data"]["error_type"], error_type,
        "{answer}"
    );
    answer["error"]["data"].clone()
}

#[tokio::test]
async fn http_needs_the_password_as_bearer_or_basic() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    let body = client.request("version", Value::Null).to_string();

    let (status, text) = client.post_text(&body, None).await;
    assert_eq!(status, 401, "{text}");
    refusal(&text, "UserpassIsNotSet");

    let (status, text) = client.post_text(&body, Some("Bearer wrong")).await;
    assert_eq!(status, 401, "{text}");
    let data = refusal(&text, "UserpassIsInvalid");
    assert_eq!(data["error_data"]["error_type"], "NbAttemptsLeft");

    let (status, text) = client.post_text(&body, Some(&basic("x", "wrong"))).await;
    assert_eq!(status, 401, "{text}");
    refusal(&text, "UserpassIsInvalid");

    for auth in [
        client.bearer(),
        basic("anyone", PASSWORD),
        basic("", PASSWORD),
    ] {
        let (status, text) = client.post_text(&body, Some(&auth)).await;
        assert_eq!(status, 200, "{auth}: {text}");
        assert!(text.contains(r#""result""#), "{text}");
    }
    daemon.stop().await;
}

#[tokio::test]
async fn wrong_attempts_are_counted_with_mmrpc_and_lead_to_a_ban() {
    let daemon = TestDaemon::start_with(|c| c.rpc_max_failed_attempts = 3).await;
    let client = &daemon.jsonrpc;
    let body = client.request("version", Value::Null).to_string();
    // One failure on mmrpc, one over HTTP, one on a WebSocket upgrade: one count.
    daemon
        .mmrpc
        .with_userpass(Some("wrong"))
        .expect_error("version", json!(null), "UserpassIsInvalid", 403)
        .await;
    let (status, text) = client.post_text(&body, Some("Bearer wrong")).await;
    assert_eq!(status, 401);
    let data = refusal(&text, "UserpassIsInvalid");
    assert_eq!(data["error_data"]["error_data"], 1, "attempts left: {data}");
    assert_eq!(
        ws_connect(client.addr(), Some("Bearer wrong")).await.err(),
        Some(401)
    );

    // Banned now, on every surface, even with the right password.
    let (status, text) = client.post_text(&body, Some(&client.bearer())).await;
    assert_eq!(status, 403, "{text}");
    refusal(&text, "Banned");
    assert_eq!(
        ws_connect(client.addr(), Some(&client.bearer()))
            .await
            .err(),
        Some(403)
    );
    daemon
        .mmrpc
        .expect_error("version", json!(null), "Banned", 403)
        .await;
    daemon.stop().await;
}

#[tokio::test]
async fn websocket_upgrades_need_the_password() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    assert_eq!(ws_connect(client.addr(), None).await.err(), Some(401));
    assert_eq!(
        ws_connect(client.addr(), Some("Bearer wrong")).await.err(),
        Some(401)
    );
    let mut ws = ws_connect(client.addr(), Some(&basic("u", PASSWORD)))
        .await
        .expect("Basic is accepted");
    let request = client.request("version", Value::Null);
    ws.send(&request.to_string()).await;
    let answer = ws.receive().await;
    assert_eq!(answer["id"], request["id"]);
    assert!(answer["result"]["result"].is_string(), "{answer}");
    daemon.stop().await;
}
