//! The ledger's one writer connection, and group commit.
//!
//! Every write runs as a SAVEPOINT inside a batch transaction (`BEGIN IMMEDIATE`) that stays
//! open until someone needs durability; one `COMMIT`, one fsync of the WAL, then covers every
//! write in the batch. Two kinds of writers share it:
//! - a **durable** write applies its change, lets go of the connection, then waits for its turn
//!   to commit. One turn (COMMIT, then fsync) runs at a time, and the writers that applied while
//!   it ran are all committed by the next turn, in one COMMIT and one fsync, unless the turn in
//!   progress already covered them. A hundred concurrent writers so share a commit instead of
//!   each committing the few writes that landed since the last one (which wrote the same index
//!   pages to the WAL again for every commit).
//! - a **deferred** write returns as soon as it is applied. It becomes durable with the next
//!   commit: a durable write's, [`Writer::commit_pending`] (the Lightning flush calls it before
//!   it writes a ChannelManager that may have forgotten the event behind the write), or the
//!   committer thread's, at most [`COMMIT_DELAY`] later.
//!
//! Readers use other connections, so they see a write only once it is committed; waiters are
//! woken only after it is durable. A failed commit loses its whole batch: its durable writers
//! get the error, and if the batch held a deferred write (already acknowledged to its caller),
//! the writer refuses every later write and commit, so nothing more is acknowledged on top of
//! the lost rows. The node then stops, and LDK replays the events behind them on restart.
//!
//! # The fsync outside the lock
//! With production durability the writer connection commits with `synchronous=NORMAL`, which
//! in WAL mode writes the batch's frames to the WAL without an fsync, and the writer then
//! fsyncs the WAL file itself, after letting go of the connection
//! ([`Writer::commit_and_sync`]). Nobody is told a write is durable before that fsync returns,
//! so the guarantee is `synchronous=FULL`'s; what changes is that the next writers apply while
//! the disk works, instead of queueing behind the fsync (an event handler's write waited ~2 ms
//! for it).
//! SQLite still syncs at every other point that needs it in NORMAL mode: the WAL before a
//! checkpoint copies it, the database after, and the WAL header when the WAL is reused. The
//! fsync is part of the commit turn: a caller arriving during one waits for it, then commits
//! and syncs everything applied meanwhile. A failed fsync may have dropped pages from the
//! OS cache, so nothing after the last good one is trusted: the writer refuses everything, as
//! for a lost deferred batch. In the window between a commit and its fsync another connection
//! can read the rows; only a power loss in that window (not a process crash: the OS still has
//! the pages) could take them back, and then LDK replays the events behind them.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::watch;

use super::error::LedgerError;

/// Longest a deferred write waits for a commit when nobody asks for one (the default of
/// `LedgerOptions::commit_delay`).
pub const COMMIT_DELAY: Duration = Duration::from_millis(5);

/// Failed batches remembered, so that their late durable writers still get the error.
const FAILED_BATCHES_KEPT: usize = 64;

pub(crate) struct Writer {
    state: Mutex<State>,
    /// Every write up to this sequence is resolved (durable or lost), published after fsyncs.
    resolved: watch::Sender<u64>,
    /// The newest durable `event_index`, published after each fsync (never before).
    events_committed: watch::Sender<u64>,
    /// Counts durable commits that added webhook deliveries, so the delivery worker sleeps
    /// through the (many) commits that added none.
    outbox_added: watch::Sender<u64>,
    /// The WAL file the writer fsyncs itself (module docs); `None` when the connection's own
    /// `synchronous` setting decides (tests and labelled benchmark runs).
    wal: Option<WalSync>,
    /// One commit-and-fsync turn at a time (module docs).
    commit_turn: Mutex<()>,
    /// Durable writers take turns here before they apply. A busy node has a hundred RPC
    /// callers writing at once, and the lock on the connection is not fair: a deferred write
    /// (LDK's event handling, which holds up every channel until its batch of events is done)
    /// or the flush's commit barrier queued behind all of them. Through this gate they compete
    /// with at most one. Commits are not gated, so durable writers still share them.
    durable_turn: Mutex<()>,
    /// Wakes the committer thread; holds at most one wake-up.
    wake: mpsc::SyncSender<()>,
    commits: AtomicU64,
    /// `State::applied`, readable without the connection's lock (the event handler asks for it
    /// after every write, and the lock may be held through another writer's commit).
    applied: AtomicU64,
    /// The last deferred write's sequence: what the flush's barrier must make durable.
    last_deferred: AtomicU64,
}

/// Writes applied and commits (fsyncs) made since the ledger was opened: how well writes share
/// commits, for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub writes: u64,
    pub commits: u64,
}

