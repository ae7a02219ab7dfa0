//! A chain on a data directory survives restarts: height, tip, UTXOs, invalidated blocks and
//! the mempool; restarts come back on the same port with the same credentials.

use bitcoin::{Amount, OutPoint};
use corepc_types::v29;
use mmln::regtest::{RegtestConfig, RegtestServer};
use serde_json::{json, Value};

use super::common::{start_chain_with, Rpc};

#[tokio::test]
async fn restart_on_the_same_data_dir_keeps_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let config = RegtestConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..RegtestConfig::ephemeral()
    };
    let (chain, rpc, key) = start_chain_with(config.clone()).await;
    rpc.mine(103, &key.address).await;
    let coin = rpc.coinbase_at(1).await;
    let tx = key.pay_self(
        coin,
        Amount::from_btc(5.0).unwrap(),
        Amount::from_sat(1_000),
    );
    rpc.send(&tx).await;
    let stale: Vec<String> = rpc
        .call("generatetoaddress", json!([1, key.address.to_string()]))
        .await;
    rpc.call::<Value>("invalidateblock", json!([stale[0]]))
        .await;
    let pending = key.pay_self(
        rpc.coinbase_at(2).await,
        Amount::from_btc(1.0).unwrap(),
        Amount::from_sat(1_000),
    );
    rpc.send(&pending).await;
    let tip: String = rpc.call("getbestblockhash", json!([])).await;
    let addr = chain.local_addr();

    let chain = chain.restart().await.expect("restart");
    assert_eq!(chain.local_addr(), addr, "same port after restart");
    let rpc = Rpc::new(&chain);
    assert_eq!(rpc.height().await, 103);
    let after: String = rpc.call("getbestblockhash", json!([])).await;
    assert_eq!(after, tip);
    let stale_header: v29::GetBlockHeaderVerbose =
        rpc.call("getblockheader", json!([stale[0]])).await;
    assert_eq!(stale_header.confirmations, -1, "the invalidation survived");
    let mut mempool = rpc.mempool().await;
    mempool.sort();
    let mut expected = vec![
        tx.compute_txid().to_string(),
        pending.compute_txid().to_string(),
    ];
    expected.sort();
    assert_eq!(mempool, expected, "the mempool is saved at shutdown");
    let coin_again: v29::GetTxOut = rpc
        .call(
            "gettxout",
            json!([rpc.coinbase_at(3).await.0.txid.to_string(), 0]),
        )
        .await;
    assert_eq!(coin_again.confirmations, 101);

    // Mining continues on the reloaded chain and confirms the reloaded mempool.
    rpc.mine(1, &key.address).await;
    assert!(rpc.mempool().await.is_empty());
    let tx_out = OutPoint {
        txid: tx.compute_txid(),
        vout: 0,
    };
    let confirmed: v29::GetTxOut = rpc
        .call("gettxout", json!([tx_out.txid.to_string(), 0]))
        .await;
    assert_eq!(confirmed.confirmations, 1);
    chain.shutdown().await.expect("shutdown");

    // A fresh process on the same directory (new port, new password) sees the same chain.
    let config = RegtestConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..RegtestConfig::ephemeral()
    };
    let chain = RegtestServer::start(config).await.expect("start again");
    let rpc = Rpc::new(&chain);
    assert_eq!(rpc.height().await, 104);
    chain.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn in_memory_restart_keeps_state_port_and_credentials() {
    let (chain, rpc, key) = start_chain_with(RegtestConfig::ephemeral()).await;
    rpc.mine(7, &key.address).await;
    let (addr, password) = (chain.local_addr(), chain.password().to_string());
    let chain = chain.restart().await.expect("restart");
    assert_eq!(
        (chain.local_addr(), chain.password()),
        (addr, password.as_str())
    );
    // The old client (same URL and credentials) keeps working.
    assert_eq!(rpc.height().await, 7);
    chain.shutdown().await.expect("shutdown");
}
