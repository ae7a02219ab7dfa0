//! Channel lifecycle: open, restart, cooperative and forced close, zero-conf, payments.

use std::sync::Arc;

use crate::common::{
    connect, fund, mine_until_sync, node_config, peer_channel_usable, start_node, usable,
    wait_until, Chain, CHANNEL_SAT, WAIT,
};
use lightning::ln::channelmanager::{
    Bolt11InvoiceParameters, PaymentId, RecipientOnionFields, Retry,
};
use lightning::routing::router::{PaymentParameters, RouteParameters, RouteParametersConfig};
use mmln::node::{ChannelAmount, ChannelConfigUpdate, ChannelError, OpenChannelOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_restart_and_cooperatively_close_a_channel() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let config_a = node_config(&chain, dir_a.path());
    let a = start_node(config_a.clone()).await;
    let b = start_node(node_config(&chain, dir_b.path())).await;
    fund(&chain, &a, 1).await;
    let funded = a.node.wallet_balance().spendable_sat;
    assert_eq!(funded, 50 * 100_000_000, "one regtest coinbase");

    connect(&a, &b).await;
    let uuid = a
        .node
        .open_channel(
            b.node.node_id(),
            ChannelAmount::Sats(CHANNEL_SAT),
            0,
            OpenChannelOptions {
                public: true,
                ..Default::default()
            },
        )
        .expect("open");
    wait_until(
        "the funding transaction is in the mempool",
        WAIT,
        || async { chain.mempool_len().await > 0 },
    )
    .await;
    mine_until_sync(&chain, "the channel is usable on both sides", WAIT, || {
        usable(&a, uuid) && peer_channel_usable(&b, a.node.node_id())
    })
    .await;

    // Public: after 6 confirmations it is announced, and each side's gossip verifier checks
    // the funding output against the chain before adding it to the graph.
    chain.mine(6).await;
    wait_until("the announced channel is in both graphs", WAIT, || async {
        a.node.network_graph().read_only().channels().len() == 1
            && b.node.network_graph().read_only().channels().len() == 1
    })
    .await;
    let channel = a.node.channel(uuid).expect("channel listed");
    assert!(channel.is_public);
    assert_eq!(channel.capacity_sat, CHANNEL_SAT);
    assert!(channel.is_outbound);
    assert!(
        channel.outbound_capacity_msat > 900_000_000,
        "most of the channel is ours: {channel:?}"
    );
    let b_side = b
        .node
        .list_channels()
        .into_iter()
        .find(|c| c.counterparty == a.node.node_id())
        .expect("B lists it");
    assert!(!b_side.is_outbound);
    assert_eq!(b_side.outbound_capacity_msat, 0, "nothing was pushed");
    let after_open = a.node.wallet_balance();
    assert!(
        after_open.spendable_sat < funded - CHANNEL_SAT,
        "funding and fee left the wallet: {after_open:?}"
    );

    // Restart A on the same data dir: the channel survives and becomes usable again once the
    // reconnect task has redialled B.
    a.node.stop().await;
    drop(a);
    let a = start_node(config_a).await;
    assert!(
        a.node.list_channels().iter().any(|c| c.uuid == uuid),
        "channel restored after restart"
    );
    wait_until("the restored channel is usable again", WAIT, || async {
        usable(&a, uuid)
    })
    .await;

    // Cooperative close: the funds come back to A's wallet once the closing tx confirms.
    a.node.close_channel(uuid, false).expect("close");
    match a.node.close_channel(uuid, false) {
        Err(ChannelError::AlreadyClosing(id)) => assert_eq!(id, uuid),
        Ok(()) => panic!("second close accepted"),
        Err(other) => panic!("second close: unexpected error {other}"),
    }
    wait_until("the channel is gone from A's list", WAIT, || async {
        a.node.channel(uuid).is_none()
    })
    .await;
    let before_close = a.node.wallet_balance().spendable_sat;
    mine_until_sync(&chain, "the closing funds are in A's wallet", WAIT, || {
        a.node.wallet_balance().confirmed_sat > before_close + CHANNEL_SAT - 10_000
    })
    .await;

    a.node.stop().await;
    b.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_conf_channel_from_a_trusted_node() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_c = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    let c = start_node(node_config(&chain, dir_c.path())).await;
    fund(&chain, &a, 1).await;
    assert!(c.node.add_trusted_node(a.node.node_id()).expect("trust"));
    assert_eq!(c.node.list_trusted_nodes(), vec![a.node.node_id()]);

    connect(&a, &c).await;
    let uuid = a
        .node
        .open_channel(
            c.node.node_id(),
            ChannelAmount::Sats(CHANNEL_SAT),
            10_000_000,
            OpenChannelOptions::default(),
        )
        .expect("open");
    // No blocks are mined: C trusts A, so the channel is usable at zero confirmations.
    wait_until("the zero-conf channel is usable", WAIT, || async {
        usable(&a, uuid) && peer_channel_usable(&c, a.node.node_id())
    })
    .await;
    let c_side = c
        .node
        .list_channels()
        .into_iter()
        .find(|ch| ch.counterparty == a.node.node_id())
        .expect("C lists it");
    assert_eq!(c_side.confirmations, Some(0));
    assert!(
        c_side.balance_msat >= 10_000_000,
        "the push arrived: {c_side:?}"
    );

    // Forwarding policy updates apply to the live channel.
    c.node
        .update_channel_config(
            c_side.uuid,
            ChannelConfigUpdate {
                forwarding_fee_base_msat: Some(1234),
                ..Default::default()
            },
        )
        .expect("update config");
    let updated = c.node.channel(c_side.uuid).expect("listed");
    assert_eq!(updated.forwarding_fee_base_msat, Some(1234));
    let err = c
        .node
        .update_channel_config(uuid::Uuid::new_v4(), ChannelConfigUpdate::default())
        .unwrap_err();
    assert!(matches!(err, ChannelError::UnknownChannel(_)), "{err}");

    // Payments over it, claimed by the test sink: a keysend and a BOLT11 invoice.
    let before = c_side.balance_msat;
    let route = RouteParameters::from_payment_params_and_value(
        PaymentParameters::for_keysend(c.node.node_id(), 40, false),
        50_000_000,
    );
    a.node
        .channel_manager()
        .send_spontaneous_payment(
            None,
            RecipientOnionFields::spontaneous_empty(),
            PaymentId([1; 32]),
            route,
            Retry::Attempts(3),
        )
        .expect("keysend");
    let invoice = c
        .node
        .channel_manager()
        .create_bolt11_invoice(Bolt11InvoiceParameters {
            amount_msats: Some(20_000_000),
            ..Default::default()
        })
        .expect("invoice");
    a.node
        .channel_manager()
        .pay_for_bolt11_invoice(
            &invoice,
            PaymentId([2; 32]),
            None,
            RouteParametersConfig::default(),
            Retry::Attempts(3),
        )
        .expect("pay invoice");
    wait_until("both payments reach C", WAIT, || async {
        c.node
            .list_channels()
            .iter()
            .any(|ch| ch.uuid == c_side.uuid && ch.balance_msat == before + 70_000_000)
    })
    .await;

    a.node.stop().await;
    c.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_close_sweeps_both_sides_back_to_the_wallets() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    let b = start_node(node_config(&chain, dir_b.path())).await;
    fund(&chain, &a, 1).await;
    connect(&a, &b).await;
    let push_msat = 100_000_000;
    let uuid = a
        .node
        .open_channel(
            b.node.node_id(),
            ChannelAmount::Sats(CHANNEL_SAT),
            push_msat,
            OpenChannelOptions::default(),
        )
        .expect("open");
    mine_until_sync(&chain, "the channel is usable", WAIT, || usable(&a, uuid)).await;
    let a_before = a.node.wallet_balance().confirmed_sat;

    a.node.close_channel(uuid, true).expect("force close");
    wait_until("the commitment transaction is broadcast", WAIT, || async {
        chain.mempool_len().await > 0
    })
    .await;
    chain.mine(1).await;
    wait_until(
        "A reports its delayed balance as claimable",
        WAIT,
        || async { !a.node.claimable_balances().is_empty() },
    )
    .await;
    // B's output is spendable right away (after LDK's reorg safety depth); A's waits for the
    // to_self_delay B asked for (144 blocks by default).
    let bn = Arc::clone(&b.node);
    mine_until_sync(
        &chain,
        "B's pushed balance is swept into its wallet",
        WAIT,
        move || bn.wallet_balance().confirmed_sat > push_msat / 1000 - 5_000,
    )
    .await;
    chain.mine(144).await;
    let an = Arc::clone(&a.node);
    mine_until_sync(
        &chain,
        "A's delayed balance is swept into its wallet",
        WAIT,
        move || {
            an.wallet_balance().confirmed_sat > a_before + CHANNEL_SAT - push_msat / 1000 - 20_000
        },
    )
    .await;

    a.node.stop().await;
    b.node.stop().await;
}

