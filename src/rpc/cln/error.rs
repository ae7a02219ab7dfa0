//! The error enum of Core Lightning's payment methods (`sendpay`, `waitsendpay`,
//! `listsendpays`, `getroute`). Each method's schema lists the variants it can answer.
//!
//! On mmrpc they are ordinary mmrpc errors whose `error_data` carries CLN's numeric `code`
//! and CLN's `data` fields; on JSON-RPC they answer with CLN's code itself
//! ([`RpcError::jsonrpc_code`]) and CLN's fields at the top of `data`.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::rpc::error::{no_such_coin_without_engine, RpcError};
use crate::service::payments::LedgerError;
use crate::service::sendpay::failure::{
    PAY_DESTINATION_PERM_FAIL, PAY_IN_PROGRESS, PAY_NO_SUCH_PAYMENT, PAY_RHASH_ALREADY_USED,
    PAY_ROUTE_NOT_FOUND, PAY_TRY_OTHER_ROUTE,
};
use crate::service::sendpay::{RoutingError, SendpayError, WaitError};

use super::wire::{failure_data, part_object, PartShape};

/// CLN's fields of an error, with `code`.
pub type ClnData = Map<String, Value>;

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum ClnPayError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("{0}")]
    InvalidRequest(String),
    /// CLN 201: paid before with another amount or destination.
    #[error("{message}")]
    AlreadyPaid {
        #[serde(skip)]
        message: String,
        #[serde(flatten)]
        data: ClnData,
    },
    /// CLN 200 from `sendpay`: another send of this hash is in flight.
    #[error("{message}")]
    PaymentInProgress {
        #[serde(skip)]
        message: String,
        #[serde(flatten)]
        data: ClnData,
    },
    /// CLN 200 from `waitsendpay`: still in flight when the timeout passed.
    #[error("{message}")]
    WaitTimeout {
        #[serde(skip)]
        message: String,
        #[serde(flatten)]
        data: ClnData,
    },
    /// CLN 208: never attempted.
    #[error("{message}")]
    NoSuchPayment {
        #[serde(skip)]
        message: String,
        #[serde(flatten)]
        data: ClnData,
    },
    /// CLN 203: the destination failed the payment for good.
    #[error("{message}")]
    DestinationFailure {
        #[serde(skip)]
        message: String,
        #[serde(flatten)]
        data: ClnData,
    },
    /// CLN 204: a hop failed it (or the engine could not send it); try another route.
    #[error("{message}")]
    RouteFailure {
        #[serde(skip)]
        message: String,
        #[serde(flatten)]
        data: ClnData,
    },
    /// CLN 205: `getroute` found no route.
    #[error("{message}")]
    RouteNotFound {
        #[serde(skip)]
        message: String,
        #[serde(flatten)]
        data: ClnData,
    },
    /// mmln: the idempotency key was first used for a different request.
    #[error("{message}")]
    IdempotencyKeyReused {
        #[serde(skip)]
        message: String,
        idempotency_key: String,
    },
    #[error("DB error: {0}")]
    DbError(String),
}

impl ClnPayError {
    fn code(&self) -> Option<u32> {
        use ClnPayError::*;
        match self {
            AlreadyPaid { .. } => Some(PAY_RHASH_ALREADY_USED),
            PaymentInProgress { .. } | WaitTimeout { .. } => Some(PAY_IN_PROGRESS),
            NoSuchPayment { .. } => Some(PAY_NO_SUCH_PAYMENT),
            DestinationFailure { .. } => Some(PAY_DESTINATION_PERM_FAIL),
            RouteFailure { .. } => Some(PAY_TRY_OTHER_ROUTE),
            RouteNotFound { .. } => Some(PAY_ROUTE_NOT_FOUND),
            NoSuchCoin(_) | InvalidRequest(_) | DbError(_) | IdempotencyKeyReused { .. } => None,
        }
    }
}

