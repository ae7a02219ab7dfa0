//! Start-up chain sync: every listener is brought to the tip from its own best block before the
//! poller runs. Channel monitors are synced one by one (they may lag the ChannelManager, since
//! monitors are not rewritten on every block) and only then handed to the ChainMonitor.

use std::sync::Arc;

use bitcoin::{BlockHash, Network};
use lightning::chain::channelmonitor::ChannelMonitor;
use lightning::chain::{BestBlock, ChannelMonitorUpdateStatus, Listen};
use lightning::sign::InMemorySigner;
use lightning_block_sync::init::synchronize_listeners;
use lightning_block_sync::UnboundedCache;

use crate::chain::ChainBackend;

use super::error::NodeError;
use super::logger::NodeLogger;
use super::types::{ChainMonitor, DynBroadcaster, DynFeeEstimator};

type DynListen = dyn Listen + Send + Sync;

pub(super) struct SyncListeners<'a> {
    pub manager: (BlockHash, &'a DynListen),
    pub wallet: &'a super::wallet::OnchainWallet,
    pub sweeper: &'a super::types::Sweeper,
}

/// What a channel monitor needs to process blocks on its own.
pub(super) struct MonitorDeps {
    pub broadcaster: Arc<DynBroadcaster>,
    pub fee_estimator: Arc<DynFeeEstimator>,
    pub logger: Arc<NodeLogger>,
}

/// Returns the tip everything is now synced to.
pub(super) async fn sync_to_tip(
    chain: &ChainBackend,
    network: Network,
    listeners: SyncListeners<'_>,
    monitors: Vec<(BlockHash, ChannelMonitor<InMemorySigner>)>,
    chain_monitor: &ChainMonitor,
    deps: MonitorDeps,
) -> Result<BestBlock, NodeError> {
    let monitor_listeners: Vec<(BlockHash, _)> = monitors
        .into_iter()
        .map(|(hash, monitor)| {
            let listener = (
                monitor,
                Arc::clone(&deps.broadcaster),
                Arc::clone(&deps.fee_estimator),
                Arc::clone(&deps.logger),
            );
            (hash, listener)
        })
        .collect();
    let mut all: Vec<(BlockHash, &DynListen)> = vec![
        listeners.manager,
        (listeners.wallet.best_block().block_hash, listeners.wallet),
        (
            listeners.sweeper.current_best_block().block_hash,
            listeners.sweeper,
        ),
    ];
    for (hash, listener) in &monitor_listeners {
        all.push((*hash, listener as &DynListen));
    }
    let mut cache = UnboundedCache::new();
    let tip = synchronize_listeners(chain.rpc_client(), network, &mut cache, all)
        .await
        .map_err(|e| {
            NodeError::ChainFailed(format!("initial chain sync failed: {}", e.into_inner()))
        })?;
    for (_, (monitor, _, _, _)) in monitor_listeners {
        let channel_id = monitor.channel_id();
        // `load_existing_monitor`, not `watch_channel`: the monitor is already stored, and a
        // persist here would be an update no one ever completes.
        match chain_monitor.load_existing_monitor(channel_id, monitor) {
            Ok(ChannelMonitorUpdateStatus::Completed) => {}
            other => {
                return Err(NodeError::StateReadFailed {
                    what: "channel monitor",
                    reason: format!("channel {channel_id} could not be watched: {other:?}"),
                })
            }
        }
    }
    Ok(BestBlock::new(tip.header.block_hash(), tip.height))
}
