//! The ledger's one writer connection, and group commit.
//!
//! Every write runs as a SAVEPOINT inside a batch transaction (`BEGIN IMMEDIATE`) that stays
//! open until someone needs durability; one `COMMIT`, one fsync of the WAL, then covers every
//! write in the batch. Two kinds of writers share it:
//! - a **durable** write applies its change, lets go of the connection, then commits the batch
//!   unless a commit that started after its change already covered it. Concurrent writers so
//!   share fsyncs instead of queueing for one each.
//! - a **deferred** write returns as soon as it is applied. It becomes durable with the next
//!   commit: a durable write's, [`Writer::commit_pending`] (the Lightning flush calls it before
//!   it writes a ChannelManager that may have forgotten the event behind the write), or the
//!   committer thread's, at most [`COMMIT_DELAY`] later.
//!
//! Readers use other connections, so they see a write only once it is committed; waiters are
//! woken only after commits. A failed commit loses its whole batch: its durable writers get the
//! error, and if the batch held a deferred write (already acknowledged to its caller), the
//! writer refuses every later write and commit, so nothing more is acknowledged on top of the
//! lost rows. The node then stops, and LDK replays the events behind them on restart.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Every write up to this sequence is resolved (committed or lost), published after commits.
    resolved: watch::Sender<u64>,
    /// The newest committed `event_index`, published after each commit (never before).
    events_committed: watch::Sender<u64>,
    /// Wakes the committer thread; holds at most one wake-up.
    wake: mpsc::SyncSender<()>,
    commits: AtomicU64,
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
    /// Every write up to here is resolved.
    resolved: u64,
    /// Recent lost batches: (first, last sequence, why).
    failed: VecDeque<(u64, u64, String)>,
    /// A batch with a deferred write was lost: every later write and commit is refused.
    poisoned: Option<String>,
}

impl Writer {
    /// Takes the connection (schema already migrated) and starts the committer thread, which
    /// ends once the writer is dropped.
    pub fn start(
        conn: Connection,
        last_event: u64,
        commit_delay: Duration,
    ) -> Result<Arc<Writer>, LedgerError> {
        let (wake, woken) = mpsc::sync_channel(1);
        let writer = Arc::new(Writer {
            state: Mutex::new(State {
                conn,
                open: false,
                batch_start: 1,
                batch_has_deferred: false,
                applied: 0,
                resolved: 0,
                failed: VecDeque::new(),
                poisoned: None,
            }),
            resolved: watch::Sender::new(0),
            events_committed: watch::Sender::new(last_event),
            wake,
            commits: AtomicU64::new(0),
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

    /// A durable write: applied, then committed (or found committed by another writer).
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let (value, seq) = self.apply(f, false)?;
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

    /// The last applied write's sequence: waiting for it covers every write made so far.
    pub fn applied(&self) -> u64 {
        self.lock().applied
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            writes: self.applied(),
            commits: self.commits.load(Ordering::Relaxed),
        }
    }

    /// Commits the open batch, if any. The Lightning flush calls this before it commits a
    /// ChannelManager: the events that manager no longer holds must have their rows durable.
    /// `Err` only when acknowledged (deferred) writes were lost: a failed commit of durable
    /// writes only fails those writes (their callers get the error, and LDK replays their
    /// events), so the manager may still be written, and a full disk does not stop the node.
    pub fn commit_pending(&self) -> Result<(), LedgerError> {
        let mut state = self.lock();
        let applied = state.applied;
        let committed = match &state.poisoned {
            Some(_) => Ok(()),
            None => self.commit_locked(&mut state, applied),
        };
        match &state.poisoned {
            Some(reason) => Err(LedgerError::NotDurable(reason.clone())),
            None => {
                if let Err(e) = committed {
                    tracing::warn!(
                        "ledger: a batch of writes failed to commit, its writers were told: {e}"
                    );
                }
                Ok(())
            }
        }
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

    /// Publishes an `event_index` another connection committed.
    pub fn publish_events(&self, last: u64) {
        self.events_committed.send_if_modified(|current| {
            let newer = last > *current;
            if newer {
                *current = last;
            }
            newer
        });
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
            state.conn.execute_batch("BEGIN IMMEDIATE")?;
            state.open = true;
            state.batch_start = state.applied + 1;
            state.batch_has_deferred = false;
        }
        let applied = state
            .conn
            .execute_batch("SAVEPOINT write")
            .map_err(LedgerError::from)
            .and_then(|()| f(&state.conn))
            .and_then(|value| {
                state.conn.execute_batch("RELEASE write")?;
                Ok(value)
            });
        match applied {
            Ok(value) => {
                state.applied += 1;
                state.batch_has_deferred |= deferred;
                Ok((value, state.applied))
            }
            Err(e) => {
                state.undo_write();
                Err(e)
            }
        }
    }

    fn commit_locked(&self, state: &mut State, seq: u64) -> Result<(), LedgerError> {
        if state.resolved >= seq {
            return state.outcome(seq);
        }
        let result = match state.conn.execute_batch("COMMIT") {
            Ok(()) => {
                state.open = false;
                state.resolved = state.applied;
                self.commits.fetch_add(1, Ordering::Relaxed);
                // Still holding the writer: exactly what this commit (or an earlier one) made.
                let last_event = state
                    .conn
                    .prepare_cached("SELECT value FROM ledger_counters WHERE name = 'events'")
                    .and_then(|mut stmt| stmt.query_row([], |row| row.get::<_, i64>(0)));
                match last_event {
                    Ok(last) => self.publish_events(u64::try_from(last).unwrap_or(0)),
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
        let resolved = state.resolved;
        self.resolved.send_if_modified(|current| {
            let newer = resolved > *current;
            *current = (*current).max(resolved);
            newer
        });
        result.and_then(|()| state.outcome(seq))
    }

    pub(super) fn commit_through(&self, seq: u64) -> Result<(), LedgerError> {
        let mut state = self.lock();
        self.commit_locked(&mut state, seq)
    }
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
            if self.failed.len() == FAILED_BATCHES_KEPT {
                self.failed.pop_front();
            }
            self.failed
                .push_back((self.batch_start, self.applied, reason.to_string()));
            if self.batch_has_deferred {
                self.poisoned = Some(format!(
                    "{reason}; acknowledged writes were lost, so the ledger refuses writes \
                     until a restart (check the disk)"
                ));
            }
        }
        self.resolved = self.applied;
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
