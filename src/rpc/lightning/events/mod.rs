//! `lightning::events::*`: the event log (list, long-poll wait) and webhook deliveries.

pub mod list;
pub mod list_webhook_deliveries;
pub mod subscribe;
pub mod wait;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;

use crate::rpc::context::EngineNotRunning;
use crate::rpc::error::RpcError;
use crate::service::feeds::FeedError;
use crate::service::feeds::{Event, LedgerError};

/// Errors of the events methods.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum EventsError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("{0}")]
    InvalidRequest(String),
    /// The cursor points into what retention deleted: resync with a list call (e.g.
    /// `list_payments_by_filter`), then follow from `next_index`.
    #[error(
        "cursor {from_index} has expired (the oldest kept event is {oldest_index}): resync \
         with a list call, then follow from {next_index}"
    )]
    CursorExpired {
        from_index: u64,
        oldest_index: u64,
        next_index: u64,
    },
    #[error("DB error: {0}")]
    DbError(String),
}

impl RpcError for EventsError {
    fn status(&self) -> StatusCode {
        match self {
            EventsError::NoSuchCoin(_) => StatusCode::NOT_FOUND,
            EventsError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            EventsError::CursorExpired { .. } => StatusCode::GONE,
            EventsError::DbError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<EngineNotRunning> for EventsError {
    fn from(e: EngineNotRunning) -> Self {
        EventsError::NoSuchCoin(e.ticker)
    }
}

impl From<FeedError> for EventsError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::Ledger(LedgerError::CursorExpired {
                from_index,
                oldest_index,
                next_index,
            }) => EventsError::CursorExpired {
                from_index,
                oldest_index,
                next_index,
            },
            FeedError::Ledger(LedgerError::InvalidLimit { .. })
            | FeedError::InvalidKind(_)
            | FeedError::InvalidTimeout(_)
            | FeedError::InvalidRequest(_) => EventsError::InvalidRequest(e.to_string()),
            FeedError::Ledger(other) => EventsError::DbError(other.to_string()),
        }
    }
}

/// The events and the cursor to continue from.
#[derive(Debug, Serialize)]
pub struct EventsPage {
    pub events: Vec<Value>,
    pub next_index: u64,
}

impl EventsPage {
    pub fn new(events: &[Event], next_index: u64) -> Self {
        EventsPage {
            events: events
                .iter()
                .map(crate::service::feeds::webhooks::event_json)
                .collect(),
            next_index,
        }
    }
}
