//! The data directory's lock: `<data_dir>/mmln.lock`, held with an exclusive advisory lock
//! (`flock`) for as long as a daemon runs on the directory.
//!
//! Two daemons on one directory would both drive the same LDK state and ledger; the offline
//! `mmln keys` subcommands must not write a ledger a daemon holds in memory (its key ring
//! would not see the change). Both take this lock first, and fail clearly when it is held.
//! The kernel releases it when the process ends, however it ends, so a crash leaves no stale
//! lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "mmln.lock";

#[derive(Debug, thiserror::Error)]
pub enum DataDirLockError {
    #[error(
        "the data directory {} is in use by a running mmln (it holds {LOCK_FILE}); stop it first",
        .0.display()
    )]
    InUse(PathBuf),
    #[error("could not lock {}: {source}", path.display())]
    LockFailed {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    /// Takes the lock of `data_dir` (which must exist), or says who holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, DataDirLockError> {
        let path = data_dir.join(LOCK_FILE);
        let failed = |source| DataDirLockError::LockFailed {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(failed)?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(DataDirLockError::InUse(data_dir.to_path_buf())),
            Err(TryLockError::Error(e)) => Err(failed(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataDirLock::acquire(dir.path()).unwrap();
        match DataDirLock::acquire(dir.path()) {
            Err(DataDirLockError::InUse(p)) => assert_eq!(p, dir.path()),
            other => panic!("expected InUse, got {other:?}"),
        }
        drop(held);
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
