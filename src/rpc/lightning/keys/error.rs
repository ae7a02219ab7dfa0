//! The error enum of the `lightning::keys::*` methods.

use axum::http::StatusCode;
use serde::Serialize;

use crate::rpc::error::{no_such_coin_without_engine, RpcError};
use crate::service::keys::KeyError;

no_such_coin_without_engine!(KeysError);

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum KeysError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    /// A parameter breaks a rule (label, scope, methods, budget, expiry).
    #[error("{0}")]
    InvalidRequest(String),
    /// error_data: the id asked for.
    #[error("No access key with id {0}")]
    NoSuchKey(u64),
    #[error("DB error: {0}")]
    DbError(String),
}

impl RpcError for KeysError {
    fn status(&self) -> StatusCode {
        match self {
            KeysError::NoSuchCoin(_) | KeysError::NoSuchKey(_) => StatusCode::NOT_FOUND,
            KeysError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            KeysError::DbError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<KeyError> for KeysError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::NoSuchKey(id) => KeysError::NoSuchKey(id),
            KeyError::Ledger(e) => KeysError::DbError(e.to_string()),
            other => KeysError::InvalidRequest(other.to_string()),
        }
    }
}
