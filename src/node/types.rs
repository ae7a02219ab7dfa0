//! The concrete LDK types this node is made of, and the plain data types its API returns.

use std::sync::{Arc, RwLock};

use bitcoin::secp256k1::PublicKey;
use bitcoin::OutPoint;
use lightning::chain::chaininterface::{BroadcasterInterface, FeeEstimator};
use lightning::chain::Filter;
use lightning::ln::peer_handler::IgnoringMessageHandler;
use lightning::ln::types::ChannelId;
use lightning::onion_message::messenger::DefaultMessageRouter;
use lightning::routing::gossip::P2PGossipSync;
use lightning::routing::router::DefaultRouter;
use lightning::routing::scoring::{ProbabilisticScorer, ProbabilisticScoringFeeParameters};
use lightning::sign::{InMemorySigner, KeysManager};
use lightning::util::persist::MonitorUpdatingPersister;
use lightning::util::sweep::OutputSweeperSync;
use lightning_net_tokio::SocketDescriptor;

use super::durable::{BackgroundStore, MonitorQueue};
use super::logger::NodeLogger;
use super::offline_guard::OfflineGuard;
use super::signer::WalletSignerProvider;
use super::staged::StagedWrites;
use super::store::LdkStore;
use super::wallet::OnchainWallet;

/// Fee estimation comes from the chain backend; kept behind a trait object so the node does not
/// care whether that is Bitcoin Core or the regtest chain.
pub type DynFeeEstimator = dyn FeeEstimator + Send + Sync;
pub type DynBroadcaster = dyn BroadcasterInterface + Send + Sync;
/// We feed full blocks, so no transaction filter is registered (always `None`).
pub type DynFilter = dyn Filter + Send + Sync;

pub type Store = LdkStore;
/// Reads monitors at start-up, applying the incremental updates written after each full
/// monitor. Writes go through [`MonitorQueue`] and [`StagingPersister`].
pub type Persister = MonitorUpdatingPersister<
    Arc<Store>,
    Arc<NodeLogger>,
    Arc<KeysManager>,
    Arc<KeysManager>,
    Arc<DynBroadcaster>,
    Arc<DynFeeEstimator>,
>;
/// The same persister over [`StagedWrites`]: what the ChainMonitor's writes go through, staged
/// until a flush commits them with the ChannelManager (see durable.rs).
pub type StagingPersister = MonitorUpdatingPersister<
    Arc<StagedWrites>,
    Arc<NodeLogger>,
    Arc<KeysManager>,
    Arc<KeysManager>,
    Arc<DynBroadcaster>,
    Arc<DynFeeEstimator>,
>;
pub type ChainMonitor = lightning::chain::chainmonitor::ChainMonitor<
    InMemorySigner,
    Arc<DynFilter>,
    Arc<DynBroadcaster>,
    Arc<DynFeeEstimator>,
    Arc<NodeLogger>,
    Arc<MonitorQueue>,
    Arc<KeysManager>,
>;
pub type NetworkGraph = lightning::routing::gossip::NetworkGraph<Arc<NodeLogger>>;
pub type Scorer = ProbabilisticScorer<Arc<NetworkGraph>, Arc<NodeLogger>>;
pub type Router = DefaultRouter<
    Arc<NetworkGraph>,
    Arc<NodeLogger>,
    Arc<KeysManager>,
    Arc<RwLock<Scorer>>,
    ProbabilisticScoringFeeParameters,
    Scorer,
>;
pub type MessageRouter = DefaultMessageRouter<Arc<NetworkGraph>, Arc<NodeLogger>, Arc<KeysManager>>;
pub type ChannelManager = lightning::ln::channelmanager::ChannelManager<
    Arc<ChainMonitor>,
    Arc<DynBroadcaster>,
    Arc<KeysManager>,
    Arc<KeysManager>,
    Arc<WalletSignerProvider>,
    Arc<DynFeeEstimator>,
    Arc<Router>,
    Arc<MessageRouter>,
    Arc<NodeLogger>,
>;
/// Checks gossiped channels' funding outputs against the chain (`getblockhash`/`gettxout`).
pub type GossipVerifier = lightning_block_sync::gossip::GossipVerifier<
    lightning_block_sync::gossip::TokioSpawner,
    Arc<crate::chain::CoreRpc>,
    Arc<NodeLogger>,
>;
pub type GossipSync = P2PGossipSync<Arc<NetworkGraph>, Arc<GossipVerifier>, Arc<NodeLogger>>;
pub type OnionMessenger = lightning::onion_message::messenger::OnionMessenger<
    Arc<KeysManager>,
    Arc<KeysManager>,
    Arc<NodeLogger>,
    Arc<ChannelManager>,
    Arc<MessageRouter>,
    Arc<super::offers_handler::OffersHandler>,
    Arc<ChannelManager>,
    IgnoringMessageHandler,
    IgnoringMessageHandler,
