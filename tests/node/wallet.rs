//! The on-chain wallet following the chain.

use std::sync::Arc;

use crate::harness::{fund, node_config, start_node, wait_until, Chain, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_follows_a_reorg_that_removes_its_coins() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    fund(&chain, &a, 1).await;
    assert_eq!(a.node.wallet_balance().spendable_sat, 50 * 100_000_000);

    // Replace the block that paid A (and everything after it) with a longer chain.
    let tip = chain
        .rpc("getblockcount", serde_json::json!([]))
        .await
        .as_u64()
        .unwrap();
    let paid_at = tip - 100;
    let paid_block = chain
        .rpc("getblockhash", serde_json::json!([paid_at]))
        .await;
    chain
        .rpc("invalidateblock", serde_json::json!([paid_block]))
        .await;
    chain.mine(110).await;

    let an = Arc::clone(&a.node);
    wait_until(
        "the reorged-out coinbase leaves A's balance",
        WAIT,
        move || {
            let an = Arc::clone(&an);
            async move {
                let b = an.wallet_balance();
                b.confirmed_sat + b.immature_sat + b.unconfirmed_sat == 0
            }
        },
    )
    .await;
    a.node.stop().await;
}
