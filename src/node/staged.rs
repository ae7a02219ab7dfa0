//! The key-value view LDK's `MonitorUpdatingPersister` writes monitors through: every write is
//! staged in memory, in order, until the next flush commits it together with a ChannelManager
//! that knows it (see durable.rs). Reads see staged writes first, so the persister's own reads
//! (archiving a closed channel's monitor) never miss a write that has not committed yet.
//!
//! Why LDK's persister rather than full monitors: a ChannelMonitor keeps data for every
//! commitment it ever saw, so it grows by a few hundred bytes per payment. Encoding the whole
//! monitor for each of the ~5 updates a payment makes per side cost more CPU than everything
//! else in a payment after a few thousand payments. The persister writes each update on its
//! own (a few hundred bytes) and the full monitor only every [`MAX_PENDING_MONITOR_UPDATES`]
//! updates, in the format `read_all_channel_monitors_with_updates` reads back at start-up.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use lightning::io;
use lightning::ln::types::ChannelId;
use lightning::util::persist::KVStoreSync;

use crate::kvstore::{KvKey, KvOp};

use super::lock_unpoisoned;
use super::store::LdkStore;

/// Monitor updates written one by one before the persister rewrites the full monitor (and drops
/// those updates). Higher means fewer full rewrites of a large monitor; lower means fewer
/// updates to apply when the node starts. Applying a thousand updates takes milliseconds.
pub const MAX_PENDING_MONITOR_UPDATES: u64 = 1000;

/// One staged entry: a store operation, or the point after which a monitor update may be
/// reported done (its writes are all before it in the queue).
pub(crate) enum Staged {
    Op(KvOp),
    Release {
        channel_id: ChannelId,
        update_id: u64,
    },
}

/// Writes waiting for the next flush, over the store they will land in.
pub struct StagedWrites {
    store: Arc<LdkStore>,
    pending: Mutex<VecDeque<Staged>>,
    wake: tokio::sync::Notify,
}

impl StagedWrites {
    pub fn new(store: Arc<LdkStore>) -> StagedWrites {
        StagedWrites {
            store,
            pending: Mutex::new(VecDeque::new()),
            wake: tokio::sync::Notify::new(),
        }
    }

    pub(crate) fn push(&self, entry: Staged) {
        lock_unpoisoned(&self.pending).push_back(entry);
        self.wake.notify_one();
    }

    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when something was staged (or a wake was asked for) since the last call.
    pub async fn changed(&self) {
        self.wake.notified().await
    }

    pub fn len(&self) -> usize {
        lock_unpoisoned(&self.pending).len()
    }

    /// Takes the oldest `n` entries (or all, if fewer).
    pub(crate) fn take(&self, n: usize) -> Vec<Staged> {
        let mut pending = lock_unpoisoned(&self.pending);
        let n = n.min(pending.len());
        pending.drain(..n).collect()
    }

    /// The newest staged operation on `key`: `Some(Some(value))` for a put, `Some(None)` for a
    /// delete, `None` if nothing is staged for it.
    fn staged_value(&self, key: &KvKey) -> Option<Option<Vec<u8>>> {
        let pending = lock_unpoisoned(&self.pending);
        pending.iter().rev().find_map(|entry| match entry {
            Staged::Op(KvOp::Put(k, v)) if k == key => Some(Some(v.clone())),
            Staged::Op(KvOp::Delete(k)) if k == key => Some(None),
            _ => None,
        })
    }
}

fn not_found(primary: &str, secondary: &str, key: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no value at {primary}/{secondary}/{key}"),
    )
}

impl KVStoreSync for StagedWrites {
    fn read(&self, primary: &str, secondary: &str, key: &str) -> Result<Vec<u8>, io::Error> {
        match self.staged_value(&KvKey::new(primary, secondary, key)) {
            Some(Some(value)) => Ok(value),
            Some(None) => Err(not_found(primary, secondary, key)),
            None => self.store.read(primary, secondary, key),
        }
    }

    /// Never fails: a write that cannot commit fails the flush, which takes the node offline
    /// (a failure here would make LDK treat the monitor as unrecoverable and panic).
    fn write(&self, primary: &str, secondary: &str, key: &str, buf: Vec<u8>) -> io::Result<()> {
        self.push(Staged::Op(KvOp::Put(
            KvKey::new(primary, secondary, key),
            buf,
        )));
        Ok(())
    }

    fn remove(&self, primary: &str, secondary: &str, key: &str, _lazy: bool) -> io::Result<()> {
        self.push(Staged::Op(KvOp::Delete(KvKey::new(
            primary, secondary, key,
        ))));
        Ok(())
    }

