//! The header cache the poller uses to walk back to a fork point.
//!
//! lightning-block-sync's `UnboundedCache` keeps every header it ever saw; a node that runs for
//! years would keep growing. This one keeps the last [`KEEP_DEPTH`] blocks below the highest
//! header seen: deeper reorgs do not happen, and a miss only means the header is fetched from
//! Core again.

use std::collections::HashMap;

use bitcoin::BlockHash;
use lightning_block_sync::poll::ValidatedBlockHeader;
use lightning_block_sync::Cache;

/// How many blocks below the tip stay cached (two weeks of blocks).
pub const KEEP_DEPTH: u32 = 2016;

#[derive(Default)]
pub struct HeaderCache {
    headers: HashMap<BlockHash, ValidatedBlockHeader>,
    highest: u32,
}

impl HeaderCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.headers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }
}

impl Cache for HeaderCache {
    fn look_up(&self, block_hash: &BlockHash) -> Option<&ValidatedBlockHeader> {
        self.headers.get(block_hash)
    }

    fn block_connected(&mut self, block_hash: BlockHash, block_header: ValidatedBlockHeader) {
        self.highest = self.highest.max(block_header.height);
        self.headers.insert(block_hash, block_header);
        // Prune in batches so each insert stays O(1) on average.
        if self.headers.len() > 2 * KEEP_DEPTH as usize {
            let lowest_kept = self.highest.saturating_sub(KEEP_DEPTH);
            self.headers
                .retain(|_, header| header.height >= lowest_kept);
        }
    }

    fn block_disconnected(&mut self, block_hash: &BlockHash) -> Option<ValidatedBlockHeader> {
        self.headers.remove(block_hash)
    }
}
