//! Core Lightning's `wait {subsystem, indexname, nextvalue}` for `invoices` (our inbound
//! payments) and `sendpays` (our outbound ones).
//!
//! It returns once some object of the subsystem has reached `nextvalue` on that index, with
//! the smallest such index value and the object's details; `nextvalue` 0 answers the current
//! value at once, without details (as CLN). Our indexes are ledger-wide, so within one
//! subsystem they skip values: a client continues with the returned value plus one. `deleted`
//! never advances (the ledger deletes nothing), so waiting on it waits for the timeout.

use std::time::Duration;

use crate::ledger::{Direction, IndexKind, IndexedChange, Ledger, PaymentStatus};

use super::FeedError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClnSubsystem {
    Invoices,
    Sendpays,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClnIndex {
    Created,
    Updated,
    Deleted,
}

/// What `wait` answers: the index value reached and, when an object reached it, the details
/// CLN gives for it (`status` in CLN's words, plus `payment_hash` / `bolt11` / `description`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClnWaitResult {
    pub value: u64,
    pub details: Option<ClnDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClnDetails {
    /// invoices: unpaid | paid | expired; sendpays: pending | complete | failed.
    pub status: &'static str,
    pub payment_hash: String,
    pub description: String,
    pub bolt11: Option<String>,
    /// sendpays: the `sendpay` part that reached the index (group 0, part 0 for a payment
    /// made otherwise, as `listsendpays` shows it).
    pub groupid: u64,
    pub partid: u64,
}

impl ClnSubsystem {
    fn direction(self) -> Direction {
        match self {
            ClnSubsystem::Invoices => Direction::Inbound,
            ClnSubsystem::Sendpays => Direction::Outbound,
        }
    }

    fn status_word(self, status: PaymentStatus, expired: bool) -> &'static str {
        match (self, status) {
            (ClnSubsystem::Invoices, PaymentStatus::Succeeded) => "paid",
            (ClnSubsystem::Invoices, _) if expired => "expired",
            (ClnSubsystem::Invoices, _) => "unpaid",
            (ClnSubsystem::Sendpays, PaymentStatus::Succeeded) => "complete",
            (ClnSubsystem::Sendpays, PaymentStatus::Failed) => "failed",
            (ClnSubsystem::Sendpays, _) => "pending",
        }
    }
}

fn details(subsystem: ClnSubsystem, change: IndexedChange, now: u64) -> ClnDetails {
    let p = change.payment;
    let expired = p.expires_at.is_some_and(|at| at <= now);
    ClnDetails {
        status: subsystem.status_word(change.status, expired),
        payment_hash: hex::encode(p.payment_hash),
        description: p.description,
        bolt11: p.invoice,
        groupid: 0,
        partid: 0,
    }
}

/// The group and part of the `sendpay` part of payment `hash` that reached `index`, if any.
async fn sendpay_part_at(
    ledger: &Ledger,
    hash: [u8; 32],
    kind: IndexKind,
    index: u64,
) -> Result<Option<(u64, u64)>, FeedError> {
    let parts = ledger.blocking(move |l| l.sendpay_parts(&hash)).await?;
    let at = |p: &crate::ledger::SendpayPart| match kind {
        IndexKind::Created => p.created_index == index,
        IndexKind::Updated => p.updated_index == Some(index),
    };
    Ok(parts
        .iter()
        .find(|p| at(p))
        .or(parts.first())
        .map(|p| (p.groupid, p.partid)))
}

/// Waits until `index` of `subsystem` reaches `nextvalue`; `Ok(None)` when `timeout_secs`
/// passes first.
pub async fn wait(
    ledger: &Ledger,
    subsystem: ClnSubsystem,
    index: ClnIndex,
    nextvalue: u64,
    timeout_secs: u64,
) -> Result<Option<ClnWaitResult>, FeedError> {
    if timeout_secs > super::MAX_WAIT_SECS {
        return Err(FeedError::InvalidTimeout(timeout_secs));
    }
    let timeout = Duration::from_secs(timeout_secs);
    let direction = subsystem.direction();
    let kind = match index {
        ClnIndex::Created => IndexKind::Created,
        ClnIndex::Updated => IndexKind::Updated,
        ClnIndex::Deleted => {
            if nextvalue == 0 {
                return Ok(Some(ClnWaitResult {
                    value: 0,
                    details: None,
                }));
            }
            tokio::time::sleep(timeout).await;
            return Ok(None);
        }
    };
    if nextvalue == 0 {
        let value = ledger
            .blocking(move |l| l.last_index(direction, kind))
            .await?;
        return Ok(Some(ClnWaitResult {
            value,
            details: None,
        }));
    }
    let deadline = tokio::time::Instant::now() + timeout;
    // Every payment change appends an event, so the commit watch wakes us; subscribe first.
    let mut committed = ledger.event_watch();
    loop {
        committed.borrow_and_update();
        let found = ledger
            .blocking(move |l| l.first_change_at(direction, kind, nextvalue))
            .await?;
        if let Some(change) = found {
            let now = ledger.now();
            let hash = change.payment.payment_hash;
            let index = change.index;
            let mut details = details(subsystem, change, now);
            if subsystem == ClnSubsystem::Sendpays {
                if let Some((groupid, partid)) = sendpay_part_at(ledger, hash, kind, index).await? {
                    details.groupid = groupid;
                    details.partid = partid;
                }
            }
            return Ok(Some(ClnWaitResult {
                value: index,
                details: Some(details),
            }));
        }
        match tokio::time::timeout_at(deadline, committed.changed()).await {
            Ok(Ok(())) => continue,
            Ok(Err(_)) | Err(_) => return Ok(None),
        }
    }
}
