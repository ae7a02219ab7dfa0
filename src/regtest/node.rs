//! The regtest node: chain state, mempool and store together, and the operations the RPC methods
//! call (accept a transaction, mine, invalidate). Every chain change is logged before it is
//! acknowledged, so a restart on the same data directory sees the same chain.

use std::path::Path;

use bitcoin::{Amount, BlockHash, ScriptBuf, Transaction};

use super::block_builder::{build_block, BlockTemplate};
use super::chainstate::{ChainState, ConnectError};
use super::mempool::Mempool;
use super::store::{Record, Store, StoreError};
use super::validation::{check_mempool_acceptance, Accepted, TipContext, TxReject};

/// Room left in a block for the coinbase and header.
const BLOCK_WEIGHT_FOR_TRANSACTIONS: u64 = 4_000_000 - 8_000;
/// Core leaves initial block download once the tip is younger than this (`-maxtipage`).
const MAX_TIP_AGE_SECS: u64 = 24 * 60 * 60;

/// Why `sendrawtransaction` refused a transaction.
#[derive(Debug)]
pub enum AcceptError {
    Rejected(TxReject),
    MaxFeeExceeded,
}

/// Whether the fee is above `rate` (sat per 1000 vbytes) for the transaction's size.
pub fn exceeds_fee_rate(accepted: &Accepted, rate_sat_per_kvb: u64) -> bool {
    rate_sat_per_kvb > 0
        && accepted.fee.to_sat() > rate_sat_per_kvb.saturating_mul(accepted.vsize) / 1000
}

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    StoreFailed(#[from] StoreError),
    #[error("the regtest chain log does not replay: {0}")]
    ReplayFailed(ConnectError),
    #[error("connecting a freshly mined block failed: {0}")]
    ConnectFailed(ConnectError),
    #[error("block {0} not found")]
    BlockNotFound(BlockHash),
    #[error("the genesis block cannot be invalidated")]
    InvalidateGenesis,
}

pub struct RegtestNode {
    chain: ChainState,
    mempool: Mempool,
    store: Option<Store>,
    fee_rate_sat_per_vb: Option<f64>,
    left_initial_block_download: bool,
}

impl RegtestNode {
    /// A node in memory, or on `data_dir` (replaying its log and mempool snapshot).
    pub fn open(
        data_dir: Option<&Path>,
        fee_rate_sat_per_vb: Option<f64>,
        now: u64,
    ) -> Result<Self, NodeError> {
        let mut node = Self {
            chain: ChainState::new(),
            mempool: Mempool::default(),
            store: None,
            fee_rate_sat_per_vb,
            left_initial_block_download: false,
        };
        let Some(dir) = data_dir else {
            return Ok(node);
        };
        let (store, records) = Store::open(dir)?;
        for record in records {
            match record {
                Record::Block(block) => {
                    node.chain
                        .connect_block(block)
                        .map_err(NodeError::ReplayFailed)?;
                }
                Record::Invalidate(hash) => {
                    node.chain.invalidate(&hash);
                }
            }
        }
        let saved_mempool = store.load_mempool()?;
        node.store = Some(store);
        let total = saved_mempool.len();
        let accepted = saved_mempool
            .into_iter()
            .filter(|tx| node.accept(tx.clone(), now).is_ok())
            .count();
        tracing::info!(
            height = node.chain.height(),
            mempool = accepted,
            dropped = total - accepted,
            "regtest chain loaded"
        );
        Ok(node)
    }

