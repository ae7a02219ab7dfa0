//! In-process LDK nodes (`mmln::node::Node`, no RPC server) on the test's chain: for the node
//! engine tests.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mmln::node::{
    AutoClaimSink, ChannelClosedRecord, ChannelManager, Node, NodeConfig, NodeEventSink, SinkFuture,
};

use super::chain::{wait_until, Chain};

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
