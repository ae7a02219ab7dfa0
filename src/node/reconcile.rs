//! Start-up reconciliation of the wallet's unconfirmed transactions.
//!
//! Building a transaction reserves its inputs (see `OnchainWallet::build_signed`), and the
//! broadcaster's re-send queue lives in memory. So after a crash or a restart, a funding
//! transaction whose channel was abandoned, or a send bitcoind never accepted, would keep its
//! coins reserved forever and nothing would send it again. At start-up, once the wallet is at
//! the tip, each unconfirmed wallet transaction is:
//! - in bitcoind's mempool: handed to the broadcaster, which tracks it until it is buried;
//! - else the funding transaction of a channel LDK knows (a listed channel or a monitor):
//!   re-broadcast (the counterparty has signed, or there would be no monitor / funded channel);
//! - else evicted from the wallet, so its coins are spendable again. It is never broadcast: a
//!   funding transaction no channel owns would lock its coins in a 2-of-2 output for good.
//!
//! If the mempool cannot be read, nothing is evicted (eviction needs certainty); owned funding
//! transactions are still re-broadcast.

use std::collections::HashSet;
use std::str::FromStr;

use bitcoin::{Transaction, Txid};
use lightning::chain::chaininterface::BroadcasterInterface;

use crate::chain::ChainBackend;

use super::types::{ChainMonitor, ChannelManager};
use super::wallet::OnchainWallet;

/// What start-up decided for the wallet's unconfirmed transactions.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Reconciled {
    /// Handed to the broadcaster (in the mempool, or funding a known channel).
    pub tracked: Vec<Txid>,
    /// Evicted from the wallet; their inputs are spendable again.
    pub released: Vec<Txid>,
}

/// The funding txids of every channel the ChannelManager lists and every watched monitor.
fn channel_funding_txids(
    channel_manager: &ChannelManager,
    chain_monitor: &ChainMonitor,
) -> HashSet<Txid> {
    let mut txids: HashSet<Txid> = channel_manager
        .list_channels()
        .iter()
        .filter_map(|c| c.funding_txo.map(|o| o.txid))
        .collect();
    for channel_id in chain_monitor.list_monitors() {
        if let Ok(monitor) = chain_monitor.get_monitor(channel_id) {
            txids.insert(monitor.get_funding_txo().txid);
        }
    }
    txids
}

/// The txids in bitcoind's mempool, or `None` when it cannot be read.
async fn mempool_txids(chain: &ChainBackend) -> Option<HashSet<Txid>> {
    let answer: serde_json::Value = match chain
        .block_source()
        .call_checked("getrawmempool", &[])
        .await
    {
        Ok(answer) => answer,
        Err(e) => {
            tracing::warn!("cannot read bitcoind's mempool; keeping unconfirmed wallet transactions reserved: {e}");
            return None;
        }
    };
    let Some(entries) = answer.as_array() else {
        tracing::warn!(%answer, "getrawmempool did not answer a list; keeping unconfirmed wallet transactions reserved");
        return None;
    };
    let mut txids = HashSet::with_capacity(entries.len());
    for entry in entries {
        match entry.as_str().map(Txid::from_str) {
            Some(Ok(txid)) => {
                txids.insert(txid);
            }
            _ => {
                tracing::warn!(%entry, "getrawmempool listed something that is not a txid; keeping unconfirmed wallet transactions reserved");
                return None;
            }
        }
    }
    Some(txids)
}

/// Orders transactions so each comes after any of the others it spends (bitcoind refuses a
/// child before its parent).
fn parents_first(mut pending: Vec<&Transaction>) -> Vec<&Transaction> {
    let mut ordered: Vec<&Transaction> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let waiting: HashSet<Txid> = pending.iter().map(|tx| tx.compute_txid()).collect();
        let (ready, blocked): (Vec<&Transaction>, Vec<&Transaction>) =
            pending.into_iter().partition(|tx| {
                tx.input
                    .iter()
                    .all(|input| !waiting.contains(&input.previous_output.txid))
            });
        if ready.is_empty() {
            // A cycle cannot happen between valid transactions; keep the rest as they are.
            ordered.extend(blocked);
            break;
        }
        ordered.extend(ready);
        pending = blocked;
    }
    ordered
}

/// Runs the reconciliation described in the module documentation.
pub(super) async fn reconcile_unconfirmed(
    chain: &ChainBackend,
    wallet: &OnchainWallet,
    channel_manager: &ChannelManager,
    chain_monitor: &ChainMonitor,
) -> Reconciled {
    let unconfirmed = wallet.unconfirmed_txs();
    if unconfirmed.is_empty() {
        return Reconciled::default();
    }
    let funding = channel_funding_txids(channel_manager, chain_monitor);
    let mempool = mempool_txids(chain).await;
    let mut keep: Vec<&Transaction> = Vec::new();
    let mut result = Reconciled::default();
    for tx in &unconfirmed {
        let txid = tx.compute_txid();
        let in_mempool = mempool.as_ref().map(|m| m.contains(&txid));
        match (in_mempool, funding.contains(&txid)) {
            (Some(true), _) | (_, true) => {
                keep.push(tx);
                result.tracked.push(txid);
            }
            (Some(false), false) => result.released.push(txid),
            // Mempool unknown and no channel owns it: leave it reserved, untouched.
            (None, false) => {}
        }
    }
    if !keep.is_empty() {
        let keep = parents_first(keep);
        tracing::info!(count = keep.len(), txids = ?result.tracked, "re-broadcasting unconfirmed wallet transactions");
        chain.broadcast_transactions(&keep);
    }
    if !result.released.is_empty() {
        tracing::info!(txids = ?result.released, "releasing the inputs of wallet transactions bitcoind does not have and no channel owns");
        if let Err(e) = wallet.forget_unconfirmed_all(&result.released) {
            tracing::error!("abandoned wallet transactions not released: {e}");
            result.released.clear();
        }
    }
    result
}
