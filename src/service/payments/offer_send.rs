//! Paying a BOLT 12 offer: intent first, then the invoice request, then (when the invoice
//! arrives) the ledger row, then the payment.
//!
//! Order (the usual send order of `send.rs`, stretched over the invoice round trip):
//! 1. validate the offer and the amount, quantity and note, before any write;
//! 2. subscribe to the intent's `PaymentId`, so the invoice's arrival cannot race the waiter;
//! 3. record the intent (`bolt12_intents`, keyed by `PaymentId`; an idempotency key makes a
//!    repeat a replay of the first intent);
//! 4. ask LDK to request the invoice (`pay_for_offer`); a refusal fails the intent;
//! 5. `events.rs` handles `InvoiceReceived`: the pending `payments` row is written (the hash is
//!    known now) in the transaction that moves the intent to `paying`, then the invoice is
//!    paid. The row exists before any HTLC leaves;
//! 6. the caller waits for step 5 (at most [`INVOICE_WAIT`]); no invoice by then fails the
//!    intent and abandons the payment, in that order, so a late invoice finds the intent failed
//!    and is not paid. With `wait_timeout_secs` it then waits for the outcome as any send.
//!
//! Access keys with limits cannot pay offers yet: their charge is written with the row, which
//! here is written by the event handler.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitcoin::constants::ChainHash;
use bitcoin::hashes::{sha256, Hash};
use lightning::ln::channelmanager::{OptionalOfferPaymentParams, PaymentId, Retry};
use lightning::offers::offer::{Amount, Offer, Quantity};
use lightning::offers::refund::Refund;
use lightning::routing::router::RouteParametersConfig;
use lightning::sign::EntropySource;
use serde_json::Value;

use crate::ledger::{
    Bolt12Intent, Bolt12IntentInsert, Bolt12IntentStatus, Bolt12Kind, IdempotencyKey, KeyCharge,
    LedgerError, NewBolt12Intent,
};
use crate::node::Node;

use super::fee_limit::effective_fee_limit_msat;
use super::hub::PaymentHub;
use super::idempotency::Fingerprint;
use super::metadata::ClientMetadata;
use super::offers::semantic_text;
use super::send::{SendError, SendOutcome};

/// How long a send waits for the offer's issuer to answer with an invoice.
pub const INVOICE_WAIT: Duration = Duration::from_secs(30);
/// BOLT 12's limit on a payer note we send (bytes).
pub const MAX_PAYER_NOTE: usize = 512;

/// An offer to pay, as the client gave it.
#[derive(Debug, Clone, Default)]
pub struct OfferPayment {
    pub offer: String,
    /// Required for an offer without an amount; at least the offer's amount otherwise.
    pub amount_msat: Option<u64>,
    pub quantity: Option<u64>,
    pub payer_note: Option<String>,
    pub fee_limit_msat: Option<u64>,
    pub metadata: Option<Value>,
}

