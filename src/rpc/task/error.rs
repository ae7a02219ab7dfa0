//! The error enum of the `task::*` methods. Each method's schema lists the variants it can
//! answer.

use axum::http::StatusCode;
use serde::Serialize;

use crate::rpc::coin::CoinError;
use crate::rpc::error::{no_such_coin_without_engine, RpcError};

no_such_coin_without_engine!(EnableLightningError);

/// Errors of `task::enable_lightning::init` and `status`.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum EnableLightningError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("Lightning network is not supported for {0}")]
    UnsupportedCoin(String),
    #[error("No such task '{0}'")]
    NoSuchTask(u64),
}

impl RpcError for EnableLightningError {
    fn status(&self) -> StatusCode {
        match self {
            EnableLightningError::NoSuchCoin(_) | EnableLightningError::NoSuchTask(_) => {
                StatusCode::NOT_FOUND
            }
            EnableLightningError::UnsupportedCoin(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<CoinError> for EnableLightningError {
    fn from(e: CoinError) -> Self {
        match e {
            CoinError::NoSuchCoin(t) => EnableLightningError::NoSuchCoin(t),
            CoinError::UnsupportedCoin(t) => EnableLightningError::UnsupportedCoin(t),
        }
    }
}
