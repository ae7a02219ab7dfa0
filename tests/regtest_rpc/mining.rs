//! Mining: the mempool goes into the next block (parents first), fees go to the coinbase,
//! subsidies halve, timestamps move forward.

use bitcoin::{Amount, OutPoint};
use corepc_types::v29;
use mmln::regtest::block_subsidy;
use serde_json::json;

use super::common::{funded_chain, out, start_chain};

#[tokio::test]
async fn mempool_is_mined_in_dependency_order_with_fees_to_the_coinbase() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    let fee = Amount::from_sat(2_000);
    let parent = key.pay_self(coin, Amount::from_btc(10.0).unwrap(), fee);
    let parent_out = (
        OutPoint {
            txid: parent.compute_txid(),
            vout: 0,
        },
        parent.output[0].value,
    );
    let child = key.spend(&[parent_out], vec![out(parent_out.1 - fee, &key)]);
    let child_out = (
        OutPoint {
            txid: child.compute_txid(),
            vout: 0,
        },
        child.output[0].value,
    );
    let grandchild = key.spend(&[child_out], vec![out(child_out.1 - fee, &key)]);
    for tx in [&parent, &child, &grandchild] {
        rpc.send(tx).await;
    }
    let verbose: v29::GetRawMempoolVerbose = rpc.call("getrawmempool", json!([true])).await;
    let child_entry = &verbose.0[&child.compute_txid().to_string()];
    assert_eq!(child_entry.depends, vec![parent.compute_txid().to_string()]);
    assert_eq!(
        child_entry.spent_by,
        vec![grandchild.compute_txid().to_string()]
    );
    assert_eq!(
        (child_entry.ancestor_count, child_entry.descendant_count),
        (2, 2)
    );

    let mined = rpc.mine(1, &key.address).await;
    assert!(rpc.mempool().await.is_empty());
    let block: v29::GetBlockVerboseOne = rpc.call("getblock", json!([mined[0]])).await;
    let expected: Vec<String> = [&parent, &child, &grandchild]
        .iter()
        .map(|t| t.compute_txid().to_string())
        .collect();
    assert_eq!(block.tx[1..], expected[..]);

    let hex_block: String = rpc.call("getblock", json!([mined[0], 0])).await;
    let block: bitcoin::Block = bitcoin::consensus::encode::deserialize_hex(&hex_block).unwrap();
    assert_eq!(
        block.txdata[0].output[0].value,
        block_subsidy(102) + fee * 3
    );
    assert!(block.check_witness_commitment());
}

#[tokio::test]
async fn many_transactions_and_blocks() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    // Fan one coin out to 200 outputs, then spend each in its own transaction.
    let piece = Amount::from_sat(1_000_000);
    let fan_out = key.spend(
        &[coin],
        (0..200)
            .map(|_| out(piece, &key))
            .chain([out(coin.1 - piece * 200 - Amount::from_sat(20_000), &key)])
            .collect(),
    );
    rpc.send(&fan_out).await;
    for vout in 0..200u32 {
        let input = (
            OutPoint {
                txid: fan_out.compute_txid(),
                vout,
            },
            piece,
        );
        rpc.send(&key.spend(&[input], vec![out(piece - Amount::from_sat(500), &key)]))
            .await;
    }
    assert_eq!(rpc.mempool().await.len(), 201);
    rpc.mine(1, &key.address).await;
    assert!(rpc.mempool().await.is_empty());

    // A long run of blocks: heights, halvings and timestamps.
    let hashes = rpc.mine(400, &key.address).await;
    assert_eq!(rpc.height().await, 502);
    let last: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([hashes[399]])).await;
    let before: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([hashes[398]])).await;
    assert!(last.time > before.time, "block times increase");
    assert!(
        last.median_time < last.time,
        "median time past trails the tip"
    );
    let hash_450: String = rpc.call("getblockhash", json!([450])).await;
    let hex_450: String = rpc.call("getblock", json!([hash_450, 0])).await;
    let block_450: bitcoin::Block = bitcoin::consensus::encode::deserialize_hex(&hex_450).unwrap();
    assert_eq!(block_450.bip34_block_height().ok(), Some(450));
    let (_, reward) = rpc.coinbase_at(450).await;
    assert_eq!(
        reward,
        Amount::from_btc(50.0).unwrap() / 8,
        "three halvings by height 450"
    );
}

#[tokio::test]
async fn chain_info_tracks_the_tip() {
    let (chain, rpc, key) = start_chain().await;
    let before: v29::GetBlockchainInfo = rpc.call("getblockchaininfo", json!([])).await;
    assert!(
        before.initial_block_download,
        "a chain at genesis (2011) is in initial block download"
    );
    let mut mined = rpc.mine(3, &key.address).await;
    let in_process = chain
        .generate_to_address(2, &key.address)
        .await
        .expect("in-process mining");
    mined.extend(in_process.iter().map(ToString::to_string));
    let after: v29::GetBlockchainInfo = rpc.call("getblockchaininfo", json!([])).await;
    assert!(!after.initial_block_download);
    assert_eq!(after.blocks, 5);
    assert_eq!(after.best_block_hash, mined[4]);
    let model = after.into_model().expect("converts");
    let header: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([mined[4]])).await;
    assert_eq!(model.chain_work, header.into_model().unwrap().chain_work);
}
