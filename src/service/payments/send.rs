//! Sending: pay a BOLT 11 invoice or a keysend, intent first, optionally waiting for the end.
//!
//! Order of a send (see design.md, "cdk"):
//! 1. validate everything (invoice checks, keysend rules, metadata), before any write;
//! 2. subscribe to the payment hash, so a fast outcome cannot race a waiter;
//! 3. write the pending row (`insert_outbound_intent`): the ledger is the idempotency
//!    authority, because LDK forgets a `PaymentId` soon after the payment completes;
//! 4. only for a new row or a retry of a failed one, hand the payment to LDK;
//! 5. if LDK refuses synchronously, mark the row failed with a readable reason and say so;
//! 6. with a wait, return once the row is final or the wait times out.
//!
//! Steps 3 to 5 run in a task of their own: a client that hangs up (or a server shutting
//! down) cancels the handler, and a cancelled handler must not leave a pending row that was
//! never handed to LDK, because that row would refuse every re-send as "already in flight".
//!
//! Idempotency on a client-chosen `idempotency_key` (a keysend's hash is random per call, so
//! hash idempotency cannot catch a retried keysend): the key and a fingerprint of the request
//! are written with the intent row, in its transaction. A repeat of the same request returns
//! the original payment as it stands (pending or final) and sends nothing; the same key with
//! another request is [`SendError::IdempotencyKeyReused`].
//!
//! Idempotency on the payment hash:
//! - a repeat while the payment is pending returns the same hash and sends no second HTLC;
//! - a repeat after success is refused with [`SendError::AlreadyPaid`], carrying the earlier
//!   result;
//! - a repeat after failure reuses the row (same `id` and `created_at`, `attempts + 1`).
//!
//! `PaymentId`: the payment hash for the first attempt (as ldk.md advises). A retry of a
//! failed payment uses a `PaymentId` derived from the hash and the attempt number, because LDK
//! refuses a reused id as a duplicate for a while after it failed; the event handler uses the
//! same derivation to ignore late failures of superseded attempts.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitcoin::hashes::{sha256, Hash};
use lightning::ln::channelmanager::RecipientOnionFields;
use lightning::ln::channelmanager::{Bolt11PaymentError, PaymentId, Retry, RetryableSendFailure};
use lightning::routing::router::{PaymentParameters, RouteParameters, RouteParametersConfig};
use lightning::sign::EntropySource;
use lightning::types::payment::PaymentPreimage;
use lightning_invoice::Bolt11InvoiceDescriptionRef;
use serde_json::Value;

use crate::ledger::{
    IdempotencyKey, KeyCharge, KeyedIntent, LedgerError, NewOutbound, OutboundIntent, Payment,
    PaymentKind, PaymentStatus,
};
use crate::node::Node;

use super::custom_records::CustomRecordsError;
use super::failure::{invoice_send_refused, send_refused, FailureText};
use super::fee_limit::effective_fee_limit_msat;
use super::hub::{PaymentHub, MAX_WAIT_TIMEOUT_SECS};
use super::idempotency::{check_key_text, fingerprint_outbound, IdempotencyError};
use super::invoice_checks::{check_invoice, parse_invoice, InvoiceCheckError};
use super::keysend::{KeysendError, KeysendParams};
use super::metadata::{ClientMetadata, MetadataError};
use super::notify::PaymentSubscription;

/// What to pay.
#[derive(Debug, Clone)]
pub enum SendRequest {
    Invoice {
        invoice: String,
        /// Required for an amountless invoice; must match the invoice's amount otherwise.
        amount_msat: Option<u64>,
        fee_limit_msat: Option<u64>,
        metadata: Option<Value>,
    },
    Keysend(KeysendParams),
    /// A BOLT 12 offer (`offer_send.rs`).
    Offer(super::offer_send::OfferPayment),
}

