//! A small harness for the node tests: an in-process regtest chain, nodes on temp dirs with
//! ephemeral P2P ports, mining over JSON-RPC, and bounded waits with clear failure messages.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mmln::chain::{ChainConfig, RpcAuth};
use mmln::node::{
    AutoClaimSink, ChannelClosedRecord, ChannelManager, Node, NodeConfig, NodeEventSink, SinkFuture,
};
use mmln::regtest::{RegtestConfig, RegtestHandle, RegtestServer};
use serde_json::{json, Value};

/// An address no test node owns, for mining blocks whose reward should go nowhere in particular.
pub fn burn_address() -> String {
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let key = bitcoin::secp256k1::SecretKey::from_slice(&[0x42; 32]).expect("key");
    let pk = bitcoin::CompressedPublicKey(key.public_key(&secp));
    bitcoin::Address::p2wpkh(&pk, bitcoin::Network::Regtest).to_string()
}

pub struct Chain {
    pub handle: RegtestHandle,
    http: reqwest::Client,
}

impl Chain {
    pub async fn start() -> Chain {
        Chain::start_in(None).await
    }

    /// A chain kept in `data_dir`, so it can be restarted from disk (see
    /// [`Chain::restart_without_mempool`]).
    pub async fn start_in(data_dir: Option<&Path>) -> Chain {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        // A fixed fee estimate keeps LDK's fee checks deterministic (Core would say "no data").
        let config = RegtestConfig {
            fee_rate_sat_per_vb: Some(2.0),
            data_dir: data_dir.map(Path::to_path_buf),
            ..RegtestConfig::ephemeral()
        };
        let handle = RegtestServer::start(config)
            .await
            .expect("regtest chain starts");
        Chain {
            handle,
            http: reqwest::Client::new(),
        }
    }

    /// Restarts a chain started with a data directory on the same port and credentials, with
    /// its blocks but an empty mempool (as a bitcoind whose mempool was lost).
    pub async fn restart_without_mempool(self) -> Chain {
        let config = self.handle.config().clone();
        let dir = config
            .data_dir
            .clone()
            .expect("only a chain with a data directory restarts from disk");
        self.handle.shutdown().await.expect("chain stops");
        let mempool = dir.join("mempool.dat");
        if mempool.exists() {
            std::fs::remove_file(&mempool).expect("mempool snapshot removed");
        }
        let handle = RegtestServer::start(config).await.expect("chain restarts");
        Chain {
            handle,
            http: self.http,
        }
    }

    pub async fn mempool_txids(&self) -> Vec<String> {
        self.rpc("getrawmempool", json!([]))
            .await
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn chain_config(&self) -> ChainConfig {
        ChainConfig {
            url: self.handle.url(),
            auth: RpcAuth::UserPass {
                user: self.handle.user().to_string(),
                password: self.handle.password().to_string(),
            },
            network: bitcoin::Network::Regtest,
            poll_interval: Duration::from_millis(100),
            fallback_fee_rate_sat_per_kw: 500,
        }
    }

    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "1.0", "id": "t", "method": method, "params": params});
        let resp: Value = self
            .http
            .post(self.handle.url())
            .basic_auth(self.handle.user(), Some(self.handle.password()))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method}: bad JSON: {e}"));
        assert!(
            resp["error"].is_null(),
            "{method} failed: {}",
            resp["error"]
        );
        resp["result"].clone()
    }

    pub async fn mine_to(&self, blocks: u32, address: &str) {
        self.rpc("generatetoaddress", json!([blocks, address]))
            .await;
    }

    pub async fn mine(&self, blocks: u32) {
        self.mine_to(blocks, &burn_address()).await;
    }

    pub async fn mempool_len(&self) -> usize {
        self.rpc("getrawmempool", json!([]))
            .await
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0)
    }
}

pub struct TestNode {
    pub node: Arc<Node>,
}

impl TestNode {
    pub fn addr(&self) -> SocketAddr {
        self.node.listening_addresses()[0]
    }
}

pub fn node_config(chain: &Chain, dir: &Path) -> NodeConfig {
    let mut config = NodeConfig::new(
        dir.to_path_buf(),
        bitcoin::Network::Regtest,
        "127.0.0.1:0".parse().expect("addr"),
        chain.chain_config(),
    );
    config.minimum_depth = 1;
    config
}

pub async fn start_node(config: NodeConfig) -> TestNode {
    start_node_with_sink(config, Arc::new(AutoClaimSink)).await
}

pub async fn start_node_with_sink(config: NodeConfig, sink: Arc<dyn NodeEventSink>) -> TestNode {
    let node = Node::start(config, sink).await.expect("node starts");
    TestNode { node }
}

/// Claims payments like `AutoClaimSink` and keeps every closed-channel record for inspection.
#[derive(Default)]
pub struct RecordingSink {
    pub closed: std::sync::Mutex<Vec<ChannelClosedRecord>>,
}

impl NodeEventSink for RecordingSink {
    fn payment_event<'a>(
        &'a self,
        event: lightning::events::Event,
        channel_manager: &'a Arc<ChannelManager>,
    ) -> SinkFuture<'a> {
        AutoClaimSink.payment_event(event, channel_manager)
    }

    fn channel_closed(&self, record: ChannelClosedRecord) -> SinkFuture<'_> {
        self.closed.lock().unwrap().push(record);
        Box::pin(async { Ok(()) })
    }
}

/// Polls `check` until it returns true, failing the test with `what` after `timeout`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Mines one block at a time until `check` holds (for events that need confirmations).
pub async fn mine_until<F>(chain: &Chain, what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> bool,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} mining until {what}"
        );
        chain.mine(1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Gives a node `blocks` coinbase rewards and matures them.
pub async fn fund(chain: &Chain, node: &TestNode, blocks: u32) {
    let address = node.node.new_address().expect("address").to_string();
    chain.mine_to(blocks, &address).await;
    chain.mine(100).await;
    let n = Arc::clone(&node.node);
    wait_until(
        "the wallet sees its matured coinbase",
        Duration::from_secs(60),
        || {
            let n = Arc::clone(&n);
            async move { n.wallet_balance().spendable_sat > 0 }
        },
    )
    .await;
}

pub const WAIT: Duration = Duration::from_secs(60);
pub const CHANNEL_SAT: u64 = 1_000_000;

pub fn usable(node: &TestNode, uuid: uuid::Uuid) -> bool {
    node.node
        .list_channels()
        .iter()
        .any(|c| c.uuid == uuid && c.is_usable)
}

pub fn peer_channel_usable(node: &TestNode, peer: bitcoin::secp256k1::PublicKey) -> bool {
    node.node
        .list_channels()
        .iter()
        .any(|c| c.counterparty == peer && c.is_usable)
}

pub async fn connect(a: &TestNode, b: &TestNode) {
    a.node
        .connect_peer(
            b.node.node_id(),
            &b.addr().to_string(),
            Duration::from_secs(10),
        )
        .await
        .expect("A connects to B");
}
