//! Broadcasting through `sendrawtransaction`, and re-broadcasting our own transactions until
//! they are buried.
//!
//! LDK's `broadcast_transactions` is synchronous, so it only queues a job; one worker task sends
//! jobs in order (a package's parent before its child). A transaction is kept until it has
//! [`FORGET_AFTER_CONFIRMATIONS`] confirmations, so a reorg that unconfirms it gets it sent
//! again; it is dropped early when Core says it is already in the chain, or after Core has
//! rejected it [`MAX_REJECTIONS`] times (spent inputs, conflicts).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::{Transaction, Txid};
use lightning::chain::transaction::TransactionData;
use lightning::chain::BestBlock;
use tokio::sync::mpsc;

use super::rpc::{CallFailure, CoreRpc};

/// Confirmations after which a transaction is no longer tracked (LDK's ANTI_REORG_DELAY).
pub const FORGET_AFTER_CONFIRMATIONS: u32 = 6;
/// Rejections after which a transaction is given up on.
pub const MAX_REJECTIONS: u32 = 3;

/// Core's answers meaning "this transaction is already where it should be".
const ALREADY_IN_MEMPOOL: [&str; 2] = ["txn-already-in-mempool", "txn-already-known"];
const ALREADY_IN_CHAIN: [&str; 2] = ["already in block chain", "outputs already in utxo set"];

pub(crate) enum BroadcastJob {
    /// Transactions LDK (or the wallet) asked us to broadcast, in order.
    Send(Vec<Transaction>),
    /// A new tip: send every tracked unconfirmed transaction again.
    Rebroadcast,
}

struct Tracked {
    tx: Transaction,
    /// Height of the block that confirmed it on the current best chain.
    confirmed_at: Option<u32>,
    rejections: u32,
}

/// Our own transactions that are not yet buried, shared by the worker and the block observer.
#[derive(Default)]
pub(crate) struct PendingTxs {
    txs: Mutex<HashMap<Txid, Tracked>>,
}

impl PendingTxs {
    fn lock(&self) -> MutexGuard<'_, HashMap<Txid, Tracked>> {
        self.txs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn track(&self, tx: &Transaction) {
        self.lock()
            .entry(tx.compute_txid())
            .or_insert_with(|| Tracked {
                tx: tx.clone(),
                confirmed_at: None,
                rejections: 0,
            });
    }

    fn forget(&self, txid: &Txid) {
        self.lock().remove(txid);
    }

    /// Counts a rejection; returns true when the transaction was just given up on.
    fn reject(&self, txid: &Txid) -> bool {
        let mut txs = self.lock();
        let give_up = match txs.get_mut(txid) {
            Some(tracked) => {
                tracked.rejections += 1;
                tracked.rejections >= MAX_REJECTIONS
            }
            None => false,
        };
        if give_up {
            txs.remove(txid);
        }
        give_up
    }

    fn unconfirmed(&self) -> Vec<Transaction> {
        self.lock()
            .values()
            .filter(|t| t.confirmed_at.is_none())
            .map(|t| t.tx.clone())
            .collect()
    }

    /// The txids still tracked (unconfirmed or not yet buried).
    pub(crate) fn txids(&self) -> Vec<Txid> {
        self.lock().keys().copied().collect()
    }

    /// A block joined the best chain: mark our transactions in it, forget buried ones.
    pub(crate) fn block_connected(&self, txdata: &TransactionData, height: u32) {
        let mut txs = self.lock();
        if txs.is_empty() {
            return;
        }
        for (_, tx) in txdata {
            if let Some(tracked) = txs.get_mut(&tx.compute_txid()) {
                tracked.confirmed_at = Some(height);
            }
        }
        txs.retain(|_, t| match t.confirmed_at {
            Some(at) => height.saturating_sub(at) + 1 < FORGET_AFTER_CONFIRMATIONS,
            None => true,
        });
    }

