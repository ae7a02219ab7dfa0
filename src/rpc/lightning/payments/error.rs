//! The error enum of the `lightning::payments::*` methods. Each method's schema lists the
//! variants it can answer.

use axum::http::StatusCode;
use serde::Serialize;

use crate::rpc::error::{no_such_coin_without_engine, RpcError};
use crate::service::payments::export::ExportError;
use crate::service::payments::{
    HoldError, InvoiceError, LedgerError, OfferError, Payment, SendError, SplitError,
};
use crate::service::sendpay::RoutingError;

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum PaymentsError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    /// error_data: the payment hash in hex.
    #[error("Payment with hash: {0} is not found")]
    NoSuchPayment(String),
    /// mmln: no offer of ours has this id; error_data the offer id in hex.
    #[error("Offer {0} is not found")]
    NoSuchOffer(String),
    /// A request that parsed but breaks a rule (bad invoice, custom record key, metadata...).
    #[error("{0}")]
    InvalidRequest(String),
    /// The hash was already paid; error_data is the earlier result.
    #[error("Payment with hash: {} was already paid", .0.payment_hash)]
    AlreadyPaid(Box<AlreadyPaidData>),
    /// The engine refused to start the payment; the text says why.
    #[error("Payment error: {0}")]
    PaymentError(String),
    #[error("DB error: {0}")]
    DbError(String),
    /// mmln `estimate_fee`: no route to the destination now; the text says why.
    #[error("{0}")]
    RouteNotFound(String),
    /// mmln: the idempotency key was first used for a different request; error_data the key.
    #[error("{message}")]
    IdempotencyKeyReused {
        #[serde(skip)]
        message: String,
        idempotency_key: String,
    },
    /// mmln: settle or cancel of an invoice that is not a hold invoice; error_data the hash.
    #[error("{message}")]
    NotAHoldInvoice {
        #[serde(skip)]
        message: String,
        payment_hash: String,
    },
    /// mmln: settle of a canceled hold invoice.
    #[error("{message}")]
    InvoiceCanceled {
        #[serde(skip)]
        message: String,
        payment_hash: String,
    },
    /// mmln: settle of a hold invoice nothing was paid to yet.
    #[error("{message}")]
    NothingHeld {
        #[serde(skip)]
        message: String,
        payment_hash: String,
    },
    /// mmln: the access key's limits refuse this payment; error_data says what is left.
    #[error("{0}")]
    BudgetExceeded(crate::service::payments::BudgetRefusal),
    /// mmln: cancel of a settled (or settling) hold invoice.
    #[error("{message}")]
    AlreadySettled {
        #[serde(skip)]
        message: String,
        payment_hash: String,
    },
}

/// The earlier success a repeated send is refused with.
#[derive(Debug, Serialize)]
pub struct AlreadyPaidData {
    pub payment_hash: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_preimage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_in_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_paid_msat: Option<u64>,
    pub last_updated: u64,
}

impl AlreadyPaidData {
    fn from_payment(p: &Payment) -> Self {
        AlreadyPaidData {
            payment_hash: hex::encode(p.payment_hash),
            status: p.status.as_str(),
            payment_preimage: p.preimage.map(hex::encode),
            amount_in_msat: p.amount_msat,
            fee_paid_msat: p.fee_paid_msat,
            last_updated: p.last_updated,
        }
    }
}

impl RpcError for PaymentsError {
    fn status(&self) -> StatusCode {
        use PaymentsError::*;
        match self {
            NoSuchCoin(_) | NoSuchPayment(_) | NoSuchOffer(_) | RouteNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            InvalidRequest(_) => StatusCode::BAD_REQUEST,
            AlreadyPaid(_)
            | InvoiceCanceled { .. }
            | NothingHeld { .. }
            | AlreadySettled { .. }
            | IdempotencyKeyReused { .. } => StatusCode::CONFLICT,
            NotAHoldInvoice { .. } => StatusCode::BAD_REQUEST,
            BudgetExceeded(_) => StatusCode::FORBIDDEN,
            PaymentError(_) | DbError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

no_such_coin_without_engine!(PaymentsError);

impl From<LedgerError> for PaymentsError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::NoSuchPayment(hash) => PaymentsError::NoSuchPayment(hex::encode(hash)),
            LedgerError::NoSuchOffer(id) => PaymentsError::NoSuchOffer(hex::encode(id)),
            LedgerError::InvalidLimit { .. } | LedgerError::InvalidPageNumber => {
                PaymentsError::InvalidRequest(e.to_string())
            }
            LedgerError::DirectionConflict { .. } => PaymentsError::PaymentError(e.to_string()),
            LedgerError::HashInUse(_) => PaymentsError::InvalidRequest(e.to_string()),
            LedgerError::BudgetExceeded(refusal) => PaymentsError::BudgetExceeded(refusal),
            LedgerError::IdempotencyKeyReused(ref key) => PaymentsError::IdempotencyKeyReused {
                message: e.to_string(),
                idempotency_key: key.clone(),
            },
            other => PaymentsError::DbError(other.to_string()),
        }
    }
}

