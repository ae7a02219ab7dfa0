//! The dispatcher with a method defined here (never listed in the product registry).

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::config::Config;

/// A method shaped like `generate_invoice`: a coin, a required and an optional field.
struct Echo;

#[derive(Debug, Deserialize)]
struct EchoParams {
    description: String,
    amount_in_msat: Option<u64>,
}

#[derive(Debug, Serialize)]
struct EchoOutput {
    zeta: String,
    alpha: Option<u64>,
}

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
enum EchoError {
    #[error("Refused: {0}")]
    Refused(String),
}

impl RpcError for EchoError {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

impl RpcMethod for Echo {
    const NAME: &'static str = "test::echo";
    const TAKES_COIN: bool = true;
    type Params = EchoParams;
    type Output = EchoOutput;
    type Error = EchoError;

    async fn handle(_ctx: &RpcContext, params: EchoParams) -> MmResult<EchoOutput, EchoError> {
        if params.description == "refuse" {
            return MmError::err(EchoError::Refused(params.description));
        }
        Ok(EchoOutput {
            zeta: params.description,
            alpha: params.amount_in_msat,
        })
    }
}

fn ctx() -> RpcContext {
    RpcContext::new(Arc::new(Config::default()))
}

async fn run(params: Value) -> Result<String, WireError> {
    Router::new()
        .with::<Echo>()
        .dispatch(ctx(), "test::echo", params)
        .await
}

#[tokio::test]
async fn a_good_call_returns_the_result_in_field_order() {
    let out = run(json!({"coin": "tBTC-lightning", "description": "d", "amount_in_msat": 5}))
        .await
        .unwrap();
    assert_eq!(out, r#"{"zeta":"d","alpha":5}"#);
}

#[tokio::test]
async fn wrong_param_types_are_invalid_request_from_the_dispatcher() {
    let err = run(json!({"coin": "tBTC-lightning", "description": "d", "amount_in_msat": "56"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "InvalidRequest");
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        err.message(),
        "Error parsing request: invalid type: string \"56\", expected u64"
    );
    assert_eq!(
        err.error_data(),
        Some(&json!("invalid type: string \"56\", expected u64"))
    );
    assert_eq!(err.path(), "dispatcher");
}

#[tokio::test]
async fn missing_params_and_fields_are_invalid_request() {
    let err = run(Value::Null).await.unwrap_err();
    assert_eq!(err.error_type(), "InvalidRequest");
    assert!(err
        .message()
        .starts_with("Error parsing request: invalid type: null"));

    let err = run(json!({"coin": "tBTC-lightning"})).await.unwrap_err();
    assert_eq!(
        err.message(),
        "Error parsing request: missing field `description`"
    );

    let err = run(json!({"description": "d"})).await.unwrap_err();
    assert_eq!(err.message(), "Error parsing request: missing field `coin`");
}

#[tokio::test]
async fn an_unknown_coin_is_no_such_coin() {
    let err = run(json!({"coin": "KMD", "description": "d"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "NoSuchCoin");
    assert_eq!(err.status(), StatusCode::NOT_FOUND);
    assert_eq!(err.message(), "No such coin KMD");
    assert_eq!(err.error_data(), Some(&json!("KMD")));
    assert_eq!(err.path(), "dispatcher.coin");
}

#[tokio::test]
async fn a_platform_coin_is_unsupported() {
    let err = run(json!({"coin": "tBTC", "description": "d"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "UnsupportedCoin");
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    assert_eq!(err.message(), "Lightning network is not supported for tBTC");
}

#[tokio::test]
async fn a_method_error_keeps_its_type_and_path() {
    let err = run(json!({"coin": "tBTC-lightning", "description": "refuse"}))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Refused");
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(err.path(), "dispatcher_tests");
}

#[tokio::test]
async fn an_unknown_method_is_no_such_method_without_data() {
    let err = Router::new()
        .with::<Echo>()
        .dispatch(ctx(), "nope", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "NoSuchMethod");
    assert_eq!(err.message(), "No such method");
    assert_eq!(err.error_data(), None);
    assert_eq!(err.path(), "dispatcher");
    assert_eq!(err.status(), StatusCode::BAD_REQUEST);
}

#[test]
#[should_panic(expected = "listed twice")]
fn listing_a_method_twice_is_caught() {
    let _ = Router::new().with::<Echo>().with::<Echo>();
}
