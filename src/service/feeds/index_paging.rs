//! `list_payments_by_filter`'s CLN-style `index`/`start` paging: payments whose
//! `created_index` (or `updated_index`) is at least `start`, in that order. Unlike page
//! numbers or `FromId`, a cursor here is stable under concurrent inserts and changes: new rows
//! and new changes always take larger indexes, so continuing from `next_start` neither skips
//! nor repeats.

use crate::ledger::{IndexKind, Ledger, Payment, PaymentFilter};

use super::FeedError;

/// One page and where the next one starts.
#[derive(Debug, Clone)]
pub struct IndexPage {
    pub payments: Vec<Payment>,
    pub next_start: u64,
}

pub async fn payments_by_index(
    ledger: &Ledger,
    filter: PaymentFilter,
    index: IndexKind,
    start: u64,
    limit: u32,
) -> Result<IndexPage, FeedError> {
    let payments = ledger
        .blocking(move |l| l.list_payments_by_index(&filter, index, start, limit))
        .await?;
    let next_start = payments
        .last()
        .map(|p| match index {
            IndexKind::Created => p.created_index,
            IndexKind::Updated => p.updated_index,
        } + 1)
        .unwrap_or(start);
    Ok(IndexPage {
        payments,
        next_start,
    })
}
