//! The Lightning engine: LDK (channels, peers, gossip, routing) plus a BDK on-chain wallet,
//! wired together in numbered start-up steps and stopped in the order that persists last.
//!
//! This layer knows nothing of JSON, HTTP or the payments ledger: payment events leave through
//! [`NodeEventSink`].
//!
//! Channel type: we do not negotiate anchor outputs. Anchor channels need an on-chain reserve
//! and a fee-bumping wallet (`BumpTransaction` events); static-remote-key channels with
//! up-front fees work with any peer and any wallet balance, which suits tests and the sandbox.

mod chain_sync;
pub mod channels;
pub mod config;
pub mod durable;
pub mod error;
pub mod events;
mod flush_loop;
pub mod keys;
mod logger;
mod maintenance;
pub mod offers_handler;
pub mod offline_guard;
pub mod onion_errors;
mod peer_runtime;
pub mod peers;
pub mod persist;
mod processor;
mod reconcile;
pub mod signer;
mod staged;
mod start;
#[cfg(test)]
mod stop_tests;
pub mod store;
pub mod sweeper;
pub mod types;
pub mod wallet;
pub mod wallet_db;
mod wallet_listen;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Address, FeeRate, Txid};
use lightning::sign::KeysManager;
use lightning::util::config::UserConfig;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::NodeConfig;
pub use error::{ChannelError, ConnectError, NodeError, TrustError, WalletError};
pub use events::{AutoClaimSink, NodeEventSink, SinkFuture};
pub use logger::NodeLogger;
pub use types::{
    ChannelAmount, ChannelClosedRecord, ChannelConfigUpdate, ChannelInfo, ChannelManager,
    OpenChannelOptions, SendAmount, WalletBalance,
};

use peers::PeerConnector;
use persist::TrustedNodes;
use types::{
    ChainMonitor, GossipSync, NetworkGraph, OnionMessenger, PeerManager, Scorer, Store, Sweeper,
};
use wallet::OnchainWallet;

/// Locks `mutex` even if a thread panicked while holding it. Every mutex in this layer guards
/// plain data that is consistent between statements (maps, sets, task handles), and a
/// poisoned lock must never make shutdown or bookkeeping silently skip its work.
pub(crate) fn lock_unpoisoned<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a JSON-RPC call failed because Core answered with an error (as opposed to no answer).
fn is_rpc_rejection(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<lightning_block_sync::rpc::RpcError>())
}

/// Background tasks the node owns, joined at shutdown.
struct Tasks {
    background_processor: JoinHandle<Result<(), lightning::io::Error>>,
    chain_poller: JoinHandle<()>,
    listener: JoinHandle<()>,
    reconnector: JoinHandle<()>,
    maintenance: JoinHandle<()>,
    flush_loop: JoinHandle<()>,
}

/// A running Lightning node.
pub struct Node {
    config: NodeConfig,
    user_config: UserConfig,
    chain: Arc<crate::chain::ChainBackend>,
    keys: Arc<KeysManager>,
    store: Arc<Store>,
    flusher: Arc<durable::Flusher>,
    chain_monitor: Arc<ChainMonitor>,
    channel_manager: Arc<ChannelManager>,
    network_graph: Arc<NetworkGraph>,
    scorer: Arc<RwLock<Scorer>>,
    onion_messenger: Arc<OnionMessenger>,
    disabled_offers: Arc<offers_handler::DisabledOffers>,
    gossip_sync: Arc<GossipSync>,
    peer_manager: Arc<PeerManager>,
    sweeper: Arc<Sweeper>,
    wallet: Arc<OnchainWallet>,
    /// Also owns the runtime the peer connections run on (see `peer_runtime.rs`).
    connector: Arc<PeerConnector>,
    trusted: Arc<TrustedNodes>,
    closed_channels: Arc<Mutex<HashSet<u128>>>,
    event_timing: Arc<events::EventTiming>,
    listening: Vec<SocketAddr>,
    /// Stops the listener, reconnector, maintenance task and background processor.
    shutdown: watch::Sender<bool>,
    /// Stops the chain poller (separately, so it can outlive the background processor).
    chain_shutdown: watch::Sender<bool>,
    tasks: Mutex<Option<Tasks>>,
    stopped: AtomicBool,
}

impl Node {
    /// Starts a node; see `start.rs` for the steps.
    pub async fn start(
        config: NodeConfig,
        sink: Arc<dyn NodeEventSink>,
    ) -> Result<Arc<Node>, NodeError> {
        start::start(config, sink).await
    }

