//! A group-committed key-value store over SQLite, for the node's engine state.
//!
//! Rules this store keeps (the node's crash safety rests on them):
//! - WAL with `synchronous=FULL`: a committed transaction survives a power loss.
//! - One writer thread. Requests are applied in the order they were submitted, so writes to one
//!   key are FIFO, and the ops of one request commit together or not at all.
//! - Group commit: the writer takes every request that queued while the previous transaction
//!   was committing, applies them all in one `BEGIN IMMEDIATE` … `COMMIT`, and only then
//!   acknowledges each of them. One fsync covers a whole batch.
//! - A failed commit acknowledges its whole batch with an error and stops the store: every
//!   later request fails at once. Nothing is ever acknowledged that is not durable.
//! - `get` answers `None` only for an absent key; any other failure is an error.
//!
//! This module knows no LDK: `node::store` adapts it to LDK's `KVStoreSync`.

mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS kv (
    primary_ns TEXT NOT NULL,
    secondary_ns TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (primary_ns, secondary_ns, key)
) WITHOUT ROWID";

/// The layout this build reads and writes, in `PRAGMA user_version`. Stores written before
/// it was recorded say 0 and have the same layout as 1.
const FORMAT_VERSION: u32 = 1;

/// Refuses a store written by a newer build, whose layout this one cannot know.
fn check_format(conn: &Connection) -> Result<(), String> {
    let found: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| e.to_string())?;
    if found > FORMAT_VERSION {
        return Err(format!(
            "it has format version {found}, newer than this build supports ({FORMAT_VERSION}); \
             it was written by a newer mmln: run that version or restore a backup"
        ));
    }
    Ok(())
}

/// Where a value lives: LDK's two-level namespace and key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KvKey {
    pub primary: String,
    pub secondary: String,
    pub key: String,
}

impl KvKey {
    pub fn new(primary: &str, secondary: &str, key: &str) -> Self {
        KvKey {
            primary: primary.to_string(),
            secondary: secondary.to_string(),
            key: key.to_string(),
        }
    }
}

/// One change; a request is a list of them, committed together.
#[derive(Debug, Clone)]
pub enum KvOp {
    Put(KvKey, Vec<u8>),
    Delete(KvKey),
    /// Copies the value at `from` to `to` and deletes `from` (nothing if `from` is absent).
    Move {
        from: KvKey,
        to: KvKey,
    },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum KvError {
    #[error("key-value store {path} could not be opened: {reason}")]
    OpenFailed { path: PathBuf, reason: String },
    #[error("key-value store read failed: {0}")]
    ReadFailed(String),
    #[error("key-value store commit failed: {0}")]
    CommitFailed(String),
    /// Only inside the writer: the batch is retried, never acknowledged with this.
    #[error("key-value store commit failed, the disk is full: {0}")]
    DiskFull(String),
    #[error("key-value store is stopped (an earlier commit failed, or it was shut down)")]
    Stopped,
}

/// Counters for the benchmark's explanation of its figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvStats {
    /// Committed transactions, i.e. fsync groups.
    pub commits: u64,
    /// Requests acknowledged.
    pub requests: u64,
    /// Ops applied.
    pub ops: u64,
    /// The largest number of requests one commit carried.
    pub max_batch: u64,
    /// Bytes of the values written (a ChannelManager write counts its whole encoding).
    pub bytes: u64,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    requests: AtomicU64,
    ops: AtomicU64,
    max_batch: AtomicU64,
    bytes: AtomicU64,
}

/// A submitted request; `wait` returns once its batch is durable (or failed).
#[must_use = "a write is only durable once its receipt says so"]
pub struct Receipt(mpsc::Receiver<Result<(), KvError>>);

impl Receipt {
    /// Blocks until the batch holding this request committed. Call it off the async runtime's
    /// critical paths: it waits for an fsync.
    pub fn wait(self) -> Result<(), KvError> {
        self.0.recv().unwrap_or(Err(KvError::Stopped))
    }

    /// The outcome if the batch already committed or failed; `None` while it is pending.
    pub fn try_wait(&self) -> Option<Result<(), KvError>> {
        match self.0.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(KvError::Stopped)),
        }
    }
}

/// Called by the writer just before `COMMIT`; an error turns the commit into a failure. Only
/// tests inject one (to prove that nothing is acknowledged before or without its commit).
pub type CommitHook = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

