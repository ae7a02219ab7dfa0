//! The wallet's journal: what the on-chain wallet observes in a block becomes `wallet_*`
//! events, written in the wallet's own persist transaction (so the event is durable exactly
//! when the wallet state that contains it is) and published after that commit.

use crate::ledger::{append_wallet_events, EventKind, Ledger, WalletEventRecord};
use crate::node::wallet_db::{WalletChange, WalletJournal};

pub struct LedgerWalletJournal {
    ledger: Ledger,
}

impl LedgerWalletJournal {
    pub fn new(ledger: Ledger) -> Self {
        LedgerWalletJournal { ledger }
    }
}

fn record(change: &WalletChange) -> WalletEventRecord {
    match change {
        WalletChange::Received { txid, net_sat } => WalletEventRecord {
            kind: EventKind::WalletReceived,
            txid: txid.clone(),
            net_sat: *net_sat,
            confirmation_height: None,
        },
        WalletChange::Confirmed {
            txid,
            net_sat,
            height,
        } => WalletEventRecord {
            kind: EventKind::WalletConfirmed,
            txid: txid.clone(),
            net_sat: *net_sat,
            confirmation_height: Some(*height),
        },
    }
}

impl WalletJournal for LedgerWalletJournal {
    fn append(
        &self,
        tx: &rusqlite::Transaction<'_>,
        changes: &[WalletChange],
    ) -> Result<(), String> {
        let records: Vec<WalletEventRecord> = changes.iter().map(record).collect();
        append_wallet_events(tx, &records, self.ledger.now()).map_err(|e| e.to_string())
    }

    fn committed(&self) {
        if let Err(e) = self.ledger.publish_committed_events() {
            // Waiters still see the events at their next wake-up or poll.
            tracing::warn!("wallet events committed but not published: {e}");
        }
    }
}
