//! Force close: the time-locked output shows in get_claimable_balances, and after the delay the
//! sweeper pays it into the wallet; the history records closing and claiming transactions.

use serde_json::json;

use crate::harness::{mine_until, wait_until, Chain, Daemon, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_close_sweeps_the_delayed_output() {
    let chain = Chain::start().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Daemon::start(&chain, dir_a.path().to_path_buf()).await;
    let b = Daemon::start(&chain, dir_b.path().to_path_buf()).await;
    a.fund(&chain, 1).await;
    chain.mine(100).await;
    wait_until("A's coinbase matures", WAIT, || async {
        a.spendable_sats().await > 0
    })
    .await;
    let opened = a
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": b.node_address(), "amount": {"type": "Max"} }),
        )
        .await;
    let uuid = opened["uuid"].as_str().unwrap().to_string();
    mine_until(&chain, "the channel is usable", WAIT, || async {
        a.open_channel(&uuid)
            .await
            .is_some_and(|c| c["is_usable"] == true)
    })
    .await;
    let capacity = a.open_channel(&uuid).await.unwrap()["funding_tx_value_sats"]
        .as_u64()
        .unwrap();
    assert_eq!(
        capacity,
        (1 << 24) - 1,
        "Max is capped at the non-wumbo limit"
    );
    let open_balances = a
        .ok(
            "lightning::channels::get_claimable_balances",
            json!({ "include_open_channels_balances": true }),
        )
        .await;
    assert_eq!(
        open_balances[0]["type"], "ClaimableOnChannelClose",
        "{open_balances}"
    );
    let only_closed = a
        .ok("lightning::channels::get_claimable_balances", json!({}))
        .await;
    assert_eq!(only_closed, json!([]));

    let wallet_before = a.spendable_sats().await;
    a.ok(
        "lightning::channels::close_channel",
        json!({ "uuid": uuid, "force_close": true }),
    )
    .await;
    mine_until(
        &chain,
        "the delayed output is listed as claimable",
        WAIT,
        || async {
            let balances = a
                .ok("lightning::channels::get_claimable_balances", json!({}))
                .await;
            balances.as_array().unwrap().iter().any(|b| {
                b["type"] == "ClaimableAwaitingConfirmations"
                    && b["data"]["source"] == "HolderForceClosed"
                    && b["data"]["claimable_amount_satoshis"].as_u64().unwrap() > capacity - 20_000
            })
        },
    )
    .await;
    // The history task records a close within a second or so of LDK forgetting the channel.
    wait_until("the closed channel is in the history", WAIT, || async {
        a.closed_channel(&uuid).await.is_some()
    })
    .await;
    let closed = a.closed_channel(&uuid).await.expect("in the history");
    assert!(closed["closure_reason"].is_string());
    // The to_self_delay B asked for is 144 blocks.
    chain.mine(144).await;
    mine_until(
        &chain,
        "the sweeper pays the output into the wallet",
        WAIT,
        || async { a.spendable_sats().await > wallet_before + capacity - 30_000 },
    )
    .await;
    mine_until(
        &chain,
        "the history has closing and claiming transactions",
        WAIT,
        || async {
            a.closed_channel(&uuid)
                .await
                .is_some_and(|c| c["closing_tx"].is_string() && c["claiming_tx"].is_string())
        },
    )
    .await;
    let closed = a.closed_channel(&uuid).await.unwrap();
    assert!(
        closed["claimed_balance_sats"].as_u64().unwrap() > capacity - 30_000,
        "{closed}"
    );
    a.app.shutdown().await.expect("A stops");
    b.app.shutdown().await.expect("B stops");
}