    fn list(&self, primary: &str, secondary: &str) -> Result<Vec<String>, io::Error> {
        let mut keys: Vec<String> = self.store.list(primary, secondary)?;
        let mut present: HashSet<String> = keys.iter().cloned().collect();
        let pending = lock_unpoisoned(&self.pending);
        let in_namespace = |k: &KvKey| k.primary == primary && k.secondary == secondary;
        for entry in pending.iter() {
            let (key, put) = match entry {
                Staged::Op(KvOp::Put(k, _)) if in_namespace(k) => (&k.key, true),
                Staged::Op(KvOp::Delete(k)) if in_namespace(k) => (&k.key, false),
                _ => continue,
            };
            if put && present.insert(key.clone()) {
                keys.push(key.clone());
            } else if !put && present.remove(key) {
                keys.retain(|existing| existing != key);
            }
        }
        Ok(keys)
    }
}

/// The writes of `entries` and the updates to release once they commit. Only the last operation
/// on each key is kept (operations on different keys commute within one transaction); a move,
/// which touches two keys, keeps everything before it.
pub(crate) fn plan(entries: Vec<Staged>) -> (Vec<KvOp>, Vec<(ChannelId, u64)>) {
    let mut ops: Vec<Option<KvOp>> = Vec::with_capacity(entries.len());
    let mut last_at: std::collections::HashMap<KvKey, usize> = std::collections::HashMap::new();
    let mut releases = Vec::new();
    for entry in entries {
        match entry {
            Staged::Release {
                channel_id,
                update_id,
            } => releases.push((channel_id, update_id)),
            Staged::Op(op) => {
                let key = match &op {
                    KvOp::Put(k, _) | KvOp::Delete(k) => Some(k.clone()),
                    KvOp::Move { .. } => None,
                };
                match key {
                    Some(key) => {
                        if let Some(earlier) = last_at.insert(key, ops.len()) {
                            ops[earlier] = None;
                        }
                    }
                    None => last_at.clear(),
                }
                ops.push(Some(op));
            }
        }
    }
    (ops.into_iter().flatten().collect(), releases)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, byte: u8) -> Staged {
        Staged::Op(KvOp::Put(KvKey::new("m", "", key), vec![byte]))
    }

    fn delete(key: &str) -> Staged {
        Staged::Op(KvOp::Delete(KvKey::new("m", "", key)))
    }

    fn release(byte: u8, update_id: u64) -> Staged {
        Staged::Release {
            channel_id: ChannelId([byte; 32]),
            update_id,
        }
    }

    fn describe(ops: &[KvOp]) -> Vec<String> {
        ops.iter()
            .map(|op| match op {
                KvOp::Put(k, v) => format!("put {}={}", k.key, v[0]),
                KvOp::Delete(k) => format!("delete {}", k.key),
                KvOp::Move { from, to } => format!("move {}->{}", from.key, to.key),
            })
            .collect()
    }

    #[test]
    fn a_batch_keeps_the_last_operation_per_key_and_every_release_in_order() {
        let (ops, releases) = plan(vec![
            put("a", 1),
            release(b'a', 1),
            put("b", 2),
            release(b'b', 7),
            put("a", 3),
            delete("b"),
            release(b'a', 2),
        ]);
        assert_eq!(describe(&ops), vec!["put a=3", "delete b"]);
        assert_eq!(
            releases,
            vec![
                (ChannelId([b'a'; 32]), 1),
                (ChannelId([b'b'; 32]), 7),
                (ChannelId([b'a'; 32]), 2)
            ]
        );
    }

    #[test]
    fn reads_and_lists_see_staged_writes_before_they_commit() {
        let dir = tempfile::tempdir().unwrap();
        let kv = Arc::new(crate::kvstore::KvStore::open(&dir.path().join("kv.sqlite")).unwrap());
        kv.put(KvKey::new("m", "", "stored"), vec![1]).unwrap();
        kv.put(KvKey::new("m", "", "gone"), vec![2]).unwrap();
        let staged = StagedWrites::new(Arc::new(LdkStore::new(Arc::clone(&kv))));
        staged.write("m", "", "stored", vec![3]).unwrap();
        staged.write("m", "", "new", vec![4]).unwrap();
        staged.remove("m", "", "gone", true).unwrap();
        assert_eq!(staged.read("m", "", "stored").unwrap(), vec![3]);
        assert_eq!(staged.read("m", "", "new").unwrap(), vec![4]);
        assert_eq!(
            staged.read("m", "", "gone").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        let mut listed = staged.list("m", "").unwrap();
        listed.sort();
        assert_eq!(listed, vec!["new".to_string(), "stored".to_string()]);
        // Nothing reached the store: it still holds the committed values only.
        assert_eq!(
            kv.get(&KvKey::new("m", "", "stored")).unwrap(),
            Some(vec![1])
        );
        assert_eq!(kv.get(&KvKey::new("m", "", "new")).unwrap(), None);
        assert_eq!(staged.len(), 3);
    }

    #[test]
    fn a_move_keeps_the_writes_before_it() {
        let (ops, _) = plan(vec![
            put("a", 1),
            Staged::Op(KvOp::Move {
                from: KvKey::new("m", "", "a"),
                to: KvKey::new("x", "", "a"),
            }),
            put("a", 2),
        ]);
        assert_eq!(describe(&ops), vec!["put a=1", "move a->a", "put a=2"]);
    }
}
