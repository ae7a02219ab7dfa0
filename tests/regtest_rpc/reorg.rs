//! invalidateblock: transactions return to the mempool, invalidated blocks stay retrievable
//! with confirmations -1, and mining a longer branch makes it the best chain.

use bitcoin::{Amount, OutPoint};
use corepc_types::v29;
use serde_json::{json, Value};

use super::common::{funded_chain, out};

#[tokio::test]
async fn invalidate_returns_transactions_and_a_new_branch_wins() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    let tx = key.pay_self(
        coin,
        Amount::from_btc(3.0).unwrap(),
        Amount::from_sat(1_000),
    );
    let txid = rpc.send(&tx).await;
    let old = rpc.mine(2, &key.address).await;
    assert_eq!(rpc.height().await, 103);
    // A spend of the (immature) coinbase of the block to be invalidated would be dropped; a
    // spend of tx's output goes back to the mempool with it.
    let tx_out = (OutPoint { txid, vout: 0 }, tx.output[0].value);
    let child = key.spend(
        &[tx_out],
        vec![out(tx_out.1 - Amount::from_sat(1_000), &key)],
    );
    rpc.send(&child).await;

    let nothing: Value = rpc.call("invalidateblock", json!([old[0]])).await;
    assert!(nothing.is_null());
    assert_eq!(rpc.height().await, 101);
    let mut mempool = rpc.mempool().await;
    mempool.sort();
    let mut expected = vec![txid.to_string(), child.compute_txid().to_string()];
    expected.sort();
    assert_eq!(
        mempool, expected,
        "both transactions are back in the mempool"
    );

    let stale: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([old[0]])).await;
    assert_eq!(stale.confirmations, -1);
    assert!(stale.next_block_hash.is_none());
    let stale_child: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([old[1]])).await;
    assert_eq!(stale_child.confirmations, -1);
    let stale_block: v29::GetBlockVerboseOne = rpc.call("getblock", json!([old[1]])).await;
    assert_eq!(stale_block.confirmations, -1);
    let spent_again: v29::GetTxOut = rpc
        .call("gettxout", json!([coin.0.txid.to_string(), 0, false]))
        .await;
    assert_eq!(
        spent_again.confirmations, 101,
        "the coin tx spent is unspent again on chain"
    );

    let new = rpc.mine(3, &key.address).await;
    assert_eq!(rpc.height().await, 104);
    let best: String = rpc.call("getbestblockhash", json!([])).await;
    assert_eq!(best, new[2]);
    assert_ne!(new[0], old[0]);
    let tip_101: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([new[0]])).await;
    assert_eq!(tip_101.height, 102);
    assert_eq!(tip_101.confirmations, 3);
    let block: v29::GetBlockVerboseOne = rpc.call("getblock", json!([new[0]])).await;
    assert!(
        block.tx.contains(&txid.to_string())
            && block.tx.contains(&child.compute_txid().to_string())
    );
    assert!(rpc.mempool().await.is_empty());
    let confirmed: v29::GetRawTransactionVerbose = rpc
        .call("getrawtransaction", json!([txid.to_string(), true]))
        .await;
    assert_eq!(confirmed.block_hash.as_deref(), Some(new[0].as_str()));
    let in_stale: v29::GetRawTransactionVerbose = rpc
        .call("getrawtransaction", json!([txid.to_string(), true, old[0]]))
        .await;
    assert_eq!(in_stale.in_active_chain, Some(false));
}

#[tokio::test]
async fn spends_of_a_disconnected_coinbase_are_dropped() {
    let (_chain, rpc, key) = funded_chain(0).await;
    // Block 2's coinbase is spendable in block 102; spend it, then invalidate block 101 so
    // the next block is 101, where it is immature again.
    let young = rpc.coinbase_at(2).await;
    let tx = key.pay_self(
        young,
        Amount::from_btc(1.0).unwrap(),
        Amount::from_sat(1_000),
    );
    rpc.send(&tx).await;
    let block_101: String = rpc.call("getblockhash", json!([101])).await;
    rpc.call::<Value>("invalidateblock", json!([block_101]))
        .await;
    assert!(
        rpc.mempool().await.is_empty(),
        "a spend of a now-immature coinbase leaves the mempool"
    );
    rpc.expect_error(
        "invalidateblock",
        json!([rpc_genesis()]),
        -1,
        "Genesis block cannot be invalidated",
    )
    .await;
}

fn rpc_genesis() -> String {
    bitcoin::constants::genesis_block(bitcoin::Network::Regtest)
        .block_hash()
        .to_string()
}

#[tokio::test]
async fn remining_an_empty_mempool_after_invalidate_builds_new_blocks() {
    let (_chain, rpc, key) = super::common::start_chain().await;
    let old = rpc.mine(2, &key.address).await;
    rpc.call::<Value>("invalidateblock", json!([old[0]])).await;
    // Same parent, same (empty) mempool, same payout, likely the same second: still new blocks.
    let new = rpc.mine(2, &key.address).await;
    assert_ne!(new[0], old[0]);
    let header: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([new[1]])).await;
    assert_eq!((header.height, header.confirmations), (2, 1));
    let stale: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([old[1]])).await;
    assert_eq!(stale.confirmations, -1);
}
