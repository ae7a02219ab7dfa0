//! `lightning::payments::send_payment`: pay an invoice, keysend, or (mmln) a BOLT 12 offer.
//!
//! An offer is paid in two steps: its issuer is asked for an invoice over onion messages (up
//! to 30 seconds), then the invoice is paid like any other; `payment_hash` is the invoice's.
//!
//! Without `wait_timeout_secs` it returns `{payment_hash}` as soon as the payment is on its
//! way (KDF). With it (mmln, CLN `waitsendpay` semantics) it returns once the payment is final
//! or the time is up, adding `status` and, when known, `payment_preimage`, `fee_paid_msat` and
//! `failure_reason`; `status: "pending"` means the wait timed out, not that the payment failed.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::PaymentsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::payments::keysend::KeysendParams;
use crate::service::payments::{OfferPayment, PaymentStatus, SendRequest};

pub struct SendPayment;

#[derive(Debug, Deserialize)]
pub struct InvoicePaymentParams {
    invoice: String,
    /// mmln: required for amountless invoices; must equal the invoice's amount otherwise.
    #[serde(default)]
    amount_in_msat: Option<u64>,
    #[serde(default)]
    fee_limit_msat: Option<u64>,
    #[serde(default)]
    metadata: Option<Value>,
}

/// mmln: a BOLT 12 offer (`lno1...`).
#[derive(Debug, Deserialize)]
pub struct OfferPaymentParams {
    offer: String,
    /// Required for an offer without an amount; at least the offer's amount (times the
    /// quantity) otherwise.
    #[serde(default)]
    amount_in_msat: Option<u64>,
    /// Required when the offer sells more than one item per payment.
    #[serde(default)]
    quantity: Option<u64>,
    /// Shown to the offer's issuer (at most 512 bytes).
    #[serde(default)]
    payer_note: Option<String>,
    #[serde(default)]
    fee_limit_msat: Option<u64>,
    #[serde(default)]
    metadata: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PaymentParam {
    Invoice(InvoicePaymentParams),
    Keysend(KeysendParams),
    Offer(OfferPaymentParams),
}

#[derive(Debug, Deserialize)]
pub struct SendPaymentParams {
    payment: PaymentParam,
    /// mmln: wait up to this many seconds for the final outcome (at most 600).
    #[serde(default)]
    wait_timeout_secs: Option<u64>,
    /// mmln: every event of this payment is also POSTed here (webhook_allowed_hosts).
    #[serde(default)]
    webhook_url: Option<String>,
    /// mmln: a repeat with this key and the same request returns the first payment and sends
    /// nothing; with another request it is `IdempotencyKeyReused` (409).
    #[serde(default)]
    idempotency_key: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SendPaymentResponse {
    payment_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_preimage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_in_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee_paid_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
}

impl RpcMethod for SendPayment {
    const NAME: &'static str = "lightning::payments::send_payment";
    const TAKES_COIN: bool = true;
    type Params = SendPaymentParams;
    type Output = SendPaymentResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: SendPaymentParams,
    ) -> MmResult<SendPaymentResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let request = match params.payment {
            PaymentParam::Invoice(p) => SendRequest::Invoice {
                invoice: p.invoice,
                amount_msat: p.amount_in_msat,
                fee_limit_msat: p.fee_limit_msat,
                metadata: p.metadata,
            },
            PaymentParam::Keysend(p) => SendRequest::Keysend(p),
            PaymentParam::Offer(p) => SendRequest::Offer(OfferPayment {
                offer: p.offer,
                amount_msat: p.amount_in_msat,
                quantity: p.quantity,
                payer_note: p.payer_note,
                fee_limit_msat: p.fee_limit_msat,
                metadata: p.metadata,
            }),
        };
        let wait = params.wait_timeout_secs.map(Duration::from_secs);
        let outcome = engine
            .payments()
            .send_as(
                ctx.caller(),
                request,
                wait,
                params.webhook_url,
                params.idempotency_key,
            )
            .await
            .map_to_mm(PaymentsError::from)?;
        let p = &outcome.payment;
        if wait.is_none() {
            return Ok(SendPaymentResponse {
                payment_hash: hex::encode(p.payment_hash),
                status: None,
                payment_preimage: None,
                amount_in_msat: None,
                fee_paid_msat: None,
                failure_reason: None,
            });
        }
        Ok(SendPaymentResponse {
            payment_hash: hex::encode(p.payment_hash),
            status: Some(p.status.as_str()),
            payment_preimage: (p.status == PaymentStatus::Succeeded)
                .then_some(p.preimage)
                .flatten()
                .map(hex::encode),
            amount_in_msat: p.amount_msat,
            fee_paid_msat: p.fee_paid_msat,
            failure_reason: p.failure.as_ref().map(|f| f.reason.clone()),
        })
    }
}
