//! LDK's storage traits over our group-committed key-value store (`<data_dir>/ldk.sqlite`), and
//! the one-time migration from the `FilesystemStore` directory (`<data_dir>/ldk/`) that earlier
//! releases wrote.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lightning::io;
use lightning::util::persist::{migrate_kv_store_data, KVStoreSync, MigratableKVStore};
use lightning_persister::fs_store::FilesystemStore;

use crate::kvstore::{KvError, KvKey, KvOp, KvStore};

use super::error::NodeError;

/// The database file of LDK's state, beside the ledger.
pub const LDK_STORE_FILE: &str = "ldk.sqlite";
/// Where earlier releases kept LDK's state, one file per key.
pub const LEGACY_LDK_DIR: &str = "ldk";
/// The legacy directory after its contents were copied: kept, never read again.
const MIGRATED_LDK_DIR: &str = "ldk.migrated";
/// Present once the legacy directory has been copied (or there was none).
const MIGRATED_MARKER: (&str, &str, &str) = ("mmln", "", "filesystem_store_migrated");

/// LDK's view of the store. Every write returns only once its batch is durable.
pub struct LdkStore {
    kv: Arc<KvStore>,
}

pub(crate) fn io_error(e: KvError) -> io::Error {
    io::Error::new(io::ErrorKind::Other, e.to_string())
}

impl LdkStore {
    pub fn open(data_dir: &Path) -> Result<LdkStore, NodeError> {
        let kv = KvStore::open(&data_dir.join(LDK_STORE_FILE)).map_err(|e| {
            NodeError::StateReadFailed {
                what: "LDK store",
                reason: e.to_string(),
            }
        })?;
        Ok(LdkStore::new(Arc::new(kv)))
    }

    pub fn new(kv: Arc<KvStore>) -> LdkStore {
        LdkStore { kv }
    }

    pub fn kv(&self) -> &Arc<KvStore> {
        &self.kv
    }
}

impl KVStoreSync for LdkStore {
    fn read(&self, primary: &str, secondary: &str, key: &str) -> Result<Vec<u8>, io::Error> {
        match self.kv.get(&KvKey::new(primary, secondary, key)) {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no value at {primary}/{secondary}/{key}"),
            )),
            Err(e) => Err(io_error(e)),
        }
    }

    fn write(&self, primary: &str, secondary: &str, key: &str, buf: Vec<u8>) -> io::Result<()> {
        self.kv
            .put(KvKey::new(primary, secondary, key), buf)
            .map_err(io_error)
    }

    fn remove(&self, primary: &str, secondary: &str, key: &str, _lazy: bool) -> io::Result<()> {
        self.kv
            .apply(vec![KvOp::Delete(KvKey::new(primary, secondary, key))])
            .map_err(io_error)
    }

    fn list(&self, primary: &str, secondary: &str) -> Result<Vec<String>, io::Error> {
        self.kv.list(primary, secondary).map_err(io_error)
    }
}

impl MigratableKVStore for LdkStore {
    fn list_all_keys(&self) -> Result<Vec<(String, String, String)>, io::Error> {
        Ok(self
            .kv
            .list_all()
            .map_err(io_error)?
            .into_iter()
            .map(|k| (k.primary, k.secondary, k.key))
            .collect())
    }
}

/// Copies `<data_dir>/ldk/` into the store once, then renames it to `ldk.migrated`.
///
/// Crash-safe at every step: the marker is written only after every key was copied (a crash
/// before it copies again, overwriting with the same values), and the directory is renamed
/// only after the marker is durable (a crash before the rename just renames on next start).
pub fn migrate_legacy_dir(data_dir: &Path, store: &mut LdkStore) -> Result<(), NodeError> {
    let fail = |reason: String| NodeError::StateReadFailed {
        what: "legacy LDK directory",
        reason,
    };
    let legacy = data_dir.join(LEGACY_LDK_DIR);
    let marker = KvKey::new(MIGRATED_MARKER.0, MIGRATED_MARKER.1, MIGRATED_MARKER.2);
    let migrated = store.kv.get(&marker).map_err(|e| fail(e.to_string()))?;
    if migrated.is_none() && legacy.is_dir() {
        let mut source = FilesystemStore::new(legacy.clone());
        let keys = source.list_all_keys().map_err(|e| fail(e.to_string()))?;
        migrate_kv_store_data(&mut source, store).map_err(|e| fail(e.to_string()))?;
        tracing::info!(
            keys = keys.len(),
            from = %legacy.display(),
            "migrated LDK state into {LDK_STORE_FILE}"
        );
    }
    if migrated.is_none() {
        store
            .kv
            .put(marker, Vec::new())
            .map_err(|e| fail(e.to_string()))?;
    }
    if legacy.is_dir() {
        let target = unused_path(data_dir.join(MIGRATED_LDK_DIR));
        std::fs::rename(&legacy, &target).map_err(|e| fail(e.to_string()))?;
    }
    Ok(())
}

/// `path`, or `path.N` for the first N not taken.
fn unused_path(path: PathBuf) -> PathBuf {
    if !path.exists() {
        return path;
    }
    let mut n = 1u32;
    loop {
        let candidate = PathBuf::from(format!("{}.{n}", path.display()));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}
