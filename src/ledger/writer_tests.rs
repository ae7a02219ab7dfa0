//! Group commit: a deferred write is neither visible nor reported durable before its commit,
//! concurrent durable writes share commits, and a lost batch is never acknowledged on top of.

use std::time::Duration;

use super::*;

/// A ledger whose committer never fires during a test, so only explicit commits count.
fn ledger_without_committer() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let options = LedgerOptions {
        commit_delay: Duration::from_secs(3600),
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(dir.path().join("mmln.sqlite"), options).unwrap();
    // A parent/child pair whose foreign key is checked at COMMIT: an orphan child makes the
    // commit itself fail, the way a full disk would, but on demand.
    ledger
        .write(|c| {
            c.execute_batch(
                "CREATE TABLE t (x INTEGER); \
                 CREATE TABLE parent (id INTEGER PRIMARY KEY); \
                 CREATE TABLE child (p INTEGER REFERENCES parent (id) \
                     DEFERRABLE INITIALLY DEFERRED);",
            )?;
            Ok(())
        })
        .unwrap();
    (dir, ledger)
}

fn insert(ledger: &Ledger, x: i64) -> Result<(), LedgerError> {
    ledger.write(|c| {
        c.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
        Ok(())
    })
}

fn orphan(ledger: &Ledger) -> Result<(), LedgerError> {
    ledger.write(|c| {
        c.execute("INSERT INTO child (p) VALUES (42)", [])?;
        Ok(())
    })
}

fn visible(ledger: &Ledger) -> i64 {
    ledger
        .read(|tx| Ok(tx.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
        .unwrap()
}

#[tokio::test]
async fn a_deferred_write_is_durable_and_visible_only_after_its_commit() {
    let (_dir, ledger) = ledger_without_committer();
    let deferred = ledger.deferring();
    insert(&deferred, 1).unwrap();
    let seq = ledger.applied_writes();
    assert_eq!(visible(&ledger), 0, "readers see commits only");
    let waiting = tokio::time::timeout(Duration::from_millis(100), ledger.durable(seq)).await;
    assert!(waiting.is_err(), "reported durable before any commit");

    ledger.commit_pending().unwrap();
    ledger.durable(seq).await.unwrap();
    assert_eq!(visible(&ledger), 1);
    assert_eq!(
        ledger.writer_stats().commits,
        2,
        "the schema, then the batch"
    );
}

#[tokio::test]
async fn a_durable_write_commits_the_deferred_ones_before_it() {
    let (_dir, ledger) = ledger_without_committer();
    insert(&ledger.deferring(), 1).unwrap();
    insert(&ledger.deferring(), 2).unwrap();
    let deferred_seq = ledger.applied_writes();
    insert(&ledger, 3).unwrap();
    assert_eq!(visible(&ledger), 3);
    ledger.durable(deferred_seq).await.unwrap();
    let stats = ledger.writer_stats();
    assert_eq!(
        (stats.writes, stats.commits),
        (4, 2),
        "three writes shared one commit"
    );
}

#[tokio::test]
async fn the_committer_commits_deferred_writes_nobody_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let ledger =
        Ledger::open_with(dir.path().join("mmln.sqlite"), LedgerOptions::default()).unwrap();
    ledger
        .write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER)")?))
        .unwrap();
    insert(&ledger.deferring(), 7).unwrap();
    let seq = ledger.applied_writes();
    tokio::time::timeout(Duration::from_secs(10), ledger.durable(seq))
        .await
        .expect("committed within the commit delay")
        .unwrap();
    assert_eq!(visible(&ledger), 1);
}

#[test]
fn concurrent_durable_writes_share_commits() {
    let (_dir, ledger) = ledger_without_committer();
    let before = ledger.writer_stats();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    insert(&ledger, t * 1000 + i).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let after = ledger.writer_stats();
    assert_eq!(
        visible(&ledger),
        400,
        "every acknowledged write is committed"
    );
    assert_eq!(after.writes - before.writes, 400);
    assert!(
        after.commits - before.commits < 400,
        "no two of 400 concurrent writes shared a commit ({} commits)",
        after.commits - before.commits
    );
}