struct State {
    conn: Connection,
    /// A batch transaction is open.
    open: bool,
    /// The open batch's first write sequence.
    batch_start: u64,
    /// The open batch holds a deferred write (acknowledged before it is durable).
    batch_has_deferred: bool,
    /// The last applied write's sequence.
    applied: u64,
    /// Every write up to here is out of the open batch: committed (durable after the next
    /// fsync) or lost.
    committed: u64,
    /// The `event_index` counter as of the last commit.
    committed_event: u64,
    /// The webhook outbox's newest row id as of the last commit.
    committed_outbox: i64,
    /// Recent lost batches: (first, last sequence, why).
    failed: VecDeque<(u64, u64, String)>,
    /// A batch with a deferred write was lost: every later write and commit is refused.
    poisoned: Option<String>,
}

/// The WAL file of a writer that commits without fsync and syncs it itself.
struct WalSync {
    path: PathBuf,
    /// The directory entry of a WAL created since the last directory sync must be made durable
    /// too; done once, at the first sync.
    dir_synced: AtomicBool,
}

impl WalSync {
    fn sync(&self) -> std::io::Result<()> {
        // Opened each time: a handle kept open could outlive a WAL that SQLite replaced.
        std::fs::File::open(&self.path)?.sync_data()?;
        if !self.dir_synced.load(Ordering::Acquire) {
            if let Some(dir) = self.path.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            self.dir_synced.store(true, Ordering::Release);
        }
        Ok(())
    }
}

impl Writer {
    /// Takes the connection (schema already migrated) and starts the committer thread, which
    /// ends once the writer is dropped. With `wal`, the connection must already commit with
    /// `synchronous=NORMAL`: the writer fsyncs that WAL file itself (module docs).
    pub fn start(
        conn: Connection,
        last_event: u64,
        commit_delay: Duration,
        wal: Option<PathBuf>,
    ) -> Result<Arc<Writer>, LedgerError> {
        let (wake, woken) = mpsc::sync_channel(1);
        let writer = Arc::new(Writer {
            state: Mutex::new(State {
                conn,
                open: false,
                batch_start: 1,
                batch_has_deferred: false,
                applied: 0,
                committed: 0,
                committed_event: last_event,
                committed_outbox: 0,
                failed: VecDeque::new(),
                poisoned: None,
            }),
            resolved: watch::Sender::new(0),
            events_committed: watch::Sender::new(last_event),
            outbox_added: watch::Sender::new(0),
            wal: wal.map(|path| WalSync {
                path,
                dir_synced: AtomicBool::new(false),
            }),
            commit_turn: Mutex::new(()),
            durable_turn: Mutex::new(()),
            wake,
            commits: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            last_deferred: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&writer);
        std::thread::Builder::new()
            .name("ledger-commit".to_string())
            .spawn(move || run_committer(weak, woken, commit_delay))
            .map_err(|e| LedgerError::TaskFailed(format!("cannot start the committer: {e}")))?;
        Ok(writer)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere while it was held; the connection is
        // sound and the batch's bookkeeping is updated only after each SQL step succeeds.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A durable write: applied, then committed and synced (or found so by another writer).
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let (value, seq) = {
            // One durable writer at a time competes for the connection (see `durable_turn`).
            let _turn = self
                .durable_turn
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            self.apply(f, false)?
        };
        self.commit_through(seq)?;
        Ok(value)
    }

    /// A deferred write: applied in the open batch, durable at the next commit.
    pub fn write_deferred<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let (value, _) = self.apply(f, true)?;
        // Full means a wake-up is already pending; that one covers this write too.
        let _ = self.wake.try_send(());
        Ok(value)
    }

