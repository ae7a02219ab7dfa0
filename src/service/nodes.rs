//! Peers: `pubkey@host:port` addresses, connecting with a bound, trusted nodes.

use std::time::Duration;

use bitcoin::secp256k1::PublicKey;

use crate::node::{ConnectError, Node};

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
