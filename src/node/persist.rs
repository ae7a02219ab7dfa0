//! Where node state lives: LDK objects in the store `<data_dir>/ldk.sqlite` (see store.rs and
//! durable.rs), plus two small records of our own in the same store (peer addresses, trusted
//! nodes).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::str::FromStr;
use std::sync::{Arc, Mutex, RwLock};

use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use lightning::routing::scoring::{ProbabilisticScorer, ProbabilisticScoringDecayParameters};
use lightning::util::persist::{
    KVStoreSync, NETWORK_GRAPH_PERSISTENCE_KEY, NETWORK_GRAPH_PERSISTENCE_PRIMARY_NAMESPACE,
    NETWORK_GRAPH_PERSISTENCE_SECONDARY_NAMESPACE, SCORER_PERSISTENCE_KEY,
    SCORER_PERSISTENCE_PRIMARY_NAMESPACE, SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::ReadableArgs;

use super::error::NodeError;
use super::lock_unpoisoned;
use super::logger::NodeLogger;
use super::types::{NetworkGraph, Scorer, Store};

/// Our own records live in this primary namespace, apart from LDK's keys.
const MMLN_NAMESPACE: &str = "mmln";
const PEERS_KEY: &str = "peer_addresses";
const TRUSTED_KEY: &str = "trusted_nodes";

/// Reads a key, mapping "not there" to `None` (LDK stores return `NotFound` for missing keys).
pub fn read_optional<S: KVStoreSync + ?Sized>(
    store: &S,
    primary: &str,
    secondary: &str,
    key: &str,
) -> Result<Option<Vec<u8>>, lightning::io::Error> {
    match KVStoreSync::read(store, primary, secondary, key) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == lightning::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn load_network_graph(
    store: &Store,
    network: Network,
    logger: &Arc<NodeLogger>,
) -> Result<NetworkGraph, NodeError> {
    let bytes = read_optional(
        store,
        NETWORK_GRAPH_PERSISTENCE_PRIMARY_NAMESPACE,
        NETWORK_GRAPH_PERSISTENCE_SECONDARY_NAMESPACE,
        NETWORK_GRAPH_PERSISTENCE_KEY,
    )
    .map_err(|e| NodeError::StateReadFailed {
        what: "network graph",
        reason: e.to_string(),
    })?;
    match bytes {
        None => Ok(NetworkGraph::new(network, Arc::clone(logger))),
        Some(bytes) => {
            NetworkGraph::read(&mut Cursor::new(bytes), Arc::clone(logger)).map_err(|e| {
                NodeError::StateReadFailed {
                    what: "network graph",
                    reason: format!("{e:?}"),
                }
            })
        }
    }
}

pub fn load_scorer(
    store: &Store,
    graph: &Arc<NetworkGraph>,
    logger: &Arc<NodeLogger>,
) -> Result<RwLock<Scorer>, NodeError> {
    let params = ProbabilisticScoringDecayParameters::default();
    let bytes = read_optional(
        store,
        SCORER_PERSISTENCE_PRIMARY_NAMESPACE,
        SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
        SCORER_PERSISTENCE_KEY,
    )
    .map_err(|e| NodeError::StateReadFailed {
        what: "scorer",
        reason: e.to_string(),
    })?;
    let scorer = match bytes {
        None => ProbabilisticScorer::new(params, Arc::clone(graph), Arc::clone(logger)),
        Some(bytes) => ProbabilisticScorer::read(
            &mut Cursor::new(bytes),
            (params, Arc::clone(graph), Arc::clone(logger)),
        )
        .map_err(|e| NodeError::StateReadFailed {
            what: "scorer",
            reason: format!("{e:?}"),
        })?,
    };
    Ok(RwLock::new(scorer))
}

/// Last known address of every peer we connected to, so channel peers can be redialled.
pub struct PeerAddressBook {
    store: Arc<Store>,
    peers: Mutex<BTreeMap<PublicKey, String>>,
}

impl PeerAddressBook {
    pub fn load(store: Arc<Store>) -> Result<Self, NodeError> {
        let text = read_text(&store, PEERS_KEY).map_err(|reason| NodeError::StateReadFailed {
            what: "peer addresses",
            reason,
        })?;
        let mut peers = BTreeMap::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            // Each line is "<pubkey> <host:port>"; a damaged line is skipped, not fatal.
            if let Some((pk, addr)) = line.split_once(' ') {
                if let Ok(pk) = PublicKey::from_str(pk) {
                    peers.insert(pk, addr.trim().to_string());
                }
            }
        }
        Ok(PeerAddressBook {
            store,
            peers: Mutex::new(peers),
        })
    }

    pub fn get(&self, node_id: &PublicKey) -> Option<String> {
        lock_unpoisoned(&self.peers).get(node_id).cloned()
    }

    pub fn all(&self) -> Vec<(PublicKey, String)> {
        lock_unpoisoned(&self.peers)
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    pub fn insert(&self, node_id: PublicKey, addr: String) -> Result<(), String> {
        // The map only changes after the store has the new book, so it is sound even if a
        // writer panicked.
        let mut peers = lock_unpoisoned(&self.peers);
        if peers.get(&node_id) == Some(&addr) {
            return Ok(());
        }
        // Write the new book first: memory changes only once the store has it.
        let mut updated = peers.clone();
        updated.insert(node_id, addr);
        let text: String = updated.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        write_text(&self.store, PEERS_KEY, text)?;
        *peers = updated;
        Ok(())
    }
}

/// Nodes whose inbound channels we accept without waiting for confirmations.
pub struct TrustedNodes {
    store: Arc<Store>,
    nodes: Mutex<BTreeSet<PublicKey>>,
}

impl TrustedNodes {
    pub fn load(store: Arc<Store>, configured: &[PublicKey]) -> Result<Self, NodeError> {
        let text = read_text(&store, TRUSTED_KEY).map_err(|reason| NodeError::StateReadFailed {
            what: "trusted nodes",
            reason,
        })?;
        let mut nodes: BTreeSet<PublicKey> = text
            .lines()
            .filter_map(|l| PublicKey::from_str(l.trim()).ok())
            .collect();
        nodes.extend(configured.iter().copied());
        Ok(TrustedNodes {
            store,
            nodes: Mutex::new(nodes),
        })
    }

    pub fn contains(&self, node_id: &PublicKey) -> bool {
        lock_unpoisoned(&self.nodes).contains(node_id)
    }

    pub fn list(&self) -> Vec<PublicKey> {
        lock_unpoisoned(&self.nodes).iter().copied().collect()
    }

    /// Returns whether the set changed.
    pub fn set(&self, node_id: PublicKey, trusted: bool) -> Result<bool, String> {
        let mut nodes = lock_unpoisoned(&self.nodes);
        // Persist first: a failed write must leave the trust set as it was, not report an
        // error while the running node already acts on the change.
        let mut updated = nodes.clone();
        let changed = if trusted {
            updated.insert(node_id)
        } else {
            updated.remove(&node_id)
        };
        if changed {
            let text: String = updated.iter().map(|k| format!("{k}\n")).collect();
            write_text(&self.store, TRUSTED_KEY, text)?;
            *nodes = updated;
        }
        Ok(changed)
    }
}

fn read_text(store: &Store, key: &str) -> Result<String, String> {
    match read_optional(store, MMLN_NAMESPACE, "", key).map_err(|e| e.to_string())? {
        None => Ok(String::new()),
        Some(bytes) => String::from_utf8(bytes).map_err(|e| format!("{key} is not UTF-8: {e}")),
    }
}

fn write_text(store: &Store, key: &str, text: String) -> Result<(), String> {
    KVStoreSync::write(store, MMLN_NAMESPACE, "", key, text.into_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node_id(byte: u8) -> PublicKey {
        let secp = bitcoin::secp256k1::Secp256k1::new();
        let key = bitcoin::secp256k1::SecretKey::from_slice(&[byte; 32]).unwrap();
        key.public_key(&secp)
    }

    #[test]
    fn a_failed_write_leaves_trust_and_addresses_unchanged() {
        use std::sync::atomic::{AtomicBool, Ordering};

        let dir = tempfile::tempdir().unwrap();
        let failing = Arc::new(AtomicBool::new(false));
        let fail = Arc::clone(&failing);
        let hook: crate::kvstore::CommitHook = Arc::new(move || {
            if fail.load(Ordering::SeqCst) {
                Err("disk full".to_string())
            } else {
                Ok(())
            }
        });
        let kv = crate::kvstore::KvStore::open_with_hook(&dir.path().join("kv.sqlite"), Some(hook))
            .unwrap();
        let store = Arc::new(Store::new(Arc::new(kv)));
        let trusted = TrustedNodes::load(Arc::clone(&store), &[]).unwrap();
        let book = PeerAddressBook::load(Arc::clone(&store)).unwrap();
        assert!(trusted.set(node_id(1), true).unwrap());
        // Every commit fails from here on.
        failing.store(true, Ordering::SeqCst);

        assert!(trusted.set(node_id(2), true).is_err());
        assert!(
            !trusted.contains(&node_id(2)),
            "untrusted after a failed add"
        );
        assert!(trusted.set(node_id(1), false).is_err());
        assert!(
            trusted.contains(&node_id(1)),
            "still trusted after a failed removal"
        );
        assert!(book.insert(node_id(3), "127.0.0.1:9735".into()).is_err());
        assert_eq!(book.get(&node_id(3)), None);
    }
}
