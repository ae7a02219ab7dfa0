//! Crash-consistent persistence: no crash at any instant may leave a ChannelMonitor ahead of
//! the ChannelManager, because LDK force-closes such a channel at start-up ("A ChannelManager
//! is stale compared to the current ChannelMonitor").
//!
//! The rule, and how it is kept:
//! 1. Every monitor change (new channel, update, chain-sync rewrite, archive) is queued by
//!    [`MonitorQueue`] as LDK's `Persist` and answered `InProgress` (never `Completed`: LDK
//!    panics if the two are mixed). LDK records an update as in flight in the ChannelManager
//!    *before* it hands the update to the ChainMonitor, and the monitor bytes are encoded when
//!    the update is handed over.
//! 2. [`Flusher::flush`] counts the queued entries, *then* encodes the ChannelManager. The
//!    encode takes the manager's consistency lock for writing, so it sees every update that
//!    was queued before the count (as completed or as in flight).
//! 3. The manager and exactly those counted monitor entries are written in ONE SQLite
//!    transaction. Entries queued after the count wait for the next flush: their manager has
//!    not been written yet.
//! 4. Only after that commit is each counted update reported to the ChainMonitor as done
//!    (`channel_monitor_updated`), which lets the channel move on.
//!
//! So a durable monitor is never newer than the durable manager; a durable manager may be newer
//! than its monitors only by updates it holds as in flight, which LDK replays at start-up.
//! Every manager write goes through `flush` (the background processor's own manager write is
//! redirected here, see [`BackgroundStore`]), under one lock, so an older manager encode can
//! never land after a newer one.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lightning::chain::chainmonitor::Persist;
use lightning::chain::channelmonitor::{ChannelMonitor, ChannelMonitorUpdate};
use lightning::chain::ChannelMonitorUpdateStatus;
use lightning::io;
use lightning::ln::types::ChannelId;
use lightning::sign::InMemorySigner;
use lightning::util::persist::{
    KVStoreSync, MonitorName, ARCHIVED_CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE,
    ARCHIVED_CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE, CHANNEL_MANAGER_PERSISTENCE_KEY,
    CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
    CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::Writeable;

use crate::kvstore::{KvError, KvKey, KvOp};

use super::lock_unpoisoned;
use super::store::{io_error, LdkStore};
use super::types::{ChainMonitor, ChannelManager};

enum Pending {
    Monitor {
        name: String,
        channel_id: ChannelId,
        /// `None` for chain-sync rewrites, which LDK does not track as updates.
        update_id: Option<u64>,
        bytes: Vec<u8>,
    },
    Archive {
        name: String,
    },
}

/// LDK's `Persist` for the ChainMonitor: queues every monitor change for the next flush.
#[derive(Default)]
pub struct MonitorQueue {
    pending: Mutex<VecDeque<Pending>>,
    /// The ChannelManager changed without a monitor change (the background processor asked).
    manager_dirty: AtomicBool,
    wake: tokio::sync::Notify,
}

impl MonitorQueue {
    /// Asks the flush loop for a ChannelManager write.
    pub fn request_manager_write(&self) {
        self.manager_dirty.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Whether a flush has anything to write.
    pub fn has_work(&self) -> bool {
        self.manager_dirty.load(Ordering::SeqCst) || !self.is_empty()
    }

    fn push(&self, entry: Pending) {
        lock_unpoisoned(&self.pending).push_back(entry);
        self.wake.notify_one();
    }

    fn push_monitor(
        &self,
        name: MonitorName,
        update_id: Option<u64>,
        monitor: &ChannelMonitor<InMemorySigner>,
    ) -> ChannelMonitorUpdateStatus {
        self.push(Pending::Monitor {
            name: name.to_string(),
            channel_id: monitor.channel_id(),
            update_id,
            bytes: monitor.encode(),
        });
        ChannelMonitorUpdateStatus::InProgress
    }

    /// Resolves when something was queued since the last call.
    pub async fn changed(&self) {
        self.wake.notified().await
    }

    pub fn len(&self) -> usize {
        lock_unpoisoned(&self.pending).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Persist<InMemorySigner> for MonitorQueue {
    fn persist_new_channel(
        &self,
        name: MonitorName,
        monitor: &ChannelMonitor<InMemorySigner>,
    ) -> ChannelMonitorUpdateStatus {
        // A new monitor completes under its latest update id (what ChainMonitor waits for).
        self.push_monitor(name, Some(monitor.get_latest_update_id()), monitor)
    }

    fn update_persisted_channel(
        &self,
        name: MonitorName,
        update: Option<&ChannelMonitorUpdate>,
        monitor: &ChannelMonitor<InMemorySigner>,
    ) -> ChannelMonitorUpdateStatus {
        self.push_monitor(name, update.map(|u| u.update_id), monitor)
    }

    fn archive_persisted_channel(&self, name: MonitorName) {
        self.push(Pending::Archive {
            name: name.to_string(),
        });
    }
}

/// What one flush wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlushReport {
    /// Monitor entries taken from the queue.
    pub entries: usize,
    /// Monitor values actually written (entries for one channel collapse to the newest).
    pub monitors_written: usize,
}

/// Writes the ChannelManager together with the monitor changes it knows; see the module docs.
pub struct Flusher {
    queue: Arc<MonitorQueue>,
    store: Arc<LdkStore>,
    manager: Arc<ChannelManager>,
    chain_monitor: Arc<ChainMonitor>,
    /// One flush at a time: counts, encodes and commits are never interleaved.
    order: Mutex<()>,
    flushes: AtomicU64,
}

fn monitor_key(name: &str) -> KvKey {
    KvKey::new(
        CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE,
        CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE,
        name,
    )
}

impl Flusher {
    pub fn new(
        queue: Arc<MonitorQueue>,
        store: Arc<LdkStore>,
        manager: Arc<ChannelManager>,
        chain_monitor: Arc<ChainMonitor>,
    ) -> Flusher {
        Flusher {
            queue,
            store,
            manager,
            chain_monitor,
            order: Mutex::new(()),
            flushes: AtomicU64::new(0),
        }
    }

    pub fn queue(&self) -> &Arc<MonitorQueue> {
        &self.queue
    }

    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// Writes the ChannelManager and every monitor change queued before it was encoded, in one
    /// transaction, then releases those changes. Blocks for the commit: call it off the async
    /// runtime's worker threads where possible. On error nothing is released, and the store
    /// refuses all later writes.
    pub fn flush(&self) -> Result<FlushReport, KvError> {
        let _order = lock_unpoisoned(&self.order);
        // A request arriving from here on gets a flush of its own.
        self.queue.manager_dirty.store(false, Ordering::SeqCst);
        // Count first, encode second (module docs, step 2).
        let counted = self.queue.len();
        let manager_bytes = self.manager.encode();
        let entries: Vec<Pending> = {
            let mut pending = lock_unpoisoned(&self.queue.pending);
            let n = counted.min(pending.len());
            pending.drain(..n).collect()
        };
        let (monitor_ops, completions) = plan(entries);
        let report = FlushReport {
            entries: counted,
            monitors_written: monitor_ops
                .iter()
                .filter(|op| matches!(op, KvOp::Put(..)))
                .count(),
        };
        let mut ops = Vec::with_capacity(monitor_ops.len() + 1);
        ops.push(KvOp::Put(
            KvKey::new(
                CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
                CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
                CHANNEL_MANAGER_PERSISTENCE_KEY,
            ),
            manager_bytes,
        ));
        ops.extend(monitor_ops);
        self.store.kv().apply(ops)?;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        // Durable: now, and only now, the channels may act on these updates.
        for (channel_id, update_id) in completions {
            if let Err(e) = self
                .chain_monitor
                .channel_monitor_updated(channel_id, update_id)
            {
                tracing::error!(%channel_id, update_id, "monitor update not released: {e:?}");
            }
        }
        Ok(report)
    }
}

/// The writes for `entries`, in order, and the updates to release after they commit. Several
/// full monitors of one channel collapse to the newest (each encodes all earlier updates), unless
/// an archive sits among them: then every entry is written in order.
fn plan(entries: Vec<Pending>) -> (Vec<KvOp>, Vec<(ChannelId, u64)>) {
    let has_archive = entries.iter().any(|e| matches!(e, Pending::Archive { .. }));
    let mut completions = Vec::new();
    let mut ops = Vec::new();
    let mut newest_seen: HashSet<String> = HashSet::new();
    // Walk from the newest, keeping the first (newest) value of each monitor.
    for entry in entries.into_iter().rev() {
        match entry {
            Pending::Monitor {
                name,
                channel_id,
                update_id,
                bytes,
            } => {
                if let Some(id) = update_id {
                    completions.push((channel_id, id));
                }
                if has_archive || newest_seen.insert(name.clone()) {
                    ops.push(KvOp::Put(monitor_key(&name), bytes));
                }
            }
            Pending::Archive { name } => ops.push(KvOp::Move {
                from: monitor_key(&name),
                to: KvKey::new(
                    ARCHIVED_CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE,
                    ARCHIVED_CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE,
                    &name,
                ),
            }),
        }
    }
    ops.reverse();
    completions.reverse();
    (ops, completions)
}

/// The store handed to the background processor (and the sweeper, which must share its type).
/// Its ChannelManager write becomes a request to the flush loop, which encodes the manager afresh
/// in order with the monitors: the processor's own bytes were encoded outside the flush lock, and
/// writing them could put an older manager after a newer one. The request returns at once, so
/// the processor never waits for an fsync; a manager write is never a precondition for LDK
/// (only monitor writes are, and those are ordered by the flush), and `Node::stop` flushes once
/// more after the processor has stopped. Everything else (graph, scorer, sweeper) goes straight
/// to the store.
pub struct BackgroundStore {
    pub store: Arc<LdkStore>,
    pub flusher: Arc<Flusher>,
}

impl KVStoreSync for BackgroundStore {
    fn read(&self, primary: &str, secondary: &str, key: &str) -> Result<Vec<u8>, io::Error> {
        self.store.read(primary, secondary, key)
    }

    fn write(&self, primary: &str, secondary: &str, key: &str, buf: Vec<u8>) -> io::Result<()> {
        let is_manager = primary == CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE
            && secondary == CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE
            && key == CHANNEL_MANAGER_PERSISTENCE_KEY;
        if is_manager {
            if self.store.kv().is_stopped() {
                // A commit failed: report it, so the processor stops too.
                return Err(io_error(KvError::Stopped));
            }
            self.flusher.queue().request_manager_write();
            Ok(())
        } else {
            self.store.write(primary, secondary, key, buf)
        }
    }

    fn remove(&self, primary: &str, secondary: &str, key: &str, lazy: bool) -> io::Result<()> {
        self.store.remove(primary, secondary, key, lazy)
    }

    fn list(&self, primary: &str, secondary: &str) -> Result<Vec<String>, io::Error> {
        self.store.list(primary, secondary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitor(name: &str, update_id: Option<u64>, byte: u8) -> Pending {
        Pending::Monitor {
            name: name.to_string(),
            channel_id: ChannelId([name.as_bytes()[0]; 32]),
            update_id,
            bytes: vec![byte],
        }
    }

    fn puts(ops: &[KvOp]) -> Vec<(String, Vec<u8>)> {
        ops.iter()
            .filter_map(|op| match op {
                KvOp::Put(k, v) => Some((k.key.clone(), v.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_batch_writes_each_monitor_once_and_releases_every_update_in_order() {
        let (ops, completions) = plan(vec![
            monitor("a", Some(1), 1),
            monitor("b", Some(7), 2),
            monitor("a", None, 3),
            monitor("a", Some(2), 4),
        ]);
        assert_eq!(
            puts(&ops),
            vec![("b".to_string(), vec![2]), ("a".to_string(), vec![4])]
        );
        let a = ChannelId([b'a'; 32]);
        let b = ChannelId([b'b'; 32]);
        assert_eq!(completions, vec![(a, 1), (b, 7), (a, 2)]);
    }

    #[test]
    fn an_archive_keeps_every_write_in_order_before_the_move() {
        let (ops, _) = plan(vec![
            monitor("a", Some(1), 1),
            monitor("a", None, 2),
            Pending::Archive {
                name: "a".to_string(),
            },
        ]);
        assert_eq!(ops.len(), 3);
        assert_eq!(
            puts(&ops),
            vec![("a".to_string(), vec![1]), ("a".to_string(), vec![2])]
        );
        assert!(matches!(&ops[2], KvOp::Move { from, .. } if from.key == "a"));
    }
}
