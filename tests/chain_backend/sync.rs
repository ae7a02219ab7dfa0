//! Start-up sync, following the tip, reorgs, and riding out a chain restart.

use std::sync::Arc;

use lightning::chain::BestBlock;
use mmln::chain::ChainBackend;
use tokio::sync::watch;

use crate::support::*;

#[tokio::test]
async fn syncs_each_listener_from_its_own_block_then_follows_new_blocks() {
    let chain = start_chain(None, None).await;
    let rpc = rpc_for(&chain);
    let wallet = TestWallet::new(1);
    rpc.mine(210, &wallet.address).await;

    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let from_genesis = Arc::new(Recorder::default());
    let from_100 = Arc::new(Recorder::default());
    let genesis = BestBlock::new(rpc.block_hash(0).await, 0);
    let block_100 = BestBlock::new(rpc.block_hash(100).await, 100);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = backend
        .start(
            vec![
                (genesis.block_hash, from_genesis.clone()),
                (block_100.block_hash, from_100.clone()),
            ],
            shutdown_rx,
        )
        .await
        .unwrap();

    // `start` returns after the initial sync: every block, in order, already delivered.
    let expected: Vec<Seen> = {
        let mut all = Vec::new();
        for height in 1..=210 {
            all.push(Seen::Connected {
                height,
                hash: rpc.block_hash(height).await,
            });
        }
        all
    };
    assert_eq!(from_genesis.seen(), expected);
    assert_eq!(from_100.seen(), expected[100..].to_vec());
    assert_eq!(backend.cached_tip(), rpc.tip().await);
    assert_eq!(backend.best_block().await.unwrap(), rpc.tip().await);

    // New blocks reach every listener, one by one.
    let mined = rpc.mine(3, &wallet.address).await;
    let tip = rpc.tip().await;
    wait_for_tip(&from_genesis, genesis, tip).await;
    wait_for_tip(&from_100, block_100, tip).await;
    let tail: Vec<Seen> = mined
        .iter()
        .zip(211..)
        .map(|(hash, height)| Seen::Connected {
            height,
            hash: *hash,
        })
        .collect();
    assert_eq!(from_genesis.seen()[210..], tail[..]);
    assert_eq!(from_100.seen()[110..], tail[..]);
    wait_for("the cached tip to follow", FOLLOW_TIMEOUT, || async {
        (backend.cached_tip() == tip).then_some(())
    })
    .await;

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_three_block_reorg_disconnects_to_the_fork_point_then_connects_the_new_branch() {
    let chain = start_chain(None, None).await;
    let rpc = rpc_for(&chain);
    let miner = TestWallet::new(2);
    rpc.mine(110, &miner.address).await;
    let start = rpc.tip().await;

    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = backend
        .start(vec![(start.block_hash, recorder.clone())], shutdown_rx)
        .await
        .unwrap();
    assert!(recorder.seen().is_empty(), "listener started at the tip");

    let old_branch = rpc.mine(5, &miner.address).await;
    wait_for_tip(&recorder, start, rpc.tip().await).await;

    // Drop the last three blocks (113..=115) and mine a longer branch from 112.
    let fork = BestBlock::new(old_branch[1], 112);
    rpc.call(
        "invalidateblock",
        serde_json::json!([old_branch[2].to_string()]),
    )
    .await;
    assert_eq!(rpc.tip().await, fork);
    let other = TestWallet::new(3);
    let new_branch = rpc.mine(4, &other.address).await;
    wait_for_tip(&recorder, start, rpc.tip().await).await;

    let mut expected: Vec<Seen> = old_branch
        .iter()
        .zip(111..)
        .map(|(hash, height)| Seen::Connected {
            height,
            hash: *hash,
        })
        .collect();
    expected.push(Seen::Disconnected {
        fork_height: 112,
        fork_hash: fork.block_hash,
    });
    expected.extend(
        new_branch
            .iter()
            .zip(113..)
            .map(|(hash, height)| Seen::Connected {
                height,
                hash: *hash,
            }),
    );
    assert_eq!(recorder.seen(), expected);

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn rides_out_the_chain_stopping_and_starting_again() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let dir = tempfile::tempdir().unwrap();
    let chain = start_chain(Some(dir.path()), None).await;
    let rpc = rpc_for(&chain);
    let miner = TestWallet::new(4);
    rpc.mine(105, &miner.address).await;
    let start = rpc.tip().await;

    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = backend
        .start(vec![(start.block_hash, recorder.clone())], shutdown_rx)
        .await
        .unwrap();

    let config = chain.config().clone();
    chain.shutdown().await.unwrap();

    // The poller notices; the outage is logged once, however many polls fail.
    wait_for("the outage to be logged", FOLLOW_TIMEOUT, || async {
        logs.text()
            .contains("lost the connection to bitcoind")
            .then_some(())
    })
    .await;
    let error = backend.best_block().await.unwrap_err();
    assert!(
        matches!(error, mmln::chain::ChainError::Unreachable { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains(&config_for_url(&config)),
        "{error}"
    );
    // Let several polls fail before coming back.
    tokio::time::sleep(POLL_INTERVAL * 5).await;

    let chain = mmln::regtest::RegtestServer::start(config).await.unwrap();
    let rpc = rpc_for(&chain);
    let mined = rpc.mine(3, &miner.address).await;
    let tip = rpc.tip().await;
    wait_for_tip(&recorder, start, tip).await;
    assert_eq!(recorder.seen().len(), 3);
    assert_eq!(recorder.tip(start).block_hash, mined[2]);

    let text = logs.text();
    assert_eq!(
        text.matches("lost the connection to bitcoind").count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.matches("connection to bitcoind restored").count(),
        1,
        "{text}"
    );

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}

fn config_for_url(config: &mmln::regtest::RegtestConfig) -> String {
    format!("http://{}", config.bind)
}
