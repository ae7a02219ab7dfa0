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
use std::time::Duration;

use bdk_wallet::rusqlite::{Connection, TransactionBehavior};
use bdk_wallet::{ChangeSet, WalletPersister};

use super::error::WalletError;

/// How long a wallet write waits for a ledger write (or another process) to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The wallet's own connection to the shared database file.
pub struct WalletDb {
    conn: Connection,
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
        Ok(WalletDb { conn })
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
        tx.commit()
    }
}
