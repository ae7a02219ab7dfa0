//! Channels: the history kept in the ledger, filters over open and closed channels, and the
//! lookups that complete a closed channel's record (closing and claiming transactions).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::consensus::encode::deserialize_hex;
use bitcoin::{Block, OutPoint, Transaction, Txid};
use lightning::ln::types::ChannelId;
use lightning::util::sweep::OutputSpendStatus;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::chain::CoreRpc;
use crate::ledger::{ChannelRecord, Ledger, OpenChannelSighting};
use crate::node::{ChannelInfo, Node};

use super::filter::in_range;

/// How often live channels are recorded and closed ones completed.
const HISTORY_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// The ledger row of a live channel.
pub fn sighting(c: &ChannelInfo) -> OpenChannelSighting {
    OpenChannelSighting {
        uuid: c.uuid.to_string(),
        channel_id: c.channel_id.to_string(),
        counterparty_node_id: c.counterparty.to_string(),
        funding_tx: c.funding_txo.map(|o| o.txid.to_string()),
        funding_tx_output_index: c.funding_txo.map(|o| o.vout),
        funding_value_sats: c.capacity_sat,
        is_outbound: c.is_outbound,
        is_public: c.is_public,
    }
}

/// Records the node's live channels in the ledger now.
pub async fn record_open_channels(node: &Node, ledger: &Ledger) {
    let seen: Vec<OpenChannelSighting> = node.list_channels().iter().map(sighting).collect();
    if let Err(e) = ledger
        .blocking(move |l| l.record_open_channels(&seen))
        .await
    {
        tracing::warn!("channel history not updated: {e}");
    }
}

/// Keeps the channel history current until `shutdown`: records live channels (so a channel
/// that closes is known with its direction and visibility) and completes closed ones.
pub fn spawn_history_sync(
    node: Arc<Node>,
    ledger: Ledger,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let chain = &node.config().chain;
        let rpc = match CoreRpc::new(&chain.url, chain.auth.clone()) {
            Ok(rpc) => Some(rpc),
            Err(e) => {
                tracing::warn!("closed channels will lack closing transactions: {e}");
                None
            }
        };
        let mut scans = HashMap::new();
        loop {
            record_open_channels(&node, &ledger).await;
            if let Some(rpc) = &rpc {
                complete_closed_channels(&node, &ledger, rpc, &mut scans).await;
            }
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => break,
                _ = tokio::time::sleep(HISTORY_SYNC_INTERVAL) => {}
            }
        }
    })
}

/// Fills in closing and claiming transactions of closed channels that lack them. `scans`
/// remembers, per channel uuid, the next block height to search for the funding spend.
async fn complete_closed_channels(
    node: &Node,
    ledger: &Ledger,
    rpc: &CoreRpc,
    scans: &mut HashMap<String, u32>,
) {
    let closed = match ledger.blocking(|l| l.closed_channels()).await {
        Ok(closed) => closed,
        Err(e) => {
            tracing::warn!("closed channels not read: {e}");
            return;
        }
    };
    for record in closed {
        if record.closing_tx.is_none() {
            if let Some(txid) = find_closing_tx(node, &record, rpc, scans).await {
                let uuid = record.uuid.clone();
                let txid = txid.to_string();
                let _ = ledger
                    .blocking(move |l| l.set_closing_tx(&uuid, &txid))
                    .await;
            }
        }
        if record.claiming_tx.is_none() {
            if let Some((txid, sats)) = find_claiming_tx(node, &record) {
                let uuid = record.uuid.clone();
                let txid = txid.to_string();
                let _ = ledger
                    .blocking(move |l| l.set_claiming_tx(&uuid, &txid, sats))
                    .await;
            }
        }
    }
}

fn channel_id_of(record: &ChannelRecord) -> Option<ChannelId> {
    let bytes: [u8; 32] = hex::decode(&record.channel_id).ok()?.try_into().ok()?;
    Some(ChannelId(bytes))
}

fn funding_outpoint(record: &ChannelRecord) -> Option<OutPoint> {
    Some(OutPoint {
        txid: record.funding_tx.as_deref()?.parse().ok()?,
        vout: record.funding_tx_output_index?,
    })
}

/// Blocks searched per channel per round, so one old channel cannot stall the others.
const MAX_BLOCKS_PER_SCAN: u32 = 500;

