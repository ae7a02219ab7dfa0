//! LDK payment events applied to the ledger, idempotently, then waiters notified.
//!
//! Every handler writes the ledger first and acts (claims, fails back) only after the write;
//! a write that fails returns `Err(ReplayEvent)` and LDK hands the event again, which the
//! ledger's idempotent writes absorb.
//!
//! The writes are deferred (`Ledger::deferring`): the handler does not wait for their fsync.
//! LDK hands events over one at a time, and it releases a channel's next monitor update (the
//! one behind a `revoke_and_ack`) only after every `PaymentSent` (sender) or `PaymentClaimed`
//! (receiver) of the batch that blocks it has been handled, so one fsync per event stalled the
//! channel for the whole batch: 53 payments settled together held it ~350 ms (LDK's debug log
//! under `mmln bench`). Deferring is safe because nothing leaves the node before the rows are
//! durable: a claim or a fail-back reaches the peer only after the node's next flush, which
//! makes the ledger durable first (node/durable.rs, step 5), and so does the ChannelManager
//! that forgets the event. Waiters are notified only once the write is durable
//! (`notify_when_durable`), and a read that must see an earlier event's write waits for it
//! first (`settled`). The cost: should a commit of deferred rows fail (a full disk at that
//! instant), the ledger refuses further writes and the node goes offline until it is
//! restarted, when LDK replays the events behind the lost rows.
//!
//! Inbound (`PaymentClaimable`): statuses go pending -> claimable -> succeeded. Every claimable
//! HTLC set is claimed or failed back at once, never left to time out (that force-closes the
//! channel): a second payment of a settled hash, or an underpaid invoice, is failed back with a
//! ledger note (see `Ledger::record_inbound_claimable`). The claim:
//! - no even custom record: `claim_funds`;
//! - every even key in the allow-list: `claim_funds_with_known_custom_tlvs`;
//! - any other even key (BOLT 1: unknown even types must be refused): fail the HTLCs back with
//!   `InvalidOnionPayload` and mark the payment failed, naming the key.
//!
//! Hold invoices (`PaymentClaimable` without a preimage, for a row marked `hold`): the set is
//! recorded as `held` and neither claimed nor failed back; the client settles or cancels it
//! (`hold.rs`). Should LDK fail it back itself at the claim deadline (`HTLCHandlingFailed` with
//! `PaymentClaimBuffer`), the row becomes `canceled` with that reason.

use std::sync::Arc;

use lightning::events::{
    Event, HTLCHandlingFailureReason, HTLCHandlingFailureType, PaymentPurpose, ReplayEvent,
};
use lightning::ln::channelmanager::{FailureCode as HtlcFailureCode, PaymentId};
use lightning::ln::LocalHTLCFailureReason;
use lightning::types::payment::{PaymentHash, PaymentPreimage};

use crate::ledger::{
    CancelOutcome, ClaimableOutcome, CustomRecord, FailureCode, InboundClaimable, Ledger,
    LedgerError,
};
use crate::node::ChannelManager;

use super::failure::payment_failed;
use super::hub::PaymentHub;
use super::notify::PaymentNotifier;
use super::send::payment_id_for;
use super::wallet_routing::wallet_id_of;

/// How a claimable payment is to be settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimDecision {
    Claim,
    /// Even custom records that are all in the allow-list.
    ClaimWithKnownEvenRecords,
    Reject {
        reason: String,
    },
}

/// Decides the claim from the received custom records (see the module docs).
pub fn claim_decision(records: &[(u64, Vec<u8>)], allowed_even: &[u64]) -> ClaimDecision {
    let even: Vec<u64> = records
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| key % 2 == 0)
        .collect();
    if even.is_empty() {
        return ClaimDecision::Claim;
    }
    let unknown: Vec<String> = even
        .iter()
        .filter(|key| !allowed_even.contains(key))
        .map(u64::to_string)
        .collect();
    if unknown.is_empty() {
        ClaimDecision::ClaimWithKnownEvenRecords
    } else {
        ClaimDecision::Reject {
            reason: format!(
                "refused: unknown even custom record type {} (BOLT 1: unknown even types must \
                 be rejected; odd types are always accepted)",
                unknown.join(", ")
            ),
        }
    }
}

