//! Unconfirmed transactions that passed validation, with the indexes that keep lookups O(1):
//! which mempool transaction spends an outpoint, and wtxid to txid.

use std::collections::{HashMap, HashSet, VecDeque};

use bitcoin::{Amount, OutPoint, Transaction, TxOut, Txid, Wtxid};

/// One accepted transaction and what Core reports about it.
#[derive(Clone, Debug)]
pub struct MempoolEntry {
    pub tx: Transaction,
    pub txid: Txid,
    pub wtxid: Wtxid,
    pub fee: Amount,
    pub vsize: u64,
    pub weight: u64,
    /// Unix time of acceptance.
    pub time: u64,
    /// Chain height when it was accepted.
    pub height: u32,
    /// Acceptance order. A child is accepted only after its parents, so this order is a valid
    /// dependency order for mining.
    sequence: u64,
}

#[derive(Clone, Default)]
pub struct Mempool {
    entries: HashMap<Txid, MempoolEntry>,
    spent_by: HashMap<OutPoint, Txid>,
    by_wtxid: HashMap<Wtxid, Txid>,
    next_sequence: u64,
    /// Core's mempool sequence: bumped on every addition and removal.
    changes: u64,
}

impl Mempool {
    pub fn change_sequence(&self) -> u64 {
        self.changes
    }

    pub fn get(&self, txid: &Txid) -> Option<&MempoolEntry> {
        self.entries.get(txid)
    }

    pub fn contains_wtxid(&self, wtxid: &Wtxid) -> bool {
        self.by_wtxid.contains_key(wtxid)
    }

    /// The mempool transaction spending `outpoint`, if any.
    pub fn spender_of(&self, outpoint: &OutPoint) -> Option<Txid> {
        self.spent_by.get(outpoint).copied()
    }

    /// An output created by a mempool transaction.
    pub fn output(&self, outpoint: &OutPoint) -> Option<&TxOut> {
        let entry = self.entries.get(&outpoint.txid)?;
        entry.tx.output.get(usize::try_from(outpoint.vout).ok()?)
    }

    pub fn insert(&mut self, tx: Transaction, fee: Amount, time: u64, height: u32) {
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        for input in &tx.input {
            self.spent_by.insert(input.previous_output, txid);
        }
        self.by_wtxid.insert(wtxid, txid);
        let entry = MempoolEntry {
            vsize: tx.vsize() as u64,
            weight: tx.weight().to_wu(),
            tx,
            txid,
            wtxid,
            fee,
            time,
            height,
            sequence: self.next_sequence,
        };
        self.next_sequence += 1;
        self.changes += 1;
        self.entries.insert(txid, entry);
    }

    /// Removes one transaction (not its descendants: used when a block confirms it).
    pub fn remove(&mut self, txid: &Txid) -> Option<MempoolEntry> {
        let entry = self.entries.remove(txid)?;
        for input in &entry.tx.input {
            if self.spent_by.get(&input.previous_output) == Some(txid) {
                self.spent_by.remove(&input.previous_output);
            }
        }
        self.by_wtxid.remove(&entry.wtxid);
        self.changes += 1;
        Some(entry)
    }

    /// Empties the mempool, returning its transactions in dependency order.
    pub fn drain_in_order(&mut self) -> Vec<MempoolEntry> {
        let mut entries: Vec<MempoolEntry> = self.entries.drain().map(|(_, e)| e).collect();
        self.spent_by.clear();
        self.by_wtxid.clear();
        self.changes += entries.len() as u64;
        entries.sort_by_key(|e| e.sequence);
        entries
    }

    /// All entries in dependency order (parents before children).
    pub fn in_order(&self) -> Vec<&MempoolEntry> {
        let mut entries: Vec<&MempoolEntry> = self.entries.values().collect();
        entries.sort_by_key(|e| e.sequence);
        entries
    }

    /// In-mempool transactions this one spends from.
    pub fn parents(&self, txid: &Txid) -> Vec<Txid> {
        let Some(entry) = self.entries.get(txid) else {
            return Vec::new();
        };
        let mut parents: Vec<Txid> = entry
            .tx
            .input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|p| self.entries.contains_key(p))
            .collect();
        parents.sort();
        parents.dedup();
        parents
    }

    /// In-mempool transactions spending this one's outputs.
    pub fn children(&self, txid: &Txid) -> Vec<Txid> {
        let Some(entry) = self.entries.get(txid) else {
            return Vec::new();
        };
        let mut children: Vec<Txid> = (0..entry.tx.output.len())
            .filter_map(|vout| {
                let vout = u32::try_from(vout).ok()?;
                self.spent_by.get(&OutPoint { txid: *txid, vout }).copied()
            })
            .collect();
        children.sort();
        children.dedup();
        children
    }

    /// The transaction and all its in-mempool ancestors.
    pub fn ancestors_inclusive(&self, txid: &Txid) -> HashSet<Txid> {
        self.closure(txid, |t| self.parents(t))
    }

    /// The transaction and all its in-mempool descendants.
    pub fn descendants_inclusive(&self, txid: &Txid) -> HashSet<Txid> {
        self.closure(txid, |t| self.children(t))
    }

    fn closure(&self, start: &Txid, next: impl Fn(&Txid) -> Vec<Txid>) -> HashSet<Txid> {
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([*start]);
        while let Some(txid) = queue.pop_front() {
            if self.entries.contains_key(&txid) && seen.insert(txid) {
                queue.extend(next(&txid));
            }
        }
        seen
    }
}
