//! Every bad-input class answers a typed error with the right HTTP status, before LDK is asked.

use std::time::Duration;

use serde_json::json;

use crate::common::{wait_until, Chain, Daemon, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_typed_errors() {
    let chain = Chain::start().await;
    let dir = tempfile::tempdir().unwrap();
    let a = Daemon::start(&chain, dir.path().to_path_buf()).await;
    a.fund(&chain, 1).await;
    chain.mine(100).await;
    wait_until("A's coinbase matures", WAIT, || async {
        a.spendable_sats().await == 50 * 100_000_000
    })
    .await;
    let b_id = "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619";

    // Malformed node addresses.
    for bad in [
        "nonsense",
        "02ab@127.0.0.1:9735",
        &format!("{b_id}@127.0.0.1"),
    ] {
        a.error(
            "lightning::nodes::connect_to_node",
            json!({ "node_address": bad }),
            "InvalidNodeAddress",
            400,
        )
        .await;
    }
    // A host that does not resolve.
    a.error(
        "lightning::nodes::connect_to_node",
        json!({ "node_address": format!("{b_id}@no-such-host.invalid:9735") }),
        "ResolveFailed",
        400,
    )
    .await;
    // A peer that accepts TCP but never speaks: the handshake times out.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let err = a
        .error(
            "lightning::nodes::connect_to_node",
            json!({ "node_address": format!("{b_id}@{silent_addr}") }),
            "ConnectionTimedOut",
            408,
        )
        .await;
    assert!(
        err["error"].as_str().unwrap().contains("did not answer"),
        "{err}"
    );
    // Opening to that silent peer fails the same way, before any funds move.
    a.error(
        "lightning::channels::open_channel",
        json!({ "node_address": format!("{b_id}@{silent_addr}"),
                "amount": {"type": "Exact", "value": 0.001} }),
        "ConnectionTimedOut",
        408,
    )
    .await;
    holder.abort();

    // Unknown uuids.
    let unknown = "00000000-0000-4000-8000-000000000000";
    let err = a
        .error(
            "lightning::channels::get_channel_details",
            json!({ "uuid": unknown }),
            "NoSuchChannel",
            404,
        )
        .await;
    assert_eq!(err["error_data"], unknown);
    a.error(
        "lightning::channels::close_channel",
        json!({ "uuid": unknown }),
        "NoSuchChannel",
        404,
    )
    .await;
    a.error(
        "lightning::channels::update_channel",
        json!({ "uuid": unknown, "channel_options": {"base_fee_msat": 1} }),
        "NoSuchChannel",
        404,
    )
    .await;
    a.error(
        "lightning::channels::list_open_channels_by_filter",
        json!({ "paging_options": {"FromId": unknown} }),
        "NoSuchChannel",
        404,
    )
    .await;

    // Amounts: checked against the wallet and the minimum before LDK (a real, live peer).
    let dir_b = tempfile::tempdir().unwrap();
    let b = Daemon::start(&chain, dir_b.path().to_path_buf()).await;
    let err = a
        .error(
            "lightning::channels::open_channel",
            json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 60} }),
            "NotSufficientBalance",
            400,
        )
        .await;
    assert_eq!(err["error_data"]["needed_sats"], 6_000_000_000u64);
    a.error(
        "lightning::channels::open_channel",
        json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.0001} }),
        "InvalidAmount",
        400,
    )
    .await;
    a.error(
        "lightning::channels::open_channel",
        json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.000000001} }),
        "InvalidAmount",
        400,
    )
    .await;
    // Handshake settings out of range, or for the other direction, are refused before LDK.
    for configs in [
        json!({"counterparty_locktime": 10}),
        json!({"max_inbound_in_flight_htlc_percent": 0}),
        json!({"inbound_channels_confirmations": 3}),
    ] {
        a.error(
            "lightning::channels::open_channel",
            json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.001},
                    "channel_configs": configs }),
            "InvalidOption",
            400,
        )
        .await;
    }
    assert!(
        a.open_channels(json!({})).await.is_empty(),
        "no channel was opened by the refused calls"
    );

    // On-chain: another network's address, a garbage address, too much.
    let err = a
        .error(
            "lightning::wallet::send_to_address",
            json!({ "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                    "amount": {"type": "Exact", "value": 0.01} }),
            "WrongNetwork",
            400,
        )
        .await;
    assert_eq!(err["error_data"]["address_network"], "bitcoin");
    a.error(
        "lightning::wallet::send_to_address",
        json!({ "address": "not-an-address", "amount": {"type": "Max"} }),
        "InvalidAddress",
        400,
    )
    .await;
    a.error(
        "lightning::wallet::send_to_address",
        json!({ "address": b.ok("lightning::wallet::get_new_address", json!({})).await["address"],
                "amount": {"type": "Exact", "value": 51} }),
        "NotSufficientBalance",
        400,
    )
    .await;

    // Activation: unknown task, wrong ticker.
    a.rpc
        .expect_error(
            "task::enable_lightning::status",
            json!({ "task_id": 99 }),
            "NoSuchTask",
            404,
        )
        .await;
    a.rpc
        .expect_error(
            "task::enable_lightning::init",
            json!({ "ticker": "LTC", "activation_params": {"name": "x"} }),
            "NoSuchCoin",
            404,
        )
        .await;

    tokio::time::timeout(Duration::from_secs(30), async {
        a.app.shutdown().await.expect("A stops");
        b.app.shutdown().await.expect("B stops");
    })
    .await
    .expect("daemons stop in time");
}
