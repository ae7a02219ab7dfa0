use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::*;

fn key(k: &str) -> KvKey {
    KvKey::new("ns", "", k)
}

/// A commit hook that reports each commit it enters and then waits for the test's verdict.
struct Gate {
    entered: Mutex<mpsc::Receiver<()>>,
    verdict: Mutex<mpsc::Sender<Result<(), String>>>,
}

fn gated_store(path: &Path) -> (KvStore, Gate) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let (verdict_tx, verdict_rx) = mpsc::channel::<Result<(), String>>();
    let entered_tx = Mutex::new(entered_tx);
    let verdict_rx = Mutex::new(verdict_rx);
    let hook: CommitHook = Arc::new(move || {
        let _ = entered_tx.lock().unwrap().send(());
        verdict_rx
            .lock()
            .unwrap()
            .recv()
            .unwrap_or_else(|_| Err("test gone".to_string()))
    });
    let store = KvStore::open_with_hook(path, Some(hook)).unwrap();
    let gate = Gate {
        entered: Mutex::new(entered_rx),
        verdict: Mutex::new(verdict_tx),
    };
    (store, gate)
}

impl Gate {
    fn wait_entered(&self) {
        self.entered.lock().unwrap().recv().unwrap();
    }
    fn release(&self, verdict: Result<(), String>) {
        self.verdict.lock().unwrap().send(verdict).unwrap();
    }
}

#[test]
fn reads_lists_moves_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let store = KvStore::open(&dir.path().join("kv.sqlite")).unwrap();
    assert_eq!(store.get(&key("a")).unwrap(), None, "absent is None");
    store.put(key("b"), b"2".to_vec()).unwrap();
    store.put(key("a"), b"1".to_vec()).unwrap();
    store
        .put(KvKey::new("other", "x", "c"), b"3".to_vec())
        .unwrap();
    assert_eq!(store.list("ns", "").unwrap(), vec!["a", "b"]);
    store
        .apply(vec![
            KvOp::Move {
                from: key("a"),
                to: KvKey::new("archive", "", "a"),
            },
            KvOp::Delete(key("b")),
        ])
        .unwrap();
    assert!(store.list("ns", "").unwrap().is_empty());
    assert_eq!(
        store.get(&KvKey::new("archive", "", "a")).unwrap(),
        Some(b"1".to_vec())
    );
    assert_eq!(store.list_all().unwrap().len(), 2);
}

#[test]
fn writes_to_one_key_land_in_submission_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = KvStore::open(&dir.path().join("kv.sqlite")).unwrap();
    let receipts: Vec<Receipt> = (0..200u32)
        .map(|i| store.submit(vec![KvOp::Put(key("k"), i.to_be_bytes().to_vec())]))
        .collect();
    for r in receipts {
        r.wait().unwrap();
    }
    assert_eq!(
        store.get(&key("k")).unwrap(),
        Some(199u32.to_be_bytes().to_vec())
    );
}

#[test]
fn a_write_is_acknowledged_only_after_its_batch_commits() {
    let dir = tempfile::tempdir().unwrap();
    let (store, gate) = gated_store(&dir.path().join("kv.sqlite"));
    let first = store.submit(vec![KvOp::Put(key("a"), b"1".to_vec())]);
    gate.wait_entered();
    // The writer is inside the transaction, just before COMMIT.
    assert!(first.try_wait().is_none(), "acknowledged before its commit");
    assert_eq!(
        store.get(&key("a")).unwrap(),
        None,
        "visible before its commit"
    );
    // Requests arriving meanwhile wait, then share one commit.
    let later: Vec<Receipt> = (0..10)
        .map(|i| store.submit(vec![KvOp::Put(key(&format!("b{i}")), vec![i])]))
        .collect();
    assert!(later.iter().all(|r| r.try_wait().is_none()));
    gate.release(Ok(()));
    first.wait().unwrap();
    assert_eq!(store.get(&key("a")).unwrap(), Some(b"1".to_vec()));
    gate.wait_entered();
    assert!(later.iter().all(|r| r.try_wait().is_none()));
    gate.release(Ok(()));
    for r in later {
        r.wait().unwrap();
    }
    let stats = store.stats();
    assert_eq!(stats.commits, 2, "the ten later writes shared one commit");
    assert_eq!(stats.max_batch, 10);
}

#[test]
fn a_failed_commit_acknowledges_nothing_and_stops_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.sqlite");
    {
        let (store, gate) = gated_store(&path);
        let first = store.submit(vec![
            KvOp::Put(key("a"), b"1".to_vec()),
            KvOp::Put(key("b"), b"2".to_vec()),
        ]);
        gate.wait_entered();
        let queued = store.submit(vec![KvOp::Put(key("c"), b"3".to_vec())]);
        gate.release(Err("disk gone".to_string()));
        assert!(matches!(first.wait(), Err(KvError::CommitFailed(_))));
        assert!(store.is_stopped());
        // A request queued behind the failure is refused, never committed.
        assert!(matches!(queued.wait(), Err(KvError::Stopped)));
        assert!(matches!(
            store.put(key("d"), b"4".to_vec()),
            Err(KvError::Stopped)
        ));
        assert_eq!(store.get(&key("a")).unwrap(), None);
    }
    let reopened = KvStore::open(&path).unwrap();
    assert!(
        reopened.list_all().unwrap().is_empty(),
        "nothing was written"
    );
}

#[test]
fn shutdown_commits_everything_already_submitted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.sqlite");
    let store = KvStore::open(&path).unwrap();
    let receipts: Vec<Receipt> = (0..100u8)
        .map(|i| store.submit(vec![KvOp::Put(key(&format!("k{i:03}")), vec![i])]))
        .collect();
    store.shutdown();
    for r in receipts {
        r.wait().unwrap();
    }
    assert!(matches!(
        store.put(key("late"), vec![]),
        Err(KvError::Stopped)
    ));
    drop(store);
    assert_eq!(
        KvStore::open(&path).unwrap().list("ns", "").unwrap().len(),
        100
    );
}

#[test]
fn a_store_from_a_newer_build_or_a_damaged_file_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ldk.sqlite");
    {
        let store = KvStore::open(&path).unwrap();
        store.put(key("a"), vec![1; 10_000]).unwrap();
        store.shutdown();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, FORMAT_VERSION);
    conn.pragma_update(None, "user_version", FORMAT_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = KvStore::open(&path)
        .err()
        .expect("a newer store is refused");
    let text = err.to_string();
    assert!(
        text.contains("ldk.sqlite") && text.contains("newer"),
        "{text}"
    );

    std::fs::write(&path, b"not a database at all, just text").unwrap();
    let text = KvStore::open(&path).err().expect("refused").to_string();
    assert!(
        text.contains("ldk.sqlite") && text.contains("not a SQLite database"),
        "{text}"
    );
}
