//! lightning-block-sync's own Bitcoin Core client (what the daemon uses) follows this chain:
//! it validates headers (PoW, chainwork) and blocks (merkle root, witness commitment) and
//! sees the reorganisation after invalidateblock.

use std::sync::Mutex;
use std::time::Duration;

use bitcoin::block::Header;
use bitcoin::{BlockHash, Network};
use lightning::chain::transaction::TransactionData;
use lightning::chain::{BestBlock, Listen};
use lightning_block_sync::http::HttpEndpoint;
use lightning_block_sync::init::validate_best_block_header;
use lightning_block_sync::poll::ChainPoller;
use lightning_block_sync::rpc::RpcClient;
use lightning_block_sync::{BlockSource, SpvClient, UnboundedCache};
use serde_json::{json, Value};

use super::common::start_chain;

#[derive(Default)]
struct Recorder {
    connected: Mutex<Vec<(u32, BlockHash)>>,
    disconnected_to: Mutex<Vec<u32>>,
}

impl Listen for Recorder {
    fn filtered_block_connected(&self, header: &Header, _txdata: &TransactionData, height: u32) {
        self.connected
            .lock()
            .unwrap()
            .push((height, header.block_hash()));
    }

    fn blocks_disconnected(&self, fork_point: BestBlock) {
        self.disconnected_to.lock().unwrap().push(fork_point.height);
    }
}

#[tokio::test]
async fn lightning_block_sync_follows_the_chain_through_a_reorg() {
    let (chain, rpc, key) = start_chain().await;
    let endpoint =
        HttpEndpoint::for_host("127.0.0.1".to_string()).with_port(chain.local_addr().port());
    let client = RpcClient::new(&chain.credentials_base64(), endpoint);

    let (best, height) = client.get_best_block().await.expect("getblockchaininfo");
    assert_eq!(height, Some(0));
    assert_eq!(
        best,
        bitcoin::constants::genesis_block(Network::Regtest).block_hash()
    );
    let start = validate_best_block_header(&client)
        .await
        .expect("genesis header validates");

    let first = rpc.mine(5, &key.address).await;
    let recorder = Recorder::default();
    let mut cache = UnboundedCache::new();
    let poller = ChainPoller::new(&client, Network::Regtest);
    let mut spv = SpvClient::new(start, poller, &mut cache, &recorder);
    poll_until(&mut spv, || recorder.connected.lock().unwrap().len() == 5).await;
    let connected = recorder.connected.lock().unwrap().clone();
    assert_eq!(
        connected.last().map(|(h, b)| (*h, b.to_string())),
        Some((5, first[4].clone()))
    );

    // Reorganise: drop blocks 4 and 5, mine a longer branch.
    rpc.call::<Value>("invalidateblock", json!([first[3]]))
        .await;
    let second = rpc.mine(3, &key.address).await;
    poll_until(&mut spv, || recorder.connected.lock().unwrap().len() == 8).await;
    assert_eq!(recorder.disconnected_to.lock().unwrap().as_slice(), &[3]);
    let connected = recorder.connected.lock().unwrap().clone();
    assert_eq!(
        connected.last().map(|(h, b)| (*h, b.to_string())),
        Some((6, second[2].clone()))
    );

    // The client survives a server restart on the same port (keep-alive connection dropped).
    let chain = chain.restart().await.expect("restart");
    rpc.mine(1, &key.address).await;
    poll_until(&mut spv, || recorder.connected.lock().unwrap().len() == 9).await;
    chain.shutdown().await.expect("shutdown");
}

async fn poll_until<P, C, L>(spv: &mut SpvClient<'_, P, C, L>, done: impl Fn() -> bool)
where
    P: lightning_block_sync::poll::Poll,
    C: lightning_block_sync::Cache,
    L: std::ops::Deref,
    L::Target: Listen,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut last_error = None;
    let mut last_poll = None;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "block-sync did not catch up within 30 s; last poll error: {last_error:?}; last poll: {last_poll:?}"
        );
        // A failed poll (e.g. while the server restarts) is retried, as the daemon does.
        match spv.poll_best_tip().await {
            Ok(polled) => last_poll = Some(format!("{polled:?}")),
            Err(error) => last_error = Some(format!("{:?}: {}", error.kind(), error.into_inner())),
        }
        if !done() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