/// A ledger error worth a replay (I/O, busy database) rather than one that will never succeed
/// (e.g. the hash is one of our outbound payments).
pub(super) fn is_transient(error: &LedgerError) -> bool {
    matches!(
        error,
        LedgerError::QueryFailed(_)
            | LedgerError::TaskFailed(_)
            | LedgerError::OpenFailed { .. }
            | LedgerError::NotDurable(_)
    )
}

pub(super) fn replay(what: &str, hash: &[u8; 32], error: &LedgerError) -> Result<(), ReplayEvent> {
    if is_transient(error) {
        tracing::error!(hash = %hex::encode(hash), "{what}: ledger write failed, LDK will replay the event: {error}");
        Err(ReplayEvent())
    } else {
        tracing::error!(hash = %hex::encode(hash), "{what}: not recorded: {error}");
        Ok(())
    }
}

impl PaymentHub {
    /// The payments part of the node's event sink: call it for `PaymentClaimable`,
    /// `PaymentClaimed`, `PaymentSent`, `PaymentFailed` and the path/probe events (logged).
    pub async fn apply_payment_event(
        &self,
        event: Event,
        channel_manager: &Arc<ChannelManager>,
    ) -> Result<(), ReplayEvent> {
        apply_payment_event(
            &self.ledger,
            &self.notifier,
            &self.settings.allowed_even_records,
            &self.settings.wallet_routing_records,
            event,
            channel_manager,
        )
        .await
    }
}

/// See [`PaymentHub::apply_payment_event`].
pub async fn apply_payment_event(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    allowed_even: &[u64],
    wallet_routing: &[u64],
    event: Event,
    cm: &Arc<ChannelManager>,
) -> Result<(), ReplayEvent> {
    // See the module docs.
    let ledger = &ledger.deferring();
    match event {
        Event::PaymentClaimable {
            payment_hash,
            onion_fields,
            amount_msat,
            purpose,
            payment_id,
            claim_deadline,
            ..
        } => {
            let records = onion_fields
                .map(|o| o.custom_tlvs().clone())
                .unwrap_or_default();
            // Only a keysend is routed: an invoice already names what it pays for.
            let wallet_id = match &purpose {
                PaymentPurpose::SpontaneousPayment(_) => wallet_id_of(&records, wallet_routing),
                _ => None,
            };
            if let Some(inbound) =
                super::offer_events::inbound_bolt12(&payment_hash, amount_msat, &purpose)
            {
                if !super::offer_events::record_inbound(ledger, notifier, cm, inbound).await? {
                    return Ok(());
                }
            }
            let arrived = Arrived {
                payment_hash,
                htlc_set: payment_id,
                amount_msat,
                claim_deadline,
                wallet_id,
            };
            on_claimable(
                ledger,
                notifier,
                allowed_even,
                cm,
                arrived,
                &purpose,
                records,
            )
            .await
        }
        Event::HTLCHandlingFailed {
            failure_type: HTLCHandlingFailureType::Receive { payment_hash },
            failure_reason:
                Some(HTLCHandlingFailureReason::Local {
                    reason: LocalHTLCFailureReason::PaymentClaimBuffer,
                }),
            ..
        } => {
            let reason = "canceled: the HTLCs came within 39 blocks of expiring and the \
                          Lightning engine failed them back";
            on_hold_failed_back(ledger, notifier, payment_hash.0, reason).await
        }
        Event::PaymentClaimed {
            payment_hash,
            amount_msat,
            purpose,
            ..
        } => {
            let hash = payment_hash.0;
            let preimage = match purpose.preimage() {
                Some(p) => Some(p.0),
                None => match settled(ledger, move |l| l.get_payment(&hash)).await {
                    Ok(row) => row.and_then(|p| p.preimage),
                    Err(e) => return replay("payment claimed", &hash, &e),
                },
            };
            let Some(preimage) = preimage else {
                tracing::error!(hash = %hex::encode(hash), "claimed payment without a known preimage; not recorded");
                return Ok(());
            };
            // The amount actually received: this is how an amountless invoice gets its amount.
            let result = ledger
                .blocking(move |l| l.mark_succeeded(&hash, &preimage, None, Some(amount_msat)))
                .await;
            finish("payment claimed", ledger, notifier, &hash, result)
        }
        Event::PaymentFailed {
            payment_id,
            payment_hash: None,
            reason,
        } => {
            super::offer_events::on_failed_without_hash(ledger, notifier, payment_id, reason).await
        }
        Event::InvoiceReceived {
            payment_id,
            invoice,
            context,
            ..
        } => {
            super::offer_events::on_invoice_received(
                ledger, notifier, cm, payment_id, invoice, context,
            )
            .await
        }
        event @ (Event::PaymentSent { .. } | Event::PaymentFailed { .. }) => {
            apply_outbound_outcome(ledger, notifier, event).await
        }
        Event::PaymentPathFailed {
            payment_hash,
            payment_failed_permanently,
            failure,
            short_channel_id,
            path,
            ..
        } => {
            tracing::debug!(hash = %payment_hash, payment_failed_permanently, ?failure, ?short_channel_id, "payment path failed");
            let failed = crate::service::sendpay::failure::PathFailed {
                path: &path,
                failure: &failure,
                short_channel_id,
                payment_failed_permanently,
                our_id: cm.get_our_node_id(),
            };
            let mut details = crate::service::sendpay::failure::part_failure(&failed);
            details.failcode = details
                .erring_node
                .and_then(|n| bitcoin::secp256k1::PublicKey::from_slice(&n).ok())
                .and_then(|n| crate::node::onion_errors::take_failcode(&payment_hash.0, &n));
            let key = crate::service::sendpay::route::route_key(
                path.hops.iter().map(|h| h.short_channel_id),
            );
            let hash = payment_hash.0;
            // Only `sendpay` parts have a route key to match; other sends change nothing.
            match ledger
                .blocking(move |l| l.sendpay_path_failed(&hash, &key, &details))
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => replay("payment path failed", &hash, &e),
            }
        }
        other => {
            tracing::debug!(event = ?other, "payment event without ledger effect");
            Ok(())
        }
    }
}

