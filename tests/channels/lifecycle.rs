//! Three daemons A, B, C: fund, connect, open A->B (with push) and B->C, filters and paging,
//! fee updates seen by the peer, zero-conf from a trusted node, cooperative close with the
//! closing transaction in the history, and a restart that keeps channels, peers and balances.

use serde_json::{json, Value};

use crate::common::{mine_until, wait_until, Chain, Daemon, COIN, WAIT};

const AB_SAT: u64 = 200_000;
const PUSH_MSAT: u64 = 50_000_000;
const BC_SAT: u64 = 100_000;
const AC_SAT: u64 = 150_000;

async fn usable(d: &Daemon, uuid: &str) -> bool {
    d.open_channel(uuid)
        .await
        .is_some_and(|c| c["is_usable"] == true)
}

/// The channel with `peer` as `d` sees it.
async fn channel_with(d: &Daemon, peer: &Daemon) -> Value {
    let list = d
        .open_channels(json!({ "counterparty_node_id": peer.node_id() }))
        .await;
    assert_eq!(list.len(), 1, "one channel with the peer: {list:?}");
    list[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_lifecycle_over_mmrpc() {
    let chain = Chain::start().await;
    let (dir_a, dir_b, dir_c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let a = Daemon::start(&chain, dir_a.path().to_path_buf()).await;
    let b = Daemon::start(&chain, dir_b.path().to_path_buf()).await;
    let c = Daemon::start(&chain, dir_c.path().to_path_buf()).await;

    // Activation answers for the running node.
    let task = a
        .rpc
        .ok(
            "task::enable_lightning::init",
            json!({ "ticker": COIN, "activation_params": {"name": "A"} }),
        )
        .await;
    let status = a
        .rpc
        .ok(
            "task::enable_lightning::status",
            json!({ "task_id": task["task_id"] }),
        )
        .await;
    assert_eq!(status["status"], "Ok");
    assert_eq!(status["details"]["address"], a.node_id());
    assert_eq!(status["details"]["platform_coin"], "tBTC");

    // Fund A and B by mining to their addresses.
    a.fund(&chain, 1).await;
    b.fund(&chain, 1).await;
    chain.mine(100).await;
    for d in [&a, &b] {
        wait_until("the coinbase matures in the wallet", WAIT, || async {
            d.spendable_sats().await == 50 * 100_000_000
        })
        .await;
    }

    // Connect, twice.
    let connected = a
        .ok(
            "lightning::nodes::connect_to_node",
            json!({ "node_address": b.node_address() }),
        )
        .await;
    assert_eq!(
        connected,
        format!("Connected successfully to node : {}", b.node_address())
    );
    let again = a
        .ok(
            "lightning::nodes::connect_to_node",
            json!({ "node_address": b.node_address() }),
        )
        .await;
    assert_eq!(
        again,
        format!("Already connected to node: {}", b.node_address())
    );

    // A->B with a push, B->C without.
    let ab = a
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": b.node_address(),
                    "amount": {"type": "Exact", "value": 0.002},
                    "push_msat": PUSH_MSAT,
                    "channel_options": {"base_fee_msat": 1000, "announced_channel": false} }),
        )
        .await;
    let ab_uuid = ab["uuid"].as_str().unwrap().to_string();
    assert_eq!(ab["node_address"], b.node_address());
    let bc = b
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": c.node_address(), "amount": {"type": "Exact", "value": 0.001},
                    "channel_configs": {"counterparty_locktime": 200, "our_htlc_minimum_msat": 5000} }),
        )
        .await;
    let bc_uuid = bc["uuid"].as_str().unwrap().to_string();
    mine_until(&chain, "A->B and B->C are usable", WAIT, || async {
        usable(&a, &ab_uuid).await && usable(&b, &bc_uuid).await
    })
    .await;

    // B's handshake settings reached C: C waits 200 blocks after its own force close and
    // sends B nothing under 5000 msat.
    let b_id = b.app.node().node_id();
    let c_view = c
        .app
        .node()
        .channel_manager()
        .list_channels()
        .into_iter()
        .find(|ch| ch.counterparty.node_id == b_id)
        .expect("C lists its channel with B");
    assert_eq!(c_view.force_close_spend_delay, Some(200));
    assert_eq!(c_view.counterparty.outbound_htlc_minimum_msat, Some(5000));

    // Balances match funding and push.
    let a_side = a.open_channel(&ab_uuid).await.unwrap();
    assert_eq!(a_side["funding_tx_value_sats"], AB_SAT);
    assert_eq!(a_side["is_outbound"], true);
    let b_side = channel_with(&b, &a).await;
    assert_eq!(b_side["uuid"].as_str().map(str::len), Some(36));
    assert_eq!(b_side["is_outbound"], false);
    assert_eq!(
        b_side["balance_msat"], PUSH_MSAT,
        "B holds exactly the push"
    );
    // LDK's balance: outbound capacity plus our reserve (the commitment fee is not deducted).
    assert_eq!(
        a_side["balance_msat"],
        AB_SAT * 1000 - PUSH_MSAT,
        "{a_side}"
    );
    let details = a
        .ok(
            "lightning::channels::get_channel_details",
            json!({ "uuid": ab_uuid }),
        )
        .await;
    assert_eq!(details["status"], "Open");
    assert_eq!(details["details"]["channel_id"], a_side["channel_id"]);

    // Filters and paging on B, which has two channels.
    let outbound = b.open_channels(json!({ "is_outbound": true })).await;
    assert_eq!(outbound.len(), 1);
    assert_eq!(outbound[0]["uuid"], bc_uuid);
    assert_eq!(outbound[0]["funding_tx_value_sats"], BC_SAT);
    let big = b
        .open_channels(json!({ "from_funding_value_sats": 150_000 }))
        .await;
    assert_eq!(big.len(), 1);
    assert_eq!(big[0]["funding_tx_value_sats"], AB_SAT);
    assert!(b
        .open_channels(json!({ "from_balance_msat": 1, "to_balance_msat": 10 }))
        .await
        .is_empty());
    let page2 = b
        .ok(
            "lightning::channels::list_open_channels_by_filter",
            json!({ "limit": 1, "paging_options": {"PageNumber": 2} }),
        )
        .await;
    assert_eq!(
        (
            page2["total"].as_u64(),
            page2["total_pages"].as_u64(),
            page2["skipped"].as_u64()
        ),
        (Some(2), Some(2), Some(1))
    );
    let page1 = b
        .ok(
            "lightning::channels::list_open_channels_by_filter",
            json!({ "limit": 1 }),
        )
        .await;
    let after_first = b
        .ok(
            "lightning::channels::list_open_channels_by_filter",
            json!({ "limit": 5, "paging_options": {"FromId": page1["open_channels"][0]["uuid"]} }),
        )
        .await;
    assert_eq!(
        after_first["open_channels"],
        json!([page2["open_channels"][0]])
    );
    let past_end = b
        .ok(
            "lightning::channels::list_open_channels_by_filter",
            json!({ "limit": 1, "paging_options": {"PageNumber": 9} }),
        )
        .await;
    assert_eq!(past_end["open_channels"], json!([]));

    // update_channel: B learns A's new fees from A's channel_update.
    let updated = a
        .ok(
            "lightning::channels::update_channel",
            json!({ "uuid": ab_uuid,
                    "channel_options": {"base_fee_msat": 5000, "proportional_fee_in_millionths_sats": 1200} }),
        )
        .await;
    assert_eq!(updated["channel_options"]["base_fee_msat"], 5000);
    assert_eq!(
        updated["channel_options"]["proportional_fee_in_millionths_sats"],
        1200
    );
    let a_id = a.app.node().node_id();
    let b_node = b.app.node().clone();
    wait_until("B sees A's new forwarding fees", WAIT, || {
        let b_node = b_node.clone();
        async move {
            b_node.channel_manager().list_channels().iter().any(|c| {
                c.counterparty.node_id == a_id
                    && c.counterparty.forwarding_info.as_ref().is_some_and(|f| {
                        f.fee_base_msat == 5000 && f.fee_proportional_millionths == 1200
                    })
            })
        }
    })
    .await;

    // Zero-conf: C trusts A, A's channel to C is usable with no block mined.
    let added = c
        .ok(
            "lightning::nodes::add_trusted_node",
            json!({ "node_id": a.node_id() }),
        )
        .await;
    assert_eq!(added["added_node"], a.node_id());
    let trusted = c
        .ok("lightning::nodes::list_trusted_nodes", json!({}))
        .await;
    assert_eq!(trusted["trusted_nodes"], json!([a.node_id()]));
    let ac = a
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": c.node_address(), "amount": {"type": "Exact", "value": 0.0015} }),
        )
        .await;
    let ac_uuid = ac["uuid"].as_str().unwrap().to_string();
    wait_until("the zero-conf channel is usable at once", WAIT, || async {
        usable(&a, &ac_uuid).await
    })
    .await;
    let removed = c
        .ok(
            "lightning::nodes::remove_trusted_node",
            json!({ "node_id": a.node_id() }),
        )
        .await;
    assert_eq!(removed["removed_node"], a.node_id());
    assert_eq!(
        c.ok("lightning::nodes::list_trusted_nodes", json!({}))
            .await["trusted_nodes"],
        json!([])
    );

    let info = a.ok("lightning::nodes::get_info", json!({})).await;
    assert_eq!(info["node_id"], a.node_id());
    assert_eq!(info["network"], "regtest");
    assert_eq!(info["peers_count"], 2);
    assert_eq!(info["channels"]["usable"], 2);

    // Cooperative close of A->C: the history gets the closing transaction, funds come back.
    let before_close = a.spendable_sats().await;
    let closing = a
        .ok(
            "lightning::channels::close_channel",
            json!({ "uuid": ac_uuid }),
        )
        .await;
    assert_eq!(
        closing,
        format!("Initiated closing of channel with uuid: {ac_uuid}")
    );
    let again = a
        .error(
            "lightning::channels::close_channel",
            json!({ "uuid": ac_uuid }),
            "ChannelAlreadyClosing",
            409,
        )
        .await;
    assert_eq!(again["error_data"], ac_uuid);
    mine_until(
        &chain,
        "A's closed channel has its closing transaction",
        WAIT,
        || async {
            a.closed_channel(&ac_uuid)
                .await
                .is_some_and(|c| c["closing_tx"].is_string())
        },
    )
    .await;
    let closed = a.closed_channel(&ac_uuid).await.unwrap();
    assert_eq!(closed["funding_value"], AC_SAT);
    assert_eq!(closed["is_outbound"], true);
    assert_eq!(closed["counterparty_node_id"], c.node_id());
    assert!(
        closed["closure_reason"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("cooperative"),
        "{closed}"
    );
    let details = a
        .ok(
            "lightning::channels::get_channel_details",
            json!({ "uuid": ac_uuid }),
        )
        .await;
    assert_eq!(details["status"], "Closed");
    let filtered = a
        .ok(
            "lightning::channels::list_closed_channels_by_filter",
            json!({ "filter": {"closing_tx": closed["closing_tx"], "channel_type": "Outbound"} }),
        )
        .await;
    assert_eq!(filtered["total"], 1);
    let none = a
        .ok(
            "lightning::channels::list_closed_channels_by_filter",
            json!({ "filter": {"channel_type": "Inbound"} }),
        )
        .await;
    assert_eq!(none["total"], 0);
    mine_until(
        &chain,
        "A's channel balance is back in its wallet",
        WAIT,
        || async { a.spendable_sats().await > before_close + AC_SAT - 10_000 },
    )
    .await;

    // Restart A with the same data directory: channel, peer and balance survive.
    let a_balance_before = a.open_channel(&ab_uuid).await.unwrap()["balance_msat"].clone();
    let onchain_before = a.spendable_sats().await;
    let a = a.restart(&chain).await;
    wait_until("A->B is usable again after the restart", WAIT, || async {
        usable(&a, &ab_uuid).await
    })
    .await;
    assert_eq!(
        a.open_channel(&ab_uuid).await.unwrap()["balance_msat"],
        a_balance_before
    );
    assert_eq!(a.spendable_sats().await, onchain_before);
    let info = a.ok("lightning::nodes::get_info", json!({})).await;
    assert!(info["peers_count"].as_u64().unwrap() >= 1, "{info}");
    assert!(
        a.closed_channel(&ac_uuid).await.is_some(),
        "history survives"
    );

    for d in [a, b, c] {
        d.app.shutdown().await.expect("clean shutdown");
    }
}
