//! `lightning::payments::generate_invoice`: a BOLT 11 invoice, recorded as a pending inbound
//! payment at once. With `payment_hash`, a hold invoice (see `service/payments/hold.rs`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::PaymentsError;
use super::wire::HashParam;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::payments::InvoiceRequest;

pub struct GenerateInvoice;

#[derive(Debug, Deserialize)]
pub struct GenerateInvoiceParams {
    /// Required by KDF; mmln accepts `description_hash` instead.
    #[serde(default)]
    description: Option<String>,
    /// mmln: the SHA-256 of the description, instead of `description`.
    #[serde(default)]
    description_hash: Option<HashParam>,
    /// mmln: makes a hold invoice for this hash.
    #[serde(default)]
    payment_hash: Option<HashParam>,
    /// mmln: blocks.
    #[serde(default)]
    min_final_cltv_expiry_delta: Option<u16>,
    #[serde(default)]
    amount_in_msat: Option<u64>,
    /// Seconds; 3600 when absent.
    #[serde(default)]
    expiry: Option<u32>,
    /// mmln: opaque client object stored with the payment.
    #[serde(default)]
    metadata: Option<Value>,
    /// mmln: every event of this invoice is also POSTed here (webhook_allowed_hosts).
    #[serde(default)]
    webhook_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct GenerateInvoiceResponse {
    payment_hash: String,
    invoice: String,
}

impl RpcMethod for GenerateInvoice {
    const NAME: &'static str = "lightning::payments::generate_invoice";
    const TAKES_COIN: bool = true;
    type Params = GenerateInvoiceParams;
    type Output = GenerateInvoiceResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: GenerateInvoiceParams,
    ) -> MmResult<GenerateInvoiceResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let generated = engine
            .payments()
            .generate_invoice(InvoiceRequest {
                description: params.description,
                description_hash: params.description_hash.map(|h| h.0),
                payment_hash: params.payment_hash.map(|h| h.0),
                min_final_cltv_expiry_delta: params.min_final_cltv_expiry_delta,
                amount_msat: params.amount_in_msat,
                expiry_secs: params.expiry,
                metadata: params.metadata,
                webhook_url: params.webhook_url,
                key_id: ctx.caller().key_id(),
            })
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(GenerateInvoiceResponse {
            payment_hash: hex::encode(generated.payment.payment_hash),
            invoice: generated.invoice,
        })
    }
}
