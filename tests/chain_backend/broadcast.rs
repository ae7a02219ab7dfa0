//! Broadcasting: valid transactions reach the mempool, rejections are logged (and given up on),
//! and a transaction the chain lost is sent again on the next block.

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, Txid};
use lightning::chain::chaininterface::BroadcasterInterface;
use mmln::chain::{ChainBackend, FORGET_AFTER_CONFIRMATIONS};
use tokio::sync::watch;

use crate::support::*;

/// Mines 101 blocks to `wallet` and returns the (now mature) coinbase output of block 1.
async fn mature_coin(rpc: &Rpc, wallet: &TestWallet) -> (OutPoint, Amount) {
    let hashes = rpc.mine(101, &wallet.address).await;
    let block = rpc.block(hashes[0]).await;
    TestWallet::coinbase_output(&block, &wallet.address)
}

async fn started(
    backend: &Arc<ChainBackend>,
    rpc: &Rpc,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (shutdown, shutdown_rx) = watch::channel(false);
    let tip = rpc.tip().await;
    let recorder: Arc<Recorder> = Arc::new(Recorder::default());
    let task = backend
        .start(vec![(tip.block_hash, recorder)], shutdown_rx)
        .await
        .unwrap();
    (shutdown, task)
}

#[tokio::test]
async fn a_valid_transaction_reaches_the_mempool_and_is_forgotten_once_buried() {
    let chain = start_chain(None, None).await;
    let rpc = rpc_for(&chain);
    let wallet = TestWallet::new(10);
    let (coin, value) = mature_coin(&rpc, &wallet).await;
    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let (shutdown, task) = started(&backend, &rpc).await;

    let tx = wallet.spend(coin, value);
    let txid = tx.compute_txid();
    backend.broadcast_transactions(&[&tx]);
    wait_for("the transaction in the mempool", FOLLOW_TIMEOUT, || async {
        (rpc.confirmations(txid).await == Some(0)).then_some(())
    })
    .await;
    assert_eq!(backend.tracked_broadcasts(), vec![txid]);

    // Kept while a reorg could still unconfirm it; forgotten once buried.
    rpc.mine(FORGET_AFTER_CONFIRMATIONS - 1, &wallet.address)
        .await;
    assert_eq!(
        rpc.confirmations(txid).await,
        Some(u64::from(FORGET_AFTER_CONFIRMATIONS - 1))
    );
    let tip = rpc.tip().await;
    wait_for("the backend to see the tip", FOLLOW_TIMEOUT, || async {
        (backend.cached_tip() == tip).then_some(())
    })
    .await;
    assert_eq!(backend.tracked_broadcasts(), vec![txid]);
    rpc.mine(1, &wallet.address).await;
    wait_for(
        "the buried transaction to be forgotten",
        FOLLOW_TIMEOUT,
        || async { backend.tracked_broadcasts().is_empty().then_some(()) },
    )
    .await;

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_rejected_transaction_is_logged_then_given_up_on() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let chain = start_chain(None, None).await;
    let rpc = rpc_for(&chain);
    let wallet = TestWallet::new(11);
    rpc.mine(1, &wallet.address).await;
    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let (shutdown, task) = started(&backend, &rpc).await;

    // Spends an output that never existed.
    let missing = OutPoint::new(Txid::from_byte_array([7; 32]), 0);
    let tx = wallet.spend(missing, Amount::from_sat(100_000));
    backend.broadcast_transactions(&[&tx]);
    wait_for("the rejection to be logged", FOLLOW_TIMEOUT, || async {
        logs.text()
            .contains("bitcoind rejected our transaction")
            .then_some(())
    })
    .await;
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("bitcoind rejected our transaction"))
        .unwrap();
    assert!(line.contains(&tx.compute_txid().to_string()), "{line}");
    assert!(line.contains("code=-25"), "Core's code is logged: {line}");
    assert!(
        line.contains("missingorspent"),
        "Core's reason is logged: {line}"
    );

    // Each new block retries; after the last allowed rejection it is dropped.
    wait_for(
        "the rejected transaction to be given up",
        FOLLOW_TIMEOUT,
        || async {
            if backend.tracked_broadcasts().is_empty() {
                return Some(());
            }
            rpc.mine(1, &wallet.address).await;
            None
        },
    )
    .await;
    assert!(logs.text().contains("giving up re-broadcasting"));
    assert!(rpc.confirmations(tx.compute_txid()).await.is_none());

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_transaction_the_chain_lost_is_broadcast_again_on_the_next_block() {
    let dir = tempfile::tempdir().unwrap();
    let chain = start_chain(Some(dir.path()), None).await;
    let rpc = rpc_for(&chain);
    let wallet = TestWallet::new(12);
    let (coin, value) = mature_coin(&rpc, &wallet).await;
    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let (shutdown, task) = started(&backend, &rpc).await;

    let tx = wallet.spend(coin, value);
    let txid = tx.compute_txid();
    backend.broadcast_transactions(&[&tx]);
    wait_for("the transaction in the mempool", FOLLOW_TIMEOUT, || async {
        (rpc.confirmations(txid).await == Some(0)).then_some(())
    })
    .await;

    // The chain restarts without its mempool (as Core with -persistmempool=0).
    let config = chain.config().clone();
    chain.shutdown().await.unwrap();
    let snapshot = dir.path().join("mempool.dat");
    if snapshot.exists() {
        std::fs::remove_file(&snapshot).unwrap();
    }
    let chain = mmln::regtest::RegtestServer::start(config).await.unwrap();
    let rpc = rpc_for(&chain);
    assert_eq!(rpc.confirmations(txid).await, None, "the chain lost it");

    // The next block makes the backend send it again.
    rpc.mine(1, &wallet.address).await;
    wait_for(
        "the transaction back in the mempool",
        FOLLOW_TIMEOUT,
        || async { (rpc.confirmations(txid).await == Some(0)).then_some(()) },
    )
    .await;
    rpc.mine(1, &wallet.address).await;
    assert_eq!(rpc.confirmations(txid).await, Some(1));

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}
