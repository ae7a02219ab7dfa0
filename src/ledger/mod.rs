//! The SQLite payment ledger (`<data_dir>/mmln.sqlite`).
//!
//! It knows nothing of LDK, JSON-RPC or HTTP: it stores [`Payment`] rows, applies idempotent
//! writes (`payments.rs`) and answers filtered, paged queries (`query.rs`, `filter.rs`).
//!
//! The file is shared with the BDK wallet, which keeps its own tables (and versions them in
//! its `bdk_schemas` table); the ledger only touches `payments*`, `payment_*`,
//! `idempotency_keys`, `ledger_counters` and `PRAGMA user_version`.
//!
//! # Threads
//! The API is synchronous and blocking. A [`Ledger`] is a cheap `Clone` handle, `Send + Sync`;
//! async callers use [`Ledger::blocking`] (tokio's blocking pool). Writes go through one
//! writer connection, each a savepoint in an `IMMEDIATE` batch transaction (so a write never
//! has to upgrade a read lock and hit `SQLITE_BUSY` halfway) that one commit makes durable
//! for many writers at once (group commit, `writer.rs`; LDK's events defer even that wait,
//! see [`Ledger::deferring`]). Reads take a connection
//! from a small pool and run in one read transaction, so a page and its `total` come from the
//! same snapshot; WAL lets them run concurrently with the writer. `busy_timeout` absorbs
//! contention with other connections to the same file (the wallet, another process).
//!
//! # Decisions
//! - `payment_hash` is UNIQUE across directions: paying an invoice we generated is refused
//!   upstream, so one hash is one payment; a write for the other direction is
//!   `DirectionConflict`.
//! - Custom records live in a child table keyed `(payment_id, key)`: values can be hundreds of
//!   bytes and stay out of list scans, and records can be searched by key. Keys are u64 TLV
//!   types stored bit-for-bit in SQLite's i64.
//! - `created_index` is taken once at insert; `updated_index` is taken at insert and at every
//!   change (CLN sets it only on change), so following the updated feed alone sees every
//!   creation and change. Both come from counters that never go back. Each change is also
//!   written to `payment_history`.
//! - `FromId` with a hash outside the filtered set is `NoSuchPayment` (as KDF), never a page
//!   resolved over the unfiltered set.
//! - The description filter has `LIKE` semantics: a literal substring (`%`, `_`, `\` are
//!   escaped), ASCII case-insensitive. A trigram index answers it for needles of 3+
//!   characters; shorter ones are checked row by row.
//! - Value for value (`idempotency.rs`, `wallets.rs`, migration 9): client idempotency keys
//!   written in the intent transaction; value-split groups written whole; bLIP-10 fields kept
//!   in `payment_blip10` by triggers, so record searches read an index, not every record.
//! - Totals always honour the filter. Filters on direction / destination / status alone are
//!   counted from `payment_counts` (kept by triggers); others from covering indexes.

pub mod bench;
mod channels;
mod description_fragments;
mod error;
mod events;
#[cfg(test)]
mod events_tests;
mod filter;
mod hold;
#[cfg(test)]
mod hold_tests;
mod idempotency;
mod index_feed;
mod keys;
#[cfg(test)]
mod keys_tests;
mod migrations;
mod model;
mod offers;
#[cfg(test)]
mod offers_tests;
mod payments;
mod query;
mod readers;
mod refused_sets;
mod row;
mod sendpay_rows;
mod sendpays;
#[cfg(test)]
mod sendpays_tests;
mod tallies;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod v4v_tests;
mod wallets;
mod webhooks;
mod writer;
#[cfg(test)]
mod writer_tests;

pub use channels::{ChannelClosure, ChannelRecord, ChannelState, OpenChannelSighting};
pub use error::LedgerError;
pub use events::{append_wallet_events, Event, EventKind, EventPage, WalletEventRecord};
pub use index_feed::IndexedChange;
pub use keys::{AccessKeyRow, BudgetRefusal, KeyBudget, KeyCharge, KeyUsage, NewAccessKey};
pub use migrations::SCHEMA_VERSION;
pub use model::*;
pub use offers::{
    ArrivedInvoice, Bolt12Intent, Bolt12IntentInsert, Bolt12IntentStatus, InboundBolt12,
    InboundBolt12Outcome, InvoiceArrival, NewBolt12Intent, OfferRecord,
};
pub use query::MAX_LIMIT;
pub use sendpays::{
    NewSendpayPart, PartFailure, SendpayBegin, SendpayListFilter, SendpayPart, SendpayStatus,
};
pub use webhooks::{DeliveryOutcome, WebhookAttempt, WebhookDelivery, WebhookDue, WebhookRoute};

