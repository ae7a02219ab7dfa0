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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::NewInboundInvoice;
    use std::time::Duration;

    fn invoice(hash: u8) -> NewInboundInvoice {
        NewInboundInvoice {
            payment_hash: [hash; 32],
            description: "x".into(),
            amount_msat: Some(1000),
            payment_secret: None,
            preimage: None,
            invoice: "lntb1...".into(),
            expires_at: None,
            metadata: None,
        }
    }

    async fn next(sub: &mut Subscription) -> SubscriptionItem {
        tokio::time::timeout(Duration::from_secs(10), sub.items.recv())
            .await
            .expect("an item within 10 s")
            .expect("the subscription is open")
    }

    fn index_of(item: SubscriptionItem) -> u64 {
        match item {
            SubscriptionItem::Event(e) => e.event_index,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn replays_then_follows_live_without_gap_or_duplicate() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        for h in 1..=3 {
            ledger.insert_inbound_invoice(&invoice(h)).unwrap();
        }
        let mut sub = subscribe(ledger.clone(), 2, Vec::new(), 16);
        assert_eq!(index_of(next(&mut sub).await), 2);
        assert_eq!(index_of(next(&mut sub).await), 3);
        for h in 4..=6 {
            ledger.insert_inbound_invoice(&invoice(h)).unwrap();
        }
        for expected in 4..=6 {
            assert_eq!(index_of(next(&mut sub).await), expected);
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_closed_with_where_to_resume() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        for h in 1..=10 {
            ledger.insert_inbound_invoice(&invoice(h)).unwrap();
        }
        // Nobody reads while the pump fills the queue of 4.
        let mut sub = subscribe(ledger.clone(), 0, Vec::new(), 4);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut got = Vec::new();
        loop {
            match next(&mut sub).await {
                SubscriptionItem::Event(e) => got.push(e.event_index),
                SubscriptionItem::Closed {
                    reason,
                    resume_from,
                } => {
                    assert_eq!(reason, CloseReason::Lagged { capacity: 4 });
                    assert_eq!(resume_from, got.last().map_or(0, |i| i + 1));
                    break;
                }
            }
        }
        assert_eq!(got, [1, 2, 3, 4], "at most the capacity was queued");
        assert!(sub.items.recv().await.is_none(), "nothing after Closed");
        // Resuming from there continues without a gap.
        let mut again = subscribe(ledger, 5, Vec::new(), 64);
        assert_eq!(index_of(next(&mut again).await), 5);
    }
}
