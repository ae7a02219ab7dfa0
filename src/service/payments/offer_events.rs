//! The BOLT 12 part of the payment events (`events.rs` calls these):
//! - `InvoiceReceived`: record the row, then pay (see `offer_send.rs` for the order);
//! - `PaymentFailed` without a hash: the invoice request of an intent failed;
//! - `PaymentClaimable` of an offer or refund payment: record the row with the offer id,
//!   payer note and quantity, and fail back payments of a disabled offer.
//!
//! As in `events.rs`, the writes are deferred and waiters are notified once they are durable
//! (`notify_when_durable`): the invoice's row is committed by the node's next flush, before
//! the payment's first HTLC can leave.

use std::sync::Arc;

use lightning::blinded_path::message::OffersContext;
use lightning::events::{PaymentFailureReason, PaymentPurpose, ReplayEvent};
use lightning::ln::channelmanager::PaymentId;
use lightning::offers::invoice::Bolt12Invoice;
use lightning::types::payment::PaymentHash;

use crate::ledger::{
    ArrivedInvoice, Bolt12IntentStatus, Bolt12Kind, FailureCode, InboundBolt12,
    InboundBolt12Outcome, InvoiceArrival, Ledger,
};
use crate::node::ChannelManager;

use super::events::{is_transient, notify_when_durable, replay};
use super::failure::payment_failed;
use super::notify::PaymentNotifier;

/// An arrived invoice: written to the ledger first, then paid (or abandoned).
pub(super) async fn on_invoice_received(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    cm: &Arc<ChannelManager>,
    payment_id: PaymentId,
    invoice: Bolt12Invoice,
    context: Option<OffersContext>,
) -> Result<(), ReplayEvent> {
    let arrived = ArrivedInvoice {
        payment_hash: invoice.payment_hash().0,
        destination: invoice.signing_pubkey().serialize(),
        amount_msat: invoice.amount_msats(),
        expires_at: Some(
            invoice
                .created_at()
                .saturating_add(invoice.relative_expiry())
                .as_secs(),
        ),
    };
    let hash = arrived.payment_hash;
    let id = payment_id.0;
    tracing::info!(payment_id = %hex::encode(id), hash = %hex::encode(hash), amount_msat = arrived.amount_msat, "BOLT 12 invoice received");
    let outcome = match ledger
        .blocking(move |l| l.bolt12_invoice_arrived(&id, &arrived))
        .await
    {
        Ok(outcome) => outcome,
        Err(e) => return replay("BOLT 12 invoice received", &hash, &e),
    };
    tracing::debug!(?outcome, "BOLT 12 invoice checked against its intent");
    let pay = match outcome {
        InvoiceArrival::Pay(_) => {
            notify_when_durable(ledger, notifier, hash);
            true
        }
        // LDK replays the event after a restart; paying again is refused by LDK as a duplicate.
        InvoiceArrival::NotAwaiting(intent) => {
            intent.status == Bolt12IntentStatus::Paying && intent.payment_hash == Some(hash)
        }
        InvoiceArrival::Refused(reason) => {
            tracing::warn!(hash = %hex::encode(hash), %reason, "BOLT 12 invoice refused");
            false
        }
        // No intent: nothing leaves without its row, so it is not paid. (Only a crash between
        // building a refund and recording it, which never handed the refund out, leaves LDK
        // waiting for an invoice we have no intent for.)
        InvoiceArrival::Unknown => {
            tracing::warn!(payment_id = %hex::encode(id), "BOLT 12 invoice for no recorded intent; not paid");
            false
        }
    };
    notify_when_durable(ledger, notifier, payment_id.0);
    if !pay {
        cm.abandon_payment(payment_id);
        return Ok(());
    }
    if let Err(e) = cm.send_payment_for_bolt12_invoice(&invoice, context.as_ref()) {
        use lightning::ln::channelmanager::Bolt12PaymentError as E;
        if matches!(e, E::DuplicateInvoice) {
            return Ok(());
        }
        let reason = format!("the Lightning engine refused to pay the invoice: {e:?}");
        tracing::warn!(hash = %hex::encode(hash), %reason, "BOLT 12 payment not sent");
        let result = ledger
            .blocking(move |l| l.mark_failed(&hash, FailureCode::SendFailed, &reason))
            .await;
        if let Err(e) = &result {
            if is_transient(e) {
                return replay("BOLT 12 payment refused", &hash, e);
            }
        }
        notify_when_durable(ledger, notifier, hash);
    }
    Ok(())
}