/// Why a send was refused. The rpc layer maps the first group to `InvalidRequest`.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    InvalidInvoice(InvoiceCheckError),
    #[error("{0}")]
    InvalidKeysend(KeysendError),
    #[error("{0}")]
    InvalidOffer(super::offer_send::Bolt12TextError),
    /// A BOLT 12 payment failed before it had a payment hash (no invoice, or a refused one).
    #[error("{0}")]
    Bolt12Failed(String),
    #[error("{0}")]
    InvalidMetadata(MetadataError),
    #[error("invalid wait_timeout_secs {0}: at most {MAX_WAIT_TIMEOUT_SECS} seconds")]
    InvalidWaitTimeout(u64),
    /// The same hash is in flight for another amount.
    #[error(
        "this payment is already in flight for {pending_msat} msat; a repeat for \
         {requested_msat} msat is refused"
    )]
    AmountDiffersFromPending {
        pending_msat: u64,
        requested_msat: u64,
    },
    /// The hash was paid before; the earlier result is attached.
    #[error("payment {} was already paid", hex::encode(.0.payment_hash))]
    AlreadyPaid(Box<Payment>),
    /// LDK refused to start the payment; the row is marked failed with `reason`.
    #[error("{reason}")]
    Refused {
        payment_hash: [u8; 32],
        reason: String,
    },
    #[error("{0}")]
    InvalidWebhookUrl(crate::service::feeds::webhooks::WebhookUrlError),
    #[error("{0}")]
    InvalidIdempotencyKey(IdempotencyError),
    /// The key was first used for a different request.
    #[error(
        "idempotency key {0:?} was already used for a different request; use a new key for a \
         new request"
    )]
    IdempotencyKeyReused(String),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// The task recording and dispatching the payment did not finish (it panicked).
    #[error("the payment could not be recorded and sent: {0}")]
    DispatchTaskFailed(String),
}

/// The result of a send.
#[derive(Debug, Clone)]
pub struct SendOutcome {
    /// The row as last read: pending right after dispatch, final when a wait saw the end.
    pub payment: Payment,
    /// True when a wait was requested and ended before the payment became final.
    pub timed_out: bool,
}

impl SendOutcome {
    pub fn payment_hash(&self) -> [u8; 32] {
        self.payment.payment_hash
    }
}

/// The `PaymentId` LDK knows attempt `attempt` (1-based) of a payment by.
pub fn payment_id_for(hash: &[u8; 32], attempt: u32) -> PaymentId {
    if attempt <= 1 {
        return PaymentId(*hash);
    }
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(hash);
    data.extend_from_slice(&attempt.to_be_bytes());
    PaymentId(sha256::Hash::hash(&data).to_byte_array())
}

/// A send that passed validation, ready for the ledger and LDK.
pub(super) enum Prepared {
    Invoice {
        invoice: Box<lightning_invoice::Bolt11Invoice>,
        engine_amount_msat: Option<u64>,
        fee_limit_msat: u64,
        new: NewOutbound,
    },
    Keysend {
        preimage: [u8; 32],
        final_cltv_expiry_delta: u32,
        fee_limit_msat: u64,
        new: NewOutbound,
    },
}

impl Prepared {
    pub(super) fn new_row(&self) -> &NewOutbound {
        match self {
            Prepared::Invoice { new, .. } | Prepared::Keysend { new, .. } => new,
        }
    }
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn is_final(status: PaymentStatus) -> bool {
    matches!(status, PaymentStatus::Succeeded | PaymentStatus::Failed)
}

impl PaymentHub {
    /// Sends a payment; with `wait`, returns once it is final or `wait` has passed.
    pub async fn send_payment(
        &self,
        node: &Arc<Node>,
        request: SendRequest,
        wait: Option<Duration>,
    ) -> Result<SendOutcome, SendError> {
        self.send_payment_with_webhook(node, request, wait, None, None)
            .await
    }

