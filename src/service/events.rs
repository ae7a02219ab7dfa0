//! LDK events into the ledger: the node's [`NodeEventSink`].
//!
//! Closed channels are recorded here (LDK forgets them). Payment events go to the daemon's
//! [`PaymentHub`], the same one the RPC handlers hold, so waiters are woken.
//! A failed write answers `ReplayEvent`, so LDK hands the event again later.

use std::sync::Arc;

use lightning::events::{Event, ReplayEvent};

use crate::ledger::{ChannelClosure, Ledger};
use crate::node::{ChannelClosedRecord, ChannelManager, NodeEventSink, SinkFuture};
use crate::service::payments::PaymentHub;

/// The daemon's event sink: writes to the ledger, then acknowledges.
pub struct LedgerEventSink {
    ledger: Ledger,
    payments: PaymentHub,
}

impl LedgerEventSink {
    /// `payments` must be the hub the RPC context carries (it shares the waiters).
    pub fn new(ledger: Ledger, payments: PaymentHub) -> Self {
        LedgerEventSink { ledger, payments }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
}

/// The payment event handler writes the ledger without waiting for its commit; the node's flush
/// commits those writes before each ChannelManager it writes (durable.rs, step 5).
struct LedgerBarrier(Ledger);

impl crate::node::durable::CommitBarrier for LedgerBarrier {
    fn commit(&self) -> Result<(), String> {
        self.0.commit_pending().map_err(|e| e.to_string())
    }
}

/// The ledger row of a closing channel.
pub fn closure_from_record(record: &ChannelClosedRecord) -> ChannelClosure {
    ChannelClosure {
        uuid: record.uuid.to_string(),
        channel_id: record.channel_id.to_string(),
        counterparty_node_id: record.counterparty.map(|p| p.to_string()),
        funding_tx: record.funding_txo.map(|o| o.txid.to_string()),
        funding_tx_output_index: record.funding_txo.map(|o| o.vout),
        funding_value_sats: record.capacity_sat,
        closure_reason: record.reason.clone(),
        last_local_balance_msat: record.last_local_balance_msat,
        closed_at: record.closed_at,
    }
}

impl NodeEventSink for LedgerEventSink {
    fn payment_event<'a>(
        &'a self,
        event: Event,
        channel_manager: &'a Arc<ChannelManager>,
    ) -> SinkFuture<'a> {
        Box::pin(self.payments.apply_payment_event(event, channel_manager))
    }

    fn wallet_journal(&self) -> Option<Arc<dyn crate::node::wallet_db::WalletJournal>> {
        Some(Arc::new(
            crate::service::feeds::journal::LedgerWalletJournal::new(self.ledger.clone()),
        ))
    }

    fn commit_barrier(&self) -> Option<Arc<dyn crate::node::durable::CommitBarrier>> {
        Some(Arc::new(LedgerBarrier(self.ledger.clone())))
    }

    fn channel_closed(&self, record: ChannelClosedRecord) -> SinkFuture<'_> {
        Box::pin(async move {
            let closure = closure_from_record(&record);
            self.ledger
                .blocking(move |l| l.record_channel_closed(&closure))
                .await
                .map_err(|e| {
                    tracing::error!(uuid = %record.uuid, "closed channel not recorded, replaying: {e}");
                    ReplayEvent()
                })
        })
    }
}