use readers::Readers;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use writer::Writer;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use writer::{WriterStats, COMMIT_DELAY};

/// Largest memory map per connection.
const MMAP_BYTES: i64 = 1 << 30;
/// Page cache per connection, in KiB.
const CACHE_KIB: i64 = 16 * 1024;

/// A source of "now" in unix seconds. Tests inject one to get deterministic timestamps.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// SQLite's `synchronous` setting. `Full` is the only durable-on-power-loss choice in WAL mode
/// and the default; the others exist for explicitly labelled benchmark runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    Full,
    Normal,
    Off,
}

impl Synchronous {
    fn as_pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
            Synchronous::Off => "OFF",
        }
    }
}

/// How to open the ledger. [`LedgerOptions::default`] is the production setting.
#[derive(Clone)]
pub struct LedgerOptions {
    pub synchronous: Synchronous,
    /// How long a statement waits for another connection's lock before failing with BUSY.
    pub busy_timeout: Duration,
    /// Reader connections open at once; a read beyond waits briefly for one (readers.rs).
    pub max_readers: usize,
    /// Defaults to the system clock.
    pub clock: Option<Clock>,
    /// Longest a deferred write waits for a commit nobody asked for (see writer.rs).
    pub commit_delay: Duration,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(10),
            max_readers: 8,
            clock: None,
            commit_delay: COMMIT_DELAY,
        }
    }
}

/// A handle to the payment ledger. Clones share the same connections.
#[derive(Clone)]
pub struct Ledger {
    inner: Arc<Inner>,
    /// Writes through this handle return before their commit (see writer.rs).
    deferred: bool,
}

struct Inner {
    path: PathBuf,
    options: LedgerOptions,
    clock: Clock,
    /// The one writer connection, with group commit. It also publishes the newest committed
    /// `event_index` after each commit (never before), so a waiter that subscribes, then
    /// reads, cannot miss an event.
    writer: Arc<Writer>,
    readers: Readers,
}

fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Ledger {
    /// Opens (creating if needed) the ledger at `path` with production settings and brings its
    /// schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        Ledger::open_with(path, LedgerOptions::default())
    }

    /// [`Ledger::open`] with explicit options.
    pub fn open_with(
        path: impl AsRef<Path>,
        options: LedgerOptions,
    ) -> Result<Ledger, LedgerError> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let damaged = |d: crate::sqlite_check::FileDamage| LedgerError::Damaged {
            path: shown.clone(),
            reason: d.to_string(),
        };
        // A damaged file stops the open here, before anything is written to it.
        crate::sqlite_check::check_header(&path).map_err(damaged)?;
        let mut writer = open_connection(&path, &options, false)?;
        crate::sqlite_check::quick_check(&writer).map_err(damaged)?;
        migrations::migrate(&mut writer)?;
        let last_event = (|| {
            let tx = writer.transaction()?;
            let last = events::last_event_index(&tx)?;
            tx.commit()?;
            Ok(last)
        })()
        .map_err(|e| match e {
            LedgerError::QueryFailed(source) => LedgerError::OpenFailed {
                path: shown.clone(),
                source,
            },
            other => other,
        })?;
        let clock = options
            .clock
            .clone()
            .unwrap_or_else(|| Arc::new(system_clock));
        // Production durability: the writer fsyncs the WAL itself, outside its lock (writer.rs).
        let wal = match options.synchronous {
            Synchronous::Full => {
                writer
                    .pragma_update(None, "synchronous", Synchronous::Normal.as_pragma())
                    .map_err(|source| LedgerError::OpenFailed {
                        path: shown.clone(),
                        source,
                    })?;
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                Some(PathBuf::from(wal))
            }
            Synchronous::Normal | Synchronous::Off => None,
        };
        let writer = Writer::start(writer, last_event, options.commit_delay, wal)?;
        Ok(Ledger {
            inner: Arc::new(Inner {
                path,
                readers: Readers::new(options.max_readers),
                options,
                clock,
                writer,
            }),
            deferred: false,
        })
    }

    /// Runs ledger calls on tokio's blocking pool, for async callers:
    /// `ledger.blocking(move |l| l.get_payment(&hash)).await`.
    ///
    /// Through a handle from [`Ledger::deferring`] the calls run in place instead: they never
    /// wait for an fsync (a few hundred microseconds of SQL at most), and their one caller,
    /// LDK's event handling, is serial and on every payment's path, where the hop to the pool
    /// and back cost more than the write on a loaded machine.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, LedgerError>
    where
        F: FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
        T: Send + 'static,
    {
        if self.deferred {
            return f(self);
        }
        let ledger = self.clone();
        tokio::task::spawn_blocking(move || f(&ledger))
            .await
            .map_err(|e| LedgerError::TaskFailed(e.to_string()))?
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub(crate) fn now(&self) -> u64 {
        (self.inner.clock)()
    }

    /// Runs `f` as one write (a savepoint of the writer's batch transaction). Through a
    /// handle from [`Ledger::deferring`] it returns once applied; otherwise once committed.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        if self.deferred {
            self.inner.writer.write_deferred(f)
        } else {
            self.inner.writer.write(f)
        }
    }

    /// A handle whose writes return before their commit; the Lightning event handler uses it
    /// (LDK hands events over one at a time, and an fsync per event held up every payment).
    /// Its writes become durable at the next commit: see [`Ledger::commit_pending`] for the
    /// rule that keeps them safe, and [`Ledger::durable`] to wait before telling anyone.
    pub fn deferring(&self) -> Ledger {
        Ledger {
            inner: Arc::clone(&self.inner),
            deferred: true,
        }
    }

    /// Whether writes through this handle return before their commit.
    pub fn defers(&self) -> bool {
        self.deferred
    }

    /// Commits every write applied so far. The node's flush calls it before committing a
    /// ChannelManager, so an event the manager no longer holds always has its row durable.
    /// `Err` only when writes already acknowledged were lost (see writer.rs).
    pub fn commit_pending(&self) -> Result<(), LedgerError> {
        self.inner.writer.commit_pending()
    }

    /// The sequence of the last write applied: [`Ledger::durable`] of it covers every write
    /// made so far.
    pub fn applied_writes(&self) -> u64 {
        self.inner.writer.applied()
    }

    /// Writes and commits since open (group commit's effect, for the benchmark).
    pub fn writer_stats(&self) -> WriterStats {
        self.inner.writer.stats()
    }

    /// Resolves once every write up to `seq` is committed (`Err` if its batch was lost).
    pub async fn durable(&self, seq: u64) -> Result<(), LedgerError> {
        self.inner.writer.durable(seq).await
    }

    /// Watches the newest committed `event_index`. Subscribe first, then read the log: an
    /// event committed after the read wakes the receiver.
    pub fn event_watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.writer.event_watch()
    }

    /// Changes when a durable commit may have added webhook deliveries.
    pub fn outbox_watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.writer.outbox_watch()
    }

    /// Publishes events another connection committed (the wallet writes its events in its
    /// own transaction); call after that commit.
    pub fn publish_committed_events(&self) -> Result<(), LedgerError> {
        let last = self.last_event_index()?;
        self.inner.writer.publish_events(last);
        Ok(())
    }

    /// Runs `f` in one read transaction (one snapshot) on a pooled reader connection.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let mut lent = self
            .inner
            .readers
            .lend(|| open_connection(&self.inner.path, &self.inner.options, true))?;
        let tx = lent
            .conn()?
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

fn open_connection(
    path: &Path,
    options: &LedgerOptions,
    read_only: bool,
) -> Result<Connection, LedgerError> {
    let failed = |source: rusqlite::Error| {
        if crate::sqlite_check::is_damage(&source) {
            LedgerError::Damaged {
                path: path.display().to_string(),
                reason: source.to_string(),
            }
        } else {
            LedgerError::OpenFailed {
                path: path.display().to_string(),
                source,
            }
        }
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(failed)?;
    conn.busy_timeout(options.busy_timeout).map_err(failed)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(failed)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(LedgerError::WalUnavailable {
            path: path.display().to_string(),
            mode,
        });
    }
    conn.pragma_update(None, "synchronous", options.synchronous.as_pragma())
        .map_err(failed)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(failed)?;
    // Reads through a memory map share the OS page cache instead of copying every page into
    // each connection's own cache with a syscall; at a million rows, counts walk whole
    // indexes and this dominates. (Address space only; nothing is allocated up front.)
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)
        .map_err(failed)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)
        .map_err(failed)?;
    if read_only {
        conn.pragma_update(None, "query_only", "ON")
            .map_err(failed)?;
    } else {
        // Every write is a SAVEPOINT inside the writer's batch (writer.rs), and SQLite saves
        // each page a savepoint first touches to a statement journal, a temporary *file* by
        // default: that was a tenth of the node's CPU under load. Only the open transaction
        // needs it, and a crash discards that transaction from the WAL anyway, so memory loses
        // nothing. (Readers keep temporary files: a sort over a million rows may spill.)
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(failed)?;
    }
    // The description triggers call it on every payment insert (migration 13).
    description_fragments::register(&conn).map_err(failed)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}
