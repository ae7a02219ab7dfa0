//! Wake-ups for callers waiting on a payment's outcome (CLN `waitsendpay` semantics).
//!
//! A waiter subscribes to a payment hash **before** the payment is handed to LDK, then reads the
//! ledger, then sleeps until notified. The event handler notifies only **after** its ledger
//! commit. So whatever order things happen in, a waiter either sees the committed row on its
//! read or is woken for it afterwards: a fast result cannot slip between dispatch and wait.
//!
//! Only hashes someone waits for have an entry, so the streaming case (thousands of payments,
//! nobody waiting) costs one map lookup per event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

/// Per-hash change counters, shared by the event handler (notify) and the senders (subscribe).
#[derive(Clone, Default)]
pub struct PaymentNotifier {
    waiters: Arc<Mutex<HashMap<[u8; 32], watch::Sender<u64>>>>,
}

/// A subscription to one payment hash. Dropping it removes the entry once nobody else waits.
pub struct PaymentSubscription {
    hash: [u8; 32],
    rx: watch::Receiver<u64>,
    notifier: PaymentNotifier,
}

impl PaymentNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<[u8; 32], watch::Sender<u64>>> {
        // A poisoned map only means a panic elsewhere while it was held; the map is still sound.
        self.waiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts watching `hash`. Subscribe before dispatching the payment.
    pub fn subscribe(&self, hash: [u8; 32]) -> PaymentSubscription {
        let mut waiters = self.lock();
        let rx = match waiters.get(&hash) {
            Some(tx) => tx.subscribe(),
            None => {
                let (tx, rx) = watch::channel(0);
                waiters.insert(hash, tx);
                rx
            }
        };
        PaymentSubscription {
            hash,
            rx,
            notifier: self.clone(),
        }
    }

    /// Tells every waiter on `hash` that its ledger row changed. Call after the commit.
    pub fn notify(&self, hash: &[u8; 32]) {
        if let Some(tx) = self.lock().get(hash) {
            tx.send_modify(|count| *count = count.wrapping_add(1));
        }
    }

    /// How many hashes are being waited on (for tests and metrics).
    pub fn watched(&self) -> usize {
        self.lock().len()
    }
}

impl PaymentSubscription {
    /// The payment hash this subscription watches.
    pub fn hash(&self) -> &[u8; 32] {
        &self.hash
    }

    /// Resolves at the next notification for this hash (or at once if one came since the last
    /// call). Never fails: the sender lives in the map at least as long as this subscription.
    pub async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            // Unreachable while we are subscribed; avoid a busy loop if it ever happens.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for PaymentSubscription {
    fn drop(&mut self) {
        let mut waiters = self.notifier.lock();
        // Our own receiver still counts here; the entry goes when it is the last one.
        if waiters
            .get(&self.hash)
            .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            waiters.remove(&self.hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_notification_before_the_wait_is_not_lost() {
        let notifier = PaymentNotifier::new();
        let mut sub = notifier.subscribe([1; 32]);
        notifier.notify(&[1; 32]);
        tokio::time::timeout(Duration::from_secs(5), sub.changed())
            .await
            .expect("the earlier notification wakes the waiter");
    }

    #[tokio::test]
    async fn other_hashes_do_not_wake_and_entries_are_removed() {
        let notifier = PaymentNotifier::new();
        let mut sub = notifier.subscribe([1; 32]);
        let second = notifier.subscribe([1; 32]);
        notifier.notify(&[2; 32]);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), sub.changed())
                .await
                .is_err(),
            "a notification for another hash must not wake this waiter"
        );
        drop(second);
        assert_eq!(notifier.watched(), 1);
        drop(sub);
        assert_eq!(notifier.watched(), 0);
    }
}
