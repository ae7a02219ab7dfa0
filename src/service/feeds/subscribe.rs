//! In-process subscriptions: replay from a cursor, then follow live, through a bounded queue.
//!
//! This is what a WebSocket `subscribe_events` is built on. A pump task reads the log from the
//! cursor (the same reads as [`super::list`]) and pushes into a queue of `capacity` events. The
//! hand-over from replay to live needs no special case: the pump subscribes to the commit
//! watch before each read, so it simply keeps reading from its cursor; there is no gap and no
//! duplicate. A full queue makes the pump wait, not buffer: the log itself is the backlog, so
//! a consumer that reads slowly (or replays a long past) costs `capacity` events of memory at
//! most and still gets everything, in order. Closing a consumer that stops reading altogether
//! is the transport's call ([`CloseReason::Stalled`]).

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
    /// The consumer took no notification for `secs` seconds while some were waiting.
    Stalled { secs: u64 },
    /// The cursor is older than what the log keeps (`CursorExpired`): resync with a list call.
    CursorExpired { oldest_index: u64 },
    /// The ledger failed a read; the text says why.
    ReadFailed(String),
    /// The ledger stopped publishing commits: the daemon is shutting down.
    ShuttingDown,
    /// The subscriber's access key was revoked or expired; the text says which.
    Forbidden(String),
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::Stalled { secs } => write!(
                f,
                "subscriber read nothing for {secs} s while events were waiting; resubscribe \
                 from resume_from"
            ),
            CloseReason::CursorExpired { oldest_index } => write!(
                f,
                "cursor expired (oldest kept event is {oldest_index}); resync with a list call"
            ),
            CloseReason::ReadFailed(e) => write!(f, "event log read failed: {e}"),
            CloseReason::Forbidden(why) => write!(f, "{why}"),
            CloseReason::ShuttingDown => write!(
                f,
                "the daemon is shutting down; resubscribe from resume_from once it is back"
            ),
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
    let (tx, items) = mpsc::channel(capacity.max(1));
    let pump = tokio::spawn(pump(ledger, from_index, kinds, tx));
    Subscription { items, pump }
}

async fn pump(
    ledger: Ledger,
    mut cursor: u64,
    kinds: Vec<EventKind>,
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
            let next = event.event_index + 1;
            if tx.send(SubscriptionItem::Event(event)).await.is_err() {
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
    async fn a_slow_consumer_holds_at_most_capacity_events_and_still_gets_all() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        for h in 1..=10 {
            ledger.insert_inbound_invoice(&invoice(h)).unwrap();
        }
        // Nobody reads while the pump fills the queue of 4.
        let mut sub = subscribe(ledger.clone(), 0, Vec::new(), 4);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(sub.items.len(), 4, "the pump waits once the queue is full");
        for expected in 1..=10 {
            assert_eq!(index_of(next(&mut sub).await), expected);
        }
        ledger.insert_inbound_invoice(&invoice(11)).unwrap();
        assert_eq!(index_of(next(&mut sub).await), 11);
    }

    #[tokio::test]
    async fn an_expired_cursor_closes_with_where_to_resume() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        for h in 1..=3 {
            ledger.insert_inbound_invoice(&invoice(h)).unwrap();
        }
        let pruned = ledger.prune_events(u64::MAX / 2).unwrap();
        assert_eq!(pruned, 3);
        let mut sub = subscribe(ledger, 1, Vec::new(), 4);
        match next(&mut sub).await {
            SubscriptionItem::Closed {
                reason: CloseReason::CursorExpired { oldest_index },
                resume_from,
            } => {
                assert_eq!(oldest_index, 4);
                assert_eq!(resume_from, 1);
            }
            other => panic!("expected CursorExpired, got {other:?}"),
        }
    }
}
