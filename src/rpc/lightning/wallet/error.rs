//! The error enum of the `lightning::wallet::*` methods. Each method's schema lists the
//! variants it can answer.

use axum::http::StatusCode;
use serde::Serialize;

use crate::rpc::error::{no_such_coin_without_engine, RpcError};
use crate::service::wallet::{SendToAddressError, WalletError as NodeWalletError};

no_such_coin_without_engine!(WalletError);

/// Errors of the wallet methods.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum WalletError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("{0}")]
    InvalidAddress(String),
    #[error("{message}")]
    WrongNetwork {
        message: String,
        address_network: String,
        wallet_network: String,
    },
    #[error("{0}")]
    InvalidAmount(String),
    #[error("{0}")]
    InvalidFeeRate(String),
    #[error("Not enough balance: {needed_sats} sat needed, {available_sats} sat spendable")]
    NotSufficientBalance {
        needed_sats: u64,
        available_sats: u64,
    },
    #[error("{0}")]
    BroadcastFailed(String),
    #[error("{0}")]
    WalletFailed(String),
    /// Bitcoin Core does not answer; the call needs the chain (503, retry later).
    #[error("{0}")]
    ChainUnavailable(String),
}

impl RpcError for WalletError {
    fn status(&self) -> StatusCode {
        use WalletError::*;
        match self {
            NoSuchCoin(_) => StatusCode::NOT_FOUND,
            InvalidAddress(_)
            | WrongNetwork { .. }
            | InvalidAmount(_)
            | InvalidFeeRate(_)
            | NotSufficientBalance { .. } => StatusCode::BAD_REQUEST,
            BroadcastFailed(_) | WalletFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ChainUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<SendToAddressError> for WalletError {
    fn from(e: SendToAddressError) -> Self {
        match e {
            SendToAddressError::InvalidAmount(e) => WalletError::InvalidAmount(e.to_string()),
            SendToAddressError::InvalidFeeRate(m) => WalletError::InvalidFeeRate(m),
            SendToAddressError::Wallet(e) => e.into(),
        }
    }
}

impl From<NodeWalletError> for WalletError {
    fn from(e: NodeWalletError) -> Self {
        let message = e.to_string();
        match e {
            NodeWalletError::InvalidAddress(_) => WalletError::InvalidAddress(message),
            NodeWalletError::InvalidNetwork {
                address_network,
                wallet_network,
            } => WalletError::WrongNetwork {
                message,
                address_network,
                wallet_network: wallet_network.to_string(),
            },
            NodeWalletError::InvalidAmount(_) => WalletError::InvalidAmount(message),
            NodeWalletError::InsufficientFunds {
                needed_sat,
                available_sat,
            } => WalletError::NotSufficientBalance {
                needed_sats: needed_sat,
                available_sats: available_sat,
            },
            NodeWalletError::BroadcastFailed(_) => WalletError::BroadcastFailed(message),
            NodeWalletError::ChainUnavailable(_) => WalletError::ChainUnavailable(message),
            NodeWalletError::OpenFailed(_)
            | NodeWalletError::PersistFailed(_)
            | NodeWalletError::BuildFailed(_)
            | NodeWalletError::SignFailed(_) => WalletError::WalletFailed(message),
        }
    }
}
