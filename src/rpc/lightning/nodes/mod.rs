//! `lightning::nodes::*`: peers, trusted nodes, and our node's summary.

pub mod add_trusted_node;
pub mod connect_to_node;
pub mod get_info;
pub mod list_trusted_nodes;
pub mod remove_trusted_node;

use axum::http::StatusCode;
use serde::Serialize;

use crate::rpc::context::EngineNotRunning;
use crate::rpc::error::RpcError;
use crate::service::nodes::{TrustError, TrustedNodeChangeError};

/// Errors of the trusted-node methods (`add_trusted_node`, `remove_trusted_node`,
/// `list_trusted_nodes`).
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum TrustedNodeError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("{0}")]
    InvalidNodeId(String),
    #[error("trusted node set could not be saved: {0}")]
    DbError(String),
}

impl RpcError for TrustedNodeError {
    fn status(&self) -> StatusCode {
        match self {
            TrustedNodeError::NoSuchCoin(_) => StatusCode::NOT_FOUND,
            TrustedNodeError::InvalidNodeId(_) => StatusCode::BAD_REQUEST,
            TrustedNodeError::DbError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<EngineNotRunning> for TrustedNodeError {
    fn from(e: EngineNotRunning) -> Self {
        TrustedNodeError::NoSuchCoin(e.ticker)
    }
}

impl From<TrustedNodeChangeError> for TrustedNodeError {
    fn from(e: TrustedNodeChangeError) -> Self {
        match e {
            TrustedNodeChangeError::InvalidNodeId(e) => {
                TrustedNodeError::InvalidNodeId(e.to_string())
            }
            TrustedNodeChangeError::Trust(TrustError::PersistFailed(reason)) => {
                TrustedNodeError::DbError(reason)
            }
        }
    }
}
