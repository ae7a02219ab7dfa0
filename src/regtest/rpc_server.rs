//! Bitcoin Core's HTTP JSON-RPC server behaviour: POST only, HTTP basic auth (401 without a
//! body), JSON-RPC 1.0-style answers with Core's HTTP statuses (404 for an unknown method, 400
//! for a malformed request, 500 for other errors), JSON-RPC 2.0 requests (always 200,
//! notifications unanswered) and batches.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use super::node::RegtestNode;
use super::rpc_methods;
use super::rpc_params::{code, RpcError};

/// Large enough for a testmempoolaccept of 25 big transactions.
const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

pub struct ServerState {
    pub node: Arc<Mutex<RegtestNode>>,
    pub user: String,
    pub password: String,
}

pub fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .fallback(handle_http)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}

/// A poisoned lock only means an earlier call panicked; the node's state is still consistent
/// between calls, so keep serving.
pub fn lock_node(node: &Mutex<RegtestNode>) -> MutexGuard<'_, RegtestNode> {
    node.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn handle_http(
    State(state): State<Arc<ServerState>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "JSONRPC server handles only POST requests",
        )
            .into_response();
    }
    if !authorized(&headers, &state.user, &state.password) {
        tracing::warn!("regtest RPC request with wrong credentials");
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"jsonrpc\"")],
        )
            .into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            let error = RpcError::new(code::PARSE_ERROR, "Parse error");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(legacy_reply(Err(error), Value::Null)),
            )
                .into_response();
        }
    };
    let node = Arc::clone(&state.node);
    // Calls mine, verify scripts and write to disk: keep them off the async workers.
    let outcome = tokio::task::spawn_blocking(move || handle_json(&node, request)).await;
    match outcome {
        Ok(Outcome {
            status,
            body: Some(body),
        }) => (status, Json(body)).into_response(),
        Ok(Outcome { status, body: None }) => status.into_response(),
        Err(error) => {
            tracing::error!(%error, "regtest RPC call panicked");
            let error = RpcError::new(code::MISC_ERROR, "internal error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(legacy_reply(Err(error), Value::Null)),
            )
                .into_response()
        }
    }
}

fn authorized(headers: &HeaderMap, user: &str, password: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{user}:{password}");
    decoded.ct_eq(expected.as_bytes()).into()
}

struct Outcome {
    status: StatusCode,
    /// `None` for a JSON-RPC 2.0 notification, which gets no answer.
    body: Option<Value>,
}

fn handle_json(node: &Mutex<RegtestNode>, request: Value) -> Outcome {
    match request {
        Value::Array(requests) => {
            let replies: Vec<Value> = requests
                .into_iter()
                .filter_map(|r| handle_one(node, r).body)
                .collect();
            Outcome {
                status: StatusCode::OK,
                body: Some(Value::Array(replies)),
            }
        }
        single => {
            let outcome = handle_one(node, single);
            if outcome.body.is_none() {
                return Outcome {
                    status: StatusCode::NO_CONTENT,
                    body: None,
                };
            }
            outcome
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Version {
    Legacy,
    V2,
}

fn handle_one(node: &Mutex<RegtestNode>, request: Value) -> Outcome {
    let Value::Object(mut object) = request else {
        return legacy_failure(
            RpcError::new(code::INVALID_REQUEST, "Invalid Request object"),
            Value::Null,
        );
    };
    let id = object.remove("id");
    let id_or_null = id.clone().unwrap_or(Value::Null);
    let version = match object.get("jsonrpc") {
        None => Version::Legacy,
        Some(Value::String(v)) if v == "1.0" => Version::Legacy,
        Some(Value::String(v)) if v == "2.0" => Version::V2,
        Some(_) => {
            return legacy_failure(
                RpcError::new(code::INVALID_REQUEST, "JSON-RPC version not supported"),
                id_or_null,
            )
        }
    };
    let result = match (object.remove("method"), object.remove("params")) {
        (None, _) => Err(RpcError::new(code::INVALID_REQUEST, "Missing method")),
        (Some(Value::String(method)), params) => {
            let params = params.unwrap_or(Value::Null);
            tracing::debug!(%method, "regtest RPC call");
            let mut node = lock_node(node);
            rpc_methods::call(&mut node, &method, params, unix_now())
        }
        (Some(_), _) => Err(RpcError::new(
            code::INVALID_REQUEST,
            "Method must be a string",
        )),
    };
    match version {
        Version::Legacy => match result {
            Ok(value) => Outcome {
                status: StatusCode::OK,
                body: Some(legacy_reply(Ok(value), id_or_null)),
            },
            Err(error) => legacy_failure(error, id_or_null),
        },
        Version::V2 => {
            let Some(id) = id else {
                return Outcome {
                    status: StatusCode::NO_CONTENT,
                    body: None,
                };
            };
            let mut reply = Map::new();
            reply.insert("jsonrpc".into(), json!("2.0"));
            match result {
                Ok(value) => reply.insert("result".into(), value),
                Err(error) => reply.insert("error".into(), error.to_json()),
            };
            reply.insert("id".into(), id);
            Outcome {
                status: StatusCode::OK,
                body: Some(Value::Object(reply)),
            }
        }
    }
}

fn legacy_reply(result: Result<Value, RpcError>, id: Value) -> Value {
    match result {
        Ok(value) => json!({ "result": value, "error": null, "id": id }),
        Err(error) => json!({ "result": null, "error": error.to_json(), "id": id }),
    }
}

/// Core's HTTP status for a failed 1.0-style call.
fn legacy_failure(error: RpcError, id: Value) -> Outcome {
    let status = match error.code {
        code::INVALID_REQUEST => StatusCode::BAD_REQUEST,
        code::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Outcome {
        status,
        body: Some(legacy_reply(Err(error), id)),
    }
}