    pub fn chain(&self) -> &ChainState {
        &self.chain
    }

    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }

    /// The configured `estimatesmartfee` answer in sat/vB; `None` means "insufficient data".
    pub fn fee_rate_sat_per_vb(&self) -> Option<f64> {
        self.fee_rate_sat_per_vb
    }

    fn tip_context<'a>(&'a self, mempool: &'a Mempool) -> TipContext<'a> {
        TipContext {
            next_height: self.chain.height() + 1,
            tip_mtp: self.chain.tip_mtp(),
            mtp_by_height: self.chain.mtp_by_height(),
            utxos: self.chain.utxos(),
            mempool,
        }
    }

    /// Validates and adds a transaction to the mempool.
    pub fn accept(&mut self, tx: Transaction, now: u64) -> Result<Accepted, TxReject> {
        let accepted = check_mempool_acceptance(&tx, &self.tip_context(&self.mempool))?;
        self.mempool
            .insert(tx, accepted.fee, now, self.chain.height());
        Ok(accepted)
    }

    /// `sendrawtransaction`: validates, refuses fees above `max_fee_rate_sat_per_kvb` (when
    /// given), and adds the transaction to the mempool.
    pub fn accept_with_max_fee_rate(
        &mut self,
        tx: Transaction,
        now: u64,
        max_fee_rate_sat_per_kvb: Option<u64>,
    ) -> Result<Accepted, AcceptError> {
        let accepted = check_mempool_acceptance(&tx, &self.tip_context(&self.mempool))
            .map_err(AcceptError::Rejected)?;
        if let Some(rate) = max_fee_rate_sat_per_kvb {
            if exceeds_fee_rate(&accepted, rate) {
                return Err(AcceptError::MaxFeeExceeded);
            }
        }
        self.mempool
            .insert(tx, accepted.fee, now, self.chain.height());
        Ok(accepted)
    }

    /// `testmempoolaccept`: each transaction may spend outputs of the ones before it.
    pub fn test_accept(&self, txs: &[Transaction], now: u64) -> Vec<Result<Accepted, TxReject>> {
        let mut scratch = self.mempool.clone();
        txs.iter()
            .map(|tx| {
                let result = check_mempool_acceptance(tx, &self.tip_context(&scratch));
                if let Ok(accepted) = &result {
                    scratch.insert(tx.clone(), accepted.fee, now, self.chain.height());
                }
                result
            })
            .collect()
    }

    /// Mines `count` blocks paying to `payout_script`; the first takes the mempool (as much as
    /// fits, parents before children) and the fees.
    pub fn generate(
        &mut self,
        count: u32,
        payout_script: &ScriptBuf,
        now: u64,
    ) -> Result<Vec<BlockHash>, NodeError> {
        let mut hashes = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let (transactions, fees) = self.select_transactions();
            let tip = self.chain.tip();
            let template = BlockTemplate {
                prev_hash: tip.hash,
                height: tip.height + 1,
                time: self.chain.next_block_time(clock_u32(now)),
                transactions,
                fees,
                payout_script: payout_script.clone(),
            };
            let mut block = build_block(template.clone());
            // Re-mining after invalidateblock in the same second would rebuild the very block
            // that was invalidated; a later timestamp makes it a new one.
            while self.chain.block(&block.block_hash()).is_some() {
                let time = block.header.time.saturating_add(1);
                block = build_block(BlockTemplate {
                    time,
                    ..template.clone()
                });
            }
            let mined: Vec<_> = block
                .txdata
                .iter()
                .skip(1)
                .map(|tx| tx.compute_txid())
                .collect();
            let hash = self
                .chain
                .connect_block(block)
                .map_err(NodeError::ConnectFailed)?;
            if let Some(store) = &mut self.store {
                let appended = match self.chain.block(&hash) {
                    Some(entry) => store.append_block(&entry.block),
                    None => Ok(()),
                };
                if let Err(error) = appended {
                    // Keep memory and disk equal: what is not logged did not happen.
                    self.chain.forget_tip();
                    return Err(error.into());
                }
            }
            for txid in &mined {
                self.mempool.remove(txid);
            }
            hashes.push(hash);
        }
        if let Some(store) = &mut self.store {
            store.sync()?;
        }
        Ok(hashes)
    }

    fn select_transactions(&self) -> (Vec<Transaction>, Amount) {
        let mut weight = 0u64;
        let mut fees = Amount::ZERO;
        let mut selected = Vec::new();
        let mut left_out = std::collections::HashSet::new();
        for entry in self.mempool.in_order() {
            let parent_left_out = entry
                .tx
                .input
                .iter()
                .any(|i| left_out.contains(&i.previous_output.txid));
            if parent_left_out || weight + entry.weight > BLOCK_WEIGHT_FOR_TRANSACTIONS {
                left_out.insert(entry.txid);
                continue;
            }
            weight += entry.weight;
            fees += entry.fee;
            selected.push(entry.tx.clone());
        }
        (selected, fees)
    }

    /// `invalidateblock`: disconnects back to the block's parent and puts the disconnected
    /// transactions back into the mempool ahead of the ones already there; whatever no longer
    /// validates (e.g. spends of a disconnected coinbase) is dropped.
    pub fn invalidate(&mut self, hash: &BlockHash, now: u64) -> Result<(), NodeError> {
        let entry = self
            .chain
            .block(hash)
            .ok_or(NodeError::BlockNotFound(*hash))?;
        if entry.height == 0 {
            return Err(NodeError::InvalidateGenesis);
        }
        if let Some(store) = &mut self.store {
            store.append_invalidate(hash)?;
            store.sync()?;
        }
        let disconnected = self.chain.invalidate(hash);
        let previous_mempool = self.mempool.drain_in_order();
        let candidates = disconnected
            .into_iter()
            .chain(previous_mempool.into_iter().map(|e| e.tx));
        let mut dropped = 0usize;
        for tx in candidates {
            if self.accept(tx, now).is_err() {
                dropped += 1;
            }
        }
        tracing::debug!(%hash, height = self.chain.height(), dropped, "block invalidated");
        Ok(())
    }

    /// Writes the mempool snapshot (at shutdown).
    pub fn save_mempool(&self) -> Result<(), NodeError> {
        if let Some(store) = &self.store {
            let txs: Vec<Transaction> = self
                .mempool
                .in_order()
                .into_iter()
                .map(|e| e.tx.clone())
                .collect();
            store.save_mempool(&txs)?;
        }
        Ok(())
    }

    /// Core's `IsInitialBlockDownload`: true until the tip is recent, then latched false.
    pub fn initial_block_download(&mut self, now: u64) -> bool {
        if !self.left_initial_block_download {
            let tip_time = u64::from(self.chain.tip().block.header.time);
            if tip_time + MAX_TIP_AGE_SECS >= now {
                self.left_initial_block_download = true;
            }
        }
        !self.left_initial_block_download
    }
}

/// Block timestamps are u32; saturate rather than wrap far in the future.
fn clock_u32(now: u64) -> u32 {
    u32::try_from(now).unwrap_or(u32::MAX)
}
