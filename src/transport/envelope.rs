//! The mmrpc 2.0 envelope: parsing requests and writing replies.
//!
//! Request: `{"mmrpc":"2.0","userpass":"..","method":"..","params":{..},"id":1}`.
//! - `mmrpc` may be absent (KDF's own tests send none); if present it must be `"2.0"`.
//! - `params` defaults to `null`; `id` is an unsigned integer or absent, echoed as given.
//! - Any other top-level key is refused.
//!
//! Replies are `{"mmrpc":"2.0","result":..,"id":..}` or
//! `{"mmrpc":"2.0","error":..,"error_path":..,"error_trace":..,"error_type":..,"error_data":..,"id":..}`,
//! keys in that order.

use axum::http::StatusCode;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rpc::error::{MapToMmResult, MmError, MmResult, RpcError, WireError};

/// The only protocol version served.
pub const MMRPC_VERSION: &str = "2.0";

/// Why a request body or batch element was refused before authentication.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum EnvelopeError {
    /// Not JSON, not a request object or batch, or fields of the wrong shape; the parser's message.
    #[error("Error parsing request: {0}")]
    InvalidRequest(String),
    /// `mmrpc` was present and not `"2.0"`; the value sent.
    #[error("Invalid mmrpc version {0}: only \"2.0\" is supported")]
    InvalidMmRpcVersion(Value),
}

impl RpcError for EnvelopeError {
    fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

/// A body: one request, or a non-empty batch of request elements (each still unparsed).
#[derive(Debug, PartialEq)]
pub enum RequestBody {
    Single(Value),
    Batch(Vec<Value>),
}

/// Parses an HTTP body into a single request or a batch.
pub fn parse_body(bytes: &[u8]) -> MmResult<RequestBody, EnvelopeError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_to_mm(|e| EnvelopeError::InvalidRequest(e.to_string()))?;
    match value {
        Value::Array(elements) if elements.is_empty() => MmError::err(
            EnvelopeError::InvalidRequest("a batch must hold at least one request".to_string()),
        ),
        Value::Array(elements) => Ok(RequestBody::Batch(elements)),
        object @ Value::Object(_) => Ok(RequestBody::Single(object)),
        other => MmError::err(EnvelopeError::InvalidRequest(format!(
            "invalid type: {}, expected a request object or a batch array",
            json_kind(&other)
        ))),
    }
}

/// One parsed request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub userpass: Option<String>,
    pub method: String,
    pub params: Value,
    pub id: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    // Checked before this parse; declared so that it is not an unknown field.
    #[serde(rename = "mmrpc")]
    _mmrpc: Option<IgnoredAny>,
    userpass: Option<String>,
    method: String,
    #[serde(default)]
    params: Value,
    id: Option<u64>,
}

/// A refused request, with the `id` to echo (when the request carried a valid one).
#[derive(Debug)]
pub struct RefusedRequest {
    pub id: Option<u64>,
    pub error: MmError<EnvelopeError>,
}

/// Parses one request object (a whole body or one batch element).
pub fn parse_request(value: Value) -> Result<Request, RefusedRequest> {
    // Read the id first, leniently, so that even a malformed request gets its id echoed.
    let id = value.get("id").and_then(Value::as_u64);
    let refuse = |error| RefusedRequest { id, error };
    if !value.is_object() {
        return Err(refuse(MmError::new(EnvelopeError::InvalidRequest(
            format!(
                "invalid type: {}, expected a request object",
                json_kind(&value)
            ),
        ))));
    }
    if let Some(version) = value.get("mmrpc") {
        if version.as_str() != Some(MMRPC_VERSION) {
            return Err(refuse(MmError::new(EnvelopeError::InvalidMmRpcVersion(
                version.clone(),
            ))));
        }
    }
    let raw: RawRequest = serde_json::from_value(value)
        .map_to_mm(|e| EnvelopeError::InvalidRequest(e.to_string()))
        .map_err(refuse)?;
    Ok(Request {
        userpass: raw.userpass,
        method: raw.method,
        params: raw.params,
        id: raw.id,
    })
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn render_id(id: Option<u64>) -> String {
    id.map_or_else(|| "null".to_string(), |n| n.to_string())
}

/// A success reply around an already serialized result (which keeps its own field order).
pub fn render_success(id: Option<u64>, result_json: &str) -> String {
    format!(
        r#"{{"mmrpc":"{MMRPC_VERSION}","result":{result_json},"id":{}}}"#,
        render_id(id)
    )
}

/// An error reply. Written by hand rather than through a `Value`, so `error_data` keeps the
/// field order of its error type.
pub fn render_error(id: Option<u64>, err: &WireError) -> String {
    let data = err
        .error_data_json()
        .map(|json| format!(r#","error_data":{json}"#))
        .unwrap_or_default();
    format!(
        r#"{{"mmrpc":"{MMRPC_VERSION}","error":{},"error_path":{},"error_trace":{},"error_type":{}{data},"id":{}}}"#,
        json_string(err.message()),
        json_string(err.path()),
        json_string(err.trace()),
        json_string(err.error_type()),
        render_id(id)
    )
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    Value::from(text).to_string()
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