/// Why an `lno1...` or `lnr1...` string cannot be paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Bolt12TextError {
    #[error("invalid {what} {text:?}: {reason}")]
    Unparsable {
        what: &'static str,
        text: String,
        reason: String,
    },
    #[error("the {what} is for another network than this node's ({network})")]
    WrongNetwork { what: &'static str, network: String },
    #[error("the {what} expired at {expired_at} (unix seconds)")]
    Expired { what: &'static str, expired_at: u64 },
    #[error("{0}")]
    InvalidAmount(String),
    #[error("{0}")]
    InvalidQuantity(String),
    #[error("{0}")]
    InvalidPayerNote(String),
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn short(text: &str) -> String {
    text.chars().take(24).collect::<String>() + if text.len() > 24 { "..." } else { "" }
}

/// Parses an offer and checks it is payable on `network` at `now`.
pub fn parse_offer(
    text: &str,
    network: bitcoin::Network,
    now: u64,
) -> Result<Offer, Bolt12TextError> {
    let offer: Offer = text
        .trim()
        .parse()
        .map_err(|e| Bolt12TextError::Unparsable {
            what: "offer",
            text: short(text),
            reason: format!("{e:?} (expected an lno1... string)"),
        })?;
    if !offer.supports_chain(ChainHash::using_genesis_block(network)) {
        return Err(Bolt12TextError::WrongNetwork {
            what: "offer",
            network: network.to_string(),
        });
    }
    if let Some(expiry) = offer.absolute_expiry() {
        if offer.is_expired_no_std(Duration::from_secs(now)) {
            return Err(Bolt12TextError::Expired {
                what: "offer",
                expired_at: expiry.as_secs(),
            });
        }
    }
    Ok(offer)
}

/// Parses a refund and checks it is payable on `network` at `now`.
pub fn parse_refund(
    text: &str,
    network: bitcoin::Network,
    now: u64,
) -> Result<Refund, Bolt12TextError> {
    let refund: Refund = text
        .trim()
        .parse()
        .map_err(|e| Bolt12TextError::Unparsable {
            what: "refund",
            text: short(text),
            reason: format!("{e:?} (expected an lnr1... string)"),
        })?;
    if refund.chain() != ChainHash::using_genesis_block(network) {
        return Err(Bolt12TextError::WrongNetwork {
            what: "refund",
            network: network.to_string(),
        });
    }
    if let Some(expiry) = refund.absolute_expiry() {
        if refund.is_expired_no_std(Duration::from_secs(now)) {
            return Err(Bolt12TextError::Expired {
                what: "refund",
                expired_at: expiry.as_secs(),
            });
        }
    }
    Ok(refund)
}

/// The amount the invoice may ask: the payer's choice (at least the offer's price times the
/// quantity) or, without one, that price.
fn payable_amount(
    offer: &Offer,
    requested: Option<u64>,
    quantity: u64,
) -> Result<u64, Bolt12TextError> {
    let price = match offer.amount() {
        None => None,
        Some(Amount::Bitcoin { amount_msats }) => Some(amount_msats),
        Some(Amount::Currency { .. }) => {
            return Err(Bolt12TextError::InvalidAmount(
                "the offer is priced in a fiat currency, which mmln cannot convert".to_string(),
            ))
        }
    };
    let minimum = price.map(|p| p.saturating_mul(quantity));
    match (minimum, requested) {
        (None, None) => Err(Bolt12TextError::InvalidAmount(
            "the offer has no amount: amount_in_msat is required".to_string(),
        )),
        (_, Some(0)) => Err(Bolt12TextError::InvalidAmount(
            "amount_in_msat must be at least 1".to_string(),
        )),
        (Some(min), Some(a)) if a < min => Err(Bolt12TextError::InvalidAmount(format!(
            "amount_in_msat {a} is below the offer's amount of {min} msat"
        ))),
        (Some(min), None) => Ok(min),
        (_, Some(a)) => Ok(a),
    }
}

fn check_quantity(offer: &Offer, quantity: Option<u64>) -> Result<Option<u64>, Bolt12TextError> {
    match (offer.supported_quantity(), quantity) {
        (Quantity::One, None) => Ok(None),
        (Quantity::One, Some(1)) => Ok(None),
        (Quantity::One, Some(q)) => Err(Bolt12TextError::InvalidQuantity(format!(
            "quantity {q}: the offer sells one item per payment"
        ))),
        (_, None) => Err(Bolt12TextError::InvalidQuantity(
            "the offer expects a quantity: give quantity".to_string(),
        )),
        (_, Some(q)) if !offer.is_valid_quantity(q) => {
            Err(Bolt12TextError::InvalidQuantity(format!(
                "quantity {q} is outside what the offer allows ({:?})",
                offer.supported_quantity()
            )))
        }
        (_, Some(q)) => Ok(Some(q)),
    }
}

/// The `PaymentId` of a keyed offer send: the same key always names the same payment.
fn keyed_payment_id(key: &str) -> [u8; 32] {
    let mut data = b"mmln bolt12 idempotency key ".to_vec();
    data.extend_from_slice(key.as_bytes());
    sha256::Hash::hash(&data).to_byte_array()
}

impl PaymentHub {
    /// Pays an offer (see the module docs).
    pub(super) async fn send_offer(
        &self,
        node: &Arc<Node>,
        request: OfferPayment,
        wait: Option<Duration>,
        webhook_url: Option<String>,
        idempotency_key: Option<String>,
        charge: Option<KeyCharge>,
    ) -> Result<SendOutcome, SendError> {
        if charge.is_some() {
            return Err(SendError::InvalidOffer(Bolt12TextError::InvalidAmount(
                "offers cannot be paid with an access key that has payment limits yet; use \
                 the password or an unlimited key"
                    .to_string(),
            )));
        }
        let offer = parse_offer(&request.offer, node.network(), now_secs())
            .map_err(SendError::InvalidOffer)?;
        let quantity = check_quantity(&offer, request.quantity).map_err(SendError::InvalidOffer)?;
        let amount_msat = payable_amount(&offer, request.amount_msat, quantity.unwrap_or(1))
            .map_err(SendError::InvalidOffer)?;
        if let Some(note) = &request.payer_note {
            if note.len() > MAX_PAYER_NOTE {
                return Err(SendError::InvalidOffer(Bolt12TextError::InvalidPayerNote(
                    format!(
                        "payer_note is {} bytes long; at most {MAX_PAYER_NOTE} are allowed",
                        note.len()
                    ),
                )));
            }
        }
        let metadata = request
            .metadata
            .as_ref()
            .map(ClientMetadata::from_param)
            .transpose()
            .map_err(SendError::InvalidMetadata)?;
        let fee_limit_msat = effective_fee_limit_msat(amount_msat, request.fee_limit_msat);
        let payment_id = match &idempotency_key {
            Some(key) => keyed_payment_id(key),
            None => node.keys_manager().get_secure_random_bytes(),
        };
        let idempotency = idempotency_key.map(|key| {
            let mut f = Fingerprint::new("send_payment offer");
            f.bytes(offer.to_string().as_bytes())
                .opt_u64(request.amount_msat)
                .opt_u64(quantity)
                .opt_bytes(request.payer_note.as_deref().map(str::as_bytes))
                .u64(fee_limit_msat)
                .opt_bytes(metadata.as_ref().map(|m| m.as_str().as_bytes()));
            IdempotencyKey {
                fingerprint: f.finish(),
                key,
            }
        });
        let new = NewBolt12Intent {
            payment_id,
            kind: Bolt12Kind::Offer,
            bolt12: offer.to_string(),
            offer_id: Some(offer.id().0),
            description: offer
                .description()
                .map(|d| d.to_string())
                .unwrap_or_default(),
            amount_msat,
            quantity,
            payer_note: request.payer_note.clone(),
            fee_limit_msat,
            metadata: metadata.map(|m| m.as_str().to_string()),
            webhook_url,
            idempotency,
        };
        let mut arrival = self.notifier.subscribe(payment_id);

        // Record and dispatch in a task of its own: a cancelled handler must not leave an
        // intent that LDK was never asked about (see send.rs).
        let hub = self.clone();
        let task_node = Arc::clone(node);
        let requested_amount = request.amount_msat;
        let note = request.payer_note;
        tokio::spawn(async move {
            let inserted = hub
                .ledger
                .blocking(move |l| l.insert_bolt12_intent(&new))
                .await
                .map_err(|e| match e {
                    LedgerError::IdempotencyKeyReused(key) => SendError::IdempotencyKeyReused(key),
                    other => SendError::from(other),
                })?;
            let Bolt12IntentInsert::Created(_) = inserted else {
                return Ok(());
            };
            let params = OptionalOfferPaymentParams {
                payer_note: note,
                route_params_config: RouteParametersConfig {
                    max_total_routing_fee_msat: Some(fee_limit_msat),
                    ..RouteParametersConfig::default()
                },
                retry_strategy: Retry::Timeout(hub.settings.retry_timeout),
            };
            let cm = task_node.channel_manager();
            let asked = match quantity {
                Some(q) => cm.pay_for_offer_with_quantity(
                    &offer,
                    requested_amount,
                    PaymentId(payment_id),
                    params,
                    q,
                ),
                None => cm.pay_for_offer(&offer, requested_amount, PaymentId(payment_id), params),
            };
            if let Err(e) = asked {
                let reason = semantic_text(e);
                let text = reason.clone();
                hub.ledger
                    .blocking(move |l| l.fail_bolt12_intent(&payment_id, &text))
                    .await?;
                return Err(SendError::Bolt12Failed(reason));
            }
            Ok(())
        })
        .await
        .map_err(|e| SendError::DispatchTaskFailed(e.to_string()))??;

        let intent = self.await_invoice(node, payment_id, &mut arrival).await?;
        drop(arrival);
        let Some(hash) = intent.payment_hash else {
            return Err(SendError::Bolt12Failed(
                intent.failure_reason.unwrap_or_default(),
            ));
        };
        let subscription = wait.map(|_| self.notifier.subscribe(hash));
        match (subscription, wait) {
            (Some(subscription), Some(wait)) => self.wait_until_final(subscription, wait).await,
            _ => {
                let payment = self
                    .ledger
                    .blocking(move |l| l.get_payment(&hash))
                    .await?
                    .ok_or(LedgerError::NoSuchPayment(hash))?;
                Ok(SendOutcome {
                    payment,
                    timed_out: false,
                })
            }
        }
    }

    /// Waits until the intent left `awaiting_invoice`; past [`INVOICE_WAIT`] it is failed and
    /// the payment abandoned (the intent first, so a late invoice is not paid).
    async fn await_invoice(
        &self,
        node: &Node,
        payment_id: [u8; 32],
        arrival: &mut super::notify::PaymentSubscription,
    ) -> Result<Bolt12Intent, SendError> {
        let deadline = tokio::time::Instant::now() + INVOICE_WAIT;
        loop {
            let intent = self
                .ledger
                .blocking(move |l| l.bolt12_intent(&payment_id))
                .await?
                .ok_or(LedgerError::NoSuchBolt12Intent(payment_id))?;
            if intent.status != Bolt12IntentStatus::AwaitingInvoice {
                return Ok(intent);
            }
            if tokio::time::timeout_at(deadline, arrival.changed())
                .await
                .is_err()
            {
                let reason = format!(
                    "no invoice came from the offer's issuer within {} seconds (is it \
                     reachable over onion messages?)",
                    INVOICE_WAIT.as_secs()
                );
                let failed = self
                    .ledger
                    .blocking(move |l| l.fail_bolt12_intent(&payment_id, &reason))
                    .await?;
                if failed.is_some() {
                    node.channel_manager()
                        .abandon_payment(PaymentId(payment_id));
                }
                // Either failed now, or the invoice won the race: read the outcome again.
                let intent = self
                    .ledger
                    .blocking(move |l| l.bolt12_intent(&payment_id))
                    .await?
                    .ok_or(LedgerError::NoSuchBolt12Intent(payment_id))?;
                return Ok(intent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_invoices_are_not_offers() {
        let err = parse_offer("lno1garbage", bitcoin::Network::Regtest, 0).unwrap_err();
        assert!(
            matches!(err, Bolt12TextError::Unparsable { what: "offer", .. }),
            "{err}"
        );
        assert!(parse_refund("lnbcrt1", bitcoin::Network::Regtest, 0).is_err());
    }

    #[test]
    fn keyed_payment_ids_are_stable_and_distinct() {
        assert_eq!(keyed_payment_id("a"), keyed_payment_id("a"));
        assert_ne!(keyed_payment_id("a"), keyed_payment_id("b"));
    }
}