/// The outcome of one of our sends (`PaymentSent`, `PaymentFailed`) into the ledger. Needs no
/// `ChannelManager`: nothing is claimed or failed back. Other events are ignored.
pub async fn apply_outbound_outcome(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    event: Event,
) -> Result<(), ReplayEvent> {
    match event {
        Event::PaymentSent {
            payment_preimage,
            payment_hash,
            amount_msat,
            fee_paid_msat,
            ..
        } => {
            let hash = payment_hash.0;
            let preimage = payment_preimage.0;
            let result = ledger
                .blocking(move |l| l.mark_succeeded(&hash, &preimage, fee_paid_msat, amount_msat))
                .await;
            finish("payment sent", ledger, notifier, &hash, result)
        }
        Event::PaymentFailed {
            payment_id,
            payment_hash,
            reason,
        } => {
            let Some(payment_hash) = payment_hash else {
                tracing::debug!(
                    ?payment_id,
                    "payment failed before it had a hash (BOLT 12); not ours"
                );
                return Ok(());
            };
            let hash = payment_hash.0;
            let row = match ledger.blocking(move |l| l.get_payment(&hash)).await {
                Ok(row) => row,
                Err(e) => return replay("payment failed", &hash, &e),
            };
            let Some(row) = row else {
                tracing::warn!(hash = %hex::encode(hash), "failed payment is not in the ledger");
                return Ok(());
            };
            // A late failure of an attempt that a retry already replaced. A BOLT 12 row is
            // never retried under its hash (a new attempt asks for a new invoice).
            if row.bolt12.is_none() && payment_id != payment_id_for(&hash, row.attempts) {
                tracing::info!(hash = %hex::encode(hash), "failure of a superseded attempt ignored");
                return Ok(());
            }
            let failure = payment_failed(reason);
            tracing::info!(hash = %hex::encode(hash), reason = %failure.reason, "payment failed");
            let result = ledger
                .blocking(move |l| l.mark_failed(&hash, failure.code, &failure.reason))
                .await;
            finish("payment failed", ledger, notifier, &hash, result)
        }
        _ => Ok(()),
    }
}