/// The confirmed transaction that spent the funding output: first among the transactions the
/// channel's monitor watches (it forgets them 6 blocks deep), then by reading blocks from the
/// funding block on (each block once; progress kept in `scans`).
async fn find_closing_tx(
    node: &Node,
    record: &ChannelRecord,
    rpc: &CoreRpc,
    scans: &mut HashMap<String, u32>,
) -> Option<Txid> {
    let funding = funding_outpoint(record)?;
    let channel_id = channel_id_of(record)?;
    let candidates: Vec<Txid> = match node.chain_monitor().get_monitor(channel_id) {
        Ok(monitor) => monitor
            .get_relevant_txids()
            .into_iter()
            .map(|(txid, _, _)| txid)
            .filter(|txid| *txid != funding.txid)
            .collect(),
        Err(()) => Vec::new(),
    };
    for txid in candidates {
        let tx = raw_transaction(rpc, txid).await;
        if tx.is_some_and(|tx| spends(&tx, funding)) {
            return Some(txid);
        }
    }
    let start = match scans.get(&record.uuid) {
        Some(next) => *next,
        None => funding_height(rpc, funding.txid).await?,
    };
    let tip = node.best_block().height;
    let end = tip.min(start.saturating_add(MAX_BLOCKS_PER_SCAN - 1));
    for height in start..=end {
        let Some(block) = block_at(rpc, height).await else {
            scans.insert(record.uuid.clone(), height);
            return None;
        };
        if let Some(tx) = block.txdata.iter().find(|tx| spends(tx, funding)) {
            scans.remove(&record.uuid);
            return Some(tx.compute_txid());
        }
    }
    scans.insert(record.uuid.clone(), end.saturating_add(1).max(start));
    None
}

fn spends(tx: &Transaction, outpoint: OutPoint) -> bool {
    tx.input.iter().any(|i| i.previous_output == outpoint)
}

async fn raw_transaction(rpc: &CoreRpc, txid: Txid) -> Option<Transaction> {
    let hex: serde_json::Value = rpc
        .call_checked("getrawtransaction", &[serde_json::json!(txid.to_string())])
        .await
        .ok()?;
    hex.as_str().and_then(|h| deserialize_hex(h).ok())
}

/// The height of the block that confirmed `txid`.
async fn funding_height(rpc: &CoreRpc, txid: Txid) -> Option<u32> {
    let verbose: serde_json::Value = rpc
        .call_checked(
            "getrawtransaction",
            &[serde_json::json!(txid.to_string()), serde_json::json!(true)],
        )
        .await
        .ok()?;
    let block_hash = verbose.get("blockhash")?.as_str()?.to_string();
    let header: serde_json::Value = rpc
        .call_checked("getblockheader", &[serde_json::json!(block_hash)])
        .await
        .ok()?;
    header
        .get("height")?
        .as_u64()
        .and_then(|h| u32::try_from(h).ok())
}

async fn block_at(rpc: &CoreRpc, height: u32) -> Option<Block> {
    let hash: serde_json::Value = rpc
        .call_checked("getblockhash", &[serde_json::json!(height)])
        .await
        .ok()?;
    let raw: serde_json::Value = rpc
        .call_checked("getblock", &[hash, serde_json::json!(0)])
        .await
        .ok()?;
    raw.as_str().and_then(|h| deserialize_hex(h).ok())
}

/// The sweep that paid this channel's time-locked or to-remote output into the wallet, and
/// what it claimed.
fn find_claiming_tx(node: &Node, record: &ChannelRecord) -> Option<(Txid, u64)> {
    let channel_id = channel_id_of(record)?;
    node.sweeper()
        .tracked_spendable_outputs()
        .into_iter()
        .filter(|o| o.channel_id == Some(channel_id))
        .find_map(|o| match o.status {
            OutputSpendStatus::PendingThresholdConfirmations {
                latest_spending_tx, ..
            } => {
                let claimed = latest_spending_tx
                    .output
                    .iter()
                    .map(|o| o.value.to_sat())
                    .sum();
                Some((latest_spending_tx.compute_txid(), claimed))
            }
            _ => None,
        })
}

/// KDF's `OpenChannelsFilter`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenChannelsFilter {
    pub channel_id: Option<String>,
    pub counterparty_node_id: Option<String>,
    pub funding_tx: Option<String>,
    pub from_funding_value_sats: Option<u64>,
    pub to_funding_value_sats: Option<u64>,
    pub is_outbound: Option<bool>,
    pub from_balance_msat: Option<u64>,
    pub to_balance_msat: Option<u64>,
    pub from_outbound_capacity_msat: Option<u64>,
    pub to_outbound_capacity_msat: Option<u64>,
    pub from_inbound_capacity_msat: Option<u64>,
    pub to_inbound_capacity_msat: Option<u64>,
    /// Funding has its required confirmations.
    pub confirmed: Option<bool>,
    pub is_ready: Option<bool>,
    pub is_usable: Option<bool>,
    pub is_public: Option<bool>,
}

