//! Batches: concurrent, each element authenticated on its own, replies in order, HTTP 200.

use serde_json::{json, Value};

use crate::common::*;
use crate::test_methods::test_router;

#[tokio::test]
async fn a_mixed_batch_answers_each_element_in_order() {
    let server = TestServer::start_with(test_config(), test_router()).await;
    let mut wrong_pass = request("version", Value::Null, 2);
    wrong_pass["userpass"] = json!("nope");
    let mut no_pass = request("version", Value::Null, 4);
    no_pass.as_object_mut().unwrap().remove("userpass");
    let mut bad_version = request("version", Value::Null, 6);
    bad_version["mmrpc"] = json!("3.0");
    let batch = json!([
        request("version", Value::Null, 1),
        wrong_pass,
        request("no::such", Value::Null, 3),
        no_pass,
        5,
        bad_version,
        request(
            "test::invoice",
            json!({"coin": "KMD", "description": "d"}),
            7
        ),
        request(
            "test::invoice",
            json!({"coin": "tBTC-lightning", "description": "d"}),
            8
        ),
    ]);
    let (status, v) = server.post(&batch).await;
    assert_eq!(status.as_u16(), 200, "{v}");
    let replies = v.as_array().unwrap();
    assert_eq!(replies.len(), 8);
    let types: Vec<&str> = replies
        .iter()
        .map(|r| r.get("error_type").and_then(Value::as_str).unwrap_or("ok"))
        .collect();
    assert_eq!(
        types,
        [
            "ok",
            "UserpassIsInvalid",
            "NoSuchMethod",
            "UserpassIsNotSet",
            "InvalidRequest",
            "InvalidMmRpcVersion",
            "NoSuchCoin",
            "ok"
        ]
    );
    let ids: Vec<Value> = replies.iter().map(|r| r["id"].clone()).collect();
    assert_eq!(
        ids,
        [
            json!(1),
            json!(2),
            json!(3),
            json!(4),
            Value::Null,
            json!(6),
            json!(7),
            json!(8)
        ]
    );
}

#[tokio::test]
async fn an_empty_batch_is_invalid_request() {
    let server = TestServer::start(test_config()).await;
    let (status, v) = server.post_raw("[]").await;
    assert_error(status, &v, 400, "InvalidRequest");
    assert!(v.is_object());
}

#[tokio::test]
async fn batch_elements_run_concurrently() {
    // Each call waits for the other at a barrier: a sequential batch would never finish
    // (post_raw's bound would fail the test).
    let server = TestServer::start_with(test_config(), test_router()).await;
    let batch = json!([
        request("test::rendezvous", Value::Null, 1),
        request("test::rendezvous", Value::Null, 2),
    ]);
    let (status, v) = server.post(&batch).await;
    assert_eq!(status.as_u16(), 200);
    let leaders: Vec<bool> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_bool().unwrap())
        .collect();
    assert_eq!(leaders.iter().filter(|l| **l).count(), 1, "{v}");
}

#[tokio::test]
async fn wrong_passwords_in_one_batch_share_the_limit() {
    let mut cfg = test_config();
    cfg.rpc_max_failed_attempts = 3;
    let server = TestServer::start(cfg).await;
    let mut wrong = request("version", Value::Null, 1);
    wrong["userpass"] = json!("nope");
    let batch = Value::Array(vec![wrong; 6]);
    let (status, v) = server.post(&batch).await;
    assert_eq!(status.as_u16(), 200);
    let types: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.iter().filter(|t| **t == "UserpassIsInvalid").count(),
        3,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|t| **t == "Banned").count(),
        3,
        "{types:?}"
    );
}
