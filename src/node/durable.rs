//! Crash-consistent persistence: no crash at any instant may leave a ChannelMonitor ahead of
//! the ChannelManager, because LDK force-closes such a channel at start-up ("A ChannelManager
//! is stale compared to the current ChannelMonitor").
//!
//! The rule, and how it is kept:
//! 1. Every monitor change (new channel, update, chain-sync rewrite, archive) goes through
//!    LDK's `MonitorUpdatingPersister`, whose writes are only staged (see staged.rs); the
//!    [`MonitorQueue`] then stages a release marker after them and answers `InProgress` (never
//!    `Completed`: LDK panics if the two are mixed). LDK records an update as in flight in the
//!    ChannelManager *before* it hands the update to the ChainMonitor.
//! 2. [`Flusher::flush`] counts the staged entries, *then* encodes the ChannelManager. The
//!    encode takes the manager's consistency lock for writing, so it sees every update that
//!    was staged before the count (as completed or as in flight).
//! 3. The manager and exactly those counted writes are committed in ONE SQLite transaction.
//!    Entries staged after the count wait for the next flush: their manager has not been
//!    written yet.
//! 4. Only after that commit is each counted update reported to the ChainMonitor as done
//!    (`channel_monitor_updated`), which lets the channel move on.
//!
//! 5. Writes kept elsewhere that LDK's events caused (the ledger's rows, written without waiting
//!    for their commit, see the ledger's writer.rs) are committed through the
//!    [`CommitBarrier`] after the encode and before the manager's commit: a manager that no
//!    longer holds an event is never durable before that event's row.
//!
//! So a durable monitor is never newer than the durable manager; a durable manager may be newer
//! than its monitors only by updates it holds as in flight, which LDK replays at start-up.
//! Every manager write goes through `flush` (the background loop only asks for one, and a
//! manager written through [`BackgroundStore`] is redirected here), under one lock, so an older
//! manager encode can never land after a newer one.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use lightning::chain::chainmonitor::Persist;
use lightning::chain::channelmonitor::{ChannelMonitor, ChannelMonitorUpdate};
use lightning::chain::ChannelMonitorUpdateStatus;
use lightning::io;
use lightning::sign::InMemorySigner;
use lightning::util::persist::{
    KVStoreSync, MonitorName, CHANNEL_MANAGER_PERSISTENCE_KEY,
    CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE, CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
    SCORER_PERSISTENCE_KEY, SCORER_PERSISTENCE_PRIMARY_NAMESPACE,
    SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::Writeable;

use crate::kvstore::{KvError, KvKey, KvOp};

use super::lock_unpoisoned;
use super::staged::{plan, Staged, StagedWrites};
use super::store::{io_error, LdkStore};
use super::types::{ChainMonitor, ChannelManager, StagingPersister};

/// Writes outside the LDK store that must be durable before a ChannelManager that may have
/// forgotten the events behind them (module docs, step 5).
pub trait CommitBarrier: Send + Sync {
    /// Makes every write made so far durable.
    fn commit(&self) -> Result<(), String>;
}

/// LDK's `Persist` for the ChainMonitor: stages every monitor change for the next flush.
pub struct MonitorQueue {
    staged: Arc<StagedWrites>,
    persister: StagingPersister,
    /// The ChannelManager changed without a monitor change (the background loop asked).
    manager_dirty: AtomicBool,
}

impl MonitorQueue {
    pub fn new(staged: Arc<StagedWrites>, persister: StagingPersister) -> MonitorQueue {
        MonitorQueue {
            staged,
            persister,
            manager_dirty: AtomicBool::new(false),
        }
    }

    /// Asks the flush loop for a ChannelManager write.
    pub fn request_manager_write(&self) {
        self.manager_dirty.store(true, Ordering::SeqCst);
        self.staged.wake();
    }

    /// Whether a flush has anything to write.
    pub fn has_work(&self) -> bool {
        self.manager_dirty.load(Ordering::SeqCst) || !self.is_empty()
    }

    /// Resolves when something was staged since the last call.
    pub async fn changed(&self) {
        self.staged.changed().await
    }

    pub fn len(&self) -> usize {
        self.staged.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stages the release of `update_id` after the writes the persister just staged for it.
    fn staged_until_flush(
        &self,
        status: ChannelMonitorUpdateStatus,
        monitor: &ChannelMonitor<InMemorySigner>,
        update_id: Option<u64>,
    ) -> ChannelMonitorUpdateStatus {
        if status == ChannelMonitorUpdateStatus::UnrecoverableError {
            return status;
        }
        if let Some(update_id) = update_id {
            self.staged.push(Staged::Release {
                channel_id: monitor.channel_id(),
                update_id,
            });
        }
        ChannelMonitorUpdateStatus::InProgress
    }
}

impl Persist<InMemorySigner> for MonitorQueue {
    fn persist_new_channel(
        &self,
        name: MonitorName,
        monitor: &ChannelMonitor<InMemorySigner>,
    ) -> ChannelMonitorUpdateStatus {
        let status = self.persister.persist_new_channel(name, monitor);
        // A new monitor completes under its latest update id (what ChainMonitor waits for).
        self.staged_until_flush(status, monitor, Some(monitor.get_latest_update_id()))
    }

    /// `update` is `None` for chain-sync rewrites, which LDK does not track as updates.
    fn update_persisted_channel(
        &self,
        name: MonitorName,
        update: Option<&ChannelMonitorUpdate>,
        monitor: &ChannelMonitor<InMemorySigner>,
    ) -> ChannelMonitorUpdateStatus {
        let status = self
            .persister
            .update_persisted_channel(name, update, monitor);
        self.staged_until_flush(status, monitor, update.map(|u| u.update_id))
    }

    fn archive_persisted_channel(&self, name: MonitorName) {
        Persist::<InMemorySigner>::archive_persisted_channel(&self.persister, name);
    }
}

/// What one flush wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlushReport {
    /// Staged entries taken from the queue (writes and releases).
    pub entries: usize,
    /// Store operations committed besides the manager (repeated writes of a key collapse).
    pub ops_written: usize,
}

/// Writes the ChannelManager together with the monitor changes it knows; see the module docs.
pub struct Flusher {
    queue: Arc<MonitorQueue>,
    store: Arc<LdkStore>,
    manager: Arc<ChannelManager>,
    chain_monitor: Arc<ChainMonitor>,
    barrier: Option<Arc<dyn CommitBarrier>>,
    /// One flush at a time: counts, encodes and commits are never interleaved.
    order: Mutex<()>,
    flushes: AtomicU64,
    stats: FlushCounters,
    /// The last manager encoding's length, to size the next one's buffer.
    manager_len: AtomicUsize,
}

/// Where flush time goes, for the benchmark's report.
#[derive(Default)]
struct FlushCounters {
    entries: AtomicU64,
    manager_only: AtomicU64,
    encode_us: AtomicU64,
    barrier_us: AtomicU64,
    commit_us: AtomicU64,
    release_us: AtomicU64,
}

/// Totals since start: flushes, staged entries they took, and microseconds spent encoding the
/// manager (under its write lock), committing the barrier's writes (the ledger's), committing,
/// and releasing updates to LDK.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct FlushStats {
    pub flushes: u64,
    pub entries: u64,
    /// Flushes that wrote the manager and no monitor change.
    pub manager_only: u64,
    pub encode_us: u64,
    pub barrier_us: u64,
    pub commit_us: u64,
    pub release_us: u64,
}

