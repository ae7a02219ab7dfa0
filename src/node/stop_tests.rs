//! `Node::stop` does its whole shutdown even when a thread panicked holding the task lock, and
//! a flush whose ledger commit fails takes the node offline without writing the manager.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::chain::{ChainConfig, RpcAuth};
use crate::regtest::{RegtestConfig, RegtestHandle, RegtestServer};

use super::durable::CommitBarrier;
use super::events::{NodeEventSink, SinkFuture};
use super::types::{ChannelClosedRecord, ChannelManager};
use super::{lock_unpoisoned, AutoClaimSink, Node, NodeConfig};

async fn started_node(
    sink: Arc<dyn NodeEventSink>,
) -> (RegtestHandle, tempfile::TempDir, Arc<Node>) {
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
    let node = Node::start(config, sink).await.expect("node starts");
    (chain, dir, node)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_joins_every_task_even_with_a_poisoned_task_lock() {
    let (_chain, _dir, node) = started_node(Arc::new(AutoClaimSink)).await;

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

/// `AutoClaimSink` with a commit barrier that fails once told to.
struct FailingBarrierSink {
    fail: Arc<AtomicBool>,
}

struct SwitchedBarrier(Arc<AtomicBool>);

impl CommitBarrier for SwitchedBarrier {
    fn commit(&self) -> Result<(), String> {
        if self.0.load(Ordering::SeqCst) {
            Err("injected ledger commit failure".to_string())
        } else {
            Ok(())
        }
    }
}

impl NodeEventSink for FailingBarrierSink {
    fn payment_event<'a>(
        &'a self,
        event: lightning::events::Event,
        channel_manager: &'a Arc<ChannelManager>,
    ) -> SinkFuture<'a> {
        AutoClaimSink.payment_event(event, channel_manager)
    }

    fn channel_closed(&self, record: ChannelClosedRecord) -> SinkFuture<'_> {
        AutoClaimSink.channel_closed(record)
    }

    fn commit_barrier(&self) -> Option<Arc<dyn CommitBarrier>> {
        Some(Arc::new(SwitchedBarrier(Arc::clone(&self.fail))))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_ledger_commit_fails_the_flush_and_takes_the_node_offline() {
    let fail = Arc::new(AtomicBool::new(false));
    let sink = Arc::new(FailingBarrierSink {
        fail: Arc::clone(&fail),
    });
    let (_chain, _dir, node) = started_node(sink).await;
    let mut offline = node.shutdown.subscribe();
    assert!(
        !*offline.borrow(),
        "the node runs while its barrier commits"
    );

    fail.store(true, Ordering::SeqCst);
    let flushes = node.flush_stats().flushes;
    node.flusher.queue().request_manager_write();
    tokio::time::timeout(Duration::from_secs(30), offline.wait_for(|off| *off))
        .await
        .expect("the failed flush takes the node offline")
        .expect("shutdown watch");
    assert_eq!(
        node.flush_stats().flushes,
        flushes,
        "no ChannelManager was committed past the failed ledger commit"
    );
    tokio::time::timeout(Duration::from_secs(60), node.stop())
        .await
        .expect("stop finishes");
}

/// A handshake that completes after the node went offline (one already under way when the
/// flush failed) must not bring a peer back: the node's peer manager refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_node_refuses_a_handshake_that_completes_afterwards() {
    let (_chain_a, _dir_a, a) = started_node(Arc::new(FailingBarrierSink {
        fail: Arc::new(AtomicBool::new(true)),
    }))
    .await;
    let (_chain_b, _dir_b, b) = started_node(Arc::new(AutoClaimSink)).await;
    let mut offline = a.shutdown.subscribe();
    a.flusher.queue().request_manager_write();
    tokio::time::timeout(Duration::from_secs(30), offline.wait_for(|off| *off))
        .await
        .expect("the failed flush takes the node offline")
        .expect("shutdown watch");

    // Dial B from inside A's peer manager, past the connector's own refusal, as a connection
    // begun before the failure would be.
    let stream = std::net::TcpStream::connect(b.listening_addresses()[0]).expect("B listens");
    let b_id = b.node_id();
    let connection = tokio::spawn(lightning_net_tokio::setup_outbound(
        Arc::clone(&a.peer_manager),
        b_id,
        stream,
    ));
    tokio::time::timeout(Duration::from_secs(20), connection)
        .await
        .expect("the offline node drops the connection once the handshake is done")
        .expect("connection task");
    assert!(a.peer_manager.peer_by_node_id(&b_id).is_none());

    for node in [a, b] {
        tokio::time::timeout(Duration::from_secs(60), node.stop())
            .await
            .expect("stop finishes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_writes_the_scorer_and_a_last_manager_the_loop_kept_in_memory() {
    use lightning::util::persist::{
        CHANNEL_MANAGER_PERSISTENCE_KEY, CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
        CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE, SCORER_PERSISTENCE_KEY,
        SCORER_PERSISTENCE_PRIMARY_NAMESPACE, SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
    };
    use lightning::util::ser::Writeable;

    let (_chain, dir, node) = started_node(Arc::new(AutoClaimSink)).await;
    let scorer_key = crate::kvstore::KvKey::new(
        SCORER_PERSISTENCE_PRIMARY_NAMESPACE,
        SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
        SCORER_PERSISTENCE_KEY,
    );
    assert_eq!(
        node.store.kv().get(&scorer_key).expect("read"),
        None,
        "a new node writes its scorer on the loop's timer, not at start"
    );
    let flushes = node.flush_stats().flushes;
    tokio::time::timeout(Duration::from_secs(60), node.stop())
        .await
        .expect("stop finishes");
    assert!(
        node.flush_stats().flushes > flushes,
        "stop flushed a last ChannelManager"
    );
    let expected = node.scorer().read().expect("scorer").encode();
    drop(node);

    let store = crate::kvstore::KvStore::open(&dir.path().join(super::store::LDK_STORE_FILE))
        .expect("reopen the LDK store");
    assert_eq!(
        store.get(&scorer_key).expect("read"),
        Some(expected),
        "the scorer as the loop left it"
    );
    let manager = crate::kvstore::KvKey::new(
        CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
        CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
        CHANNEL_MANAGER_PERSISTENCE_KEY,
    );
    assert!(store.get(&manager).expect("read").is_some());
}
