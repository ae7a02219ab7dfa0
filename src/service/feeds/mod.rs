//! Feeds: the event log as clients follow it (list, long-poll wait, CLN `wait`, in-process
//! subscriptions), signed webhook delivery, the wallet's journal and log pruning.
//!
//! Ordering rules, which every reader here follows:
//! 1. The ledger appends each event in the transaction of the change it describes, and
//!    publishes the newest committed `event_index` only after the commit
//!    ([`Ledger::event_watch`]).
//! 2. A reader subscribes to that watch **before** it reads the log. An event committed after
//!    the read changes the watch and wakes the reader; one committed before it is in the read.
//!    Nothing can slip between.
//! 3. A reader's position is an `event_index`, never an in-memory queue: a slow reader costs
//!    no memory, and a restart or a reconnect resumes from the index it last saw.

pub mod cln_wait;
pub mod index_paging;
pub mod journal;
pub mod prune;
pub mod settings;
pub mod signature;
pub mod subscribe;
pub mod view;
pub mod webhooks;

use std::time::Duration;

use crate::ledger::{EventKind, EventPage, Ledger};

pub use cln_wait::{ClnIndex, ClnSubsystem, ClnWaitResult};
pub use settings::{FeedSettings, WebhookSettings};
pub use subscribe::{Subscription, SubscriptionItem};
pub use view::Feeds;

// The ledger's event types, as the RPC layer sees them through this service.
pub use crate::ledger::{Event, LedgerError, WebhookDelivery};

/// Events a `list` or `wait` returns when the caller names no limit.
pub const DEFAULT_EVENT_LIMIT: u32 = 100;
/// The longest a `wait` may block.
pub const MAX_WAIT_SECS: u64 = 600;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("unknown event kind {0:?}: expected a kind such as payment_succeeded, or a category (payment, channel, wallet)")]
    InvalidKind(String),
    #[error("invalid timeout_secs {0}: must be at most {MAX_WAIT_SECS}")]
    InvalidTimeout(u64),
    #[error("{0}")]
    InvalidRequest(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Turns filter words (kinds or categories) into kinds; empty means every kind.
pub fn parse_kinds(words: &[String]) -> Result<Vec<EventKind>, FeedError> {
    let mut kinds = Vec::new();
    for word in words {
        let matched = EventKind::matching(word.trim());
        if matched.is_empty() {
            return Err(FeedError::InvalidKind(word.clone()));
        }
        for kind in matched {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    Ok(kinds)
}

/// Events from `from_index` on, oldest first.
pub async fn list(
    ledger: &Ledger,
    from_index: u64,
    limit: u32,
    kinds: Vec<EventKind>,
) -> Result<EventPage, FeedError> {
    Ok(ledger
        .blocking(move |l| l.list_events(from_index, limit, &kinds))
        .await?)
}

/// Long-poll: returns as soon as an event of `kinds` at or after `from_index` exists (with any
/// others already there, up to `limit`), or an empty page when `timeout_secs` passes. The returned
/// `next_index` is where to continue either way.
pub async fn wait(
    ledger: &Ledger,
    from_index: u64,
    limit: u32,
    kinds: Vec<EventKind>,
    timeout_secs: u64,
) -> Result<EventPage, FeedError> {
    if timeout_secs > MAX_WAIT_SECS {
        return Err(FeedError::InvalidTimeout(timeout_secs));
    }
    let timeout = Duration::from_secs(timeout_secs);
    let deadline = tokio::time::Instant::now() + timeout;
    // Subscribe before the first read (see the module docs).
    let mut committed = ledger.event_watch();
    let mut cursor = from_index;
    loop {
        committed.borrow_and_update();
        let page = list(ledger, cursor, limit, kinds.clone()).await?;
        if !page.events.is_empty() {
            return Ok(page);
        }
        cursor = page.next_index;
        match tokio::time::timeout_at(deadline, committed.changed()).await {
            Ok(Ok(())) => continue,
            // Timed out, or the ledger is gone (shutdown): nothing more will come.
            Ok(Err(_)) | Err(_) => {
                return Ok(EventPage {
                    events: Vec::new(),
                    next_index: cursor,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_categories_expand_and_unknown_words_are_refused() {
        let kinds = parse_kinds(&["payment_failed".into(), "channel".into()]).unwrap();
        assert_eq!(kinds.len(), 5);
        assert!(kinds.contains(&EventKind::ChannelClosed));
        assert!(matches!(
            parse_kinds(&["payments".into()]),
            Err(FeedError::InvalidKind(_))
        ));
        assert!(parse_kinds(&[]).unwrap().is_empty());
    }
}
