//! LDK events: channel lifecycle and on-chain bookkeeping are handled here; payment events and
//! closed-channel records go to a pluggable [`NodeEventSink`] (the payments layer), whose failure
//! makes LDK replay the event.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use lightning::chain::chaininterface::ConfirmationTarget;
use lightning::events::{
    ClosureReason, Event, FundingInfo, HTLCHandlingFailureType, PaymentPurpose, ReplayEvent,
};

use super::lock_unpoisoned;
use super::peers::PeerConnector;
use super::persist::TrustedNodes;
use super::types::{ChannelClosedRecord, ChannelManager, Sweeper};
use super::wallet::OnchainWallet;

pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ReplayEvent>> + Send + 'a>>;

/// Where payment events and closed-channel records go. Implementations must be idempotent:
/// returning `Err(ReplayEvent)` makes LDK hand the same event again later.
pub trait NodeEventSink: Send + Sync {
    /// `PaymentClaimable`, `PaymentClaimed`, `PaymentSent`, `PaymentFailed`,
    /// `PaymentPathSuccessful`, `PaymentPathFailed`, `ProbeSuccessful`, `ProbeFailed`,
    /// `HTLCHandlingFailed` of a received payment, and `InvoiceReceived` (BOLT 12 invoices are
    /// handled manually, so an offer payment's row is written before it is paid).
    fn payment_event<'a>(
        &'a self,
        event: Event,
        channel_manager: &'a Arc<ChannelManager>,
    ) -> SinkFuture<'a>;
    /// A channel closed (including channels that never got funded).
    fn channel_closed(&self, record: ChannelClosedRecord) -> SinkFuture<'_>;
    /// Where the wallet records what it observes, in its own persist transaction. `None`
    /// (the default): the wallet keeps no journal.
    fn wallet_journal(&self) -> Option<Arc<dyn crate::node::wallet_db::WalletJournal>> {
        None
    }
    /// What the flush commits before each ChannelManager, when the sink writes without waiting
    /// for its commits (see durable.rs, step 5). `None` (the default): the sink's writes are
    /// durable before it returns.
    fn commit_barrier(&self) -> Option<Arc<dyn crate::node::durable::CommitBarrier>> {
        None
    }
}

/// A sink that claims every payment whose preimage LDK knows (invoices it created, keysend) and
/// only logs the rest. For the node's own tests and the sandbox's peer nodes, which keep no ledger.
pub struct AutoClaimSink;

impl NodeEventSink for AutoClaimSink {
    fn payment_event<'a>(
        &'a self,
        event: Event,
        channel_manager: &'a Arc<ChannelManager>,
    ) -> SinkFuture<'a> {
        Box::pin(async move {
            if let Event::PaymentClaimable {
                payment_hash,
                purpose,
                amount_msat,
                ..
            } = &event
            {
                match purpose.preimage() {
                    Some(preimage) => channel_manager.claim_funds(preimage),
                    None => {
                        tracing::warn!(%payment_hash, amount_msat, "claimable payment without a known preimage; failing it back");
                        channel_manager.fail_htlc_backwards(payment_hash);
                    }
                }
                if let PaymentPurpose::SpontaneousPayment(_) = purpose {
                    tracing::debug!(%payment_hash, "claimed keysend");
                }
            } else if let Event::InvoiceReceived {
                invoice, context, ..
            } = &event
            {
                // No ledger to record first: pay as LDK would without manual handling.
                if let Err(e) =
                    channel_manager.send_payment_for_bolt12_invoice(invoice, context.as_ref())
                {
                    tracing::warn!(?e, "BOLT 12 invoice not paid");
                }
            } else {
                tracing::debug!(?event, "payment event (no ledger attached)");
            }
            Ok(())
        })
    }

    fn channel_closed(&self, record: ChannelClosedRecord) -> SinkFuture<'_> {
        Box::pin(async move {
            tracing::info!(uuid = %record.uuid, reason = %record.reason, "channel closed (no ledger attached)");
            Ok(())
        })
    }
}

/// Time spent handling events, for the benchmark: LDK hands events over one at a time, so this
/// is a serial stage of every payment.
#[derive(Default)]
pub struct EventTiming {
    events: std::sync::atomic::AtomicU64,
    micros: std::sync::atomic::AtomicU64,
}

/// Events handled and microseconds spent on them since start.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct EventStats {
    pub events: u64,
    pub handling_us: u64,
}

impl EventTiming {
    pub fn stats(&self) -> EventStats {
        use std::sync::atomic::Ordering::Relaxed;
        EventStats {
            events: self.events.load(Relaxed),
            handling_us: self.micros.load(Relaxed),
        }
    }
}

