//! The one writer thread: takes every request queued so far, commits them in one transaction,
//! then acknowledges them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{Connection, TransactionBehavior};

use super::{CommitHook, Counters, KvError, KvKey, KvOp};

/// Bounds one transaction, so a flood of requests still gets acknowledged in steady steps.
const MAX_BATCH: usize = 4096;
/// Wait between attempts while the disk is full.
const FULL_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

pub(super) struct Request {
    pub ops: Vec<KvOp>,
    pub ack: mpsc::Sender<Result<(), KvError>>,
}

pub(super) fn spawn(
    mut conn: Connection,
    requests: mpsc::Receiver<Request>,
    hook: Option<CommitHook>,
    stopped: Arc<AtomicBool>,
    shutting_down: Arc<AtomicBool>,
    counters: Arc<Counters>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("kv-writer".to_string())
        .spawn(move || {
            // Ends when every sender is gone and the queue is empty: that is the drain.
            while let Ok(first) = requests.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match requests.try_recv() {
                        Ok(request) => batch.push(request),
                        Err(_) => break,
                    }
                }
                let result = if stopped.load(Ordering::SeqCst) {
                    Err(KvError::Stopped)
                } else {
                    commit_when_space(&mut conn, &batch, hook.as_ref(), &shutting_down)
                };
                match &result {
                    Ok(()) => {
                        let ops: usize = batch.iter().map(|r| r.ops.len()).sum();
                        let bytes: usize = batch
                            .iter()
                            .flat_map(|r| r.ops.iter())
                            .map(|op| match op {
                                KvOp::Put(_, value) => value.len(),
                                KvOp::Delete(_) | KvOp::Move { .. } => 0,
                            })
                            .sum();
                        counters.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
                        counters.commits.fetch_add(1, Ordering::Relaxed);
                        counters
                            .requests
                            .fetch_add(batch.len() as u64, Ordering::Relaxed);
                        counters.ops.fetch_add(ops as u64, Ordering::Relaxed);
                        counters
                            .max_batch
                            .fetch_max(batch.len() as u64, Ordering::Relaxed);
                    }
                    Err(KvError::Stopped) => {}
                    Err(e) => {
                        // Stop for good: acknowledging later writes after a lost one would
                        // break the FIFO promise (a later value could land, an earlier not).
                        tracing::error!("key-value store commit failed, store stopped: {e}");
                        stopped.store(true, Ordering::SeqCst);
                    }
                }
                for request in batch {
                    let _ = request.ack.send(result.clone());
                }
            }
        })
}

/// Commits the batch; while the disk is full, rolls back and tries the same batch again, so
/// the store recovers by itself when space returns. Safe because nothing in the batch was
/// acknowledged, and no later request is applied before it (FIFO holds). Writers wait
/// meanwhile (LDK holds its channel updates in flight). Gives up only at shutdown.
fn commit_when_space(
    conn: &mut Connection,
    batch: &[Request],
    hook: Option<&CommitHook>,
    shutting_down: &AtomicBool,
) -> Result<(), KvError> {
    let mut logged = false;
    loop {
        match commit(conn, batch, hook) {
            Err(KvError::DiskFull(reason)) if !shutting_down.load(Ordering::SeqCst) => {
                if !logged {
                    tracing::error!(
                        "key-value store: the disk is full ({reason}); writes wait and retry \
                         until space is freed"
                    );
                    logged = true;
                }
                std::thread::sleep(FULL_RETRY);
            }
            Err(KvError::DiskFull(reason)) => return Err(KvError::CommitFailed(reason)),
            other => {
                if logged && other.is_ok() {
                    tracing::info!("key-value store: space is back, writes resumed");
                }
                return other;
            }
        }
    }
}

fn commit(
    conn: &mut Connection,
    batch: &[Request],
    hook: Option<&CommitHook>,
) -> Result<(), KvError> {
    let fail = |e: rusqlite::Error| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            KvError::DiskFull(e.to_string())
        } else {
            KvError::CommitFailed(e.to_string())
        }
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(fail)?;
    for op in batch.iter().flat_map(|r| r.ops.iter()) {
        apply(&tx, op).map_err(fail)?;
    }
    if let Some(hook) = hook {
        // Dropping `tx` on this error rolls the batch back.
        hook().map_err(KvError::CommitFailed)?;
    }
    tx.commit().map_err(fail)
}

fn apply(tx: &rusqlite::Transaction<'_>, op: &KvOp) -> rusqlite::Result<()> {
    match op {
        KvOp::Put(k, value) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO kv (primary_ns, secondary_ns, key, value) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute((&k.primary, &k.secondary, &k.key, value))?;
        }
        KvOp::Delete(k) => delete(tx, k)?,
        KvOp::Move { from, to } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO kv (primary_ns, secondary_ns, key, value) \
                 SELECT ?4, ?5, ?6, value FROM kv \
                 WHERE primary_ns = ?1 AND secondary_ns = ?2 AND key = ?3",
            )?
            .execute((
                &from.primary,
                &from.secondary,
                &from.key,
                &to.primary,
                &to.secondary,
                &to.key,
            ))?;
            delete(tx, from)?;
        }
    }
    Ok(())
}

fn delete(tx: &rusqlite::Transaction<'_>, k: &KvKey) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM kv WHERE primary_ns = ?1 AND secondary_ns = ?2 AND key = ?3")?
        .execute((&k.primary, &k.secondary, &k.key))?;
    Ok(())
}