    /// Blocks above `fork_point` left the best chain: what they confirmed is unconfirmed again.
    pub(crate) fn blocks_disconnected(&self, fork_point: BestBlock) {
        for tracked in self.lock().values_mut() {
            if tracked
                .confirmed_at
                .is_some_and(|at| at > fork_point.height)
            {
                tracked.confirmed_at = None;
            }
        }
    }
}

/// Runs until every sender is dropped (the backend is gone).
pub(crate) async fn run_worker(
    rpc: Arc<CoreRpc>,
    pending: Arc<PendingTxs>,
    mut jobs: mpsc::UnboundedReceiver<BroadcastJob>,
) {
    while let Some(job) = jobs.recv().await {
        match job {
            BroadcastJob::Send(txs) => {
                for tx in &txs {
                    pending.track(tx);
                    send(&rpc, &pending, tx, false).await;
                }
            }
            BroadcastJob::Rebroadcast => {
                for tx in pending.unconfirmed() {
                    send(&rpc, &pending, &tx, true).await;
                }
            }
        }
    }
}

async fn send(rpc: &CoreRpc, pending: &PendingTxs, tx: &Transaction, again: bool) {
    let txid = tx.compute_txid();
    let hex = bitcoin::consensus::encode::serialize_hex(tx);
    let result: Result<Txid, CallFailure> = rpc
        .call("sendrawtransaction", &[serde_json::json!(hex)])
        .await;
    match result {
        Ok(_) => tracing::debug!(%txid, again, "transaction sent to bitcoind"),
        Err(CallFailure::Rpc { code, message }) => {
            let lower = message.to_lowercase();
            if ALREADY_IN_MEMPOOL.iter().any(|m| lower.contains(m)) {
                tracing::debug!(%txid, "transaction already in bitcoind's mempool");
            } else if ALREADY_IN_CHAIN.iter().any(|m| lower.contains(m)) {
                tracing::debug!(%txid, "transaction already confirmed");
                pending.forget(&txid);
            } else {
                tracing::warn!(%txid, code, reason = %message, again, "bitcoind rejected our transaction");
                if pending.reject(&txid) {
                    tracing::info!(%txid, "giving up re-broadcasting after {MAX_REJECTIONS} rejections");
                }
            }
        }
        // Outages are logged once by the RPC layer; the next tip retries.
        Err(CallFailure::Unreachable(_)) => {}
        Err(other) => {
            let error = other.into_chain_error(rpc.url(), "sendrawtransaction");
            tracing::warn!(%txid, "{error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::BlockHash;

    fn tx(n: u32) -> Transaction {
        Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::from_consensus(n),
            input: vec![],
            output: vec![],
        }
    }

    #[test]
    fn tracks_until_buried_and_unconfirms_on_reorg() {
        let pending = PendingTxs::default();
        let (a, b) = (tx(1), tx(2));
        pending.track(&a);
        pending.track(&b);
        pending.block_connected(&[(0, &a)], 100);
        assert_eq!(pending.unconfirmed(), vec![b.clone()]);

        pending.blocks_disconnected(BestBlock::new(BlockHash::all_zeros(), 99));
        assert_eq!(pending.unconfirmed().len(), 2);

        pending.block_connected(&[(0, &a)], 100);
        for height in 101..105 {
            pending.block_connected(&[], height);
        }
        assert_eq!(pending.txids().len(), 2, "5 confirmations: still tracked");
        pending.block_connected(&[], 105);
        assert_eq!(
            pending.txids(),
            vec![b.compute_txid()],
            "6 confirmations: forgotten"
        );
    }

    #[test]
    fn gives_up_after_repeated_rejections() {
        let pending = PendingTxs::default();
        let a = tx(1);
        pending.track(&a);
        let txid = a.compute_txid();
        assert!(!pending.reject(&txid));
        assert!(!pending.reject(&txid));
        assert!(pending.reject(&txid));
        assert!(pending.txids().is_empty());
    }
}
