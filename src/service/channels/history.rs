//! The channel history kept in the ledger: live channels are recorded as they appear, and a
//! closed channel's record is completed with its closing and claiming transactions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::{OutPoint, Transaction, Txid};
use lightning::ln::types::ChannelId;
use lightning::util::sweep::OutputSpendStatus;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ledger::{ChannelRecord, ChannelState, Ledger, OpenChannelSighting};
use crate::node::{ChannelInfo, Node};

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
        state: if c.is_shutting_down {
            ChannelState::Closing
        } else if c.is_channel_ready {
            ChannelState::Usable
        } else {
            ChannelState::Opening
        },
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

/// Records only the live channels that are new or changed since the last call (`known`), so
/// the history task does not rewrite every channel every second.
async fn record_changed_channels(
    node: &Node,
    ledger: &Ledger,
    known: &mut HashMap<String, OpenChannelSighting>,
) {
    let seen: Vec<OpenChannelSighting> = node.list_channels().iter().map(sighting).collect();
    let changed: Vec<OpenChannelSighting> = seen
        .iter()
        .filter(|s| known.get(&s.uuid) != Some(*s))
        .cloned()
        .collect();
    if changed.is_empty() {
        return;
    }
    match ledger
        .blocking(move |l| l.record_open_channels(&changed))
        .await
    {
        Ok(()) => *known = seen.into_iter().map(|s| (s.uuid.clone(), s)).collect(),
        Err(e) => tracing::warn!("channel history not updated: {e}"),
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
        let mut scans = HashMap::new();
        let mut known = HashMap::new();
        loop {
            record_changed_channels(&node, &ledger, &mut known).await;
            complete_closed_channels(&node, &ledger, &mut scans).await;
            tokio::select! {
                _ = shutdown.wait_for(|stop| *stop) => break,
                _ = tokio::time::sleep(HISTORY_SYNC_INTERVAL) => {}
            }
        }
    })
}

/// Where the search for one closed channel's closing transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClosingScan {
    /// The next block height to search for the funding spend.
    NextBlock(u32),
    /// The funding transaction was not found confirmed (a channel closed before its funding
    /// confirmed, which may never happen): looked for first at `first`, last at `last`.
    FundingUnconfirmed { first: u32, last: u32 },
}

/// Blocks between two looks for a funding transaction not yet confirmed.
const FUNDING_RETRY_BLOCKS: u32 = 6;
/// Blocks after which a funding transaction still unconfirmed is taken as abandoned: its
/// closed channel has no closing transaction to find (until the next restart looks again).
const FUNDING_GIVE_UP_BLOCKS: u32 = 2016;

impl ClosingScan {
    /// Whether to look for the funding transaction again at `tip`, rather than spend an RPC
    /// call every round on one that is not confirmed.
    fn funding_lookup_due(self, tip: u32) -> bool {
        match self {
            ClosingScan::NextBlock(_) => true,
            ClosingScan::FundingUnconfirmed { first, last } => {
                tip.saturating_sub(first) < FUNDING_GIVE_UP_BLOCKS
                    && tip.saturating_sub(last) >= FUNDING_RETRY_BLOCKS
            }
        }
    }

    /// Records a failed look at `tip`.
    fn funding_not_found(previous: Option<ClosingScan>, tip: u32) -> ClosingScan {
        match previous {
            Some(ClosingScan::FundingUnconfirmed { first, .. }) => {
                ClosingScan::FundingUnconfirmed { first, last: tip }
            }
            _ => ClosingScan::FundingUnconfirmed {
                first: tip,
                last: tip,
            },
        }
    }
}