/// A payment failed before it had a hash: the invoice request of one of our intents got no
/// (usable) invoice. A refund we created that nobody claimed ends this way too.
pub(super) async fn on_failed_without_hash(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    payment_id: PaymentId,
    reason: Option<PaymentFailureReason>,
) -> Result<(), ReplayEvent> {
    let text = format!(
        "no invoice from the offer's issuer: {}",
        payment_failed(reason).reason
    );
    let id = payment_id.0;
    match ledger
        .blocking(move |l| l.fail_bolt12_intent(&id, &text))
        .await
    {
        Ok(Some(_)) => {
            tracing::info!(payment_id = %hex::encode(id), "BOLT 12 payment failed before an invoice");
            notify_when_durable(ledger, notifier, id);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => replay("BOLT 12 payment failed", &id, &e),
    }
}

/// The BOLT 12 facts of a claimable payment, when it pays an offer or refund.
pub(super) fn inbound_bolt12(
    hash: &PaymentHash,
    amount_msat: u64,
    purpose: &PaymentPurpose,
) -> Option<InboundBolt12> {
    match purpose {
        PaymentPurpose::Bolt12OfferPayment {
            payment_preimage,
            payment_context,
            ..
        } => {
            let request = &payment_context.invoice_request;
            Some(InboundBolt12 {
                payment_hash: hash.0,
                kind: Bolt12Kind::Offer,
                offer_id: Some(payment_context.offer_id.0),
                payer_note: request.payer_note_truncated.as_ref().map(|n| n.0.clone()),
                quantity: request.quantity,
                amount_msat,
                preimage: payment_preimage.map(|p| p.0),
            })
        }
        PaymentPurpose::Bolt12RefundPayment {
            payment_preimage, ..
        } => Some(InboundBolt12 {
            payment_hash: hash.0,
            kind: Bolt12Kind::Refund,
            offer_id: None,
            payer_note: None,
            quantity: None,
            amount_msat,
            preimage: payment_preimage.map(|p| p.0),
        }),
        _ => None,
    }
}

/// Records an inbound BOLT 12 payment's row; false when it was failed back (its offer is
/// disabled) and nothing more is to be done.
pub(super) async fn record_inbound(
    ledger: &Ledger,
    notifier: &PaymentNotifier,
    cm: &Arc<ChannelManager>,
    inbound: InboundBolt12,
) -> Result<bool, ReplayEvent> {
    let hash = inbound.payment_hash;
    match ledger
        .blocking(move |l| l.record_inbound_bolt12(&inbound))
        .await
    {
        Ok(InboundBolt12Outcome::Recorded) => Ok(true),
        Ok(InboundBolt12Outcome::OfferDisabled(reason)) => {
            tracing::info!(hash = %hex::encode(hash), %reason, "offer payment failed back");
            cm.fail_htlc_backwards(&PaymentHash(hash));
            notify_when_durable(ledger, notifier, hash);
            Ok(false)
        }
        Err(e) if is_transient(&e) => replay("BOLT 12 payment claimable", &hash, &e).map(|_| false),
        Err(e) => {
            // The usual path decides (and logs) what to do with a row it cannot record.
            tracing::error!(hash = %hex::encode(hash), "BOLT 12 payment facts not recorded: {e}");
            Ok(true)
        }
    }
}
