//! Faults during a payment storm between two `mmln run` daemons, A paying B over one channel:
//! - SIGTERM to either side mid-storm: the daemon stops accepting, finishes or records the
//!   calls in flight, persists and exits 0 within a bound; after a restart nothing is lost
//!   (every accepted payment is in the payer's ledger, both ledgers agree, nothing pending).
//! - SIGKILL of the payee mid-payment, restarted: every payment in flight ends succeeded or
//!   failed on both sides (none stays pending), and the ledgers agree.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::common::daemons::{
    assert_ledgers_agree, keysend_waiting, ledger, node_id, open_channels_between, usable_channels,
    wait_for, wait_none_pending, Daemon, ProcessChain,
};
use crate::common::RpcClient;

/// The bound on a SIGTERM'd daemon's exit: the RPC server's grace period (30 s) plus the
/// node's own stop, with room for a loaded machine.
const EXIT_BOUND: Duration = Duration::from_secs(90);
const SETTLE_BOUND: Duration = Duration::from_secs(180);
const STORM: u64 = 40;

struct Pair {
    chain: ProcessChain,
    a: Daemon,
    b: Daemon,
    _dirs: [tempfile::TempDir; 2],
}

async fn pair() -> Pair {
    let chain = ProcessChain::start().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut a = Daemon::new("A", dirs[0].path(), &chain);
    let mut b = Daemon::new("B", dirs[1].path(), &chain);
    a.start().await;
    b.start().await;
    open_channels_between(&chain, &a, &b, 0.02, false).await;
    Pair {
        chain,
        a,
        b,
        _dirs: dirs,
    }
}

/// Starts `STORM` keysends from `from` to `to`, all at once; amounts from `base` up. Every
/// other one waits for its outcome (`wait_timeout_secs`), so calls are still open on the
/// server when a signal lands. `answered` counts the calls accepted so far.
fn storm(
    from: &RpcClient,
    to: &str,
    base: u64,
    answered: &Arc<AtomicUsize>,
) -> Vec<JoinHandle<Option<String>>> {
    (0..STORM)
        .map(|i| {
            let wait = if i % 2 == 0 { Some(20) } else { None };
            let (from, to, answered) = (from.clone(), to.to_string(), Arc::clone(answered));
            tokio::spawn(async move {
                let hash = keysend_waiting(from, to, base + i, wait).await;
                if hash.is_some() {
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                hash
            })
        })
        .collect()
}

async fn accepted(sends: Vec<JoinHandle<Option<String>>>) -> Vec<String> {
    let mut hashes = Vec::new();
    for send in sends {
        if let Some(hash) = send.await.expect("send task") {
            hashes.push(hash);
        }
    }
    hashes
}

/// Lets part of the storm reach the payer: waits until its ledger holds a few payments and it
/// has accepted one. A row alone is not enough: the ledger's rows are readable a moment before
/// their fsync, and the send is handed to LDK only after it, so a kill at the first rows could
/// land before any payment left the payer.
async fn storm_under_way(payer: &RpcClient, answered: &AtomicUsize) {
    wait_for(
        "the storm reaches the payer",
        Duration::from_secs(60),
        || async { answered.load(Ordering::SeqCst) >= 1 && ledger(payer).await.len() >= 3 },
    )
    .await;
}

async fn sigterm(d: &mut Daemon) {
    let name = d.name;
    let status = d
        .terminate_within(EXIT_BOUND)
        .await
        .unwrap_or_else(|| panic!("{name} did not exit within {EXIT_BOUND:?} of SIGTERM"));
    let log = d.log();
    assert!(status.success(), "{name} exited with {status}; log:\n{log}");
    assert!(
        log.contains("shutdown complete"),
        "{name}: no clean shutdown; log:\n{log}"
    );
    assert!(!log.contains("panicked"), "{name} panicked; log:\n{log}");
}

/// Restarts `d` and waits until the channel is usable from both sides again.
async fn restart(d: &mut Daemon, a: &RpcClient, b: &RpcClient) {
    d.start().await;
    wait_for("the channel is usable again", SETTLE_BOUND, || async {
        usable_channels(a).await == 1 && usable_channels(b).await == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_payment_storm_exits_0_and_loses_nothing() {
    let mut p = pair().await;
    let (ca, cb) = (p.a.client(), p.b.client());
    let id_b = node_id(&cb).await;
    let mut all_accepted = Vec::new();

    // Round 1: SIGTERM the payer mid-storm. Round 2: the payee.
    for (round, payer_side) in [(0u64, true), (1, false)] {
        let before = ledger(&ca).await.len();
        let sends = storm(
            &ca,
            &id_b,
            30_000 + round * 1_000,
            &Arc::new(AtomicUsize::new(0)),
        );
        wait_for(
            "the storm reaches the payer",
            Duration::from_secs(60),
            || async { ledger(&ca).await.len() >= before + 3 },
        )
        .await;
        let victim = if payer_side { &mut p.a } else { &mut p.b };
        sigterm(victim).await;
        all_accepted.extend(accepted(sends).await);
        let victim = if payer_side { &mut p.a } else { &mut p.b };
        restart(victim, &ca, &cb).await;
    }

    wait_none_pending(&ca, &cb, SETTLE_BOUND).await;
    let (la, lb) = (ledger(&ca).await, ledger(&cb).await);
    let succeeded = assert_ledgers_agree(&la, &lb, &all_accepted);
    println!(
        "sigterm storm: {} accepted, {} in A's ledger, {succeeded} succeeded",
        all_accepted.len(),
        la.len()
    );
    assert!(succeeded > 0, "no payment succeeded");
    p.a.stop();
    p.b.stop();
    drop(p.chain);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payee_killed_mid_payment_leaves_no_payment_pending() {
    let mut p = pair().await;
    let (ca, cb) = (p.a.client(), p.b.client());
    let id_b = node_id(&cb).await;

    let answered = Arc::new(AtomicUsize::new(0));
    let sends = storm(&ca, &id_b, 50_000, &answered);
    storm_under_way(&ca, &answered).await;
    p.b.kill();
    let accepted = accepted(sends).await;
    // The payer keeps answering while its peer is gone, and its payments are recorded.
    assert!(
        !accepted.is_empty(),
        "the payer accepted nothing; A's log:\n{}",
        p.a.log()
    );
    restart(&mut p.b, &ca, &cb).await;

    wait_none_pending(&ca, &cb, SETTLE_BOUND).await;
    let (la, lb) = (ledger(&ca).await, ledger(&cb).await);
    let succeeded = assert_ledgers_agree(&la, &lb, &accepted);
    println!(
        "payee killed: {} accepted, {succeeded} succeeded, {} failed",
        accepted.len(),
        la.len() - succeeded
    );
    p.a.stop();
    p.b.stop();
}