impl Flusher {
    pub fn new(
        queue: Arc<MonitorQueue>,
        store: Arc<LdkStore>,
        manager: Arc<ChannelManager>,
        chain_monitor: Arc<ChainMonitor>,
        barrier: Option<Arc<dyn CommitBarrier>>,
    ) -> Flusher {
        Flusher {
            queue,
            store,
            manager,
            chain_monitor,
            barrier,
            order: Mutex::new(()),
            flushes: AtomicU64::new(0),
            stats: FlushCounters::default(),
            manager_len: AtomicUsize::new(0),
        }
    }

    pub fn stats(&self) -> FlushStats {
        let c = &self.stats;
        FlushStats {
            flushes: self.flushes(),
            entries: c.entries.load(Ordering::Relaxed),
            manager_only: c.manager_only.load(Ordering::Relaxed),
            encode_us: c.encode_us.load(Ordering::Relaxed),
            barrier_us: c.barrier_us.load(Ordering::Relaxed),
            commit_us: c.commit_us.load(Ordering::Relaxed),
            release_us: c.release_us.load(Ordering::Relaxed),
        }
    }

    pub fn queue(&self) -> &Arc<MonitorQueue> {
        &self.queue
    }

    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }

    /// The ChannelManager's bytes in one pass. LDK's `encode` serializes twice, once to measure
    /// and once to write, each time under the manager's write lock, which stops every channel
    /// for as long; a sender's manager holds each completed payment for a few minutes (LDK's
    /// idempotency window), so it is large exactly when the node is busiest.
    fn encode_manager(&self) -> Result<Vec<u8>, KvError> {
        let last = self.manager_len.load(Ordering::Relaxed);
        let mut bytes = Vec::with_capacity(last + last / 8);
        self.manager.write(&mut bytes).map_err(|e| {
            KvError::CommitFailed(format!("the ChannelManager could not be encoded: {e}"))
        })?;
        self.manager_len.store(bytes.len(), Ordering::Relaxed);
        Ok(bytes)
    }

    /// Writes the ChannelManager and every monitor change staged before it was encoded, in one
    /// transaction, then releases those changes. Blocks for the commit: call it off the async
    /// runtime's worker threads where possible. On error nothing is released, and the store
    /// refuses all later writes.
    pub fn flush(&self) -> Result<FlushReport, KvError> {
        let _order = lock_unpoisoned(&self.order);
        // A request arriving from here on gets a flush of its own.
        self.queue.manager_dirty.store(false, Ordering::SeqCst);
        // Count first, encode second (module docs, step 2).
        let counted = self.queue.len();
        let started = Instant::now();
        // This encode covers every change made so far, so the background loop need not ask
        // for one more flush for them. A change made after
        // this sets the flag again, so none is left unwritten.
        let _ = self.manager.get_and_clear_needs_persistence();
        let manager_bytes = self.encode_manager()?;
        let encoded = Instant::now();
        // Step 5: the rows of every event this manager may have forgotten, durable first.
        if let Some(barrier) = &self.barrier {
            barrier.commit().map_err(KvError::CommitFailed)?;
        }
        let barrier_done = Instant::now();
        let (monitor_ops, releases) = plan(self.queue.staged.take(counted));
        let report = FlushReport {
            entries: counted,
            ops_written: monitor_ops.len(),
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
        let committed = Instant::now();
        self.flushes.fetch_add(1, Ordering::Relaxed);
        // Durable: now, and only now, the channels may act on these updates.
        for (channel_id, update_id) in releases {
            if let Err(e) = self
                .chain_monitor
                .channel_monitor_updated(channel_id, update_id)
            {
                tracing::error!(%channel_id, update_id, "monitor update not released: {e:?}");
            }
        }
        let c = &self.stats;
        let micros = |d: std::time::Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        c.entries.fetch_add(counted as u64, Ordering::Relaxed);
        if counted == 0 {
            c.manager_only.fetch_add(1, Ordering::Relaxed);
        }
        c.encode_us
            .fetch_add(micros(encoded - started), Ordering::Relaxed);
        c.barrier_us
            .fetch_add(micros(barrier_done - encoded), Ordering::Relaxed);
        c.commit_us
            .fetch_add(micros(committed - barrier_done), Ordering::Relaxed);
        c.release_us
            .fetch_add(micros(committed.elapsed()), Ordering::Relaxed);
        Ok(report)
    }
}

