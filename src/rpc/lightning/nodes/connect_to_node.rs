//! `lightning::nodes::connect_to_node`: connects to `pubkey@host:port` (the node also redials it
//! after restarts).

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::rpc::context::{EngineNotRunning, RpcContext};
use crate::rpc::error::{MapToMmResult, MmResult, RpcError};
use crate::rpc::method::RpcMethod;
use crate::service::nodes::{ConnectError, ConnectToError, Connected};

pub struct ConnectToNode;

#[derive(Debug, Deserialize)]
pub struct ConnectToNodeParams {
    node_address: String,
}

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum ConnectToNodeError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("{0}")]
    InvalidNodeAddress(String),
    #[error("{0}")]
    ResolveFailed(String),
    #[error("{0}")]
    ConnectionTimedOut(String),
    #[error("{0}")]
    ConnectFailed(String),
}

impl RpcError for ConnectToNodeError {
    fn status(&self) -> StatusCode {
        match self {
            ConnectToNodeError::NoSuchCoin(_) => StatusCode::NOT_FOUND,
            ConnectToNodeError::InvalidNodeAddress(_) | ConnectToNodeError::ResolveFailed(_) => {
                StatusCode::BAD_REQUEST
            }
            ConnectToNodeError::ConnectionTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            ConnectToNodeError::ConnectFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<EngineNotRunning> for ConnectToNodeError {
    fn from(e: EngineNotRunning) -> Self {
        ConnectToNodeError::NoSuchCoin(e.ticker)
    }
}

impl From<ConnectToError> for ConnectToNodeError {
    fn from(e: ConnectToError) -> Self {
        let message = e.to_string();
        match e {
            ConnectToError::InvalidNodeAddress(_) => {
                ConnectToNodeError::InvalidNodeAddress(message)
            }
            ConnectToError::Connect(e) => e.into(),
        }
    }
}

impl From<ConnectError> for ConnectToNodeError {
    fn from(e: ConnectError) -> Self {
        let message = e.to_string();
        match e {
            ConnectError::InvalidAddress(_) => ConnectToNodeError::InvalidNodeAddress(message),
            ConnectError::ResolveFailed { .. } => ConnectToNodeError::ResolveFailed(message),
            ConnectError::Timeout { .. } => ConnectToNodeError::ConnectionTimedOut(message),
            ConnectError::ConnectFailed { .. }
            | ConnectError::HandshakeFailed { .. }
            | ConnectError::PersistFailed(_) => ConnectToNodeError::ConnectFailed(message),
        }
    }
}

impl RpcMethod for ConnectToNode {
    const NAME: &'static str = "lightning::nodes::connect_to_node";
    const TAKES_COIN: bool = true;
    type Params = ConnectToNodeParams;
    type Output = String;
    type Error = ConnectToNodeError;

    async fn handle(
        ctx: &RpcContext,
        params: ConnectToNodeParams,
    ) -> MmResult<String, ConnectToNodeError> {
        let engine = ctx.engine().map_to_mm(ConnectToNodeError::from)?;
        let (address, connected) = engine
            .nodes()
            .connect(&params.node_address)
            .await
            .map_to_mm(ConnectToNodeError::from)?;
        // KDF's exact wording, spaces included: clients match on these.
        match connected {
            Connected::Now => Ok(format!("Connected successfully to node : {address}")),
            Connected::Already => Ok(format!("Already connected to node: {address}")),
        }
    }
}