/// A `PaymentClaimable`'s set, as `on_claimable` needs it.
struct Arrived {
    payment_hash: PaymentHash,
    htlc_set: Option<PaymentId>,
    amount_msat: u64,
    claim_deadline: Option<u32>,
    /// The sub-wallet a keysend's routing record names (`wallet_routing.rs`).
    wallet_id: Option<String>,
}

/// Records a claimable payment, then claims it, fails it back, or (a hold invoice) keeps it.
/// LDK requires a claim or a fail-back for every `PaymentClaimable` in time: an HTLC left alone
/// past its deadline force-closes the channel, which is why held payments are canceled
/// automatically before theirs (`hold.rs`).
async fn on_claimable(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    allowed_even: &[u64],
    cm: &Arc<ChannelManager>,
    arrived: Arrived,
    purpose: &PaymentPurpose,
    records: Vec<(u64, Vec<u8>)>,
) -> Result<(), ReplayEvent> {
    let payment_hash = arrived.payment_hash;
    let hash = payment_hash.0;
    let amount_msat = arrived.amount_msat;
    let claimable = InboundClaimable {
        payment_hash: hash,
        amount_msat,
        preimage: purpose.preimage().map(|p| p.0),
        custom_records: records
            .iter()
            .map(|(key, value)| CustomRecord {
                key: *key,
                value: value.clone(),
            })
            .collect(),
        htlc_set: arrived.htlc_set.map(|id| id.0),
        claim_deadline_height: arrived.claim_deadline,
    };
    let wallet_id = arrived.wallet_id;
    let payment = match ledger
        .blocking(move |l| l.record_inbound_claimable_routed(&claimable, wallet_id.as_deref()))
        .await
    {
        Ok(ClaimableOutcome::Claim(applied)) => applied.payment,
        Ok(ClaimableOutcome::Hold(applied)) => {
            return on_held(ledger, notifier, allowed_even, cm, applied, &records).await;
        }
        Ok(ClaimableOutcome::AlreadyClaimed(_)) => return Ok(()),
        Ok(ClaimableOutcome::Refuse { reason, .. }) => {
            tracing::warn!(hash = %hex::encode(hash), amount_msat, %reason, "inbound HTLC set failed back");
            cm.fail_htlc_backwards(&payment_hash);
            return Ok(());
        }
        Err(e) if is_transient(&e) => return replay("payment claimable", &hash, &e),
        Err(e) => {
            // Never claimable for us (e.g. the hash of one of our own outbound payments).
            tracing::error!(hash = %hex::encode(hash), "claimable payment refused: {e}");
            cm.fail_htlc_backwards(&payment_hash);
            return Ok(());
        }
    };
    notify_when_durable(ledger, notifier, hash);
    // LDK knows the preimage of invoices it made and of keysends; a hold invoice being settled
    // has the client's preimage in the ledger.
    let preimage = purpose.preimage().or(payment.preimage.map(PaymentPreimage));
    let decision = match preimage {
        None => ClaimDecision::Reject {
            reason: "refused: no preimage is known for this payment hash".to_string(),
        },
        Some(_) => claim_decision(&records, allowed_even),
    };
    match (decision, preimage) {
        (ClaimDecision::Claim, Some(preimage)) => cm.claim_funds(preimage),
        (ClaimDecision::ClaimWithKnownEvenRecords, Some(preimage)) => {
            cm.claim_funds_with_known_custom_tlvs(preimage)
        }
        (ClaimDecision::Reject { reason }, _) => {
            let text = reason.clone();
            let result = ledger
                .blocking(move |l| l.mark_failed(&hash, FailureCode::ClaimFailed, &text))
                .await;
            if let Err(e) = &result {
                if is_transient(e) {
                    return replay("payment refused", &hash, e);
                }
            }
            tracing::info!(hash = %hex::encode(hash), %reason, "inbound payment failed back");
            cm.fail_htlc_backwards_with_reason(
                &payment_hash,
                HtlcFailureCode::InvalidOnionPayload(None),
            );
            notify_when_durable(ledger, notifier, hash);
        }
        (_, None) => cm.fail_htlc_backwards(&payment_hash),
    }
    Ok(())
}

