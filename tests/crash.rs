//! The safety proof of crash-consistent persistence: two real `mmln run` processes with a
//! channel each way pay each other in bursts while they are SIGKILLed in turn (some kills land
//! mid-burst) and restarted on the same data dirs. Afterwards:
//! - no channel was closed (a monitor ahead of its manager would have force-closed one);
//! - no payment is stuck pending, none is duplicated, and every payment an RPC call accepted
//!   is in its sender's ledger;
//! - both ledgers agree hash by hash: a succeeded send is a succeeded receipt of the same
//!   amount on the other side, and a failed send was never received;
//! - each node's channel balances moved by exactly what its ledger says it received minus what
//!   it sent, to the msat.
//!
//! The short form runs in CI. `scripts/crash-storm.sh` runs the long form through the same test
//! with `MMLN_CRASH_KILLS` and `MMLN_CRASH_BURST`.

mod common;

use std::collections::BTreeSet;
use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::daemons::{
    is_outbound, keysend, ledger, node_id, open_channels, open_channels_between, pending_count,
    usable_channels, Daemon, ProcessChain, COIN,
};
use common::RpcClient;

const WAIT: Duration = Duration::from_secs(180);
const CHANNEL_BTC: f64 = 0.02;

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many channels closed, with their closure reasons.
async fn closed(client: &RpcClient) -> (u64, Vec<Value>) {
    let r = client
        .ok(
            "lightning::channels::list_closed_channels_by_filter",
            json!({"coin": COIN}),
        )
        .await;
    let reasons = r["closed_channels"]
        .as_array()
        .map(|a| a.iter().map(|c| c["closure_reason"].clone()).collect())
        .unwrap_or_default();
    (r["total"].as_u64().expect("total"), reasons)
}

async fn assert_none_closed(a: &RpcClient, b: &RpcClient) {
    for (name, client) in [("A", a), ("B", b)] {
        let (n, reasons) = closed(client).await;
        assert_eq!(n, 0, "{name} saw a channel close: {reasons:?}");
    }
}

/// Our balance in the channel we opened. Only the opener's view is exact while the other side's
/// balance is below its reserve (LDK reports `outbound_capacity_msat` clamped at zero there).
async fn outbound_channel_msat(client: &RpcClient) -> u64 {
    let channels: Vec<Value> = open_channels(client)
        .await
        .into_iter()
        .filter(|c| c["is_outbound"] == json!(true))
        .collect();
    assert_eq!(channels.len(), 1, "one channel opened by each side");
    channels[0]["balance_msat"].as_u64().expect("balance_msat")
}

