//! Periodic housekeeping the background processor does not do.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::types::{ChainMonitor, ChannelManager, PeerManager};

const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);

/// Every minute: re-announce our node while we have public channels (only with a routable
/// listen address), and archive monitors of channels that are fully resolved on chain, so they
/// are not loaded and watched forever.
pub fn spawn_maintenance(
    config: &super::NodeConfig,
    bound: std::net::SocketAddr,
    peer_manager: Arc<PeerManager>,
    channel_manager: Arc<ChannelManager>,
    chain_monitor: Arc<ChainMonitor>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
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
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(MAINTENANCE_INTERVAL) => {}
            }
            let has_public = channel_manager
                .list_channels()
                .iter()
                .any(|c| c.is_announced && c.is_channel_ready);
            if has_public && !addresses.is_empty() {
                peer_manager.broadcast_node_announcement([0; 3], alias, addresses.clone());
            }
            chain_monitor.archive_fully_resolved_channel_monitors();
        }
    })
}