    /// Stops the node: peers first, then the background processor (which persists the
    /// ChannelManager one last time), then the chain poller, a last flush and the store's
    /// writer, then the wallet. Idempotent.
    pub async fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        let tasks = lock_unpoisoned(&self.tasks).take();
        // 1. No new connections, no redials; then drop the peers we have.
        let _ = self.shutdown.send(true);
        self.peer_manager.disconnect_all_peers();
        let Some(tasks) = tasks else { return };
        let _ = tasks.listener.await;
        let _ = tasks.reconnector.await;
        let _ = tasks.maintenance.await;
        self.connector.runtime.shutdown();
        // 2. The background processor exits on the same signal after a final persist.
        match tasks.background_processor.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("background processor ended with an error: {e}"),
            Err(e) => tracing::error!("background processor task failed: {e}"),
        }
        // 3. Chain poller; then write what it and the processor's last steps queued, and
        // drain the store's writer.
        let _ = self.chain_shutdown.send(true);
        let _ = tasks.chain_poller.await;
        let _ = tasks.flush_loop.await;
        if !self.store.kv().is_stopped() {
            let flusher = Arc::clone(&self.flusher);
            match tokio::task::spawn_blocking(move || flusher.flush()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!("final flush failed: {e}"),
                Err(e) => tracing::error!("final flush task failed: {e}"),
            }
        }
        let stats = self.store.kv().stats();
        tracing::info!(
            commits = stats.commits,
            writes = stats.requests,
            max_batch = stats.max_batch,
            flushes = self.flusher.flushes(),
            "LDK store closed"
        );
        self.store.kv().shutdown();
        // 4. Break the gossip sync <-> verifier cycle so the node can be freed.
        self.gossip_sync.add_utxo_lookup(None);
        // 5. Wallet (it persists after every block; this catches address reveals).
        if let Err(e) = self.wallet.persist() {
            tracing::error!("wallet not persisted at shutdown: {e}");
        }
        tracing::info!(node_id = %self.node_id(), "node stopped");
    }

    pub fn node_id(&self) -> PublicKey {
        self.channel_manager.get_our_node_id()
    }

    /// The P2P addresses actually bound (the configured port 0 resolved).
    pub fn listening_addresses(&self) -> Vec<SocketAddr> {
        self.listening.clone()
    }

    pub fn network(&self) -> bitcoin::Network {
        self.config.network
    }

    /// The block the ChannelManager has processed up to.
    pub fn best_block(&self) -> lightning::chain::BestBlock {
        self.channel_manager.current_best_block()
    }

    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// For the payments layer: invoices, sends, claims.
    pub fn channel_manager(&self) -> &Arc<ChannelManager> {
        &self.channel_manager
    }

    pub fn chain_monitor(&self) -> &Arc<ChainMonitor> {
        &self.chain_monitor
    }

    pub fn network_graph(&self) -> &Arc<NetworkGraph> {
        &self.network_graph
    }

    /// Channels in the network graph with a channel update from both ends. The router uses a
    /// direction only once its update (fees and limits) has arrived; an announcement alone is
    /// not enough for a payment across the channel.
    pub fn channels_routable_both_ways(&self) -> usize {
        self.network_graph
            .read_only()
            .channels()
            .unordered_iter()
            .filter(|(_, c)| c.one_to_two.is_some() && c.two_to_one.is_some())
            .count()
    }

    pub fn scorer(&self) -> &Arc<RwLock<Scorer>> {
        &self.scorer
    }

    pub fn onion_messenger(&self) -> &Arc<OnionMessenger> {
        &self.onion_messenger
    }

    /// Offers whose invoice requests are refused (see `offers_handler.rs`).
    pub fn disabled_offers(&self) -> &offers_handler::DisabledOffers {
        &self.disabled_offers
    }

    pub fn keys_manager(&self) -> &Arc<KeysManager> {
        &self.keys
    }

    /// Events handled and the time spent on them since start (for the benchmark).
    pub fn event_stats(&self) -> events::EventStats {
        self.event_timing.stats()
    }

    /// Where the persistence loop's time went since start (for the benchmark).
    pub fn flush_stats(&self) -> durable::FlushStats {
        self.flusher.stats()
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn sweeper(&self) -> &Arc<Sweeper> {
        &self.sweeper
    }

    pub fn wallet(&self) -> &Arc<OnchainWallet> {
        &self.wallet
    }

    /// The chain backend, for lookups of confirmed transactions and blocks.
    pub fn chain(&self) -> &Arc<crate::chain::ChainBackend> {
        &self.chain
    }

    // --- peers ---

    /// Connects to `node_id` at "host:port", bounded by `timeout`.
    pub async fn connect_peer(
        &self,
        node_id: PublicKey,
        addr: &str,
        timeout: Duration,
    ) -> Result<(), ConnectError> {
        self.connector.connect(node_id, addr, timeout).await
    }

    pub fn disconnect_peer(&self, node_id: &PublicKey) {
        self.peer_manager.disconnect_by_node_id(*node_id);
    }

    /// Connected peers: node id and, when known, their address.
    pub fn list_peers(&self) -> Vec<(PublicKey, Option<String>)> {
        self.peer_manager
            .list_peers()
            .into_iter()
            .map(|p| {
                (
                    p.counterparty_node_id,
                    p.socket_address.map(|a| a.to_string()),
                )
            })
            .collect()
    }

    pub fn is_peer_connected(&self, node_id: &PublicKey) -> bool {
        self.connector.is_connected(node_id)
    }

    // --- trusted nodes (zero-conf inbound channels) ---

    pub fn add_trusted_node(&self, node_id: PublicKey) -> Result<bool, TrustError> {
        self.trusted
            .set(node_id, true)
            .map_err(TrustError::PersistFailed)
    }

    pub fn remove_trusted_node(&self, node_id: PublicKey) -> Result<bool, TrustError> {
        self.trusted
            .set(node_id, false)
            .map_err(TrustError::PersistFailed)
    }

    pub fn list_trusted_nodes(&self) -> Vec<PublicKey> {
        self.trusted.list()
    }

    // --- on-chain wallet ---

    /// Fails with `ChainUnavailable` unless Bitcoin Core answers now. For the calls that need
    /// the chain at once (a broadcast, a channel funding), checked before anything is built or
    /// reserved. Payments over open channels do not call it: they need no chain.
    ///
    /// It asks Core (one `getblockchaininfo`) rather than trusting the poller's last result:
    /// the poller may not have noticed an outage yet (and a send that then fails at broadcast
    /// leaves its coins reserved), nor a recovery during its backoff.
    pub async fn ensure_chain(&self) -> Result<(), WalletError> {
        self.chain
            .probe()
            .await
            .map_err(|e| WalletError::ChainUnavailable(e.to_string()))
    }

    pub fn new_address(&self) -> Result<Address, WalletError> {
        self.wallet.new_address()
    }

    pub fn wallet_balance(&self) -> WalletBalance {
        self.wallet.balance()
    }

    /// Sends to an address of the node's network; `fee_rate` defaults to the backend estimate.
    /// The transaction is submitted with `sendrawtransaction` so a rejection is reported here,
    /// then handed to the backend's broadcaster, which re-sends it until it is buried.
    pub async fn send_to_address(
        &self,
        address: &str,
        amount: SendAmount,
        fee_rate: Option<FeeRate>,
    ) -> Result<Txid, WalletError> {
        // Checked before building: building reserves coins, and without the chain the send
        // could only be queued, which a caller reading an error would not expect.
        self.ensure_chain().await?;
        // Building reserves the inputs, so a concurrent send or funding cannot reuse them.
        let tx = self.wallet.build_send(address, amount, fee_rate)?;
        let built_txid = tx.compute_txid();
        let hex = bitcoin::consensus::encode::serialize_hex(&tx);
        let submitted = self
            .chain
            .rpc_client()
            .call_method::<Txid>("sendrawtransaction", &[serde_json::json!(hex)])
            .await;
        let txid = match submitted {
            Ok(txid) => txid,
            Err(e) if is_rpc_rejection(&e) => {
                // Core answered and refused it: it will never confirm, so free its coins.
                if let Err(release) = self.wallet.forget_unconfirmed(built_txid) {
                    tracing::error!(txid = %built_txid, "rejected send's coins not released: {release}");
                }
                return Err(WalletError::BroadcastFailed(e.to_string()));
            }
            Err(e) => {
                // No answer: Core may have it. Keep the coins reserved (releasing them could
                // let a retry pay twice) and let the broadcaster keep trying.
                lightning::chain::chaininterface::BroadcasterInterface::broadcast_transactions(
                    &*self.chain,
                    &[&tx],
                );
                return Err(WalletError::BroadcastFailed(format!(
                    "{e}; transaction {built_txid} may still be broadcast and confirm"
                )));
            }
        };
        // Sent: from here on an error would invite a retry that pays twice, so only log.
        if let Err(e) = self.wallet.mark_unconfirmed(&tx) {
            tracing::error!(%txid, "sent transaction not refreshed in the wallet: {e}");
        }
        lightning::chain::chaininterface::BroadcasterInterface::broadcast_transactions(
            &*self.chain,
            &[&tx],
        );
        Ok(txid)
    }
}

/// Seconds since the unix epoch, for records that carry a timestamp (0 if the clock is before
/// 1970, which no record should make fatal).
pub(crate) fn unix_now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