>;
pub type PeerManager = lightning::ln::peer_handler::PeerManager<
    SocketDescriptor,
    Arc<ChannelManager>,
    Arc<GossipSync>,
    Arc<OnionMessenger>,
    Arc<NodeLogger>,
    Arc<OfflineGuard>,
    Arc<KeysManager>,
    Arc<ChainMonitor>,
>;
pub type Sweeper = OutputSweeperSync<
    Arc<DynBroadcaster>,
    Arc<OnchainWallet>,
    Arc<DynFeeEstimator>,
    Arc<DynFilter>,
    Arc<BackgroundStore>,
    Arc<NodeLogger>,
    Arc<KeysManager>,
>;

/// How much to put into a new channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelAmount {
    Sats(u64),
    /// Everything spendable, minus the funding transaction's fee (capped at the non-wumbo limit).
    Max,
}

/// On-chain balance in satoshis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalletBalance {
    /// Confirmed and spendable.
    pub confirmed_sat: u64,
    /// Unconfirmed: our own change (trusted) plus incoming (untrusted).
    pub unconfirmed_sat: u64,
    /// Coinbase outputs not yet 100 blocks deep.
    pub immature_sat: u64,
    /// What a new transaction may spend now: confirmed plus our own unconfirmed change.
    pub spendable_sat: u64,
}

/// How much to send on-chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendAmount {
    Sats(u64),
    /// Empty the wallet to the address.
    All,
}

/// One channel, as clients see it.
#[derive(Debug, Clone)]
pub struct ChannelInfo {
    /// The client-facing id (LDK's `user_channel_id`).
    pub uuid: uuid::Uuid,
    pub channel_id: ChannelId,
    pub counterparty: PublicKey,
    pub funding_txo: Option<OutPoint>,
    pub short_channel_id: Option<u64>,
    pub capacity_sat: u64,
    /// Our share of the current commitment, HTLCs in flight excluded, before the opener's
    /// commitment fee and anchors (see `current_balance_msat`).
    pub balance_msat: u64,
    pub outbound_capacity_msat: u64,
    pub inbound_capacity_msat: u64,
    /// What a single HTLC can carry right now (see ldk.md: outbound capacity overstates it).
    pub next_outbound_htlc_limit_msat: u64,
    pub is_outbound: bool,
    pub is_public: bool,
    pub is_channel_ready: bool,
    /// Ready and the peer is connected.
    pub is_usable: bool,
    /// A cooperative close has started (shutdown exchanged or being negotiated).
    pub is_shutting_down: bool,
    pub confirmations: Option<u32>,
    pub confirmations_required: Option<u32>,
    pub forwarding_fee_base_msat: Option<u32>,
    pub forwarding_fee_proportional_millionths: Option<u32>,
    pub cltv_expiry_delta: Option<u16>,
}

/// What the node knows about a channel that just closed, for the closed-channel history.
#[derive(Debug, Clone)]
pub struct ChannelClosedRecord {
    pub uuid: uuid::Uuid,
    pub channel_id: ChannelId,
    pub counterparty: Option<PublicKey>,
    pub funding_txo: Option<OutPoint>,
    pub capacity_sat: Option<u64>,
    pub last_local_balance_msat: Option<u64>,
    /// Human-readable reason, from LDK's `ClosureReason`.
    pub reason: String,
    /// True when we (the user or the node) started the close.
    pub initiated_locally: bool,
    pub closed_at: u64,
}

/// Channel policy changes; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChannelConfigUpdate {
    pub forwarding_fee_base_msat: Option<u32>,
    pub forwarding_fee_proportional_millionths: Option<u32>,
    pub cltv_expiry_delta: Option<u16>,
    pub max_dust_htlc_exposure_msat: Option<u64>,
    pub force_close_avoidance_max_fee_sat: Option<u64>,
}

/// Per-open options.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenChannelOptions {
    /// Announce the channel for forwarding.
    pub public: bool,
    pub forwarding_fee_base_msat: Option<u32>,
    pub forwarding_fee_proportional_millionths: Option<u32>,
    pub cltv_expiry_delta: Option<u16>,
    /// Blocks the counterparty must wait to claim its funds after it force-closes
    /// (`our_to_self_delay`); LDK accepts 144 and up.
    pub to_self_delay: Option<u16>,
    /// Smallest HTLC we accept on this channel.
    pub htlc_minimum_msat: Option<u64>,
    /// Ask for `option_scid_alias` (private channels).
    pub negotiate_scid_privacy: Option<bool>,
    /// Share of the channel inbound HTLCs may hold in flight, 1..=100.
    pub max_inbound_htlc_value_in_flight_percent: Option<u8>,
}
