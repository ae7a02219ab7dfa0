//! Start-up reconciliation of unconfirmed wallet transactions: coins reserved by a transaction
//! bitcoind never saw come back; a channel's funding transaction is sent again.

use std::sync::Arc;

use mmln::node::{ChannelAmount, OpenChannelOptions, SendAmount};

use crate::common::{
    burn_address, connect, fund, mine_until_sync, node_config, peer_channel_usable, start_node,
    usable, wait_until, Chain, CHANNEL_SAT, WAIT,
};

const COINBASE_SAT: u64 = 50 * 100_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reserved_send_bitcoind_never_saw_is_released_at_restart() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let config_a = node_config(&chain, dir_a.path());
    let a = start_node(config_a.clone()).await;
    fund(&chain, &a, 1).await;
    assert_eq!(a.node.wallet_balance().confirmed_sat, COINBASE_SAT);

    // Built (so its coin is reserved and persisted) but never broadcast: as if the node
    // crashed between building and sending.
    let abandoned = a
        .node
        .wallet()
        .build_send(&burn_address(), SendAmount::Sats(100_000_000), None)
        .expect("build");
    assert_eq!(
        a.node.wallet_balance().confirmed_sat,
        0,
        "the built transaction reserves the only coin"
    );
    a.node.stop().await;
    drop(a);

    let a = start_node(config_a).await;
    let balance = a.node.wallet_balance();
    assert_eq!(
        balance.confirmed_sat,
        COINBASE_SAT,
        "the coin reserved by {} is spendable again: {balance:?}",
        abandoned.compute_txid()
    );
    assert_eq!(balance.unconfirmed_sat, 0, "{balance:?}");
    assert_eq!(
        chain.mempool_len().await,
        0,
        "the abandoned send was not broadcast"
    );
    a.node
        .send_to_address(&burn_address(), SendAmount::Sats(100_000), None)
        .await
        .expect("the released coin pays");
    a.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_transaction_still_in_the_mempool_stays_reserved() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let config_a = node_config(&chain, dir_a.path());
    let a = start_node(config_a.clone()).await;
    fund(&chain, &a, 1).await;
    let txid = a
        .node
        .send_to_address(&burn_address(), SendAmount::Sats(100_000_000), None)
        .await
        .expect("send");
    a.node.stop().await;
    drop(a);

    let a = start_node(config_a).await;
    let balance = a.node.wallet_balance();
    assert_eq!(
        balance.confirmed_sat, 0,
        "{txid} is in the mempool: its coin stays spent: {balance:?}"
    );
    assert!(chain.mempool_txids().await.contains(&txid.to_string()));
    a.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_funding_lost_from_the_mempool_is_broadcast_again() {
    let chain_dir = tempfile::tempdir().unwrap();
    let chain = Chain::start_in(Some(chain_dir.path())).await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let config_a = node_config(&chain, dir_a.path());
    let a = start_node(config_a.clone()).await;
    let b = start_node(node_config(&chain, dir_b.path())).await;
    fund(&chain, &a, 1).await;
    connect(&a, &b).await;
    let uuid = a
        .node
        .open_channel(
            b.node.node_id(),
            ChannelAmount::Sats(CHANNEL_SAT),
            0,
            OpenChannelOptions::default(),
        )
        .expect("open");
    wait_until(
        "the funding transaction is in the mempool",
        WAIT,
        || async { chain.mempool_len().await > 0 },
    )
    .await;
    let funding = a
        .node
        .channel(uuid)
        .and_then(|c| c.funding_txo)
        .expect("funding outpoint")
        .txid;
    a.node.stop().await;
    drop(a);

    // bitcoind loses its mempool while A is down.
    let chain = chain.restart_without_mempool().await;
    assert_eq!(chain.mempool_len().await, 0);

    let a = start_node(config_a).await;
    wait_until(
        "A sends its channel's funding transaction again",
        WAIT,
        || async { chain.mempool_txids().await.contains(&funding.to_string()) },
    )
    .await;
    assert_eq!(
        a.node.wallet_balance().confirmed_sat,
        0,
        "the funding transaction keeps its coin"
    );
    let b_id = b.node.node_id();
    let (an, bn) = (Arc::clone(&a.node), Arc::clone(&b.node));
    mine_until_sync(&chain, "the channel is usable on both sides", WAIT, || {
        usable(&a, uuid) && peer_channel_usable(&b, an.node_id()) && bn.node_id() == b_id
    })
    .await;
    a.node.stop().await;
    b.node.stop().await;
}
