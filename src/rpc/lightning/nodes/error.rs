//! The error enums of the `lightning::nodes::*` methods. Each method's schema lists the
//! variants it can answer.

use axum::http::StatusCode;
use serde::Serialize;

use crate::rpc::error::{no_such_coin_without_engine, RpcError};
use crate::service::nodes::{ConnectError, ConnectToError, TrustError, TrustedNodeChangeError};

no_such_coin_without_engine!(ConnectToNodeError, GetInfoError, TrustedNodeError);

/// Errors of `connect_to_node`.
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
            | ConnectError::PersistFailed(_)
            | ConnectError::Offline => ConnectToNodeError::ConnectFailed(message),
        }
    }
}

/// `get_info` reads in-memory state only; it fails only without a running node.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum GetInfoError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
}

impl RpcError for GetInfoError {
    fn status(&self) -> StatusCode {
        match self {
            GetInfoError::NoSuchCoin(_) => StatusCode::NOT_FOUND,
        }
    }
}

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
