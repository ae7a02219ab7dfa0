//! One `Listen` that hands every block to many: lightning-block-sync drives a single listener,
//! while the wallet, ChannelManager, ChainMonitor and OutputSweeper all need every block.

use std::sync::{Arc, Mutex};

use bitcoin::block::Header;
use bitcoin::Block;
use lightning::chain::transaction::TransactionData;
use lightning::chain::{BestBlock, Listen};

use super::broadcast::PendingTxs;

/// A listener shared with the chain backend.
pub type SharedListener = Arc<dyn Listen + Send + Sync>;

/// Forwards each connected and disconnected block to every listener, in registration order.
pub struct ListenerFanout {
    listeners: Vec<SharedListener>,
}

impl ListenerFanout {
    pub fn new(listeners: Vec<SharedListener>) -> Self {
        ListenerFanout { listeners }
    }
}

impl Listen for ListenerFanout {
    fn filtered_block_connected(&self, header: &Header, txdata: &TransactionData, height: u32) {
        for listener in &self.listeners {
            listener.filtered_block_connected(header, txdata, height);
        }
    }

    // Forwarded as a full block: listeners that override `block_connected` (BDK's wallet
    // adapter, for one) get what they expect.
    fn block_connected(&self, block: &Block, height: u32) {
        for listener in &self.listeners {
            listener.block_connected(block, height);
        }
    }

    fn blocks_disconnected(&self, fork_point: BestBlock) {
        for listener in &self.listeners {
            listener.blocks_disconnected(fork_point);
        }
    }
}

/// The backend's own listener: keeps the cached tip current and tells the broadcaster which of
/// our transactions confirmed or were reorged out.
pub(crate) struct TipObserver {
    pub(crate) tip: Arc<Mutex<BestBlock>>,
    pub(crate) pending: Arc<PendingTxs>,
}

impl TipObserver {
    fn set_tip(&self, tip: BestBlock) {
        *self.tip.lock().unwrap_or_else(|p| p.into_inner()) = tip;
    }
}

impl Listen for TipObserver {
    fn filtered_block_connected(&self, header: &Header, txdata: &TransactionData, height: u32) {
        self.pending.block_connected(txdata, height);
        self.set_tip(BestBlock::new(header.block_hash(), height));
    }

    fn blocks_disconnected(&self, fork_point: BestBlock) {
        self.pending.blocks_disconnected(fork_point);
        self.set_tip(fork_point);
    }
}
