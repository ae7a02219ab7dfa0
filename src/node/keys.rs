//! The node seed: 32 random bytes in `<data_dir>/seed`, the root of both the LDK keys and the
//! BDK wallet keys. Losing it loses funds, so it is created atomically and never rewritten.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::bip32::Xpriv;
use bitcoin::hashes::{sha256, Hash, HashEngine};
use bitcoin::Network;
use lightning::sign::KeysManager;
use rand::RngCore;

use super::error::NodeError;

pub const SEED_FILE: &str = "seed";
const SEED_LEN: usize = 32;
/// Domain separation so the BDK master key is unrelated to the keys LDK derives from the seed.
const WALLET_KEY_DOMAIN: &[u8] = b"mmln/onchain-wallet/bip32-master/v1";

/// Reads `<data_dir>/seed`, creating it on first start.
pub fn load_or_create_seed(data_dir: &Path) -> Result<[u8; SEED_LEN], NodeError> {
    let path = data_dir.join(SEED_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            let len = bytes.len();
            bytes.try_into().map_err(|_| NodeError::InvalidSeed {
                path: path.clone(),
                reason: format!("expected exactly {SEED_LEN} bytes, found {len}; refusing to start rather than create a new wallet"),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_seed(&path),
        Err(e) => Err(NodeError::InvalidSeed {
            path,
            reason: format!("unreadable: {e}"),
        }),
    }
}

/// Writes a fresh seed to a temporary file (mode 0600), fsyncs it, then renames it into place so
/// a crash never leaves a half-written seed behind.
fn create_seed(path: &Path) -> Result<[u8; SEED_LEN], NodeError> {
    let mut seed = [0u8; SEED_LEN];
    rand::thread_rng().fill_bytes(&mut seed);
    let tmp: PathBuf = path.with_extension("tmp");
    let fail = |source| NodeError::SeedCreateFailed {
        path: path.to_path_buf(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(fail)?;
    file.write_all(&seed).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    fs::rename(&tmp, path).map_err(fail)?;
    if let Some(dir) = path.parent() {
        // Make the rename itself durable.
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
    }
    Ok(seed)
}

/// LDK's key manager. The start time makes ephemeral per-session randomness unique.
pub fn keys_manager(seed: &[u8; SEED_LEN]) -> KeysManager {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    // v2 remote key derivation: new channels pay us to a static, seed-recoverable script.
    KeysManager::new(seed, now.as_secs(), now.subsec_nanos(), true)
}

/// The BIP32 master key of the on-chain wallet.
pub fn wallet_master_key(seed: &[u8; SEED_LEN], network: Network) -> Result<Xpriv, NodeError> {
    let mut engine = sha256::Hash::engine();
    engine.input(WALLET_KEY_DOMAIN);
    engine.input(seed);
    let digest = sha256::Hash::from_engine(engine);
    Xpriv::new_master(network, digest.as_byte_array()).map_err(|e| NodeError::InvalidSeed {
        path: PathBuf::from(SEED_FILE),
        reason: format!("cannot derive wallet key: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_is_created_once_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_seed(dir.path()).unwrap();
        let again = load_or_create_seed(dir.path()).unwrap();
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SEED_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn wrong_size_seed_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SEED_FILE), [1u8; 31]).unwrap();
        let err = load_or_create_seed(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("expected exactly 32 bytes"),
            "{err}"
        );
    }

    #[test]
    fn wallet_key_differs_from_ldk_node_key() {
        let seed = [7u8; 32];
        let xprv = wallet_master_key(&seed, Network::Regtest).unwrap();
        let ldk_style = Xpriv::new_master(Network::Regtest, &seed).unwrap();
        assert_ne!(xprv.private_key, ldk_style.private_key);
    }
}