/// Fills in closing and claiming transactions of closed channels that lack them. `scans`
/// remembers, per channel uuid, how far the search for the funding spend got.
async fn complete_closed_channels(
    node: &Node,
    ledger: &Ledger,
    scans: &mut HashMap<String, ClosingScan>,
) {
    let closed = match ledger.blocking(|l| l.incomplete_closed_channels()).await {
        Ok(closed) => closed,
        Err(e) => {
            tracing::warn!("closed channels not read: {e}");
            return;
        }
    };
    for record in closed {
        if record.closing_tx.is_none() {
            if let Some(txid) = find_closing_tx(node, &record, scans).await {
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

/// Blocks searched per channel per round, so one channel cannot stall the others.
const MAX_BLOCKS_PER_SCAN: u32 = 100;
/// How far below the tip (when a closed channel is first looked at) the search starts.
const SCAN_LOOKBACK_BLOCKS: u32 = 2016;

/// The confirmed transaction that spent the funding output: first among the transactions the
/// channel's monitor watches (it forgets them 6 blocks deep), then by reading blocks from the
/// funding block on (each block once; progress kept in `scans`).
async fn find_closing_tx(
    node: &Node,
    record: &ChannelRecord,
    scans: &mut HashMap<String, ClosingScan>,
) -> Option<Txid> {
    let funding = funding_outpoint(record)?;
    let channel_id = channel_id_of(record)?;
    let tip = node.best_block().height;
    let previous = scans.get(&record.uuid).copied();
    if previous.is_some_and(|scan| !scan.funding_lookup_due(tip)) {
        return None;
    }
    // With their block hashes: Core finds a confirmed transaction by txid alone only with
    // `-txindex`, which a node need not run.
    let relevant = match node.chain_monitor().get_monitor(channel_id) {
        Ok(monitor) => monitor.get_relevant_txids(),
        Err(()) => Vec::new(),
    };
    for (txid, _, block_hash) in &relevant {
        if *txid == funding.txid {
            continue;
        }
        let tx = node.chain().transaction(*txid, *block_hash).await;
        if tx.is_some_and(|tx| spends(&tx, funding)) {
            return Some(*txid);
        }
    }
    let start = match previous {
        Some(ClosingScan::NextBlock(next)) => next,
        // The funding spend confirms after the close event, or (a close learned from the
        // chain after time offline) at most that long before; two weeks back bounds the search.
        _ => {
            let known = relevant
                .iter()
                .find(|(txid, _, _)| *txid == funding.txid)
                .map(|(_, height, _)| *height);
            let funded_at = match known {
                Some(height) => height,
                None => match node.chain().confirmation_height(funding.txid).await {
                    Some(height) => height,
                    None => {
                        let scan = ClosingScan::funding_not_found(previous, tip);
                        if let ClosingScan::FundingUnconfirmed { first, .. } = scan {
                            if first == tip {
                                tracing::info!(uuid = %record.uuid, txid = %funding.txid, "closed channel's funding is not confirmed; looking again every {FUNDING_RETRY_BLOCKS} blocks, for at most {FUNDING_GIVE_UP_BLOCKS}");
                            }
                        }
                        scans.insert(record.uuid.clone(), scan);
                        return None;
                    }
                },
            };
            funded_at.max(tip.saturating_sub(SCAN_LOOKBACK_BLOCKS))
        }
    };
    let end = tip.min(start.saturating_add(MAX_BLOCKS_PER_SCAN - 1));
    for height in start..=end {
        let Some(block) = node.chain().block_at_height(height).await else {
            scans.insert(record.uuid.clone(), ClosingScan::NextBlock(height));
            return None;
        };
        if let Some(tx) = block.txdata.iter().find(|tx| spends(tx, funding)) {
            scans.remove(&record.uuid);
            return Some(tx.compute_txid());
        }
    }
    scans.insert(
        record.uuid.clone(),
        ClosingScan::NextBlock(end.saturating_add(1).max(start)),
    );
    None
}

fn spends(tx: &Transaction, outpoint: OutPoint) -> bool {
    tx.input.iter().any(|i| i.previous_output == outpoint)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_funding_is_looked_up_every_few_blocks_then_given_up() {
        let first = ClosingScan::funding_not_found(None, 1000);
        assert_eq!(
            first,
            ClosingScan::FundingUnconfirmed {
                first: 1000,
                last: 1000
            }
        );
        assert!(
            !first.funding_lookup_due(1000),
            "not again in the same block"
        );
        assert!(!first.funding_lookup_due(1000 + FUNDING_RETRY_BLOCKS - 1));
        assert!(first.funding_lookup_due(1000 + FUNDING_RETRY_BLOCKS));

        let again = ClosingScan::funding_not_found(Some(first), 1006);
        assert_eq!(
            again,
            ClosingScan::FundingUnconfirmed {
                first: 1000,
                last: 1006
            }
        );
        let late = ClosingScan::FundingUnconfirmed {
            first: 1000,
            last: 1000 + FUNDING_GIVE_UP_BLOCKS - 10,
        };
        assert!(
            !late.funding_lookup_due(1000 + FUNDING_GIVE_UP_BLOCKS),
            "given up after {FUNDING_GIVE_UP_BLOCKS} blocks"
        );
        assert!(ClosingScan::NextBlock(5).funding_lookup_due(5));
    }
}