pub struct KvStore {
    path: PathBuf,
    requests: Mutex<Option<mpsc::Sender<writer::Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    reader: Mutex<Connection>,
    stopped: Arc<AtomicBool>,
    /// Set by `shutdown`: a writer waiting for disk space gives up.
    shutting_down: Arc<AtomicBool>,
    counters: Arc<Counters>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// WAL pages between checkpoints (SQLite's default is 1,000, 4 MB). A busy sender commits a
/// ChannelManager of several hundred KB with every flush, so at the default every tenth commit
/// also copied the WAL into the database and synced both, inside the commit that a channel waits
/// for. The manager's pages are the same pages rewritten each time, so a longer interval copies
/// each of them once instead of once per 4 MB. The WAL may grow to about this size (64 MB).
const WAL_AUTOCHECKPOINT_PAGES: i64 = 16_384;

fn open_connection(path: &Path) -> Result<Connection, KvError> {
    let fail = |e: rusqlite::Error| KvError::OpenFailed {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let conn = Connection::open(path).map_err(fail)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(fail)?;
    // FULL, not NORMAL: in WAL mode NORMAL can lose the last commits on power loss, and a
    // lost monitor update can cost a channel.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(fail)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(fail)?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
        .map_err(fail)?;
    Ok(conn)
}

impl KvStore {
    pub fn open(path: &Path) -> Result<KvStore, KvError> {
        Self::open_with_hook(path, None)
    }

    /// Opens the store with a hook run before every commit (tests only inject one).
    pub fn open_with_hook(path: &Path, hook: Option<CommitHook>) -> Result<KvStore, KvError> {
        let refused = |reason: String| KvError::OpenFailed {
            path: path.to_path_buf(),
            reason,
        };
        // A damaged file stops the open before anything is written to it: LDK would otherwise
        // read half a channel state, or fail much later.
        crate::sqlite_check::check_header(path).map_err(|d| refused(d.to_string()))?;
        let conn = open_connection(path)?;
        crate::sqlite_check::quick_check(&conn).map_err(|d| refused(d.to_string()))?;
        check_format(&conn).map_err(refused)?;
        conn.execute(SCHEMA, [])
            .and_then(|_| conn.pragma_update(None, "user_version", FORMAT_VERSION))
            .map_err(|e| refused(e.to_string()))?;
        let reader = open_connection(path)?;
        let (tx, rx) = mpsc::channel();
        let stopped = Arc::new(AtomicBool::new(false));
        let shutting_down = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let handle = writer::spawn(
            conn,
            rx,
            hook,
            Arc::clone(&stopped),
            Arc::clone(&shutting_down),
            Arc::clone(&counters),
        )
        .map_err(|e| KvError::OpenFailed {
            path: path.to_path_buf(),
            reason: format!("writer thread: {e}"),
        })?;
        Ok(KvStore {
            path: path.to_path_buf(),
            requests: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
            reader: Mutex::new(reader),
            stopped,
            shutting_down,
            counters,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues `ops` to be committed together; they are ordered after every earlier request.
    pub fn submit(&self, ops: Vec<KvOp>) -> Receipt {
        let (ack, receipt) = mpsc::channel();
        if self.stopped.load(Ordering::SeqCst) {
            let _ = ack.send(Err(KvError::Stopped));
            return Receipt(receipt);
        }
        let guard = lock(&self.requests);
        match guard.as_ref() {
            Some(requests) => {
                if let Err(mpsc::SendError(request)) = requests.send(writer::Request { ops, ack }) {
                    let _ = request.ack.send(Err(KvError::Stopped));
                }
            }
            None => {
                let _ = ack.send(Err(KvError::Stopped));
            }
        }
        Receipt(receipt)
    }

    /// Submits `ops` and waits until they are durable.
    pub fn apply(&self, ops: Vec<KvOp>) -> Result<(), KvError> {
        self.submit(ops).wait()
    }

    pub fn put(&self, key: KvKey, value: Vec<u8>) -> Result<(), KvError> {
        self.apply(vec![KvOp::Put(key, value)])
    }

    /// The committed value at `key`; `None` only if the key is absent.
    pub fn get(&self, key: &KvKey) -> Result<Option<Vec<u8>>, KvError> {
        lock(&self.reader)
            .query_row(
                "SELECT value FROM kv WHERE primary_ns = ?1 AND secondary_ns = ?2 AND key = ?3",
                (&key.primary, &key.secondary, &key.key),
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| KvError::ReadFailed(e.to_string()))
    }

    /// Keys in one namespace, sorted.
    pub fn list(&self, primary: &str, secondary: &str) -> Result<Vec<String>, KvError> {
        let reader = lock(&self.reader);
        let mut stmt = reader
            .prepare_cached(
                "SELECT key FROM kv WHERE primary_ns = ?1 AND secondary_ns = ?2 ORDER BY key",
            )
            .map_err(|e| KvError::ReadFailed(e.to_string()))?;
        let rows = stmt
            .query_map((primary, secondary), |row| row.get(0))
            .map_err(|e| KvError::ReadFailed(e.to_string()))?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(|e| KvError::ReadFailed(e.to_string()))
    }

    /// Every key in the store.
    pub fn list_all(&self) -> Result<Vec<KvKey>, KvError> {
        let reader = lock(&self.reader);
        let mut stmt = reader
            .prepare("SELECT primary_ns, secondary_ns, key FROM kv ORDER BY 1, 2, 3")
            .map_err(|e| KvError::ReadFailed(e.to_string()))?;
        let rows = stmt
            .query_map([], |row| {
                Ok(KvKey {
                    primary: row.get(0)?,
                    secondary: row.get(1)?,
                    key: row.get(2)?,
                })
            })
            .map_err(|e| KvError::ReadFailed(e.to_string()))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| KvError::ReadFailed(e.to_string()))
    }

    /// Whether a commit failed (or the store was shut down): nothing more will be written.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> KvStats {
        let c = &self.counters;
        KvStats {
            commits: c.commits.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            ops: c.ops.load(Ordering::Relaxed),
            max_batch: c.max_batch.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
        }
    }

    /// Commits everything already submitted, then stops the writer. Later requests fail with
    /// `Stopped`. Idempotent.
    pub fn shutdown(&self) {
        // Dropping the only sender lets the writer finish the queue and exit (a batch waiting
        // for disk space fails instead of holding the shutdown forever).
        self.shutting_down.store(true, Ordering::SeqCst);
        drop(lock(&self.requests).take());
        if let Some(handle) = lock(&self.writer).take() {
            if handle.join().is_err() {
                tracing::error!(path = %self.path.display(), "key-value writer thread panicked");
            }
        }
        self.stopped.store(true, Ordering::SeqCst);
    }
}

impl Drop for KvStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}
