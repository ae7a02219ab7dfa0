//! The wallet's SQLite persister.
//!
//! The wallet and the payments ledger share `<data_dir>/mmln.sqlite` (in WAL mode). BDK's own
//! `WalletPersister for Connection` opens DEFERRED transactions: one that reads before it writes
//! (schema set-up reads the schema version, then creates tables) cannot upgrade to a writer once
//! another connection has committed, and fails at once with `SQLITE_BUSY` — `busy_timeout` does
//! not apply to that upgrade. Every wallet transaction here is `BEGIN IMMEDIATE` instead: it
//! takes the write lock up front, so a concurrent ledger write makes it wait (up to
//! [`BUSY_TIMEOUT`]) rather than fail. The ledger writes the same way.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bdk_wallet::rusqlite::{Connection, TransactionBehavior};
use bdk_wallet::{ChangeSet, WalletPersister};

use super::error::WalletError;

/// How long a wallet write waits for a ledger write (or another process) to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the wallet observed in a block, for the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletChange {
    /// A transaction that pays us more than it spends of ours.
    Received { txid: String, net_sat: i64 },
    /// One of our transactions was confirmed at `height`.
    Confirmed {
        txid: String,
        net_sat: i64,
        height: u32,
    },
}

/// Records wallet changes in the wallet's persist transaction, so they are durable exactly
/// when the wallet state that contains them is (the service implements it over the ledger's
/// event log; the node knows no table of it).
pub trait WalletJournal: Send + Sync {
    /// Writes `changes` inside `tx`; an error aborts the whole persist.
    fn append(
        &self,
        tx: &bdk_wallet::rusqlite::Transaction<'_>,
        changes: &[WalletChange],
    ) -> Result<(), String>;
    /// Called after the transaction that held the changes committed.
    fn committed(&self);
}

/// The wallet's own connection to the shared database file.
pub struct WalletDb {
    conn: Connection,
    journal: Option<Arc<dyn WalletJournal>>,
    /// Changes staged for the next persist; dropped only once it commits.
    pending: Vec<WalletChange>,
}

impl WalletDb {
    /// Opens the shared SQLite file with the settings the design asks of it (WAL, full fsync,
    /// a busy timeout).
    pub fn open(path: &Path) -> Result<WalletDb, WalletError> {
        let failed = |e: bdk_wallet::rusqlite::Error| {
            WalletError::OpenFailed(format!("{}: {e}", path.display()))
        };
        let conn = Connection::open(path).map_err(failed)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(failed)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.pragma_update(None, "synchronous", "FULL"))
            .map_err(failed)?;
        Ok(WalletDb {
            conn,
            journal: None,
            pending: Vec::new(),
        })
    }

    pub fn set_journal(&mut self, journal: Arc<dyn WalletJournal>) {
        self.journal = Some(journal);
    }

    /// Stages changes for the next persist (only kept when a journal is set).
    pub fn stage_changes(&mut self, changes: Vec<WalletChange>) {
        if self.journal.is_some() {
            self.pending.extend(changes);
        }
    }
}

impl WalletPersister for WalletDb {
    type Error = bdk_wallet::rusqlite::Error;

    fn initialize(persister: &mut Self) -> Result<ChangeSet, Self::Error> {
        let tx = persister
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        ChangeSet::init_sqlite_tables(&tx)?;
        let changeset = ChangeSet::from_sqlite(&tx)?;
        tx.commit()?;
        Ok(changeset)
    }

    fn persist(persister: &mut Self, changeset: &ChangeSet) -> Result<(), Self::Error> {
        let tx = persister
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        changeset.persist_to_sqlite(&tx)?;
        let journal = persister.journal.clone();
        if let Some(journal) = &journal {
            if !persister.pending.is_empty() {
                // rusqlite has no general-purpose variant; this one carries any error text.
                journal.append(&tx, &persister.pending).map_err(|e| {
                    bdk_wallet::rusqlite::Error::ToSqlConversionFailure(Box::new(
                        std::io::Error::other(e),
                    ))
                })?;
            }
        }
        tx.commit()?;
        if let Some(journal) = journal {
            if !persister.pending.is_empty() {
                persister.pending.clear();
                journal.committed();
            }
        }
        Ok(())
    }
}