/// The store of the node's background loop (processor.rs) and of the sweeper, which must share
/// its type. A ChannelManager written through it becomes a request to the flush loop, which
/// encodes the manager afresh in order with the monitors: bytes encoded outside the flush lock
/// could put an older manager after a newer one. (Our loop asks the flush directly and never
/// writes the manager here; the redirect keeps any other writer of that key in order too.) The
/// request returns at once; a manager write is never a precondition for LDK (only monitor
/// writes are, and those are ordered by the flush), and `Node::stop` flushes once more after
/// the loop has stopped. The scorer is queued without waiting (see `write`); everything else
/// (graph, sweeper) goes straight to the store.
pub struct BackgroundStore {
    pub store: Arc<LdkStore>,
    pub flusher: Arc<Flusher>,
}

impl BackgroundStore {
    /// Asks the flush loop for a ChannelManager write. `Err` once a commit has failed, so the
    /// background loop stops too.
    pub fn request_manager_write(&self) -> io::Result<()> {
        if self.store.kv().is_stopped() {
            return Err(io_error(KvError::Stopped));
        }
        self.flusher.queue().request_manager_write();
        Ok(())
    }
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
            self.request_manager_write()
        } else if primary == SCORER_PERSISTENCE_PRIMARY_NAMESPACE
            && secondary == SCORER_PERSISTENCE_SECONDARY_NAMESPACE
            && key == SCORER_PERSISTENCE_KEY
        {
            // Written on the background loop's timer and at stop; nothing waits on it, so it
            // need not wait for its fsync. It still commits in order, with the next group; a
            // crash can lose the newest scoring updates, which only makes routing a little
            // less informed.
            if self.store.kv().is_stopped() {
                return Err(io_error(KvError::Stopped));
            }
            drop(
                self.store
                    .kv()
                    .submit(vec![KvOp::Put(KvKey::new(primary, secondary, key), buf)]),
            );
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
