//! Nodes: `pubkey@host:port` addresses, connecting with a bound, trusted nodes, and the
//! node's summary. [`Nodes`] holds the operations the RPC methods call (through
//! [`crate::service::Engine::nodes`]).

use std::net::SocketAddr;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;

use crate::node::{Node, WalletBalance};

// The node's errors, as the RPC layer sees them through this service.
pub use crate::node::{ConnectError, TrustError};

/// How long a connect (resolve, TCP, Noise handshake) may take before the peer counts as
/// unresponsive.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A peer's address as clients write it: `pubkey@host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddress {
    pub node_id: PublicKey,
    /// `host:port`, as given (the host may be a name).
    pub addr: String,
}

impl std::fmt::Display for NodeAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.node_id, self.addr)
    }
}

/// Why a `node_address` or `node_id` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeAddressError {
    #[error("invalid node address {0:?}: expected pubkey@host:port")]
    MissingParts(String),
    #[error("invalid node id {0:?}: expected a 33-byte compressed public key in hex")]
    InvalidNodeId(String),
    #[error("invalid node address {0:?}: the port must be a number from 1 to 65535")]
    InvalidPort(String),
}

/// Parses a node id (66 hex characters, compressed point).
pub fn parse_node_id(s: &str) -> Result<PublicKey, NodeAddressError> {
    if s.len() != 66 {
        return Err(NodeAddressError::InvalidNodeId(s.to_string()));
    }
    s.parse::<PublicKey>()
        .map_err(|_| NodeAddressError::InvalidNodeId(s.to_string()))
}

/// Parses `pubkey@host:port` (IPv6 hosts in brackets).
pub fn parse_node_address(s: &str) -> Result<NodeAddress, NodeAddressError> {
    let (id, addr) = s
        .split_once('@')
        .ok_or_else(|| NodeAddressError::MissingParts(s.to_string()))?;
    let node_id = parse_node_id(id)?;
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| NodeAddressError::MissingParts(s.to_string()))?;
    if host.is_empty() || host.contains('@') {
        return Err(NodeAddressError::MissingParts(s.to_string()));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => {}
        _ => return Err(NodeAddressError::InvalidPort(s.to_string())),
    }
    Ok(NodeAddress {
        node_id,
        addr: addr.to_string(),
    })
}

/// What connecting did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connected {
    Now,
    Already,
}

/// Connects unless already connected.
pub async fn connect(node: &Node, to: &NodeAddress) -> Result<Connected, ConnectError> {
    if node.is_peer_connected(&to.node_id) {
        return Ok(Connected::Already);
    }
    node.connect_peer(to.node_id, &to.addr, CONNECT_TIMEOUT)
        .await
        .map(|()| Connected::Now)
}

/// Why connecting to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectToError {
    #[error(transparent)]
    InvalidNodeAddress(#[from] NodeAddressError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

/// Why a trusted-node change failed.
#[derive(Debug, thiserror::Error)]
pub enum TrustedNodeChangeError {
    #[error(transparent)]
    InvalidNodeId(#[from] NodeAddressError),
    #[error(transparent)]
    Trust(#[from] TrustError),
}

/// Channels by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelCounts {
    /// Funding not yet confirmed (or channel_ready not yet exchanged).
    pub pending: usize,
    /// Ready and the peer connected.
    pub usable: usize,
    /// Ready but the peer is offline.
    pub inactive: usize,
}

/// The node at a glance; in-memory state only, so it cannot fail.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub node_id: PublicKey,
    pub network: bitcoin::Network,
    pub block_height: u32,
    pub block_hash: bitcoin::BlockHash,
    pub peers_count: usize,
    pub channels: ChannelCounts,
    /// Our balance over all open channels.
    pub lightning_balance_msat: u64,
    /// What we can send now: the outbound capacity of usable channels.
    pub lightning_spendable_msat: u64,
    pub wallet: WalletBalance,
    pub listening_addresses: Vec<SocketAddr>,
}

/// The nodes service over the running node.
pub struct Nodes<'a> {
    node: &'a Node,
}

impl<'a> Nodes<'a> {
    pub(crate) fn new(node: &'a Node) -> Self {
        Nodes { node }
    }

    /// Connects to `pubkey@host:port` unless already connected (the node also redials it
    /// after restarts).
    pub async fn connect(
        &self,
        node_address: &str,
    ) -> Result<(NodeAddress, Connected), ConnectToError> {
        let address = parse_node_address(node_address)?;
        let connected = connect(self.node, &address).await?;
        Ok((address, connected))
    }

    /// Lets `node_id` open zero-confirmation channels to us.
    pub fn add_trusted(&self, node_id: &str) -> Result<PublicKey, TrustedNodeChangeError> {
        let node_id = parse_node_id(node_id)?;
        self.node.add_trusted_node(node_id)?;
        Ok(node_id)
    }

    /// Stops trusting `node_id` for zero-confirmation channels (open channels stay).
    pub fn remove_trusted(&self, node_id: &str) -> Result<PublicKey, TrustedNodeChangeError> {
        let node_id = parse_node_id(node_id)?;
        self.node.remove_trusted_node(node_id)?;
        Ok(node_id)
    }

    /// The trusted nodes, ordered by their hex form.
    pub fn list_trusted(&self) -> Vec<PublicKey> {
        let mut trusted = self.node.list_trusted_nodes();
        trusted.sort_by_cached_key(|id| id.to_string());
        trusted
    }

    /// The node at a glance.
    pub fn info(&self) -> NodeInfo {
        let channels = self.node.list_channels();
        let counts = ChannelCounts {
            pending: channels.iter().filter(|c| !c.is_channel_ready).count(),
            usable: channels.iter().filter(|c| c.is_usable).count(),
            inactive: channels
                .iter()
                .filter(|c| c.is_channel_ready && !c.is_usable)
                .count(),
        };
        let best = self.node.best_block();
        NodeInfo {
            node_id: self.node.node_id(),
            network: self.node.network(),
            block_height: best.height,
            block_hash: best.block_hash,
            peers_count: self.node.list_peers().len(),
            channels: counts,
            lightning_balance_msat: channels.iter().map(|c| c.balance_msat).sum(),
            lightning_spendable_msat: channels
                .iter()
                .filter(|c| c.is_usable)
                .map(|c| c.outbound_capacity_msat)
                .sum(),
            wallet: self.node.wallet_balance(),
            listening_addresses: self.node.listening_addresses(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619";

    #[test]
    fn parses_and_refuses_node_addresses() {
        let a = parse_node_address(&format!("{ID}@127.0.0.1:9735")).unwrap();
        assert_eq!(a.addr, "127.0.0.1:9735");
        assert_eq!(a.to_string(), format!("{ID}@127.0.0.1:9735"));
        assert!(parse_node_address(&format!("{ID}@[::1]:9735")).is_ok());
        assert!(matches!(
            parse_node_address("nonsense"),
            Err(NodeAddressError::MissingParts(_))
        ));
        assert!(matches!(
            parse_node_address(&format!("{ID}@host")),
            Err(NodeAddressError::MissingParts(_))
        ));
        assert!(matches!(
            parse_node_address(&format!("{ID}@host:0")),
            Err(NodeAddressError::InvalidPort(_))
        ));
        assert!(matches!(
            parse_node_address("02ab@host:1"),
            Err(NodeAddressError::InvalidNodeId(_))
        ));
    }
}