#[test]
fn writes_applied_during_a_commit_turn_are_committed_together_by_the_next() {
    let (_dir, ledger) = ledger_without_committer();
    let before = ledger.writer_stats();
    let turn = ledger.inner.writer.hold_commit_turn();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let ledger = ledger.clone();
            std::thread::spawn(move || insert(&ledger, t))
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while ledger.applied_writes() < before.writes + 8 {
        assert!(
            std::time::Instant::now() < deadline,
            "the writes were not applied"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(visible(&ledger), 0, "committed before the turn was free");
    drop(turn);
    for thread in threads {
        thread.join().unwrap().unwrap();
    }
    assert_eq!(visible(&ledger), 8);
    assert_eq!(
        ledger.writer_stats().commits - before.commits,
        1,
        "eight writes waiting for one turn were not committed in one commit"
    );
}

#[tokio::test]
async fn a_lost_batch_with_a_deferred_write_stops_every_later_write() {
    let (_dir, ledger) = ledger_without_committer();
    let deferred = ledger.deferring();
    insert(&deferred, 1).unwrap();
    orphan(&deferred).unwrap();
    let seq = ledger.applied_writes();

    let commit = ledger.commit_pending();
    assert!(commit.is_err(), "the orphan fails the commit");
    assert!(matches!(
        ledger.durable(seq).await,
        Err(LedgerError::NotDurable(_))
    ));
    assert_eq!(visible(&ledger), 0, "the whole batch was rolled back");
    // The first write was acknowledged and lost: nothing may be acknowledged after it.
    assert!(matches!(
        insert(&ledger, 2),
        Err(LedgerError::NotDurable(_))
    ));
    assert!(matches!(
        insert(&deferred, 3),
        Err(LedgerError::NotDurable(_))
    ));
    assert!(matches!(
        ledger.commit_pending(),
        Err(LedgerError::NotDurable(_))
    ));
}

#[tokio::test]
async fn a_lost_batch_of_durable_writes_fails_them_and_the_ledger_goes_on() {
    let (_dir, ledger) = ledger_without_committer();
    let result = orphan(&ledger);
    assert!(result.is_err(), "the durable write's own commit failed");
    let failed_seq = ledger.applied_writes();
    assert!(ledger.durable(failed_seq).await.is_err());

    insert(&ledger, 5).unwrap();
    assert_eq!(
        visible(&ledger),
        1,
        "nobody was told of the lost write, so writes go on"
    );
}

#[test]
fn a_failed_write_rolls_back_only_itself() {
    let (_dir, ledger) = ledger_without_committer();
    let deferred = ledger.deferring();
    insert(&deferred, 1).unwrap();
    let failed = deferred.write(|c| {
        c.execute("INSERT INTO t (x) VALUES (2)", [])?;
        c.execute("INSERT INTO no_such_table VALUES (1)", [])?;
        Ok(())
    });
    assert!(failed.is_err());
    ledger.commit_pending().unwrap();
    let rows: Vec<i64> = ledger
        .read(|tx| {
            let mut stmt = tx.prepare("SELECT x FROM t ORDER BY x")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .unwrap();
    assert_eq!(
        rows,
        vec![1],
        "the failed write's first insert went with it"
    );
}

#[test]
fn a_failed_commit_of_durable_writes_does_not_fail_the_flush_barrier() {
    let (_dir, ledger) = ledger_without_committer();
    // Applied but not yet committed by its writer when the flush asks: a commit that fails
    // here fails that writer, not the flush (the node must outlive a full disk).
    let orphan_seq = {
        let writer = &ledger.inner.writer;
        let ((), seq) = writer
            .apply(
                |c| {
                    c.execute("INSERT INTO child (p) VALUES (42)", [])?;
                    Ok(())
                },
                false,
            )
            .unwrap();
        seq
    };
    assert!(ledger.commit_pending().is_ok());
    assert!(ledger.inner.writer.commit_through(orphan_seq).is_err());
    insert(&ledger, 1).unwrap();
}

#[test]
fn a_write_is_not_acknowledged_when_its_fsync_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mmln.sqlite");
    let options = LedgerOptions {
        commit_delay: Duration::from_secs(3600),
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(&path, options).unwrap();
    ledger
        .write(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER)")?))
        .unwrap();
    insert(&ledger, 1).unwrap();
    // SQLite keeps writing to the file it has open, but the writer's own fsync of the WAL (by
    // name) now fails: the write committed to the WAL must not be reported durable.
    std::fs::remove_file(dir.path().join("mmln.sqlite-wal")).unwrap();
    let unsynced = insert(&ledger, 2);
    assert!(
        matches!(unsynced, Err(LedgerError::NotDurable(_))),
        "acknowledged without its fsync: {unsynced:?}"
    );
    assert!(
        matches!(insert(&ledger, 3), Err(LedgerError::NotDurable(_))),
        "a write was acknowledged after a failed fsync"
    );
}
