//! The ledger's error type.

use crate::ledger::model::PaymentStatus;

/// Everything the ledger can fail with. The rpc layer maps these to wire errors
/// (`NoSuchPayment` -> 404 `NoSuchPayment`, the rest -> `DbError`).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot open the ledger database {path}: {source}")]
    OpenFailed {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot put the ledger database {path} in WAL mode (journal_mode is {mode})")]
    WalUnavailable { path: String, mode: String },
    #[error("ledger migration to schema version {version} failed: {source}")]
    MigrationFailed {
        version: u32,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the ledger database {path} has schema version {found}, newer than this build \
         supports ({supported}); it was written by a newer mmln: run that version or restore \
         a backup"
    )]
    NewerSchema {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error(
        "the ledger database {path} is damaged ({reason}); restore it from a backup (the \
         daemon does not start on a damaged ledger)"
    )]
    Damaged { path: String, reason: String },
    #[error("ledger query failed: {0}")]
    QueryFailed(#[from] rusqlite::Error),
    #[error("Payment with hash: {} is not found", hex::encode(.0))]
    NoSuchPayment([u8; 32]),
    #[error("Offer {} is not found", hex::encode(.0))]
    NoSuchOffer([u8; 32]),
    #[error("no BOLT 12 payment has id {}", hex::encode(.0))]
    NoSuchBolt12Intent([u8; 32]),
    #[error("invalid limit {limit}: must be between 1 and {max}")]
    InvalidLimit { limit: u32, max: u32 },
    #[error("invalid page number 0: pages are numbered from 1")]
    InvalidPageNumber,
    #[error("payment {} cannot go from {} to {}", hex::encode(.hash), .from.as_str(), .to.as_str())]
    InvalidTransition {
        hash: [u8; 32],
        from: PaymentStatus,
        to: PaymentStatus,
    },
    #[error("payment hash {} is already recorded as an {existing} payment", hex::encode(.hash))]
    DirectionConflict {
        hash: [u8; 32],
        existing: &'static str,
    },
    #[error("payment hash {} is already in the ledger; a hold invoice needs a new hash", hex::encode(.0))]
    HashInUse([u8; 32]),
    #[error("payment {} has a different preimage on record", hex::encode(.0))]
    PreimageMismatch([u8; 32]),
    #[error("invalid amount {0} msat: larger than the ledger can store")]
    InvalidAmount(u64),
    #[error("invalid metadata: not JSON text ({0})")]
    InvalidMetadata(String),
    #[error(
        "cursor {from_index} has expired: events before {oldest_index} were pruned; resync \
         with a list call (e.g. list_payments_by_filter), then follow from {next_index}"
    )]
    CursorExpired {
        from_index: u64,
        oldest_index: u64,
        next_index: u64,
    },
    /// A payment made with an access key would go over the key's limits (issue 16).
    #[error("{0}")]
    BudgetExceeded(crate::ledger::keys::BudgetRefusal),
    #[error(
        "idempotency key {0:?} was already used for a different request; use a new key for a \
         new request"
    )]
    IdempotencyKeyReused(String),
    #[error("ledger task failed: {0}")]
    TaskFailed(String),
    /// A commit failed, so writes already applied were lost (see writer.rs).
    #[error("the ledger could not make its writes durable: {0}")]
    NotDurable(String),
    #[error("ledger row {id} has an unreadable {column}: {reason}")]
    CorruptRow {
        id: i64,
        column: &'static str,
        reason: String,
    },
}
