//! `Node::stop` does its whole shutdown even when a thread panicked holding the task lock.

use std::sync::Arc;
use std::time::Duration;

use crate::chain::{ChainConfig, RpcAuth};
use crate::regtest::{RegtestConfig, RegtestServer};

use super::{lock_unpoisoned, AutoClaimSink, Node, NodeConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_joins_every_task_even_with_a_poisoned_task_lock() {
    let chain = RegtestServer::start(RegtestConfig {
        fee_rate_sat_per_vb: Some(2.0),
        ..RegtestConfig::ephemeral()
    })
    .await
    .expect("regtest chain");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = NodeConfig::new(
        dir.path().to_path_buf(),
        bitcoin::Network::Regtest,
        "127.0.0.1:0".parse().expect("addr"),
        ChainConfig {
            url: chain.url(),
            auth: RpcAuth::UserPass {
                user: chain.user().to_string(),
                password: chain.password().to_string(),
            },
            network: bitcoin::Network::Regtest,
            poll_interval: Duration::from_millis(100),
            fallback_fee_rate_sat_per_kw: 500,
        },
    );
    let node = Node::start(config, Arc::new(AutoClaimSink))
        .await
        .expect("node starts");

    let poisoner = Arc::clone(&node);
    let panicked = std::thread::spawn(move || {
        let _held = poisoner.tasks.lock();
        panic!("poisoning the task lock on purpose");
    })
    .join();
    assert!(panicked.is_err());
    assert!(node.tasks.is_poisoned());

    tokio::time::timeout(Duration::from_secs(60), node.stop())
        .await
        .expect("stop finishes");
    let tasks = lock_unpoisoned(&node.tasks);
    assert!(
        tasks.is_none(),
        "stop took the task handles and joined them (background processor's final persist)"
    );
}