    /// [`PaymentHub::send_payment`], also delivering every event of this payment to
    /// `webhook_url` (which must name a host in `webhook_allowed_hosts`).
    pub async fn send_payment_with_webhook(
        &self,
        node: &Arc<Node>,
        request: SendRequest,
        wait: Option<Duration>,
        webhook_url: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<SendOutcome, SendError> {
        self.send_payment_charged(node, request, wait, webhook_url, idempotency_key, None)
            .await
    }

    /// [`PaymentHub::send_payment_with_webhook`] made with an access key: the intent is
    /// charged to `charge` (see `ledger/keys.rs`).
    pub async fn send_payment_charged(
        &self,
        node: &Arc<Node>,
        request: SendRequest,
        wait: Option<Duration>,
        webhook_url: Option<String>,
        idempotency_key: Option<String>,
        charge: Option<KeyCharge>,
    ) -> Result<SendOutcome, SendError> {
        if let Some(key) = &idempotency_key {
            check_key_text(key).map_err(SendError::InvalidIdempotencyKey)?;
        }
        if let Some(url) = &webhook_url {
            crate::service::feeds::webhooks::check_call_url(
                url,
                &self.settings.webhook_allowed_hosts,
            )
            .map_err(SendError::InvalidWebhookUrl)?;
        }
        if let Some(wait) = wait {
            if wait.as_secs() > MAX_WAIT_TIMEOUT_SECS {
                return Err(SendError::InvalidWaitTimeout(wait.as_secs()));
            }
        }
        if let SendRequest::Offer(offer) = request {
            return self
                .send_offer(node, offer, wait, webhook_url, idempotency_key, charge)
                .await;
        }
        let prepared = prepare(node, request, None)?;
        let key = idempotency_key.map(|key| IdempotencyKey {
            fingerprint: fingerprint_outbound("send_payment", prepared.new_row()),
            key,
        });
        let hash = prepared.new_row().payment_hash;
        let subscription = wait.map(|_| self.notifier.subscribe(hash));

        let hub = self.clone();
        let node = Arc::clone(node);
        let payment = tokio::spawn(async move {
            hub.record_and_dispatch(&node, prepared, webhook_url, key, charge)
                .await
        })
        .await
        .map_err(|e| SendError::DispatchTaskFailed(e.to_string()))??;
        // A replay names an earlier payment, with its own hash.
        let subscription = match subscription {
            Some(_) if payment.payment_hash != hash => {
                Some(self.notifier.subscribe(payment.payment_hash))
            }
            other => other,
        };
        match (subscription, wait) {
            (Some(subscription), Some(wait)) => self.wait_until_final(subscription, wait).await,
            _ => Ok(SendOutcome {
                payment,
                timed_out: false,
            }),
        }
    }

    /// Writes the intent, then hands a new payment (or a retry of a failed one) to LDK.
    async fn record_and_dispatch(
        &self,
        node: &Node,
        prepared: Prepared,
        webhook_url: Option<String>,
        key: Option<IdempotencyKey>,
        charge: Option<KeyCharge>,
    ) -> Result<Payment, SendError> {
        let hash = prepared.new_row().payment_hash;
        let new = prepared.new_row().clone();
        let keyed = self
            .ledger
            .blocking(move |l| {
                l.insert_outbound_intent_keyed(
                    &new,
                    webhook_url.as_deref(),
                    key.as_ref(),
                    charge.as_ref(),
                )
            })
            .await
            .map_err(|e| match e {
                LedgerError::IdempotencyKeyReused(key) => SendError::IdempotencyKeyReused(key),
                other => SendError::from(other),
            })?;
        let intent = match keyed {
            KeyedIntent::Replay(p) => {
                tracing::info!(hash = %hex::encode(p.payment_hash), "idempotency key replayed; nothing sent");
                return Ok(p);
            }
            KeyedIntent::Intent(intent) => intent,
        };
        self.dispatch_intent(node, &prepared, intent, hash).await
    }

    /// Acts on the intent's outcome: dispatches a new row or a retry, refuses a different
    /// amount for a pending hash, and reports an earlier success.
    pub(super) async fn dispatch_intent(
        &self,
        node: &Node,
        prepared: &Prepared,
        intent: OutboundIntent,
        hash: [u8; 32],
    ) -> Result<Payment, SendError> {
        match intent {
            OutboundIntent::Created(p) | OutboundIntent::Retrying(p) => {
                self.dispatch(node, prepared, p.attempts).await?;
                Ok(p)
            }
            OutboundIntent::AlreadyPending(p) => {
                // A repeat must be the same payment (CLN refuses a different amount too); an
                // amountless invoice could otherwise be "re-sent" with another amount.
                if p.amount_msat != prepared.new_row().amount_msat {
                    return Err(SendError::AmountDiffersFromPending {
                        pending_msat: p.amount_msat.unwrap_or_default(),
                        requested_msat: prepared.new_row().amount_msat.unwrap_or_default(),
                    });
                }
                tracing::info!(hash = %hex::encode(hash), "payment already in flight; not sent again");
                Ok(p)
            }
            OutboundIntent::AlreadySucceeded(p) => Err(SendError::AlreadyPaid(Box::new(p))),
        }
    }

    /// Hands the payment to LDK; a synchronous refusal marks the row failed, except when LDK
    /// says it already holds this attempt: that payment is live, and marking it failed would
    /// invite a retry under a new `PaymentId`, which could pay twice.
    async fn dispatch(
        &self,
        node: &Node,
        prepared: &Prepared,
        attempt: u32,
    ) -> Result<(), SendError> {
        let cm = node.channel_manager();
        let hash = prepared.new_row().payment_hash;
        let payment_id = payment_id_for(&hash, attempt);
        let retry = Retry::Timeout(self.settings.retry_timeout);
        let refused: Option<FailureText> = match prepared {
            Prepared::Invoice {
                invoice,
                engine_amount_msat,
                fee_limit_msat,
                ..
            } => {
                let config = RouteParametersConfig {
                    max_total_routing_fee_msat: Some(*fee_limit_msat),
                    ..RouteParametersConfig::default()
                };
                match cm.pay_for_bolt11_invoice(
                    invoice,
                    payment_id,
                    *engine_amount_msat,
                    config,
                    retry,
                ) {
                    Ok(()) => None,
                    Err(Bolt11PaymentError::SendingFailed(
                        RetryableSendFailure::DuplicatePayment,
                    )) => return self.keep_pending_duplicate(hash),
                    Err(e) => Some(invoice_send_refused(&e, *fee_limit_msat)),
                }
            }
            Prepared::Keysend {
                preimage,
                final_cltv_expiry_delta,
                fee_limit_msat,
                new,
            } => {
                let records: Vec<(u64, Vec<u8>)> = new
                    .custom_records
                    .iter()
                    .map(|r| (r.key, r.value.clone()))
                    .collect();
                match RecipientOnionFields::spontaneous_empty().with_custom_tlvs(records) {
                    Err(()) => Some(FailureText {
                        code: crate::ledger::FailureCode::SendFailed,
                        reason: "the custom records were refused by the Lightning engine \
                                 (reserved or duplicate keys)"
                            .to_string(),
                    }),
                    Ok(onion) => {
                        let params = PaymentParameters::for_keysend(
                            node_id_of(new)?,
                            *final_cltv_expiry_delta,
                            false,
                        );
                        let mut route = RouteParameters::from_payment_params_and_value(
                            params,
                            new.amount_msat.unwrap_or_default(),
                        );
                        route.max_total_routing_fee_msat = Some(*fee_limit_msat);
                        match cm.send_spontaneous_payment(
                            Some(PaymentPreimage(*preimage)),
                            onion,
                            payment_id,
                            route,
                            retry,
                        ) {
                            Ok(_) => None,
                            Err(RetryableSendFailure::DuplicatePayment) => {
                                return self.keep_pending_duplicate(hash)
                            }
                            Err(e) => Some(send_refused(&e, *fee_limit_msat)),
                        }
                    }
                }
            }
        };
        let Some(failure) = refused else {
            return Ok(());
        };
        tracing::info!(hash = %hex::encode(hash), reason = %failure.reason, "payment refused by the engine");
        let reason = failure.reason.clone();
        self.ledger
            .blocking(move |l| l.mark_failed(&hash, failure.code, &failure.reason))
            .await?;
        self.notifier.notify(&hash);
        Err(SendError::Refused {
            payment_hash: hash,
            reason,
        })
    }

    /// LDK already holds this attempt, so the payment is in flight: the row stays pending and
    /// LDK's `PaymentSent` or `PaymentFailed` will settle it.
    fn keep_pending_duplicate(&self, hash: [u8; 32]) -> Result<(), SendError> {
        tracing::warn!(hash = %hex::encode(hash), "the engine already holds this payment attempt; leaving it in flight");
        Ok(())
    }

    /// Reads the row until it is final or `timeout` passes (CLN `waitsendpay`). The
    /// subscription must have been taken before the payment was dispatched.
    pub async fn wait_until_final(
        &self,
        mut subscription: PaymentSubscription,
        timeout: Duration,
    ) -> Result<SendOutcome, SendError> {
        let hash = *subscription.hash();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let payment = self
                .ledger
                .blocking(move |l| l.get_payment(&hash))
                .await?
                .ok_or(LedgerError::NoSuchPayment(hash))?;
            if is_final(payment.status) {
                return Ok(SendOutcome {
                    payment,
                    timed_out: false,
                });
            }
            if tokio::time::timeout_at(deadline, subscription.changed())
                .await
                .is_err()
            {
                return Ok(SendOutcome {
                    payment,
                    timed_out: true,
                });
            }
        }
    }
}

fn node_id_of(new: &NewOutbound) -> Result<bitcoin::secp256k1::PublicKey, SendError> {
    bitcoin::secp256k1::PublicKey::from_slice(&new.destination).map_err(|_| {
        SendError::InvalidKeysend(KeysendError::InvalidDestination {
            destination: hex::encode(new.destination),
            reason: "not a valid secp256k1 public key",
        })
    })
}

/// Validates the request and builds the ledger row; nothing is written yet. A keysend uses
/// `preimage` when given (a value split re-sending a failed recipient under its recorded hash),
/// a fresh random one otherwise.
pub(super) fn prepare(
    node: &Node,
    request: SendRequest,
    preimage: Option<[u8; 32]>,
) -> Result<Prepared, SendError> {
    let our_id = node.node_id();
    match request {
        SendRequest::Invoice {
            invoice: text,
            amount_msat,
            fee_limit_msat,
            metadata,
        } => {
            let invoice = parse_invoice(&text).map_err(SendError::InvalidInvoice)?;
            let payable = check_invoice(&invoice, node.network(), &our_id, now(), amount_msat)
                .map_err(SendError::InvalidInvoice)?;
            let metadata = metadata
                .as_ref()
                .map(ClientMetadata::from_param)
                .transpose()
                .map_err(SendError::InvalidMetadata)?;
            let fee_limit_msat = effective_fee_limit_msat(payable.amount_msat, fee_limit_msat);
            let description = match invoice.description() {
                Bolt11InvoiceDescriptionRef::Direct(d) => d.to_string(),
                Bolt11InvoiceDescriptionRef::Hash(h) => h.0.to_string(),
            };
            let new = NewOutbound {
                payment_hash: invoice.payment_hash().to_byte_array(),
                kind: PaymentKind::Invoice,
                destination: payable.payee.serialize(),
                description,
                amount_msat: Some(payable.amount_msat),
                fee_limit_msat: Some(fee_limit_msat),
                payment_secret: Some(invoice.payment_secret().0),
                preimage: None,
                invoice: Some(invoice.to_string()),
                expires_at: invoice.expires_at().map(|d| d.as_secs()),
                custom_records: Vec::new(),
                metadata: metadata.map(|m| m.as_str().to_string()),
            };
            Ok(Prepared::Invoice {
                engine_amount_msat: payable.engine_amount_msat(),
                invoice: Box::new(invoice),
                fee_limit_msat,
                new,
            })
        }
        SendRequest::Offer(_) => Err(SendError::InvalidOffer(
            super::offer_send::Bolt12TextError::InvalidAmount(
                "an offer is paid through send_payment alone".to_string(),
            ),
        )),
        SendRequest::Keysend(params) => {
            let request = params
                .validate(&our_id)
                .map_err(SendError::InvalidKeysend)?;
            let preimage =
                preimage.unwrap_or_else(|| node.keys_manager().get_secure_random_bytes());
            let hash = sha256::Hash::hash(&preimage).to_byte_array();
            let custom_records = request
                .custom_records
                .into_iter()
                .map(|(key, value)| crate::ledger::CustomRecord { key, value })
                .collect();
            let new = NewOutbound {
                payment_hash: hash,
                kind: PaymentKind::Keysend,
                destination: request.destination.serialize(),
                // mmrpc: an outbound keysend has an empty description.
                description: String::new(),
                amount_msat: Some(request.amount_msat),
                fee_limit_msat: Some(request.fee_limit_msat),
                payment_secret: None,
                preimage: Some(preimage),
                invoice: None,
                expires_at: None,
                custom_records,
                metadata: request.metadata.map(|m| m.as_str().to_string()),
            };
            Ok(Prepared::Keysend {
                preimage,
                final_cltv_expiry_delta: request.final_cltv_expiry_delta,
                fee_limit_msat: request.fee_limit_msat,
                new,
            })
        }
    }
}

impl From<CustomRecordsError> for SendError {
    fn from(e: CustomRecordsError) -> Self {
        SendError::InvalidKeysend(KeysendError::InvalidCustomRecords(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_attempt_uses_the_hash_and_retries_get_distinct_ids() {
        let hash = [7u8; 32];
        assert_eq!(payment_id_for(&hash, 1), PaymentId(hash));
        assert_eq!(payment_id_for(&hash, 0), PaymentId(hash));
        let second = payment_id_for(&hash, 2);
        assert_ne!(second, PaymentId(hash));
        assert_ne!(second, payment_id_for(&hash, 3));
        assert_eq!(second, payment_id_for(&hash, 2));
    }
}
