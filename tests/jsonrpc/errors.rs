//! Every error class, on every surface: JSON-RPC's own codes, params that do not parse, the
//! `coin` check, domain errors, a panicking method. The validating client checks each error's
//! code against the table, its `error_type` against rpc-spec and its `data`.

use serde_json::{json, Value};

use crate::common::{JsonRpcClient, Surface};
use crate::server::TestDaemon;

/// The error object of a raw exchange, asserting its code and null-or-given id.
fn error_of(answer: &Value, code: i64) -> &Value {
    let error = answer
        .get("error")
        .unwrap_or_else(|| panic!("expected error {code}, got {answer}"));
    assert_eq!(error["code"], code, "{answer}");
    assert_eq!(answer["jsonrpc"], "2.0", "{answer}");
    error
}

#[tokio::test]
async fn envelope_errors_have_the_standard_codes() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    for surface in Surface::ALL {
        // Not a request object: -32600, id null.
        let answer = client
            .exchange(surface, &json!({"jsonrpc": "2.0", "id": 5}))
            .await
            .expect("answer");
        error_of(&answer, -32600);
        let answer = client
            .exchange(
                surface,
                &json!({"jsonrpc": "1.0", "method": "version", "id": 6}),
            )
            .await
            .expect("answer");
        error_of(&answer, -32600);
        // Unknown method: -32601, with the request's id.
        let error = client
            .call(surface, "lightning::nodes::no_such_method", json!({}))
            .await;
        assert_eq!(error["error"]["code"], -32601, "{error}");
    }
    daemon.stop().await;
}

#[tokio::test]
async fn parse_errors_are_minus_32700_on_every_surface() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;

    let (status, body) = client
        .post_text(r#"{"jsonrpc":"2.0","method":"#, Some(&client.bearer()))
        .await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("JSON");
    error_of(&answer, -32700);
    assert_eq!(answer["id"], Value::Null);

    let mut ws = crate::common::jsonrpc::ws_connect(client.addr(), Some(&client.bearer()))
        .await
        .expect("WebSocket");
    ws.send("{not json").await;
    error_of(&ws.receive().await, -32700);
    // The connection stays usable.
    ws.send(&client.request("version", Value::Null).to_string())
        .await;
    assert!(ws.receive().await.get("result").is_some());

    // On the socket a stream that is not JSON cannot be resynchronised: one -32700, then the
    // daemon closes the connection.
    let mut socket = crate::common::jsonrpc::SocketConnection::connect(client.socket_path()).await;
    socket.send("}{").await;
    error_of(&socket.receive().await, -32700);
    assert!(socket.closed().await, "the socket connection is closed");
    daemon.stop().await;
}

#[tokio::test]
async fn params_that_do_not_parse_are_minus_32602_with_the_mmrpc_fields() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    for surface in Surface::ALL {
        let error = client
            .expect_error(
                surface,
                "lightning::nodes::get_info",
                json!({"coin": 5}),
                -32602,
                Some("InvalidRequest"),
            )
            .await;
        let data = &error["data"];
        assert!(
            data["error"]
                .as_str()
                .unwrap()
                .starts_with("Error parsing request: invalid type: integer `5`"),
            "{error}"
        );
        assert_eq!(data["error_path"], "dispatcher");
        assert!(data["error_trace"]
            .as_str()
            .unwrap()
            .starts_with("dispatcher:"));
        assert!(data["error_data"].is_string());
    }
    daemon.stop().await;
}

#[tokio::test]
async fn coin_may_be_omitted_and_must_match_when_given() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    for surface in Surface::ALL {
        // test::invoice takes a coin: without one, the configured ticker is used.
        let answer = client
            .exchange(
                surface,
                &client.request("test::invoice", json!({"description": "x"})),
            )
            .await
            .expect("answer");
        assert_eq!(answer["result"]["description"], "x", "{answer}");
        // A product method without a running node answers NoSuchCoin for the configured
        // ticker: the default was filled in.
        let error = client
            .expect_error(
                surface,
                "lightning::nodes::get_info",
                Value::Null,
                -10404,
                Some("NoSuchCoin"),
            )
            .await;
        assert_eq!(error["data"]["error_data"], "tBTC-lightning");
        client
            .expect_error(
                surface,
                "lightning::nodes::get_info",
                json!({"coin": "KMD"}),
                -10404,
                Some("NoSuchCoin"),
            )
            .await;
        client
            .expect_error(
                surface,
                "lightning::nodes::get_info",
                json!({"coin": "tBTC"}),
                -10400,
                Some("UnsupportedCoin"),
            )
            .await;
    }
    daemon.stop().await;
}

/// Test methods have no rpc-spec schema, so these checks are by hand.
async fn raw_error(client: &JsonRpcClient, surface: Surface, method: &str, params: Value) -> Value {
    let request = client.request(method, params);
    let answer = client.exchange(surface, &request).await.expect("answer");
    assert_eq!(answer["id"], request["id"], "{answer}");
    answer["error"].clone()
}

#[tokio::test]
async fn domain_errors_carry_every_mmrpc_field() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    // The same call over mmrpc, for comparison.
    let mmrpc = daemon
        .mmrpc
        .call_unchecked(
            "test::invoice",
            json!({"coin": "tBTC-lightning", "description": ""}),
        )
        .await;
    assert_eq!(mmrpc.status, 400);
    for surface in Surface::ALL {
        let error = raw_error(client, surface, "test::invoice", json!({"description": ""})).await;
        assert_eq!(error["code"], -10400, "{error}");
        assert_eq!(error["message"], "Invalid description: empty");
        let data = &error["data"];
        for field in [
            "error",
            "error_path",
            "error_trace",
            "error_type",
            "error_data",
        ] {
            assert_eq!(data[field], mmrpc.body[field], "{field} over {surface:?}");
        }
        assert_eq!(data["error_data"], json!({"reason": "empty"}));
    }
    daemon.stop().await;
}

#[tokio::test]
async fn a_panicking_method_is_an_internal_error() {
    let daemon = TestDaemon::start().await;
    let client = &daemon.jsonrpc;
    for surface in Surface::ALL {
        let error = raw_error(client, surface, "test::panics", Value::Null).await;
        assert_eq!(error["code"], -32603, "{error}");
        assert_eq!(error["data"]["error_type"], "InternalError");
    }
    // The server is still up.
    client.ok(Surface::Http, "version", Value::Null).await;
    daemon.stop().await;
}
