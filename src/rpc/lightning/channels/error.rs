//! The error enum of the `lightning::channels::*` methods. Each method's schema lists the
//! variants it can answer.

use axum::http::StatusCode;
use serde::Serialize;

use crate::rpc::error::{no_such_coin_without_engine, RpcError};
use crate::service::channels::{ChannelError, ChannelServiceError, ConnectError, WalletError};
use crate::service::filter::PagingError;

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum ChannelsError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    /// error_data: the uuid.
    #[error("Channel with uuid: {0} is not found")]
    NoSuchChannel(String),
    #[error("{0}")]
    InvalidNodeAddress(String),
    #[error("{0}")]
    ResolveFailed(String),
    #[error("{0}")]
    ConnectionTimedOut(String),
    #[error("{0}")]
    ConnectFailed(String),
    #[error("{0}")]
    InvalidAmount(String),
    #[error("Not enough balance: {needed_sats} sat needed, {available_sats} sat spendable")]
    NotSufficientBalance {
        needed_sats: u64,
        available_sats: u64,
    },
    /// error_data: the uuid.
    #[error("Channel with uuid: {0} is already closing")]
    ChannelAlreadyClosing(String),
    #[error("{0}")]
    UnsupportedOption(String),
    #[error("{0}")]
    InvalidOption(String),
    #[error("{0}")]
    InvalidPaging(String),
    #[error("{0}")]
    OpenChannelFailed(String),
    #[error("{0}")]
    CloseChannelFailed(String),
    #[error("{0}")]
    UpdateChannelFailed(String),
    #[error("{0}")]
    DbError(String),
    /// Bitcoin Core does not answer; the call needs the chain (503, retry later).
    #[error("{0}")]
    ChainUnavailable(String),
}

impl RpcError for ChannelsError {
    fn status(&self) -> StatusCode {
        use ChannelsError::*;
        match self {
            NoSuchCoin(_) | NoSuchChannel(_) => StatusCode::NOT_FOUND,
            InvalidNodeAddress(_)
            | ResolveFailed(_)
            | InvalidAmount(_)
            | NotSufficientBalance { .. }
            | UnsupportedOption(_)
            | InvalidOption(_)
            | InvalidPaging(_) => StatusCode::BAD_REQUEST,
            ConnectionTimedOut(_) => StatusCode::REQUEST_TIMEOUT,
            ChainUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ChannelAlreadyClosing(_) => StatusCode::CONFLICT,
            ConnectFailed(_)
            | OpenChannelFailed(_)
            | CloseChannelFailed(_)
            | UpdateChannelFailed(_)
            | DbError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

no_such_coin_without_engine!(ChannelsError);

impl From<ChannelServiceError> for ChannelsError {
    fn from(e: ChannelServiceError) -> Self {
        let message = e.to_string();
        match e {
            ChannelServiceError::InvalidNodeAddress(_) => {
                ChannelsError::InvalidNodeAddress(message)
            }
            ChannelServiceError::InvalidAmount(_) => ChannelsError::InvalidAmount(message),
            ChannelServiceError::InvalidOption(m) => ChannelsError::InvalidOption(m),
            ChannelServiceError::UnsupportedOption(m) => ChannelsError::UnsupportedOption(m),
            ChannelServiceError::Connect(e) => e.into(),
            ChannelServiceError::Channel(e) => e.into(),
            ChannelServiceError::NoSuchChannel(uuid) => {
                ChannelsError::NoSuchChannel(uuid.to_string())
            }
            ChannelServiceError::AlreadyClosing(uuid) => {
                ChannelsError::ChannelAlreadyClosing(uuid.to_string())
            }
            ChannelServiceError::Ledger(_) => ChannelsError::DbError(message),
            ChannelServiceError::Paging(e) => e.into(),
        }
    }
}

impl<Id: std::fmt::Display> From<PagingError<Id>> for ChannelsError {
    fn from(e: PagingError<Id>) -> Self {
        match e {
            PagingError::UnknownFromId(id) => ChannelsError::NoSuchChannel(id.to_string()),
            other => ChannelsError::InvalidPaging(other.to_string()),
        }
    }
}

impl From<ConnectError> for ChannelsError {
    fn from(e: ConnectError) -> Self {
        let message = e.to_string();
        match e {
            ConnectError::InvalidAddress(_) => ChannelsError::InvalidNodeAddress(message),
            ConnectError::ResolveFailed { .. } => ChannelsError::ResolveFailed(message),
            ConnectError::Timeout { .. } => ChannelsError::ConnectionTimedOut(message),
            ConnectError::ConnectFailed { .. }
            | ConnectError::HandshakeFailed { .. }
            | ConnectError::PersistFailed(_)
            | ConnectError::Offline => ChannelsError::ConnectFailed(message),
        }
    }
}

impl From<ChannelError> for ChannelsError {
    fn from(e: ChannelError) -> Self {
        let message = e.to_string();
        match e {
            ChannelError::InvalidAmount(_) => ChannelsError::InvalidAmount(message),
            ChannelError::InsufficientFunds {
                needed_sat,
                available_sat,
            }
            | ChannelError::Wallet(WalletError::InsufficientFunds {
                needed_sat,
                available_sat,
            }) => ChannelsError::NotSufficientBalance {
                needed_sats: needed_sat,
                available_sats: available_sat,
            },
            ChannelError::Wallet(WalletError::ChainUnavailable(_)) => {
                ChannelsError::ChainUnavailable(message)
            }
            ChannelError::PeerNotConnected(_) => ChannelsError::ConnectFailed(message),
            ChannelError::UnknownChannel(uuid) => ChannelsError::NoSuchChannel(uuid.to_string()),
            ChannelError::AlreadyClosing(uuid) => {
                ChannelsError::ChannelAlreadyClosing(uuid.to_string())
            }
            ChannelError::OpenFailed(_) | ChannelError::Wallet(_) => {
                ChannelsError::OpenChannelFailed(message)
            }
            ChannelError::CloseFailed(_) => ChannelsError::CloseChannelFailed(message),
            ChannelError::UpdateFailed(_) => ChannelsError::UpdateChannelFailed(message),
        }
    }
}
