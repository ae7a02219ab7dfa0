//! Chain faults: the regtest chain (our stand-in for Bitcoin Core) stops for a while under two
//! `mmln run` daemons with a channel between them.
//! - During the outage, payments over the channel keep working, and so do the calls that need
//!   no chain (new address, balance, invoices, lists); the calls that need the chain now
//!   (`send_to_address`, `open_channel`) answer `ChainUnavailable` with HTTP 503 and change
//!   nothing.
//! - When the chain is back (same port, same blocks), both nodes sync the blocks mined since,
//!   and the chain calls work again.
//!
//! `MMLN_CHAIN_OUTAGE_SECS` sets the outage (default 12 s); `scripts/chain-outage.sh` runs the
//! minute-long form.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::daemons::{
    block_height, keysend, ledger, node_id, open_channels_between, pending_count, usable_channels,
    wait_for, Daemon, ProcessChain, BURN, COIN,
};
use crate::common::RpcClient;

const WAIT: Duration = Duration::from_secs(120);

fn send_to_burn(value: f64) -> Value {
    json!({"coin": COIN, "address": BURN, "amount": {"type": "Exact", "value": value}})
}

/// Waits (bounded) until the payment is final on the payer and returns its status.
async fn final_status(client: &RpcClient, hash: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let r = client
            .ok(
                "lightning::payments::get_payment_details",
                json!({"coin": COIN, "payment_hash": hash}),
            )
            .await;
        let status = r["payment_details"]["status"].as_str().unwrap_or_default();
        if status != "pending" {
            return status.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "payment {hash} still pending after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_outage_keeps_payments_working_and_answers_chain_calls_503() {
    let outage = Duration::from_secs(
        std::env::var("MMLN_CHAIN_OUTAGE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(12),
    );
    let chain_dir = tempfile::tempdir().expect("tempdir");
    let chain = ProcessChain::start_in(chain_dir.path()).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = Daemon::new("A", dir_a.path(), &chain);
    let mut b = Daemon::new("B", dir_b.path(), &chain);
    a.start().await;
    b.start().await;
    open_channels_between(&chain, &a, &b, 0.02, false).await;
    let (ca, cb) = (a.client(), b.client());
    let (id_a, id_b) = (node_id(&ca).await, node_id(&cb).await);
    let height_before = chain.height().await;

    // 1. The chain goes away.
    let config = chain.stop().await;
    let outage_started = Instant::now();

    // 2. The calls that need it say so at once, with 503, and change nothing.
    let balance_before = ca
        .ok("lightning::wallet::my_balance", json!({"coin": COIN}))
        .await;
    ca.expect_error(
        "lightning::wallet::send_to_address",
        send_to_burn(0.001),
        "ChainUnavailable",
        503,
    )
    .await;
    cb.expect_error(
        "lightning::channels::open_channel",
        json!({"coin": COIN, "node_address": format!("{id_a}@{}", a.p2p_addr),
               "amount": {"type": "Exact", "value": 0.01}}),
        "ChainUnavailable",
        503,
    )
    .await;
    let balance_after = ca
        .ok("lightning::wallet::my_balance", json!({"coin": COIN}))
        .await;
    assert_eq!(
        balance_before, balance_after,
        "a refused send reserved coins"
    );

    // 3. Everything that needs no chain keeps working for the whole outage: keysends and
    //    invoice payments over the channel, addresses, balances.
    let mut paid = 0u32;
    let mut amount = 20_000u64;
    while outage_started.elapsed() < outage {
        amount += 1;
        let hash = keysend(ca.clone(), id_b.clone(), amount)
            .await
            .expect("keysend accepted during the outage");
        assert_eq!(
            final_status(&ca, &hash).await,
            "succeeded",
            "keysend {hash}"
        );
        let invoice = cb
            .ok(
                "lightning::payments::generate_invoice",
                json!({"coin": COIN, "description": "during the outage", "amount_in_msat": amount}),
            )
            .await;
        let sent = ca
            .ok(
                "lightning::payments::send_payment",
                json!({"coin": COIN, "payment": {"type": "invoice",
                       "invoice": invoice["invoice"]}}),
            )
            .await;
        let hash = sent["payment_hash"].as_str().expect("hash");
        assert_eq!(final_status(&ca, hash).await, "succeeded", "invoice {hash}");
        ca.ok("lightning::wallet::get_new_address", json!({"coin": COIN}))
            .await;
        paid += 2;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(paid >= 2, "no payment made during the outage");
    assert_eq!(
        usable_channels(&ca).await,
        1,
        "the channel stopped being usable"
    );

    // 4. The chain comes back on the same port with the same blocks, and moves on.
    let chain = ProcessChain::start_with(config).await;
    assert_eq!(chain.height().await, height_before, "the chain lost blocks");
    chain.mine_to(6, BURN).await;
    let tip = chain.height().await;
    wait_for("both nodes synced the blocks mined since", WAIT, || async {
        block_height(&ca).await == tip && block_height(&cb).await == tip
    })
    .await;

    // 5. The chain calls work again: a send reaches the chain and confirms.
    let sent = ca
        .ok("lightning::wallet::send_to_address", send_to_burn(0.001))
        .await;
    let txid = sent["txid"].as_str().expect("txid").to_string();
    let mempool = chain.rpc("getrawmempool", json!([])).await;
    assert!(
        mempool.as_array().is_some_and(|m| m.contains(&json!(txid))),
        "{txid} is not in the mempool: {mempool}"
    );
    chain.mine_to(1, BURN).await;
    let mempool = chain.rpc("getrawmempool", json!([])).await;
    assert!(
        !mempool.as_array().is_some_and(|m| m.contains(&json!(txid))),
        "{txid} was not mined: {mempool}"
    );
    let tip = chain.height().await;
    wait_for("A synced the block with its send", WAIT, || async {
        block_height(&ca).await == tip
    })
    .await;

    // 6. Nothing pending, and both ledgers agree on every payment made.
    assert_eq!(pending_count(&ca).await + pending_count(&cb).await, 0);
    let (la, lb) = (ledger(&ca).await, ledger(&cb).await);
    assert_eq!(la.len(), paid as usize);
    for (hash, p) in &la {
        assert_eq!(p["status"], json!("succeeded"), "{hash}: {p}");
        assert_eq!(
            lb.get(hash).map(|q| q["status"].clone()),
            Some(json!("succeeded")),
            "{hash}"
        );
    }
    println!(
        "chain outage: {} s, {paid} payments made during it, nodes synced {} blocks after it",
        outage.as_secs(),
        tip - height_before
    );
    a.stop();
    b.stop();
}
