//! What a node needs to start: where its state lives, which chain it follows, and the channel
//! policy knobs that tests and the sandbox turn.

use std::net::SocketAddr;
use std::path::PathBuf;

use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use lightning::util::config::UserConfig;

use crate::chain::ChainConfig;

/// Funding confirmations we ask of inbound channels (and expect of outbound ones) in production.
pub const DEFAULT_MINIMUM_DEPTH: u32 = 6;
/// The protocol maximum; the LDK default of 50 is too low for streaming hubs.
pub const DEFAULT_MAX_ACCEPTED_HTLCS: u16 = 483;

/// Everything `Node::start` reads.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Holds `seed`, `ldk/` and `mmln.sqlite`.
    pub data_dir: PathBuf,
    /// Must match the chain backend's network.
    pub network: Network,
    /// Lightning P2P listen address; port 0 picks an ephemeral port (see `listening_addresses`).
    pub p2p_listen: SocketAddr,
    /// How to reach the chain backend.
    pub chain: ChainConfig,
    /// `channel_handshake_config.minimum_depth`: 6 in production, 1 in tests and the sandbox.
    pub minimum_depth: u32,
    /// Peers whose inbound channels are accepted zero-conf. Merged with the persisted trusted set.
    pub trusted_peers_0conf: Vec<PublicKey>,
    /// Node alias announced in node_announcement (at most 32 bytes; longer is cut).
    pub alias: String,
    /// `our_max_accepted_htlcs` for new channels.
    pub max_accepted_htlcs: u16,
    /// Channels below this size are refused before LDK is asked.
    pub min_channel_size_sat: u64,
    /// LDK's `accept_forwards_to_priv_channels`: forward payments onto unannounced channels.
    /// On by default because mmln opens unannounced channels by default: a hub whose wallets
    /// reach it over unannounced channels must forward to them, or the route hints in those
    /// wallets' invoices lead nowhere. A sender can only name such a channel if it learned the
    /// channel from an invoice's route hint (or guessed its short channel id).
    pub accept_forwards_to_priv_channels: bool,
}

impl NodeConfig {
    /// Production defaults around the given location, network and chain.
    pub fn new(
        data_dir: PathBuf,
        network: Network,
        p2p_listen: SocketAddr,
        chain: ChainConfig,
    ) -> Self {
        NodeConfig {
            data_dir,
            network,
            p2p_listen,
            chain,
            minimum_depth: DEFAULT_MINIMUM_DEPTH,
            trusted_peers_0conf: Vec::new(),
            alias: String::new(),
            max_accepted_htlcs: DEFAULT_MAX_ACCEPTED_HTLCS,
            min_channel_size_sat: crate::node::channels::DEFAULT_MIN_CHANNEL_SIZE_SAT,
            accept_forwards_to_priv_channels: true,
        }
    }

    /// The daemon configuration's node settings, with the chain settings it implies.
    pub fn from_config(cfg: &crate::config::Config) -> Result<Self, crate::node::NodeError> {
        let chain = ChainConfig::from_config(cfg)
            .map_err(|e| crate::node::NodeError::InvalidConfig(format!("chain settings: {e}")))?;
        let mut node = NodeConfig::new(cfg.data_dir.clone(), cfg.network, cfg.p2p_listen, chain);
        if cfg.network == Network::Regtest {
            node.minimum_depth = 1;
        }
        node.accept_forwards_to_priv_channels = cfg.accept_forwards_to_private_channels;
        Ok(node)
    }

    /// The LDK channel policy these settings imply (see mod.rs on why anchors are off).
    pub fn user_config(&self) -> UserConfig {
        let mut c = UserConfig::default();
        c.channel_handshake_config.minimum_depth = self.minimum_depth;
        c.channel_handshake_config.our_max_accepted_htlcs = self.max_accepted_htlcs;
        c.channel_handshake_config
            .max_inbound_htlc_value_in_flight_percent_of_channel = 100;
        c.channel_handshake_config
            .negotiate_anchors_zero_fee_htlc_tx = false;
        c.channel_handshake_config.announce_for_forwarding = false;
        // Either side may choose public or private; we do not force our preference on the opener.
        c.channel_handshake_limits
            .force_announced_channel_preference = false;
        // Every inbound channel goes through `OpenChannelRequest` so trusted peers can get 0-conf.
        c.manually_accept_inbound_channels = true;
        c.accept_inbound_channels = true;
        c.accept_forwards_to_priv_channels = self.accept_forwards_to_priv_channels;
        // A BOLT 12 invoice comes back as `Event::InvoiceReceived`, so the payments layer
        // writes the payment's row (its hash is only known now) before it is paid.
        c.manually_handle_bolt12_invoices = true;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daemon_config() -> crate::config::Config {
        crate::config::Config {
            bitcoind_rpc_user: Some("u".to_string()),
            bitcoind_rpc_password: Some("p".to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn forwards_to_private_channels_are_accepted_by_default_and_can_be_turned_off() {
        let node = NodeConfig::from_config(&daemon_config()).expect("node config");
        assert!(node.user_config().accept_forwards_to_priv_channels);

        let mut cfg = daemon_config();
        cfg.accept_forwards_to_private_channels = false;
        let node = NodeConfig::from_config(&cfg).expect("node config");
        assert!(!node.user_config().accept_forwards_to_priv_channels);
    }
}
