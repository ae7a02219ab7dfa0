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

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::block::{Header, Version};
    use bitcoin::hashes::Hash;
    use bitcoin::{CompactTarget, TxMerkleNode};
    use lightning_block_sync::poll::Validate;
    use lightning_block_sync::BlockHeaderData;

    /// A chain of regtest-difficulty headers (about two nonce tries each).
    fn headers(count: u32) -> Vec<ValidatedBlockHeader> {
        let mut prev = BlockHash::all_zeros();
        let mut chainwork = bitcoin::Work::from_be_bytes([0; 32]);
        (0..count)
            .map(|height| {
                let mut header = Header {
                    version: Version::TWO,
                    prev_blockhash: prev,
                    merkle_root: TxMerkleNode::all_zeros(),
                    time: height,
                    bits: CompactTarget::from_consensus(0x207fffff),
                    nonce: 0,
                };
                while header.validate_pow(header.target()).is_err() {
                    header.nonce += 1;
                }
                chainwork = chainwork + header.work();
                prev = header.block_hash();
                let data = BlockHeaderData {
                    header,
                    height,
                    chainwork,
                };
                data.validate(prev).unwrap()
            })
            .collect()
    }

    #[test]
    fn keeps_recent_headers_and_prunes_old_ones() {
        let chain = headers(2 * KEEP_DEPTH + 10);
        let mut cache = HeaderCache::new();
        for header in &chain {
            cache.block_connected(header.to_best_block().block_hash, *header);
        }
        assert!(
            cache.len() <= 2 * KEEP_DEPTH as usize,
            "pruned: {}",
            cache.len()
        );
        let tip = chain.last().unwrap();
        let deepest_kept = &chain[(tip.height - KEEP_DEPTH) as usize];
        assert!(cache
            .look_up(&deepest_kept.to_best_block().block_hash)
            .is_some());
        assert!(cache
            .look_up(&chain[0].to_best_block().block_hash)
            .is_none());

        let removed = cache.block_disconnected(&tip.to_best_block().block_hash);
        assert_eq!(removed, Some(*tip));
    }
}