    /// Holds the commit turn, as a slow fsync would (tests only).
    #[cfg(test)]
    pub(super) fn hold_commit_turn(&self) -> MutexGuard<'_, ()> {
        self.commit_turn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The last applied write's sequence: waiting for it covers every write made so far.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            writes: self.applied(),
            commits: self.commits.load(Ordering::Relaxed),
        }
    }

    /// Makes every deferred write so far durable. The Lightning flush calls this before it
    /// commits a ChannelManager: the events that manager no longer holds must have their rows
    /// durable. Nothing to do when a commit and fsync already covered them (on a busy node a
    /// durable writer's usually has). `Err` only when acknowledged (deferred) writes were lost:
    /// a failed commit of durable writes only fails those writes (their callers get the error,
    /// and LDK replays their events), so the manager may still be written, and a full disk
    /// does not stop the node.
    pub fn commit_pending(&self) -> Result<(), LedgerError> {
        let outcome = self.commit_and_sync(self.last_deferred.load(Ordering::Acquire));
        match &self.lock().poisoned {
            Some(reason) => Err(LedgerError::NotDurable(reason.clone())),
            None => {
                if let Err(e) = outcome {
                    tracing::warn!(
                        "ledger: a batch of writes failed to commit, its writers were told: {e}"
                    );
                }
                Ok(())
            }
        }
    }

    /// Commits the open batch if it holds `needed`, makes the commit durable (an fsync of the
    /// WAL unless SQLite did it), then resolves its writes and publishes its events. One turn at
    /// a time: writers that apply while a turn runs wait for it, and the next turn commits all
    /// of them at once (module docs). Nothing to do when the turn that ran while we waited
    /// already covered `needed`. The fsync runs without the connection's lock.
    fn commit_and_sync(&self, needed: u64) -> Result<(), LedgerError> {
        if *self.resolved.borrow() >= needed {
            return Ok(());
        }
        let _turn = self
            .commit_turn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *self.resolved.borrow() >= needed {
            return Ok(());
        }
        let (committed, target, last_event, outbox_grew) = {
            let mut state = self.lock();
            let outbox_before = state.committed_outbox;
            let committed = match &state.poisoned {
                Some(_) => Ok(()),
                None => self.commit_locked(&mut state, needed),
            };
            let outbox_grew = state.committed_outbox > outbox_before;
            (
                committed,
                state.committed,
                state.committed_event,
                outbox_grew,
            )
        };
        // Also after a lost batch: its waiters are woken only once what is resolved with them
        // is durable.
        if *self.resolved.borrow() >= target {
            return committed;
        }
        if let Some(Err(e)) = self.wal.as_ref().map(WalSync::sync) {
            let reason = format!(
                "ledger: fsync of the WAL failed ({e}); its writes may not be durable, so the \
                 ledger refuses writes until a restart (check the disk)"
            );
            tracing::error!("{reason}");
            let mut state = self.lock();
            let first = *self.resolved.borrow() + 1;
            state.remember_failed(first, target, &reason);
            state.poisoned = Some(reason.clone());
            drop(state);
            self.publish_resolved(target);
            return Err(LedgerError::NotDurable(reason));
        }
        self.publish_resolved(target);
        raise(&self.events_committed, last_event);
        if outbox_grew {
            self.outbox_added.send_modify(|n| *n += 1);
        }
        committed
    }

    fn publish_resolved(&self, resolved: u64) {
        raise(&self.resolved, resolved);
    }

    /// Resolves once every write up to `seq` is committed; `Err` if it was lost.
    pub async fn durable(&self, seq: u64) -> Result<(), LedgerError> {
        let mut resolved = self.resolved.subscribe();
        resolved
            .wait_for(|r| *r >= seq)
            .await
            .map_err(|_| LedgerError::NotDurable("the ledger was closed".to_string()))?;
        self.lock().outcome(seq)
    }

    pub fn event_watch(&self) -> watch::Receiver<u64> {
        self.events_committed.subscribe()
    }

    /// Wakes when a durable commit added webhook deliveries.
    pub fn outbox_watch(&self) -> watch::Receiver<u64> {
        self.outbox_added.subscribe()
    }

    /// Publishes an `event_index` another connection committed (with, perhaps, deliveries).
    pub fn publish_events(&self, last: u64) {
        raise(&self.events_committed, last);
        self.outbox_added.send_modify(|n| *n += 1);
    }

    pub(super) fn apply<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
        deferred: bool,
    ) -> Result<(T, u64), LedgerError> {
        let mut state = self.lock();
        if let Some(reason) = &state.poisoned {
            return Err(LedgerError::NotDurable(reason.clone()));
        }
        if !state.open {
            // IMMEDIATE: take the write lock now, so a statement never has to upgrade a read
            // lock halfway and hit SQLITE_BUSY.
            run(&state.conn, "BEGIN IMMEDIATE")?;
            state.open = true;
            state.batch_start = state.applied + 1;
            state.batch_has_deferred = false;
        }
        let applied = run(&state.conn, "SAVEPOINT write")
            .map_err(LedgerError::from)
            .and_then(|()| f(&state.conn))
            .and_then(|value| {
                run(&state.conn, "RELEASE write")?;
                Ok(value)
            });
        match applied {
            Ok(value) => {
                state.applied += 1;
                self.applied.store(state.applied, Ordering::Release);
                if deferred {
                    self.last_deferred.store(state.applied, Ordering::Release);
                }
                state.batch_has_deferred |= deferred;
                Ok((value, state.applied))
            }
            Err(e) => {
                state.undo_write();
                Err(e)
            }
        }
    }

    /// Commits the open batch if `seq` is in it. Durable only once [`Writer::commit_and_sync`] has
    /// synced it.
    fn commit_locked(&self, state: &mut State, seq: u64) -> Result<(), LedgerError> {
        if state.committed >= seq {
            return state.outcome(seq);
        }
        let result = match run(&state.conn, "COMMIT") {
            Ok(()) => {
                state.open = false;
                state.committed = state.applied;
                self.commits.fetch_add(1, Ordering::Relaxed);
                // Still holding the writer: exactly what this commit (or an earlier one) made.
                let newest = state
                    .conn
                    .prepare_cached(
                        "SELECT (SELECT value FROM ledger_counters WHERE name = 'events'), \
                         (SELECT coalesce(max(id), 0) FROM webhook_outbox)",
                    )
                    .and_then(|mut stmt| {
                        stmt.query_row([], |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)))
                    });
                match newest {
                    Ok((event, outbox)) => {
                        state.committed_event = u64::try_from(event).unwrap_or(0);
                        state.committed_outbox = outbox;
                    }
                    Err(e) => tracing::warn!("ledger: committed, event index not read: {e}"),
                }
                Ok(())
            }
            Err(e) => {
                if !state.conn.is_autocommit() {
                    let _ = state.conn.execute_batch("ROLLBACK");
                }
                state.lose_batch(&format!("ledger commit failed: {e}"));
                Err(LedgerError::from(e))
            }
        };
        result.and_then(|()| state.outcome(seq))
    }

    /// Commits `seq`'s batch if needed, then makes it durable.
    pub(super) fn commit_through(&self, seq: u64) -> Result<(), LedgerError> {
        self.commit_and_sync(seq)?;
        self.lock().outcome(seq)
    }
}