fn eq_opt<T: PartialEq + ?Sized>(want: Option<&T>, have: &T) -> bool {
    want.is_none_or(|w| w == have)
}

impl OpenChannelsFilter {
    pub fn matches(&self, c: &ChannelInfo) -> bool {
        let confirmed = match (c.confirmations, c.confirmations_required) {
            (Some(have), Some(need)) => have >= need,
            (_, None) => c.is_channel_ready,
            (None, Some(_)) => false,
        };
        eq_opt(
            self.channel_id.as_deref(),
            c.channel_id.to_string().as_str(),
        ) && eq_opt(
            self.counterparty_node_id.as_deref(),
            c.counterparty.to_string().as_str(),
        ) && self
            .funding_tx
            .as_deref()
            .is_none_or(|f| c.funding_txo.map(|o| o.txid.to_string()).as_deref() == Some(f))
            && in_range(
                c.capacity_sat,
                self.from_funding_value_sats,
                self.to_funding_value_sats,
            )
            && eq_opt(self.is_outbound.as_ref(), &c.is_outbound)
            && in_range(c.balance_msat, self.from_balance_msat, self.to_balance_msat)
            && in_range(
                c.outbound_capacity_msat,
                self.from_outbound_capacity_msat,
                self.to_outbound_capacity_msat,
            )
            && in_range(
                c.inbound_capacity_msat,
                self.from_inbound_capacity_msat,
                self.to_inbound_capacity_msat,
            )
            && eq_opt(self.confirmed.as_ref(), &confirmed)
            && eq_opt(self.is_ready.as_ref(), &c.is_channel_ready)
            && eq_opt(self.is_usable.as_ref(), &c.is_usable)
            && eq_opt(self.is_public.as_ref(), &c.is_public)
    }
}

/// KDF's `ClosedChannelsFilter` (funding value in sats, claimed balance in BTC as KDF has it).
#[derive(Debug, Clone, Default)]
pub struct ClosedChannelsFilter {
    pub channel_id: Option<String>,
    pub counterparty_node_id: Option<String>,
    pub funding_tx: Option<String>,
    pub from_funding_value: Option<u64>,
    pub to_funding_value: Option<u64>,
    pub closing_tx: Option<String>,
    /// Substring of the closure reason.
    pub closure_reason: Option<String>,
    pub claiming_tx: Option<String>,
    pub from_claimed_balance: Option<f64>,
    pub to_claimed_balance: Option<f64>,
    /// `Some(true)`: outbound only.
    pub is_outbound: Option<bool>,
    /// `Some(true)`: public only.
    pub is_public: Option<bool>,
}

/// Sats to a BTC amount as KDF reports balances.
pub fn sats_to_btc(sats: u64) -> f64 {
    sats as f64 / 100_000_000.0
}

fn opt_eq(want: &Option<String>, have: &Option<String>) -> bool {
    want.is_none() || want == have
}

impl ClosedChannelsFilter {
    pub fn matches(&self, c: &ChannelRecord) -> bool {
        let range_u = |v: Option<u64>, lo: Option<u64>, hi: Option<u64>| {
            (lo.is_none() && hi.is_none()) || v.is_some_and(|v| in_range(v, lo, hi))
        };
        let claimed = c.claimed_balance_sats.map(sats_to_btc);
        let claimed_ok = (self.from_claimed_balance.is_none() && self.to_claimed_balance.is_none())
            || claimed
                .is_some_and(|v| in_range(v, self.from_claimed_balance, self.to_claimed_balance));
        eq_opt(self.channel_id.as_deref(), c.channel_id.as_str())
            && opt_eq(&self.counterparty_node_id, &c.counterparty_node_id)
            && opt_eq(&self.funding_tx, &c.funding_tx)
            && range_u(
                c.funding_value_sats,
                self.from_funding_value,
                self.to_funding_value,
            )
            && opt_eq(&self.closing_tx, &c.closing_tx)
            && self.closure_reason.as_deref().is_none_or(|want| {
                c.closure_reason
                    .as_deref()
                    .is_some_and(|r| r.to_lowercase().contains(&want.to_lowercase()))
            })
            && opt_eq(&self.claiming_tx, &c.claiming_tx)
            && claimed_ok
            && eq_opt(self.is_outbound.as_ref(), &c.is_outbound)
            && eq_opt(self.is_public.as_ref(), &c.is_public)
    }
}