/// A hold invoice's set is recorded as held: keep it, unless it carries an even custom record
/// we may not accept (BOLT 1), in which case the invoice is canceled and the set failed back.
async fn on_held(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    allowed_even: &[u64],
    cm: &Arc<ChannelManager>,
    applied: crate::ledger::Applied,
    records: &[(u64, Vec<u8>)],
) -> Result<(), ReplayEvent> {
    let hash = applied.payment.payment_hash;
    if let ClaimDecision::Reject { reason } = claim_decision(records, allowed_even) {
        let text = reason.clone();
        match ledger
            .blocking(move |l| l.cancel_hold_invoice(&hash, &text))
            .await
        {
            Err(e) if is_transient(&e) => return replay("hold invoice refused", &hash, &e),
            Err(e) => tracing::error!(hash = %hex::encode(hash), "hold invoice not canceled: {e}"),
            Ok(_) => {}
        }
        tracing::info!(hash = %hex::encode(hash), %reason, "hold invoice payment failed back");
        cm.fail_htlc_backwards_with_reason(
            &PaymentHash(hash),
            HtlcFailureCode::InvalidOnionPayload(None),
        );
        notify_when_durable(ledger, notifier, hash);
        return Ok(());
    }
    if applied.changed {
        tracing::info!(
            hash = %hex::encode(hash),
            amount_msat = ?applied.payment.amount_msat,
            claim_deadline_height = ?applied.payment.claim_deadline_height,
            "hold invoice payment held until settled or canceled"
        );
        notify_when_durable(ledger, notifier, hash);
    }
    Ok(())
}

/// LDK failed a received set back on its own. For a held hold invoice that means its deadline
/// passed (the auto-cancel should have come first): record it canceled with `reason`.
async fn on_hold_failed_back(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    hash: [u8; 32],
    reason: &'static str,
) -> Result<(), ReplayEvent> {
    let held = match settled(ledger, move |l| l.get_payment(&hash)).await {
        Ok(row) => row.is_some_and(|p| {
            p.hold && p.status == crate::ledger::PaymentStatus::Held && p.preimage.is_none()
        }),
        Err(e) => return replay("hold invoice failed back", &hash, &e),
    };
    if !held {
        return Ok(());
    }
    match ledger
        .blocking(move |l| l.cancel_hold_invoice(&hash, reason))
        .await
    {
        Ok(CancelOutcome::Canceled(_)) => {
            tracing::warn!(hash = %hex::encode(hash), "{reason}");
            notify_when_durable(ledger, notifier, hash);
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => replay("hold invoice failed back", &hash, &e),
    }
}

/// Wakes `hash`'s waiters once every write made so far is committed (at once for a handle
/// that does not defer). A lost commit wakes nobody: the node stops and LDK replays the event.
pub(super) fn notify_when_durable(ledger: &Ledger, notifier: &PaymentNotifier, hash: [u8; 32]) {
    if !ledger.defers() {
        // The write returned after its commit: no task, and no wait for other writers' commits.
        notifier.notify(&hash);
        return;
    }
    let seq = ledger.applied_writes();
    let (ledger, notifier) = (ledger.clone(), notifier.clone());
    tokio::spawn(async move {
        match ledger.durable(seq).await {
            Ok(()) => notifier.notify(&hash),
            Err(e) => {
                tracing::error!(hash = %hex::encode(hash), "payment update not committed: {e}")
            }
        }
    });
}

/// A read that must see the writes of events handled before (deferred, maybe not yet
/// committed, and readers see only commits): waits for them, then reads.
async fn settled<T, F>(ledger: &Ledger, read: F) -> Result<T, LedgerError>
where
    F: FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
    T: Send + 'static,
{
    if ledger.defers() {
        ledger.durable(ledger.applied_writes()).await?;
    }
    ledger.blocking(read).await
}

/// Notifies after the write is committed; a transient failure asks LDK to replay.
fn finish(
    what: &str,
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    hash: &[u8; 32],
    result: Result<crate::ledger::Applied, LedgerError>,
) -> Result<(), ReplayEvent> {
    match result {
        Ok(applied) => {
            if applied.changed {
                notify_when_durable(ledger, notifier, *hash);
            }
            Ok(())
        }
        Err(e) => replay(what, hash, &e),
    }
}

#[cfg(test)]
mod tests;