/// Runs a statement that returns no rows, prepared once per connection: the writer runs its
/// transaction statements thousands of times a second, and `execute_batch` parses them anew.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Moves a watermark forward (never back), waking its watchers only when it moved.
fn raise(watermark: &watch::Sender<u64>, value: u64) {
    watermark.send_if_modified(|current| {
        let newer = value > *current;
        if newer {
            *current = value;
        }
        newer
    });
}

impl State {
    /// Rolls back the failed write's savepoint; if SQLite already rolled back the whole batch
    /// (it does on some errors), the batch is lost.
    fn undo_write(&mut self) {
        let undone = self.conn.execute_batch("ROLLBACK TO write; RELEASE write");
        if undone.is_err() || self.conn.is_autocommit() {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            self.lose_batch("the ledger transaction was rolled back after a failed write");
            return;
        }
        if self.applied < self.batch_start {
            // Nothing else in the batch: end it, so the write lock is not held for nothing.
            let _ = self.conn.execute_batch("ROLLBACK");
            self.open = false;
        }
    }

    fn lose_batch(&mut self, reason: &str) {
        self.open = false;
        if self.applied >= self.batch_start {
            tracing::error!(
                first = self.batch_start,
                last = self.applied,
                "{reason}; the batch's writes are lost"
            );
            let (first, last) = (self.batch_start, self.applied);
            self.remember_failed(first, last, reason);
            if self.batch_has_deferred {
                self.poisoned = Some(format!(
                    "{reason}; acknowledged writes were lost, so the ledger refuses writes \
                     until a restart (check the disk)"
                ));
            }
        }
        self.committed = self.applied;
    }

    fn remember_failed(&mut self, first: u64, last: u64, reason: &str) {
        if self.failed.len() == FAILED_BATCHES_KEPT {
            self.failed.pop_front();
        }
        self.failed.push_back((first, last, reason.to_string()));
    }

    fn outcome(&self, seq: u64) -> Result<(), LedgerError> {
        match self
            .failed
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&seq))
        {
            Some((_, _, reason)) => Err(LedgerError::NotDurable(reason.clone())),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let state = match self.state.get_mut() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if state.open {
            if let Err(e) = state.conn.execute_batch("COMMIT") {
                tracing::error!("ledger: the last batch did not commit at close: {e}");
            }
            // A WAL already gone was checkpointed (synced) and removed by SQLite.
            if let Some(Err(e)) = self.wal.as_ref().map(WalSync::sync) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::error!("ledger: the WAL was not synced at close: {e}");
                }
            }
        }
    }
}

/// Commits deferred writes nobody asked to commit, `delay` after the first.
fn run_committer(writer: Weak<Writer>, woken: mpsc::Receiver<()>, delay: Duration) {
    while woken.recv().is_ok() {
        std::thread::sleep(delay);
        let Some(writer) = writer.upgrade() else {
            return;
        };
        if let Err(e) = writer.commit_pending() {
            tracing::error!("ledger: deferred writes not committed: {e}");
        }
    }
}