/// Restarts `d` and waits until both channels work again from both sides.
async fn restart(d: &mut Daemon, a: &RpcClient, b: &RpcClient) {
    d.start().await;
    wait_until("both channels are usable on both sides again", || async {
        // A closed channel never comes back: say so at once instead of timing out.
        assert_none_closed(a, b).await;
        usable_channels(a).await == 2 && usable_channels(b).await == 2
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkills_never_close_a_channel_nor_lose_a_payment() {
    let kills = env_u32("MMLN_CRASH_KILLS", 6);
    let burst = env_u32("MMLN_CRASH_BURST", 15);
    let chain = ProcessChain::start().await;
    let mut dir_a = tempfile::tempdir().unwrap();
    let mut dir_b = tempfile::tempdir().unwrap();
    let mut a = Daemon::new("A", dir_a.path(), &chain);
    let mut b = Daemon::new("B", dir_b.path(), &chain);
    a.start().await;
    b.start().await;
    let (ca, cb) = (a.client(), b.client());
    let (id_a, id_b) = (node_id(&ca).await, node_id(&cb).await);

    // 1. Fund both wallets, connect, open a channel each way.
    open_channels_between(&chain, &a, &b, CHANNEL_BTC, true).await;
    let base_a = outbound_channel_msat(&ca).await;
    let base_b = outbound_channel_msat(&cb).await;

    // 2. Bursts both ways; every round kills one daemon (alternating), every other round while
    // its burst is still in flight.
    let mut accepted: Vec<(char, String)> = Vec::new();
    let mut amount = 10_000u64;
    for round in 0..kills {
        let mut sends = Vec::new();
        for _ in 0..burst {
            amount += 1;
            sends.push(('A', tokio::spawn(keysend(ca.clone(), id_b.clone(), amount))));
            amount += 1;
            sends.push(('B', tokio::spawn(keysend(cb.clone(), id_a.clone(), amount))));
        }
        let mid_burst = round % 2 == 0;
        if !mid_burst {
            for (from, send) in sends.drain(..) {
                if let Some(hash) = send.await.expect("send task") {
                    accepted.push((from, hash));
                }
            }
        } else {
            // Let part of the burst reach the daemons, then pull the plug under it.
            tokio::time::sleep(Duration::from_millis(30 + 20 * u64::from(round % 4))).await;
        }
        let victim = if round % 2 == 0 { &mut a } else { &mut b };
        victim.kill();
        for (from, send) in sends.drain(..) {
            if let Some(hash) = send.await.expect("send task") {
                accepted.push((from, hash));
            }
        }
        let victim = if round % 2 == 0 { &mut a } else { &mut b };
        restart(victim, &ca, &cb).await;
    }

    // 3. Everything settles: nothing stays pending.
    let deadline = Instant::now() + WAIT;
    while pending_count(&ca).await + pending_count(&cb).await > 0 {
        if Instant::now() > deadline {
            let (la, lb) = (ledger(&ca).await, ledger(&cb).await);
            let stuck: Vec<String> = [("A", &la), ("B", &lb)]
                .iter()
                .flat_map(|(name, l)| {
                    l.values()
                        .filter(|p| p["status"] == json!("pending"))
                        .map(move |p| format!("{name}: {p}"))
                })
                .collect();
            // Keep the data dirs and the daemons' logs for a post-mortem.
            dir_a.disable_cleanup(true);
            dir_b.disable_cleanup(true);
            panic!(
                "payments still pending (logs in {} and {}):\n{}",
                a.dir.display(),
                b.dir.display(),
                stuck.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 4. No channel closed.
    assert_none_closed(&ca, &cb).await;
    assert_eq!(open_channels(&ca).await.len(), 2);
    assert_eq!(open_channels(&cb).await.len(), 2);

    // 5. The ledgers agree hash by hash, and every accepted send is in its sender's ledger.
    let (la, lb) = (ledger(&ca).await, ledger(&cb).await);
    for (from, hash) in &accepted {
        let sender = if *from == 'A' { &la } else { &lb };
        let p = sender
            .get(hash)
            .unwrap_or_else(|| panic!("accepted payment {hash} from {from} is not in its ledger"));
        assert!(is_outbound(p), "{hash} is not outbound in {from}'s ledger");
    }
    let mut received = [0u64; 2];
    let mut sent = [0u64; 2];
    let mut succeeded = 0usize;
    for (side, (mine, theirs)) in [(&la, &lb), (&lb, &la)].into_iter().enumerate() {
        for (hash, p) in mine {
            let status = p["status"].as_str().expect("status");
            let msat = p["amount_in_msat"].as_u64().expect("amount");
            let other = theirs.get(hash);
            if is_outbound(p) {
                match status {
                    "succeeded" => {
                        let other =
                            other.unwrap_or_else(|| panic!("sent {hash} was never received"));
                        assert!(!is_outbound(other), "{hash} outbound on both sides");
                        assert_eq!(other["status"], json!("succeeded"), "{hash}: {other}");
                        assert_eq!(other["amount_in_msat"].as_u64(), Some(msat), "{hash}");
                        sent[side] += msat;
                        succeeded += 1;
                    }
                    "failed" => {
                        if let Some(other) = other {
                            assert_ne!(
                                other["status"],
                                json!("succeeded"),
                                "{hash} failed for its sender but was received"
                            );
                        }
                    }
                    other => panic!("{hash} is {other}"),
                }
            } else if status == "succeeded" {
                let other = other.unwrap_or_else(|| panic!("received {hash} was never sent"));
                assert_eq!(other["status"], json!("succeeded"), "{hash}: {other}");
                received[side] += msat;
            }
        }
    }
    assert!(succeeded > 0, "no payment succeeded at all");

    // 6. The channels moved by exactly the ledgers' net, to the msat. With nothing in flight,
    // what A holds in B's channel is its capacity minus B's balance, so A's holdings moved by
    // (change of A's balance in its channel) - (change of B's balance in B's channel).
    let moved_a = (outbound_channel_msat(&ca).await as i128 - base_a as i128)
        - (outbound_channel_msat(&cb).await as i128 - base_b as i128);
    let summary = format!(
        "A: received {} sent {}; B: received {} sent {}; A's channels moved {moved_a}",
        received[0], sent[0], received[1], sent[1]
    );
    assert_eq!(
        moved_a,
        received[0] as i128 - sent[0] as i128,
        "A's channels moved by something other than A's ledger's net ({summary})"
    );
    assert_eq!(
        -moved_a,
        received[1] as i128 - sent[1] as i128,
        "B's channels moved by something other than B's ledger's net ({summary})"
    );
    let distinct: BTreeSet<&String> = accepted.iter().map(|(_, h)| h).collect();
    assert_eq!(distinct.len(), accepted.len(), "one hash accepted twice");
    println!(
        "crash test: {kills} kills, {} payments accepted, {succeeded} succeeded, {} in A's and {} in B's ledger",
        accepted.len(),
        la.len(),
        lb.len()
    );

    a.stop();
    b.stop();
}