/// Handles one event at a time for the background processor.
pub(super) struct NodeEventHandler {
    pub timing: Arc<EventTiming>,
    pub channel_manager: Arc<ChannelManager>,
    pub wallet: Arc<OnchainWallet>,
    pub sweeper: Arc<Sweeper>,
    pub trusted: Arc<TrustedNodes>,
    pub connector: Arc<PeerConnector>,
    pub sink: Arc<dyn NodeEventSink>,
    /// Why a funding transaction could not be built, keyed by `user_channel_id`, so the close
    /// record says so instead of a bare "holder force-closed".
    pub funding_failures: Mutex<HashMap<u128, String>>,
    /// `user_channel_id`s of channels that closed this session (for "already closed" errors).
    pub closed_channels: Arc<Mutex<HashSet<u128>>>,
}

impl NodeEventHandler {
    pub async fn handle(&self, event: Event) -> Result<(), ReplayEvent> {
        use std::sync::atomic::Ordering::Relaxed;
        let started = std::time::Instant::now();
        let result = self.dispatch(event).await;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.timing.events.fetch_add(1, Relaxed);
        self.timing.micros.fetch_add(micros, Relaxed);
        result
    }

    async fn dispatch(&self, event: Event) -> Result<(), ReplayEvent> {
        match event {
            Event::FundingGenerationReady {
                temporary_channel_id,
                counterparty_node_id,
                channel_value_satoshis,
                output_script,
                user_channel_id,
            } => {
                let fee_rate = self
                    .wallet
                    .default_fee_rate(ConfirmationTarget::NonAnchorChannelFee);
                // Building reserves the inputs (see `OnchainWallet::build_signed`); they stay
                // spent from now on, whether or not the funding confirms soon.
                let result = self
                    .wallet
                    .build_funding_tx(output_script, channel_value_satoshis, fee_rate)
                    .map_err(|e| e.to_string())
                    .and_then(|tx| {
                        let txid = tx.compute_txid();
                        self.channel_manager
                            .funding_transaction_generated(
                                temporary_channel_id,
                                counterparty_node_id,
                                tx,
                            )
                            .map_err(|e| {
                                // LDK will never broadcast it: release its coins.
                                if let Err(e) = self.wallet.forget_unconfirmed(txid) {
                                    tracing::error!(%txid, "refused funding coins not released: {e}");
                                }
                                format!("LDK refused the funding transaction: {e:?}")
                            })
                    });
                match result {
                    Ok(()) => {}
                    Err(reason) => {
                        tracing::error!(%counterparty_node_id, "channel funding failed: {reason}");
                        lock_unpoisoned(&self.funding_failures)
                            .insert(user_channel_id, format!("funding failed: {reason}"));
                        let _ = self.channel_manager.force_close_broadcasting_latest_txn(
                            &temporary_channel_id,
                            &counterparty_node_id,
                            format!("funding failed: {reason}"),
                        );
                    }
                }
                Ok(())
            }
            Event::OpenChannelRequest {
                temporary_channel_id,
                counterparty_node_id,
                funding_satoshis,
                ..
            } => {
                let user_channel_id = uuid::Uuid::new_v4().as_u128();
                let result = if self.trusted.contains(&counterparty_node_id) {
                    self.channel_manager
                        .accept_inbound_channel_from_trusted_peer_0conf(
                            &temporary_channel_id,
                            &counterparty_node_id,
                            user_channel_id,
                            None,
                        )
                } else {
                    self.channel_manager.accept_inbound_channel(
                        &temporary_channel_id,
                        &counterparty_node_id,
                        user_channel_id,
                        None,
                    )
                };
                if let Err(e) = result {
                    tracing::warn!(%counterparty_node_id, funding_satoshis, "inbound channel not accepted: {e:?}");
                }
                Ok(())
            }
            Event::ChannelPending {
                channel_id,
                user_channel_id,
                counterparty_node_id,
                funding_txo,
                ..
            } => {
                tracing::info!(%channel_id, uuid = %uuid::Uuid::from_u128(user_channel_id), %counterparty_node_id, %funding_txo, "channel pending");
                Ok(())
            }
            Event::ChannelReady {
                channel_id,
                user_channel_id,
                counterparty_node_id,
                ..
            } => {
                tracing::info!(%channel_id, uuid = %uuid::Uuid::from_u128(user_channel_id), %counterparty_node_id, "channel ready");
                Ok(())
            }
            Event::ChannelClosed {
                channel_id,
                user_channel_id,
                reason,
                counterparty_node_id,
                channel_capacity_sats,
                channel_funding_txo,
                last_local_balance_msat,
            } => {
                lock_unpoisoned(&self.closed_channels).insert(user_channel_id);
                let funding_failure = lock_unpoisoned(&self.funding_failures)
                    .get(&user_channel_id)
                    .cloned();
                let initiated_locally = matches!(
                    reason,
                    ClosureReason::HolderForceClosed { .. }
                        | ClosureReason::LocallyInitiatedCooperativeClosure
                        | ClosureReason::LocallyCoopClosedUnfundedChannel
                );
                let record = ChannelClosedRecord {
                    uuid: uuid::Uuid::from_u128(user_channel_id),
                    channel_id,
                    counterparty: counterparty_node_id,
                    funding_txo: channel_funding_txo.map(|o| o.into_bitcoin_outpoint()),
                    capacity_sat: channel_capacity_sats,
                    last_local_balance_msat,
                    reason: funding_failure.unwrap_or_else(|| reason.to_string()),
                    initiated_locally,
                    closed_at: super::unix_now_secs(),
                };
                tracing::info!(%channel_id, uuid = %record.uuid, reason = %record.reason, "channel closed");
                self.sink.channel_closed(record).await?;
                // Only now: a replayed event must still find the funding failure reason.
                lock_unpoisoned(&self.funding_failures).remove(&user_channel_id);
                Ok(())
            }
            Event::SpendableOutputs {
                outputs,
                channel_id,
            } => {
                // The sweeper persists them and spends them to a fresh wallet address once they
                // are spendable; if it cannot persist, LDK must hand them to us again.
                // `StaticOutput`s pay our destination or shutdown script, which are wallet
                // addresses (signer.rs): the wallet already owns them, and the KeysManager
                // cannot sign for them, so a sweep batching one with a force-close output
                // would never be signed. Leave them to the wallet.
                self.sweeper
                    .track_spendable_outputs(outputs, channel_id, true, None)
                    .map_err(|()| {
                        tracing::error!("sweeper could not persist spendable outputs; replaying");
                        ReplayEvent()
                    })
            }
            Event::DiscardFunding {
                channel_id,
                funding_info,
            } => {
                let txid = match funding_info {
                    FundingInfo::Tx { transaction } => transaction.compute_txid(),
                    FundingInfo::OutPoint { outpoint } => outpoint.txid,
                };
                tracing::info!(%channel_id, %txid, "funding transaction discarded; releasing its coins");
                if let Err(e) = self.wallet.forget_unconfirmed(txid) {
                    tracing::error!(%txid, "could not release discarded funding coins: {e}");
                }
                Ok(())
            }
            Event::ConnectionNeeded { node_id, addresses } => {
                let connector = Arc::clone(&self.connector);
                tokio::spawn(async move {
                    for addr in addresses {
                        if connector
                            .connect(node_id, &addr.to_string(), super::peers::RECONNECT_TIMEOUT)
                            .await
                            .is_ok()
                        {
                            break;
                        }
                    }
                });
                Ok(())
            }
            Event::BumpTransaction(bump) => {
                // Only anchor channels emit this, and we do not negotiate anchors (see mod.rs).
                tracing::warn!(?bump, "unexpected fee-bump request (anchors are disabled)");
                Ok(())
            }
            Event::PaymentForwarded {
                prev_channel_id,
                next_channel_id,
                total_fee_earned_msat,
                outbound_amount_forwarded_msat,
                ..
            } => {
                tracing::info!(
                    ?prev_channel_id,
                    ?next_channel_id,
                    ?total_fee_earned_msat,
                    ?outbound_amount_forwarded_msat,
                    "payment forwarded"
                );
                Ok(())
            }
            // A received HTLC set failed back: the payments layer learns of hold invoices
            // whose deadline LDK enforced.
            event @ Event::HTLCHandlingFailed {
                failure_type: HTLCHandlingFailureType::Receive { .. },
                ..
            } => self.sink.payment_event(event, &self.channel_manager).await,
            Event::HTLCHandlingFailed {
                prev_channel_id,
                failure_type,
                failure_reason,
            } => {
                tracing::debug!(%prev_channel_id, ?failure_type, ?failure_reason, "HTLC handling failed");
                Ok(())
            }
            Event::HTLCIntercepted { intercept_id, .. } => {
                // Interception is off; should one arrive anyway, fail it rather than hold it.
                let _ = self.channel_manager.fail_intercepted_htlc(intercept_id);
                Ok(())
            }
            event @ (Event::PaymentClaimable { .. }
            | Event::PaymentClaimed { .. }
            | Event::PaymentSent { .. }
            | Event::PaymentFailed { .. }
            | Event::PaymentPathSuccessful { .. }
            | Event::PaymentPathFailed { .. }
            | Event::ProbeSuccessful { .. }
            | Event::ProbeFailed { .. }
            | Event::InvoiceReceived { .. }) => {
                self.sink.payment_event(event, &self.channel_manager).await
            }
            other => {
                tracing::debug!(?other, "event not used by this node");
                Ok(())
            }
        }
    }
}
