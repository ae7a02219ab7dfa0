//! The HTTP layer behaves as Bitcoin Core's: basic auth, statuses, JSON-RPC 1.0/2.0, batches.

use serde_json::json;

use super::common::start_chain;

#[tokio::test]
async fn wrong_credentials_get_401() {
    let (chain, rpc, _key) = start_chain().await;
    let call = json!({"jsonrpc": "1.0", "id": 1, "method": "getblockcount", "params": []});
    let (status, body) = rpc.post_as(chain.user(), "wrong", call.clone()).await;
    assert_eq!(status, 401);
    assert!(body.is_null(), "Core answers 401 without a body");
    let (status, _) = rpc.post_as("nobody", chain.password(), call).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn statuses_follow_core() {
    let (_chain, rpc, _key) = start_chain().await;
    let (status, body) = rpc
        .post(json!({"jsonrpc": "1.0", "id": 1, "method": "getblockcount", "params": []}))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"result": 0, "error": null, "id": 1}))
    );

    let (status, error) = rpc.call_err("nosuchmethod", json!([])).await;
    assert_eq!(
        (status, error.code, error.message.as_str()),
        (404, -32601, "Method not found")
    );

    let (status, error) = rpc.call_err("getblockhash", json!([5])).await;
    assert_eq!((status, error.code), (500, -8));

    // 1.0-style without the "jsonrpc" member, as lightning-block-sync sends it.
    let (status, body) = rpc
        .post(json!({"id": "7", "method": "getbestblockhash", "params": []}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], "7");
    assert!(body["result"].is_string());
}

#[tokio::test]
async fn json_rpc_2_and_batches() {
    let (_chain, rpc, _key) = start_chain().await;
    let (status, body) = rpc
        .post(json!({"jsonrpc": "2.0", "id": 3, "method": "getblockcount"}))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"jsonrpc": "2.0", "result": 0, "id": 3}))
    );

    let (status, body) = rpc
        .post(json!({"jsonrpc": "2.0", "id": 4, "method": "nosuchmethod"}))
        .await;
    assert_eq!(status, 200, "JSON-RPC 2.0 errors come with HTTP 200");
    assert_eq!(body["error"]["code"], -32601);
    assert!(body.get("result").is_none());

    let (status, body) = rpc
        .post(json!({"jsonrpc": "2.0", "method": "getblockcount"}))
        .await;
    assert_eq!(
        (status, body),
        (204, serde_json::Value::Null),
        "notifications get no answer"
    );

    let (status, body) = rpc
        .post(json!([
            {"jsonrpc": "1.0", "id": 1, "method": "getblockcount", "params": []},
            {"jsonrpc": "1.0", "id": 2, "method": "getblockhash", "params": [9]},
        ]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["result"], 0);
    assert_eq!(body[1]["error"]["code"], -8);
    assert_eq!(body[1]["id"], 2);
}
