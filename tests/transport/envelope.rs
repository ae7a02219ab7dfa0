//! Envelope and routing errors: exact error_type and HTTP status per class of bad input.

use serde_json::{json, Value};

use crate::common::*;
use crate::test_methods::test_router;

#[tokio::test]
async fn a_body_that_is_not_json_is_invalid_request() {
    let server = TestServer::start(test_config()).await;
    for body in ["not json", "", "{\"method\":", "\u{0}\u{1}"] {
        let (status, v) = server.post_raw(body).await;
        assert_error(status, &v, 400, "InvalidRequest");
        assert_eq!(v["id"], Value::Null);
        let msg = v["error"].as_str().unwrap();
        assert_eq!(
            msg,
            format!(
                "Error parsing request: {}",
                v["error_data"].as_str().unwrap()
            )
        );
    }
    let (status, v) = server.post_raw("17").await;
    assert_error(status, &v, 400, "InvalidRequest");
}

#[tokio::test]
async fn a_wrong_mmrpc_version_is_refused_with_the_id() {
    let server = TestServer::start(test_config()).await;
    let mut body = request("version", Value::Null, 5);
    body["mmrpc"] = json!("1.0");
    let (status, v) = server.post(&body).await;
    assert_error(status, &v, 400, "InvalidMmRpcVersion");
    assert_eq!(v["id"], 5);
    assert_eq!(v["error_data"], "1.0");
}

#[tokio::test]
async fn a_request_without_mmrpc_is_served_in_the_2_0_shape() {
    let server = TestServer::start(test_config()).await;
    let (status, v) = server
        .post(&json!({"userpass": PASSWORD, "method": "version"}))
        .await;
    assert_eq!(status.as_u16(), 200);
    assert_eq!(v["mmrpc"], "2.0");
    assert_eq!(v["id"], Value::Null);
}

#[tokio::test]
async fn an_unknown_top_level_key_is_invalid_request() {
    let server = TestServer::start(test_config()).await;
    let mut body = request("version", Value::Null, 6);
    body["extra"] = json!(true);
    let (status, v) = server.post(&body).await;
    assert_error(status, &v, 400, "InvalidRequest");
    assert!(v["error"]
        .as_str()
        .unwrap()
        .starts_with("Error parsing request: unknown field `extra`"));
    assert_eq!(v["id"], 6);
}

#[tokio::test]
async fn an_unknown_method_is_no_such_method() {
    let server = TestServer::start(test_config()).await;
    let (status, v) = server
        .post(&request("lightning::nope", Value::Null, 7))
        .await;
    assert_error(status, &v, 400, "NoSuchMethod");
    assert_eq!(v["error"], "No such method");
    assert!(v.get("error_data").is_none(), "{v}");
    assert_eq!(v["error_path"], "dispatcher");
    assert!(is_trace(v["error_trace"].as_str().unwrap()));
}

#[tokio::test]
async fn wrong_param_types_are_invalid_request_from_the_dispatcher() {
    let server = TestServer::start_with(test_config(), test_router()).await;
    // A product method: `version` takes no params, and refuses a non-object.
    let (status, v) = server.post(&request("version", json!(5), 1)).await;
    assert_error(status, &v, 400, "InvalidRequest");
    assert_eq!(
        v["error"],
        "Error parsing request: invalid type: integer `5`, expected null or an object"
    );
    assert_eq!(v["error_path"], "dispatcher");

    let params = json!({"coin": "tBTC-lightning", "description": "d", "amount_in_msat": "56"});
    let (status, v) = server.post(&request("test::invoice", params, 762)).await;
    assert_error(status, &v, 400, "InvalidRequest");
    assert_eq!(
        v["error"],
        "Error parsing request: invalid type: string \"56\", expected u64"
    );
    assert_eq!(v["error_data"], "invalid type: string \"56\", expected u64");
    assert_eq!(v["error_path"], "dispatcher");
    assert_eq!(v["id"], 762);
}

