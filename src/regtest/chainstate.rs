//! The block index, the active chain, the UTXO set and the transaction index, with block
//! connection and disconnection. Every block is either on the active chain or marked invalid
//! (mining only ever extends the tip), which keeps reorganisation to "disconnect back, mine on".

use std::collections::{HashMap, HashSet};

use bitcoin::constants::genesis_block;
use bitcoin::{Block, BlockHash, Network, OutPoint, Transaction, Txid, Work};

use super::validation::Coin;

/// One block we know, active or invalidated.
pub struct BlockEntry {
    pub block: Block,
    pub hash: BlockHash,
    pub height: u32,
    pub chainwork: Work,
    pub median_time_past: u32,
    pub invalid: bool,
    pub size: usize,
    /// For each non-coinbase transaction, the coins it spent (input order): the undo data that
    /// lets a disconnect restore them, and the source of fees.
    pub spent: Vec<Vec<Coin>>,
}

/// Where a confirmed transaction sits on the active chain.
#[derive(Clone, Copy, Debug)]
pub struct TxLocation {
    pub height: u32,
    pub index: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("block {hash} does not build on the tip {tip}")]
    NotOnTip { hash: BlockHash, tip: BlockHash },
    #[error("block {hash} is already known")]
    Duplicate { hash: BlockHash },
    #[error("block {hash} spends {outpoint}, which is not in the UTXO set")]
    MissingCoin { hash: BlockHash, outpoint: OutPoint },
}

pub struct ChainState {
    blocks: HashMap<BlockHash, BlockEntry>,
    children: HashMap<BlockHash, Vec<BlockHash>>,
    active: Vec<BlockHash>,
    mtp_by_height: Vec<u32>,
    utxos: HashMap<OutPoint, Coin>,
    tx_index: HashMap<Txid, TxLocation>,
    size_on_disk: u64,
}

impl ChainState {
    /// A chain holding only the regtest genesis block.
    pub fn new() -> Self {
        let genesis = genesis_block(Network::Regtest);
        let hash = genesis.block_hash();
        let size = bitcoin::consensus::serialize(&genesis).len();
        let time = genesis.header.time;
        let chainwork = genesis.header.work();
        let mut chain = Self {
            blocks: HashMap::new(),
            children: HashMap::new(),
            active: vec![hash],
            mtp_by_height: vec![time],
            utxos: HashMap::new(),
            tx_index: HashMap::new(),
            size_on_disk: size as u64,
        };
        // Core never adds the genesis coinbase to the UTXO set (it is unspendable).
        chain.blocks.insert(
            hash,
            BlockEntry {
                block: genesis,
                hash,
                height: 0,
                chainwork,
                median_time_past: time,
                invalid: false,
                size,
                spent: Vec::new(),
            },
        );
        chain
    }

    pub fn tip(&self) -> &BlockEntry {
        let hash = self
            .active
            .last()
            .unwrap_or_else(|| unreachable!("genesis is never removed"));
        &self.blocks[hash]
    }

    pub fn height(&self) -> u32 {
        (self.active.len() - 1) as u32
    }

    pub fn block(&self, hash: &BlockHash) -> Option<&BlockEntry> {
        self.blocks.get(hash)
    }

    pub fn active_hash(&self, height: u32) -> Option<BlockHash> {
        self.active.get(height as usize).copied()
    }

    pub fn is_active(&self, entry: &BlockEntry) -> bool {
        self.active_hash(entry.height) == Some(entry.hash)
    }

    /// Core's confirmations: depth on the active chain, -1 off it.
    pub fn confirmations(&self, entry: &BlockEntry) -> i64 {
        if self.is_active(entry) {
            i64::from(self.height()) - i64::from(entry.height) + 1
        } else {
            -1
        }
    }

    /// The next block on the active chain, for blocks on it.
    pub fn next_hash(&self, entry: &BlockEntry) -> Option<BlockHash> {
        if self.is_active(entry) {
            self.active_hash(entry.height + 1)
        } else {
            None
        }
    }

    pub fn mtp_by_height(&self) -> &[u32] {
        &self.mtp_by_height
    }

    pub fn utxos(&self) -> &HashMap<OutPoint, Coin> {
        &self.utxos
    }

    pub fn tx_location(&self, txid: &Txid) -> Option<TxLocation> {
        self.tx_index.get(txid).copied()
    }

    pub fn size_on_disk(&self) -> u64 {
        self.size_on_disk
    }

