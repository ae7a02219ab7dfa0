//! The benchmark's mmrpc 2.0 client: JSON over HTTP POST with reqwest, exactly as a wallet
//! would call the daemon.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{json, Value};

/// Bound on one HTTP call; a send with a wait asks the server for less than this.
const CALL_TIMEOUT: Duration = Duration::from_secs(180);

/// Why a call did not return a result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("HTTP request to {method} failed: {reason}")]
    TransportFailed { method: String, reason: String },
    #[error("{method} answered {error_type}: {message}")]
    Rpc {
        method: String,
        error_type: String,
        message: String,
    },
    #[error("{method} answered something that is not an mmrpc response: {reason}")]
    InvalidResponse { method: String, reason: String },
}

impl CallError {
    /// The mmrpc `error_type`, when the daemon answered with an error.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            CallError::Rpc { error_type, .. } => Some(error_type),
            _ => None,
        }
    }
}

/// One daemon's RPC endpoint.
pub struct RpcClient {
    http: reqwest::Client,
    url: String,
    userpass: String,
    next_id: AtomicU64,
}

impl RpcClient {
    pub fn new(addr: std::net::SocketAddr, userpass: &str) -> Result<RpcClient, CallError> {
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            // Many workers share the client; keep their connections alive between calls.
            .pool_max_idle_per_host(1024)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| CallError::TransportFailed {
                method: "(client setup)".into(),
                reason: e.to_string(),
            })?;
        Ok(RpcClient {
            http,
            url: format!("http://{addr}/"),
            userpass: userpass.to_string(),
            next_id: AtomicU64::new(1),
        })
    }

    /// Calls `method` with `params`; the `result` on success.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, CallError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({
            "mmrpc": "2.0",
            "userpass": self.userpass,
            "method": method,
            "params": params,
            "id": id,
        });
        let transport = |e: reqwest::Error| CallError::TransportFailed {
            method: method.to_string(),
            reason: e.to_string(),
        };
        let response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        let mut answer: Value = response.json().await.map_err(transport)?;
        if let Some(result) = answer.get_mut("result") {
            return Ok(result.take());
        }
        match answer.get("error") {
            Some(message) => Err(CallError::Rpc {
                method: method.to_string(),
                error_type: answer
                    .get("error_type")
                    .and_then(Value::as_str)
                    .unwrap_or("(no error_type)")
                    .to_string(),
                message: message.as_str().unwrap_or_default().to_string(),
            }),
            None => Err(CallError::InvalidResponse {
                method: method.to_string(),
                reason: "neither result nor error".into(),
            }),
        }
    }
}

/// Whether `error` says the daemon does not route `method` at all.
pub fn is_unknown_method(error: &CallError) -> bool {
    matches!(
        error.error_type(),
        Some("NoSuchMethod" | "UnknownMethod" | "MethodNotFound")
    )
}
