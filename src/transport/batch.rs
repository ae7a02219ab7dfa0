//! Running a body: one request, or a batch processed concurrently.
//!
//! Each element runs in its own task, so elements of a batch proceed in parallel and a panic in
//! one method becomes an `InternalError` reply for that element instead of a dropped
//! connection. Each element is authenticated on its own. A batch reply is the array of the
//! element replies, in request order, with HTTP 200.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use super::envelope::{parse_body, parse_request, render_error, render_success, RequestBody};
use super::server::RpcServerState;
use crate::rpc::error::{MmError, RpcError, WireError};

/// Failures of running an element, outside any method's own errors.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum BatchError {
    /// The element's task ended without an answer (it panicked); the reason.
    #[error("Internal error: the request stopped unexpectedly: {0}")]
    InternalError(String),
}

impl RpcError for BatchError {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// Answers a whole HTTP body: the status and the JSON text.
pub(crate) async fn process_body(
    state: &Arc<RpcServerState>,
    peer: IpAddr,
    bytes: &[u8],
) -> (StatusCode, String) {
    match parse_body(bytes) {
        Err(err) => {
            let wire = WireError::from(err);
            (wire.status(), render_error(None, &wire))
        }
        Ok(RequestBody::Single(value)) => run_isolated(state, peer, value).await,
        Ok(RequestBody::Batch(elements)) => {
            let tasks: Vec<_> = elements
                .into_iter()
                .map(|value| spawn_element(state, peer, value))
                .collect();
            let mut replies = Vec::with_capacity(tasks.len());
            for task in tasks {
                replies.push(join_element(task).await.1);
            }
            (StatusCode::OK, format!("[{}]", replies.join(",")))
        }
    }
}

type ElementTask = tokio::task::JoinHandle<(StatusCode, String)>;

fn spawn_element(state: &Arc<RpcServerState>, peer: IpAddr, value: Value) -> ElementTask {
    let state = Arc::clone(state);
    tokio::spawn(async move { process_element(&state, peer, value).await })
}

async fn run_isolated(
    state: &Arc<RpcServerState>,
    peer: IpAddr,
    value: Value,
) -> (StatusCode, String) {
    join_element(spawn_element(state, peer, value)).await
}

async fn join_element(task: ElementTask) -> (StatusCode, String) {
    match task.await {
        Ok(reply) => reply,
        Err(join_err) => {
            let reason = if join_err.is_panic() {
                "the method panicked"
            } else {
                "the task was cancelled"
            };
            let wire = WireError::from(MmError::new(BatchError::InternalError(reason.into())));
            (wire.status(), render_error(None, &wire))
        }
    }
}

/// Parses, authenticates and dispatches one request element.
async fn process_element(
    state: &RpcServerState,
    peer: IpAddr,
    value: Value,
) -> (StatusCode, String) {
    let request = match parse_request(value) {
        Ok(request) => request,
        Err(refused) => return reply_error(refused.id, WireError::from(refused.error)),
    };
    let id = request.id;
    let caller = match state.auth.authenticate(peer, request.userpass.as_deref()) {
        Ok(caller) => caller,
        Err(err) => return reply_error(id, WireError::from(err)),
    };
    let ctx = state.ctx.clone().with_caller(caller);
    let call = state.router.dispatch(ctx, &request.method, request.params);
    match call.await {
        Ok(result_json) => (StatusCode::OK, render_success(id, &result_json)),
        Err(wire) => reply_error(id, wire),
    }
}

fn reply_error(id: Option<u64>, wire: WireError) -> (StatusCode, String) {
    (wire.status(), render_error(id, &wire))
}