    /// The median of the last 11 block times ending at `height` on the active chain, with a
    /// candidate time for one more block appended when `extra` is given.
    fn median_time(&self, last_height: u32, extra: Option<u32>) -> u32 {
        let first = last_height.saturating_sub(if extra.is_some() { 9 } else { 10 });
        let mut times: Vec<u32> = (first..=last_height)
            .filter_map(|h| self.active_hash(h))
            .filter_map(|h| self.blocks.get(&h))
            .map(|e| e.block.header.time)
            .collect();
        times.extend(extra);
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// Connects a block on top of the tip. Blocks come from our own miner (built from validated
    /// mempool transactions) or from our own log, so only their fit to the UTXO set is checked.
    pub fn connect_block(&mut self, block: Block) -> Result<BlockHash, ConnectError> {
        let hash = block.block_hash();
        let tip = self.tip();
        if block.header.prev_blockhash != tip.hash {
            return Err(ConnectError::NotOnTip {
                hash,
                tip: tip.hash,
            });
        }
        if self.blocks.contains_key(&hash) {
            return Err(ConnectError::Duplicate { hash });
        }
        let height = tip.height + 1;
        let chainwork = tip.chainwork + block.header.work();
        self.check_coins_available(&block, hash)?;

        let mut spent = Vec::with_capacity(block.txdata.len().saturating_sub(1));
        for (index, tx) in block.txdata.iter().enumerate() {
            let txid = tx.compute_txid();
            if index > 0 {
                let coins: Vec<Coin> = tx
                    .input
                    .iter()
                    .filter_map(|input| self.utxos.remove(&input.previous_output))
                    .collect();
                spent.push(coins);
            }
            for (vout, output) in tx.output.iter().enumerate() {
                // Provably unspendable outputs never enter the UTXO set (as in Core).
                if output.script_pubkey.is_op_return() {
                    continue;
                }
                let coin = Coin {
                    output: output.clone(),
                    height,
                    is_coinbase: index == 0,
                };
                self.utxos.insert(
                    OutPoint {
                        txid,
                        vout: vout as u32,
                    },
                    coin,
                );
            }
            self.tx_index.insert(txid, TxLocation { height, index });
        }

        let median_time_past = self.median_time(height - 1, Some(block.header.time));
        let size = bitcoin::consensus::serialize(&block).len();
        self.size_on_disk += size as u64;
        self.active.push(hash);
        self.mtp_by_height.push(median_time_past);
        self.children
            .entry(block.header.prev_blockhash)
            .or_default()
            .push(hash);
        self.blocks.insert(
            hash,
            BlockEntry {
                block,
                hash,
                height,
                chainwork,
                median_time_past,
                invalid: false,
                size,
                spent,
            },
        );
        Ok(hash)
    }

    /// Every input must spend a UTXO or an output created earlier in the same block, once.
    fn check_coins_available(&self, block: &Block, hash: BlockHash) -> Result<(), ConnectError> {
        let mut created: HashSet<OutPoint> = HashSet::new();
        let mut spent: HashSet<OutPoint> = HashSet::new();
        for (index, tx) in block.txdata.iter().enumerate() {
            if index > 0 {
                for input in &tx.input {
                    let outpoint = input.previous_output;
                    let exists = self.utxos.contains_key(&outpoint) || created.contains(&outpoint);
                    if !exists || !spent.insert(outpoint) {
                        return Err(ConnectError::MissingCoin { hash, outpoint });
                    }
                }
            }
            let txid = tx.compute_txid();
            created.extend((0..tx.output.len()).map(|vout| OutPoint {
                txid,
                vout: vout as u32,
            }));
        }
        Ok(())
    }

    /// Disconnects the tip (never genesis), restoring the coins its transactions spent.
    /// Returns the block's non-coinbase transactions.
    fn disconnect_tip(&mut self) -> Vec<Transaction> {
        if self.active.len() <= 1 {
            return Vec::new();
        }
        let Some(hash) = self.active.pop() else {
            return Vec::new();
        };
        self.mtp_by_height.pop();
        let Some(entry) = self.blocks.get(&hash) else {
            return Vec::new();
        };
        for (index, tx) in entry.block.txdata.iter().enumerate().rev() {
            let txid = tx.compute_txid();
            for vout in 0..tx.output.len() {
                self.utxos.remove(&OutPoint {
                    txid,
                    vout: vout as u32,
                });
            }
            self.tx_index.remove(&txid);
            if index > 0 {
                let coins = entry.spent.get(index - 1).map(Vec::as_slice).unwrap_or(&[]);
                for (input, coin) in tx.input.iter().zip(coins) {
                    self.utxos.insert(input.previous_output, coin.clone());
                }
            }
        }
        entry.block.txdata.iter().skip(1).cloned().collect()
    }

    /// Marks `hash` and its descendants invalid and, if it is on the active chain, disconnects
    /// back to its parent. Returns the disconnected non-coinbase transactions, oldest first.
    pub fn invalidate(&mut self, hash: &BlockHash) -> Vec<Transaction> {
        let Some(entry) = self.blocks.get(hash) else {
            return Vec::new();
        };
        let height = entry.height;
        let on_active = self.is_active(entry);
        let mut stack = vec![*hash];
        while let Some(next) = stack.pop() {
            if let Some(entry) = self.blocks.get_mut(&next) {
                entry.invalid = true;
            }
            stack.extend(self.children.get(&next).into_iter().flatten().copied());
        }
        if !on_active {
            return Vec::new();
        }
        let mut disconnected_blocks = Vec::new();
        while self.height() >= height && self.height() > 0 {
            disconnected_blocks.push(self.disconnect_tip());
        }
        disconnected_blocks.into_iter().rev().flatten().collect()
    }

    /// Removes the tip block entirely, as if it had never been connected (used when logging it
    /// failed).
    pub fn forget_tip(&mut self) {
        let tip = self.tip();
        let (hash, prev, size) = (tip.hash, tip.block.header.prev_blockhash, tip.size);
        if tip.height == 0 {
            return;
        }
        self.disconnect_tip();
        self.blocks.remove(&hash);
        self.size_on_disk = self.size_on_disk.saturating_sub(size as u64);
        if let Some(siblings) = self.children.get_mut(&prev) {
            siblings.retain(|h| *h != hash);
        }
    }

    /// Block time for a new block on the tip: after its parent, after the median time past,
    /// and never behind the clock.
    pub fn next_block_time(&self, now: u32) -> u32 {
        let tip = self.tip();
        (tip.block.header.time + 1)
            .max(tip.median_time_past + 1)
            .max(now)
    }

    /// The median time past of the tip.
    pub fn tip_mtp(&self) -> u32 {
        self.tip().median_time_past
    }
}

impl Default for ChainState {
    fn default() -> Self {
        Self::new()
    }
}