impl From<SendError> for PaymentsError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::InvalidInvoice(_)
            | SendError::InvalidKeysend(_)
            | SendError::InvalidOffer(_)
            | SendError::InvalidMetadata(_)
            | SendError::InvalidWaitTimeout(_)
            | SendError::InvalidWebhookUrl(_)
            | SendError::InvalidIdempotencyKey(_)
            | SendError::AmountDiffersFromPending { .. } => {
                PaymentsError::InvalidRequest(e.to_string())
            }
            SendError::AlreadyPaid(p) => {
                PaymentsError::AlreadyPaid(Box::new(AlreadyPaidData::from_payment(&p)))
            }
            SendError::IdempotencyKeyReused(ref key) => PaymentsError::IdempotencyKeyReused {
                message: e.to_string(),
                idempotency_key: key.clone(),
            },
            SendError::Refused { reason, .. } => PaymentsError::PaymentError(reason),
            SendError::Bolt12Failed(reason) => PaymentsError::PaymentError(reason),
            SendError::Ledger(e) => PaymentsError::from(e),
            SendError::DispatchTaskFailed(_) => PaymentsError::PaymentError(e.to_string()),
        }
    }
}

impl From<OfferError> for PaymentsError {
    fn from(e: OfferError) -> Self {
        match e {
            OfferError::InvalidRequest(_) | OfferError::InvalidBolt12(_) => {
                PaymentsError::InvalidRequest(e.to_string())
            }
            OfferError::NoSuchOffer(id) => PaymentsError::NoSuchOffer(id),
            OfferError::EngineRefused(reason) => PaymentsError::PaymentError(reason),
            OfferError::Ledger(e) => PaymentsError::from(e),
        }
    }
}

impl From<ExportError> for PaymentsError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::InvalidLimit(_) => PaymentsError::InvalidRequest(e.to_string()),
            ExportError::Ledger(e) => PaymentsError::from(e),
        }
    }
}

impl From<SplitError> for PaymentsError {
    fn from(e: SplitError) -> Self {
        match e {
            SplitError::IdempotencyKeyReused(ref key) => PaymentsError::IdempotencyKeyReused {
                message: e.to_string(),
                idempotency_key: key.clone(),
            },
            SplitError::Ledger(e) => PaymentsError::from(e),
            SplitError::DispatchTaskFailed(_) => PaymentsError::PaymentError(e.to_string()),
            _ => PaymentsError::InvalidRequest(e.to_string()),
        }
    }
}

impl From<InvoiceError> for PaymentsError {
    fn from(e: InvoiceError) -> Self {
        match e {
            InvoiceError::DescriptionTooLong(_)
            | InvoiceError::ZeroAmount
            | InvoiceError::InvalidExpiry(_)
            | InvoiceError::InvalidMetadata(_)
            | InvoiceError::DescriptionChoice
            | InvoiceError::CltvDeltaTooShort(_)
            | InvoiceError::HoldCltvDeltaTooShort { .. }
            | InvoiceError::InvalidWebhookUrl(_) => PaymentsError::InvalidRequest(e.to_string()),
            InvoiceError::CreateFailed(_) => PaymentsError::PaymentError(e.to_string()),
            InvoiceError::Ledger(e) => PaymentsError::from(e),
        }
    }
}

impl From<HoldError> for PaymentsError {
    fn from(e: HoldError) -> Self {
        let message = e.to_string();
        match e {
            HoldError::NoSuchPayment(hash) => PaymentsError::NoSuchPayment(hex::encode(hash)),
            HoldError::NotAHoldInvoice(hash) => PaymentsError::NotAHoldInvoice {
                message,
                payment_hash: hex::encode(hash),
            },
            HoldError::InvoiceCanceled { hash, .. } => PaymentsError::InvoiceCanceled {
                message,
                payment_hash: hex::encode(hash),
            },
            HoldError::NothingHeld(hash) => PaymentsError::NothingHeld {
                message,
                payment_hash: hex::encode(hash),
            },
            HoldError::AlreadySettled(hash) => PaymentsError::AlreadySettled {
                message,
                payment_hash: hex::encode(hash),
            },
            HoldError::Ledger(e) => PaymentsError::from(e),
        }
    }
}

impl From<RoutingError> for PaymentsError {
    fn from(e: RoutingError) -> Self {
        match e {
            RoutingError::InvalidRequest(m) => PaymentsError::InvalidRequest(m),
            RoutingError::RouteNotFound(_) => PaymentsError::RouteNotFound(e.to_string()),
        }
    }
}
