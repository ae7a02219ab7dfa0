//! Periodic housekeeping the background processor does not do.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use lightning::routing::gossip::NodeId;

use super::types::{ChainMonitor, ChannelManager, NetworkGraph, PeerManager};

const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);
/// Until our node announcement, with our current address, is in our own graph (it only sticks
/// once one of our channels is announced), it is retried this often: BOLT 12 payers find an offer's issuer through it
/// (onion-message routes need its features and address), so waiting a minute would leave new
/// public nodes unreachable for offers.
const FIRST_ANNOUNCEMENT_RETRY: Duration = Duration::from_secs(2);
/// How often a node with a listen address but no public channel yet looks for one.
const UNANNOUNCED_CHECK: Duration = Duration::from_secs(10);

/// Every minute: re-announce our node while we have public channels (only with a routable
/// listen address), and archive monitors of channels that are fully resolved on chain, so they
/// are not loaded and watched forever.
pub fn spawn_maintenance(
    config: &super::NodeConfig,
    bound: std::net::SocketAddr,
    peer_manager: Arc<PeerManager>,
    channel_manager: Arc<ChannelManager>,
    chain_monitor: Arc<ChainMonitor>,
    network_graph: Arc<NetworkGraph>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let our_id = NodeId::from_pubkey(&channel_manager.get_our_node_id());
    let mut alias = [0u8; 32];
    let bytes = config.alias.as_bytes();
    let n = bytes.len().min(32);
    alias[..n].copy_from_slice(&bytes[..n]);
    let addresses: Vec<lightning::ln::msgs::SocketAddress> = if bound.ip().is_unspecified() {
        Vec::new()
    } else {
        vec![bound.into()]
    };
    tokio::spawn(async move {
        let mut next = FIRST_ANNOUNCEMENT_RETRY;
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(next) => {}
            }
            let has_public = channel_manager
                .list_channels()
                .iter()
                .any(|c| c.is_announced && c.is_channel_ready);
            if has_public && !addresses.is_empty() {
                peer_manager.broadcast_node_announcement([0; 3], alias, addresses.clone());
            }
            // Announced with the address we listen on now (it changes when a node restarts on
            // another port, and payers dial it to reach an offer's issuer).
            let announced = network_graph
                .read_only()
                .node(&our_id)
                .and_then(|n| {
                    n.announcement_info
                        .as_ref()
                        .map(|i| i.addresses() == &addresses[..])
                })
                .unwrap_or(false);
            next = match (announced || addresses.is_empty(), has_public) {
                (true, _) => MAINTENANCE_INTERVAL,
                (false, true) => FIRST_ANNOUNCEMENT_RETRY,
                // A channel may become public soon; look again sooner than the full interval.
                (false, false) => UNANNOUNCED_CHECK,
            };
            chain_monitor.archive_fully_resolved_channel_monitors();
        }
    })
}
