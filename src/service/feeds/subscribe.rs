//! In-process subscriptions: replay from a cursor, then follow live, through a bounded queue.
//!
//! This is what a WebSocket `subscribe_events` is built on. A pump task reads the log from the
//! cursor (the same reads as [`super::list`]) and pushes into a queue of `capacity` events. The
//! hand-over from replay to live needs no special case: the pump subscribes to the commit
//! watch before each read, so it simply keeps reading from its cursor; there is no gap and no
//! duplicate. When the consumer falls `capacity` events behind, the pump stops pushing events,
//! puts [`SubscriptionItem::Closed`] (with the index to resume from) into the slot it kept for
//! it, and ends: memory stays bounded, and the client resubscribes from `resume_from`.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::ledger::{Event, EventKind, Ledger};

/// Events the pump reads per ledger query.
const READ_BATCH: u32 = 256;

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionItem {
    Event(Event),
    /// The subscription ended; resubscribe from `resume_from` to continue without a gap.
    Closed {
        reason: CloseReason,
        resume_from: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The consumer fell more than the queue's capacity behind.
    Lagged { capacity: usize },
    /// The cursor is older than what the log keeps (`CursorExpired`): resync with a list call.
    CursorExpired { oldest_index: u64 },
    /// The ledger failed a read; the text says why.
    ReadFailed(String),
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::Lagged { capacity } => write!(
                f,
                "subscriber fell more than {capacity} events behind; resubscribe from resume_from"
            ),
            CloseReason::CursorExpired { oldest_index } => write!(
                f,
                "cursor expired (oldest kept event is {oldest_index}); resync with a list call"
            ),
            CloseReason::ReadFailed(e) => write!(f, "event log read failed: {e}"),
        }
    }
}

/// A live subscription. Dropping it (or its receiver) stops the pump.
pub struct Subscription {
    pub items: mpsc::Receiver<SubscriptionItem>,
    pump: JoinHandle<()>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Starts a subscription at `from_index` for `kinds` (all when empty). `capacity` (at least 1)
/// bounds the events queued for the consumer.
pub fn subscribe(
    ledger: Ledger,
    from_index: u64,
    kinds: Vec<EventKind>,
    capacity: usize,
) -> Subscription {
    let capacity = capacity.max(1);
    // One slot more than the events allowed, kept for the Closed item.
    let (tx, items) = mpsc::channel(capacity + 1);
    let pump = tokio::spawn(pump(ledger, from_index, kinds, capacity, tx));
    Subscription { items, pump }
}

async fn pump(
    ledger: Ledger,
    mut cursor: u64,
    kinds: Vec<EventKind>,
    capacity: usize,
    tx: mpsc::Sender<SubscriptionItem>,
) {
    let mut committed = ledger.event_watch();
    loop {
        committed.borrow_and_update();
        let read_kinds = kinds.clone();
        let page = ledger
            .blocking(move |l| l.list_events(cursor, READ_BATCH, &read_kinds))
            .await;
        let page = match page {
            Ok(page) => page,
            Err(crate::ledger::LedgerError::CursorExpired { oldest_index, .. }) => {
                let reason = CloseReason::CursorExpired { oldest_index };
                let _ = tx.try_send(SubscriptionItem::Closed {
                    reason,
                    resume_from: cursor,
                });
                return;
            }
            Err(e) => {
                let reason = CloseReason::ReadFailed(e.to_string());
                let _ = tx.try_send(SubscriptionItem::Closed {
                    reason,
                    resume_from: cursor,
                });
                return;
            }
        };
        let full_page = page.events.len() == READ_BATCH as usize;
        for event in page.events {
            // The only producer, so the free room seen here cannot shrink before the send.
            if tx.capacity() <= 1 {
                let _ = tx.try_send(SubscriptionItem::Closed {
                    reason: CloseReason::Lagged { capacity },
                    resume_from: cursor,
                });
                return;
            }
            let next = event.event_index + 1;
            if tx.try_send(SubscriptionItem::Event(event)).is_err() {
                return; // the subscriber is gone
            }
            cursor = next;
        }
        cursor = cursor.max(page.next_index);
        if full_page {
            continue;
        }
        tokio::select! {
            changed = committed.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}
