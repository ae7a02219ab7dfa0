//! mmrpc errors as JSON-RPC 2.0 error objects.
//!
//! `code` comes from [`super::codes`], `message` is mmrpc's `error`, and `data` carries every
//! mmrpc field (`error`, `error_path`, `error_trace`, `error_type`, and `error_data` when the
//! error has a payload), so a JSON-RPC client loses nothing an mmrpc client sees.

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::value::RawValue;
use serde_json::Value;

use super::codes::code_for;
use crate::rpc::error::WireError;

/// The JSON-RPC error object of an mmrpc error.
pub fn error_object(wire: &WireError) -> ErrorObjectOwned {
    let code = wire
        .jsonrpc_code()
        .unwrap_or_else(|| code_for(wire.error_type(), wire.status().as_u16()));
    ErrorObjectOwned::owned(code, wire.message().to_string(), Some(error_data(wire)))
}

/// `data`: the mmrpc fields, written by hand so `error_data` keeps its type's field order (a
/// `Value` would sort it).
fn error_data(wire: &WireError) -> Box<RawValue> {
    let payload = wire
        .error_data_json()
        .map(|json| format!(r#","error_data":{json}"#))
        .unwrap_or_default();
    // A method with its own codes (Core Lightning's) has its clients read `data` as that
    // protocol defines it: the payload's fields come first, at the top level.
    let own = match (wire.jsonrpc_code(), wire.error_data_json()) {
        (Some(_), Some(json)) if json.starts_with('{') && json.len() > 2 => {
            format!("{},", &json[1..json.len() - 1])
        }
        _ => String::new(),
    };
    let text = format!(
        r#"{{{own}"error":{},"error_path":{},"error_trace":{},"error_type":{}{payload}}}"#,
        json_string(wire.message()),
        json_string(wire.path()),
        json_string(wire.trace()),
        json_string(wire.error_type()),
    );
    RawValue::from_string(text).unwrap_or_else(|_| {
        // Every part is a JSON literal written by serde, so this is unreachable; a client
        // still gets the error type if it ever happens.
        let fallback = format!(r#"{{"error_type":{}}}"#, json_string(wire.error_type()));
        RawValue::from_string(fallback).unwrap_or_default()
    })
}

/// A JSON-RPC error response with a null id, as text: for errors raised before any request
/// was read (authentication).
pub fn error_response_text(wire: &WireError) -> String {
    let response = serde_json::json!({
        "jsonrpc": "2.0",
        "error": error_object(wire),
        "id": Value::Null,
    });
    response.to_string()
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::dispatcher::DispatcherError;
    use crate::rpc::error::MmError;
    use crate::transport::auth::{AuthError, RateLimitError};

    fn data_of(err: &ErrorObjectOwned) -> Value {
        serde_json::from_str(err.data().expect("data").get()).expect("data is JSON")
    }

    #[test]
    fn params_that_do_not_parse_are_invalid_params() {
        let wire = WireError::from(MmError::new(DispatcherError::InvalidRequest(
            "missing field `x`".into(),
        )));
        let err = error_object(&wire);
        assert_eq!(err.code(), -32602);
        assert_eq!(err.message(), "Error parsing request: missing field `x`");
        let data = data_of(&err);
        assert_eq!(data["error_type"], "InvalidRequest");
        assert_eq!(data["error_data"], "missing field `x`");
        assert_eq!(data["error_path"], "errors");
        assert!(data["error_trace"].as_str().unwrap().starts_with("errors:"));
    }

    #[test]
    fn domain_errors_take_their_code_from_the_http_status() {
        let wire = WireError::from(MmError::new(DispatcherError::NoSuchCoin("X".into())));
        let err = error_object(&wire);
        assert_eq!(err.code(), -10404);
        assert_eq!(data_of(&err)["error_data"], "X");
        let wire = WireError::from(MmError::new(AuthError::Banned));
        let err = error_object(&wire);
        assert_eq!(err.code(), -10403);
        assert!(data_of(&err).get("error_data").is_none(), "unit variant");
    }

    #[test]
    fn error_data_keeps_its_field_order() {
        let wire = WireError::from(MmError::new(AuthError::UserpassIsInvalid(
            RateLimitError::NbAttemptsLeft(3),
        )));
        let text = error_object(&wire).data().unwrap().get().to_string();
        assert!(
            text.ends_with(r#""error_data":{"error_type":"NbAttemptsLeft","error_data":3}}"#),
            "{text}"
        );
    }
}