#[tokio::test]
async fn missing_params_are_invalid_request() {
    let server = TestServer::start_with(test_config(), test_router()).await;
    let mut body = request("test::invoice", Value::Null, 1);
    body.as_object_mut().unwrap().remove("params");
    let (status, v) = server.post(&body).await;
    assert_error(status, &v, 400, "InvalidRequest");
    assert!(v["error"]
        .as_str()
        .unwrap()
        .starts_with("Error parsing request: invalid type: null"));

    let (status, v) = server
        .post(&request(
            "test::invoice",
            json!({"coin": "tBTC-lightning"}),
            2,
        ))
        .await;
    assert_error(status, &v, 400, "InvalidRequest");
    assert_eq!(
        v["error"],
        "Error parsing request: missing field `description`"
    );
}

#[tokio::test]
async fn coins_are_checked_against_the_configured_ticker() {
    let server = TestServer::start_with(test_config(), test_router()).await;
    let call = |coin: &str| {
        request(
            "test::invoice",
            json!({"coin": coin, "description": "d"}),
            9,
        )
    };

    let (status, v) = server.post(&call("tBTC-lightning")).await;
    assert_eq!(status.as_u16(), 200, "{v}");
    assert_eq!(
        v["result"],
        json!({"description": "d", "amount_in_msat": null})
    );

    let (status, v) = server.post(&call("KMD")).await;
    assert_error(status, &v, 404, "NoSuchCoin");
    assert_eq!(v["error"], "No such coin KMD");
    assert_eq!(v["error_data"], "KMD");

    for platform in ["tBTC", "BTC"] {
        let (status, v) = server.post(&call(platform)).await;
        assert_error(status, &v, 400, "UnsupportedCoin");
        assert_eq!(
            v["error"],
            format!("Lightning network is not supported for {platform}")
        );
    }

    let (status, v) = server
        .post(&request("test::invoice", json!({"description": "d"}), 9))
        .await;
    assert_error(status, &v, 400, "InvalidRequest");
    assert_eq!(v["error"], "Error parsing request: missing field `coin`");
}

#[tokio::test]
async fn a_configured_ticker_is_used() {
    let mut cfg = test_config();
    cfg.coin = Some("BTC-lightning".into());
    let server = TestServer::start_with(cfg, test_router()).await;
    let call = |coin: &str| {
        request(
            "test::invoice",
            json!({"coin": coin, "description": "d"}),
            1,
        )
    };
    assert_eq!(server.post(&call("BTC-lightning")).await.0.as_u16(), 200);
    let (status, v) = server.post(&call("tBTC-lightning")).await;
    assert_error(status, &v, 404, "NoSuchCoin");
}

#[tokio::test]
async fn method_errors_have_their_own_type_data_and_trace() {
    let server = TestServer::start_with(test_config(), test_router()).await;
    let params = json!({"coin": "tBTC-lightning", "description": ""});
    let (status, v) = server.post(&request("test::invoice", params, 3)).await;
    assert_error(status, &v, 400, "InvalidDescription");
    assert_eq!(v["error_data"], json!({"reason": "empty"}));
    assert_eq!(v["error"], "Invalid description: empty");
    assert_eq!(v["error_path"], "test_methods");
    let trace = v["error_trace"].as_str().unwrap();
    assert!(is_trace(trace), "{trace}");
    assert!(trace.starts_with("test_methods:"), "{trace}");
}

#[test]
fn the_trace_checker_itself_rejects_bad_traces() {
    assert!(is_trace("send_payment:102] lightning:232]"));
    assert_eq!(
        path_of_trace("send_payment:102] lightning:232]"),
        "send_payment.lightning"
    );
    assert_eq!(path_of_trace("a:1] a:2] b:3] a:4]"), "a.b.a");
    for bad in ["", "a:1", "a:] ", "a:1]  b:2]", "a-b:1]", ":1]", "a:1x]"] {
        assert!(!is_trace(bad), "{bad:?}");
    }
}
