//! Typed errors of the node layer: one enum per operation family, so callers (the service
//! layer) can map each case to a wire error without parsing strings.

use std::path::PathBuf;

use bitcoin::secp256k1::PublicKey;

/// Start-up, shutdown and whole-node failures.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("invalid node configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid seed file {path}: {reason}")]
    InvalidSeed { path: PathBuf, reason: String },
    #[error("seed file {path} could not be created: {source}")]
    SeedCreateFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("data directory {path} could not be prepared: {source}")]
    DataDirFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("stored Lightning state could not be read ({what}): {reason}")]
    StateReadFailed { what: &'static str, reason: String },
    #[error("Lightning state could not be written ({what}): {reason}")]
    StatePersistFailed { what: &'static str, reason: String },
    #[error("chain backend failed: {0}")]
    ChainFailed(String),
    #[error("P2P listener could not bind {addr}: {source}")]
    ListenFailed {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("the peer connections' runtime could not start: {0}")]
    PeerRuntimeFailed(std::io::Error),
    #[error(transparent)]
    Wallet(#[from] WalletError),
}

/// On-chain wallet failures.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("wallet database could not be opened: {0}")]
    OpenFailed(String),
    #[error("wallet changes could not be saved: {0}")]
    PersistFailed(String),
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    #[error("address is for network {address_network}, this wallet is on {wallet_network}")]
    InvalidNetwork {
        address_network: String,
        wallet_network: bitcoin::Network,
    },
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("insufficient funds: {needed_sat} sat needed, {available_sat} sat spendable")]
    InsufficientFunds { needed_sat: u64, available_sat: u64 },
    #[error("transaction could not be built: {0}")]
    BuildFailed(String),
    #[error("transaction could not be signed: {0}")]
    SignFailed(String),
    #[error("transaction was rejected by the chain backend: {0}")]
    BroadcastFailed(String),
    /// Bitcoin Core does not answer: nothing was built, reserved or sent.
    #[error("the chain backend is unavailable ({0}); try again when it is back")]
    ChainUnavailable(String),
}

/// Failures of `Node::connect_peer`.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid peer address {0:?}: expected host:port")]
    InvalidAddress(String),
    #[error("peer host {host} does not resolve: {reason}")]
    ResolveFailed { host: String, reason: String },
    #[error("peer at {addr} refused or dropped the connection: {reason}")]
    ConnectFailed { addr: String, reason: String },
    #[error("peer at {addr} did not answer within {timeout_secs} s")]
    Timeout { addr: String, timeout_secs: u64 },
    #[error(
        "Lightning handshake with {node_id} at {addr} failed (wrong node id, or the peer hung up)"
    )]
    HandshakeFailed { node_id: PublicKey, addr: String },
    #[error("peer addresses could not be saved: {0}")]
    PersistFailed(String),
    #[error("the node is off the network (stopping, or its Lightning state could not be made durable: see the log)")]
    Offline,
}

/// Failures of channel operations.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("invalid channel amount: {0}")]
    InvalidAmount(String),
    #[error("insufficient on-chain funds: {needed_sat} sat needed, {available_sat} sat spendable")]
    InsufficientFunds { needed_sat: u64, available_sat: u64 },
    #[error("peer {0} is not connected")]
    PeerNotConnected(PublicKey),
    #[error("no channel with id {0}")]
    UnknownChannel(uuid::Uuid),
    #[error("channel {0} is already closing")]
    AlreadyClosing(uuid::Uuid),
    #[error("channel open failed: {0}")]
    OpenFailed(String),
    #[error("channel close failed: {0}")]
    CloseFailed(String),
    #[error("channel config update failed: {0}")]
    UpdateFailed(String),
    #[error(transparent)]
    Wallet(#[from] WalletError),
}

/// Failures of the trusted-node set.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("trusted node set could not be saved: {0}")]
    PersistFailed(String),
}
