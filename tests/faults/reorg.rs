//! Reorgs under a channel, on two in-process daemons: one that leaves the funding transaction
//! confirmed keeps the channel usable; one that unconfirms it makes LDK close the channel (LDK
//! closes a ready channel whose funding went back to zero confirmations), and the daemons
//! survive it: they keep answering, record the close, and leave no payment pending.

use serde_json::{json, Value};

use crate::common::{mine_until, wait_until, Chain, Daemon, COIN, WAIT};

const SEND: &str = "lightning::payments::send_payment";

async fn height(chain: &Chain) -> u64 {
    chain
        .rpc("getblockcount", json!([]))
        .await
        .as_u64()
        .expect("height")
}

async fn invalidate_from(chain: &Chain, height: u64) {
    let hash = chain.rpc("getblockhash", json!([height])).await;
    chain.rpc("invalidateblock", json!([hash])).await;
}

async fn keysend(a: &Daemon, b: &Daemon, msat: u64) -> Value {
    a.ok(
        SEND,
        json!({ "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": msat},
                "wait_timeout_secs": 60 }),
    )
    .await
}

async fn pending(d: &Daemon) -> u64 {
    d.ok(
        "lightning::payments::list_payments_by_filter",
        json!({ "filter": {"status": "pending"}, "limit": 1 }),
    )
    .await["total"]
        .as_u64()
        .expect("total")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shallow_reorg_keeps_the_channel_and_one_that_unconfirms_its_funding_is_survived() {
    // On disk, so that it can restart without its mempool (below).
    let chain_dir = tempfile::tempdir().unwrap();
    let chain = Chain::start_in(Some(chain_dir.path())).await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = Daemon::start(&chain, dirs[0].path().to_path_buf()).await;
    let b = Daemon::start(&chain, dirs[1].path().to_path_buf()).await;
    a.fund(&chain, 1).await;
    chain.mine(100).await;
    wait_until("A's coinbase matures", WAIT, || async {
        a.spendable_sats().await > 0
    })
    .await;
    let before_funding = height(&chain).await;
    let opened = a
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.01} }),
        )
        .await;
    let uuid = opened["uuid"].as_str().expect("uuid").to_string();
    mine_until(&chain, "A->B is usable", WAIT, || async {
        a.open_channel(&uuid)
            .await
            .is_some_and(|c| c["is_usable"] == true)
    })
    .await;
    let funding_height = before_funding + 1;
    assert_eq!(keysend(&a, &b, 5_000).await["status"], "succeeded");

    // 1. A two-block reorg above the funding block: the channel stays, payments go on.
    chain.mine(3).await;
    let tip = height(&chain).await;
    invalidate_from(&chain, tip - 1).await;
    chain.mine(3).await;
    assert_eq!(height(&chain).await, tip + 1);
    wait_until("both nodes follow the new branch", WAIT, || async {
        let info = a.ok("lightning::nodes::get_info", json!({})).await;
        info["block_height"].as_u64() == Some(tip + 1)
    })
    .await;
    assert_eq!(keysend(&a, &b, 6_000).await["status"], "succeeded");
    assert!(a
        .open_channel(&uuid)
        .await
        .is_some_and(|c| c["is_usable"] == true));

    // 2. A longer branch without the funding transaction: the funding block is invalidated and
    // the chain restarts without its mempool, so the new blocks leave the funding out. LDK closes
    // a ready channel whose funding went back to zero confirmations; the daemons live on.
    let tip = height(&chain).await;
    invalidate_from(&chain, funding_height).await;
    let chain = chain.restart_without_mempool().await;
    chain.mine((tip - funding_height + 2) as u32).await;
    wait_until("A records the channel closed", WAIT, || async {
        a.open_channel(&uuid).await.is_none()
    })
    .await;
    wait_until("both sides list the channel closed", WAIT, || async {
        let mut both = true;
        for d in [&a, &b] {
            let closed = d
                .ok(
                    "lightning::channels::list_closed_channels_by_filter",
                    json!({ "coin": COIN }),
                )
                .await;
            both &= closed["closed_channels"].as_array().map_or(0, Vec::len) == 1;
        }
        both
    })
    .await;
    let closed = a
        .ok(
            "lightning::channels::list_closed_channels_by_filter",
            json!({ "coin": COIN }),
        )
        .await;
    let reason = closed["closed_channels"][0]["closure_reason"].to_string();
    assert!(reason.contains("un-confirmed"), "LDK's reason: {reason}");
    assert_eq!(pending(&a).await + pending(&b).await, 0, "nothing pending");
    for d in [&a, &b] {
        let info = d.ok("lightning::nodes::get_info", json!({})).await;
        assert!(info["node_id"].is_string(), "{info}");
    }
    a.app.shutdown().await.expect("A stops cleanly");
    b.app.shutdown().await.expect("B stops cleanly");
}