impl RpcError for ClnPayError {
    fn status(&self) -> StatusCode {
        use ClnPayError::*;
        match self {
            NoSuchCoin(_) | NoSuchPayment { .. } | RouteNotFound { .. } => StatusCode::NOT_FOUND,
            InvalidRequest(_) => StatusCode::BAD_REQUEST,
            AlreadyPaid { .. } | PaymentInProgress { .. } | IdempotencyKeyReused { .. } => {
                StatusCode::CONFLICT
            }
            WaitTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            DestinationFailure { .. } | RouteFailure { .. } => StatusCode::BAD_GATEWAY,
            DbError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn jsonrpc_code(&self) -> Option<i32> {
        self.code().and_then(|c| i32::try_from(c).ok())
    }
}

no_such_coin_without_engine!(ClnPayError);

fn with_code(code: u32, mut data: ClnData) -> ClnData {
    data.insert("code".into(), Value::from(code));
    data
}

impl From<LedgerError> for ClnPayError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::DirectionConflict { .. } | LedgerError::InvalidLimit { .. } => {
                ClnPayError::InvalidRequest(e.to_string())
            }
            LedgerError::IdempotencyKeyReused(ref key) => ClnPayError::IdempotencyKeyReused {
                message: e.to_string(),
                idempotency_key: key.clone(),
            },
            other => ClnPayError::DbError(other.to_string()),
        }
    }
}

impl From<SendpayError> for ClnPayError {
    fn from(e: SendpayError) -> Self {
        let message = e.to_string();
        let code = e.cln_code().unwrap_or(PAY_TRY_OTHER_ROUTE);
        match e {
            SendpayError::InvalidRequest(m) => ClnPayError::InvalidRequest(m),
            SendpayError::AlreadyPaid(p) => {
                let mut data = Map::new();
                data.insert("payment_hash".into(), hex::encode(p.payment_hash).into());
                if let Some(amount) = p.amount_msat {
                    data.insert("amount_msat".into(), amount.into());
                }
                if let Some(d) = p.destination {
                    data.insert("destination".into(), hex::encode(d).into());
                }
                ClnPayError::AlreadyPaid {
                    message,
                    data: with_code(code, data),
                }
            }
            SendpayError::InProgress(_) => ClnPayError::PaymentInProgress {
                message,
                data: with_code(code, Map::new()),
            },
            SendpayError::Refused { .. } => ClnPayError::RouteFailure {
                message,
                data: with_code(code, Map::new()),
            },
            SendpayError::Ledger(e) => ClnPayError::from(e),
            SendpayError::DispatchTaskFailed(m) => ClnPayError::DbError(m),
        }
    }
}

impl From<WaitError> for ClnPayError {
    fn from(e: WaitError) -> Self {
        let message = e.to_string();
        let code = e.cln_code().unwrap_or(PAY_TRY_OTHER_ROUTE);
        match e {
            WaitError::InvalidRequest(m) => ClnPayError::InvalidRequest(m),
            WaitError::NoSuchPayment { hash, .. } => {
                let mut data = Map::new();
                data.insert("payment_hash".into(), hex::encode(hash).into());
                ClnPayError::NoSuchPayment {
                    message,
                    data: with_code(code, data),
                }
            }
            WaitError::Timeout(_, part) => ClnPayError::WaitTimeout {
                message,
                data: with_code(code, part_object(&part, PartShape::Listed)),
            },
            WaitError::Failed { part, .. } => {
                let data = with_code(code, failure_data(&part));
                if code == PAY_DESTINATION_PERM_FAIL {
                    ClnPayError::DestinationFailure { message, data }
                } else {
                    ClnPayError::RouteFailure { message, data }
                }
            }
            WaitError::Ledger(e) => ClnPayError::from(e),
        }
    }
}

impl From<RoutingError> for ClnPayError {
    fn from(e: RoutingError) -> Self {
        match e {
            RoutingError::InvalidRequest(m) => ClnPayError::InvalidRequest(m),
            RoutingError::RouteNotFound(_) => ClnPayError::RouteNotFound {
                message: e.to_string(),
                data: with_code(PAY_ROUTE_NOT_FOUND, Map::new()),
            },
        }
    }
}