/// A cooperative close pays a wallet address that LDK also reports as a spendable output. The
/// sweeper must leave it to the wallet: it cannot sign for it, and a sweep batching it with a
/// later force-close output would never be signed, stranding that balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooperative_close_does_not_block_a_later_force_close_sweep() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    let b = start_node(node_config(&chain, dir_b.path())).await;
    fund(&chain, &a, 1).await;
    connect(&a, &b).await;
    let open = |a: &crate::common::TestNode| {
        a.node
            .open_channel(
                b.node.node_id(),
                ChannelAmount::Sats(CHANNEL_SAT),
                0,
                OpenChannelOptions::default(),
            )
            .expect("open")
    };
    let first = open(&a);
    mine_until_sync(&chain, "the first channel is usable", WAIT, || {
        usable(&a, first)
    })
    .await;
    let second = open(&a);
    mine_until_sync(&chain, "the second channel is usable", WAIT, || {
        usable(&a, second)
    })
    .await;

    // Close the first cooperatively and bury the closing transaction past LDK's reorg depth,
    // so its output is handed out as spendable.
    a.node
        .close_channel(first, false)
        .expect("cooperative close");
    wait_until("the first channel is gone", WAIT, || async {
        a.node.channel(first).is_none()
    })
    .await;
    let before_close = a.node.wallet_balance().confirmed_sat;
    mine_until_sync(&chain, "the closing funds are in A's wallet", WAIT, || {
        a.node.wallet_balance().confirmed_sat > before_close + CHANNEL_SAT - 10_000
    })
    .await;
    chain.mine(6).await;

    // Force-close the second: A's delayed balance must still be swept into its wallet.
    let a_before = a.node.wallet_balance().confirmed_sat;
    a.node.close_channel(second, true).expect("force close");
    wait_until("the commitment transaction is broadcast", WAIT, || async {
        chain.mempool_len().await > 0
    })
    .await;
    chain.mine(145).await;
    let an = Arc::clone(&a.node);
    mine_until_sync(
        &chain,
        "A's delayed balance is swept into its wallet",
        WAIT,
        move || an.wallet_balance().confirmed_sat > a_before + CHANNEL_SAT - 20_000,
    )
    .await;
    assert!(
        a.node
            .sweeper()
            .tracked_spendable_outputs()
            .iter()
            .all(|o| !matches!(
                o.descriptor,
                lightning::sign::SpendableOutputDescriptor::StaticOutput { .. }
            )),
        "the sweeper tracks an output the wallet already owns"
    );

    a.node.stop().await;
    b.node.stop().await;
}
