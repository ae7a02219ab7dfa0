//! `lightning::payments::send_value_split` (mmln): pay a Podcasting 2.0 value block, one
//! keysend per recipient, with an optional `idempotency_key` that makes a repeat re-pay only
//! the recipients whose payment failed. The split rules are in `service/payments/split_plan.rs`
//! and the schema.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::payments::custom_records::CustomRecordsParam;
use crate::service::payments::{SplitOutcome, SplitRecipient, ValueSplitRequest};

pub struct SendValueSplit;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientParam {
    #[serde(default)]
    name: Option<String>,
    destination: String,
    split: u64,
    #[serde(default)]
    fee: bool,
    #[serde(default)]
    custom_records: Option<CustomRecordsParam>,
}

#[derive(Debug, Deserialize)]
pub struct SendValueSplitParams {
    total_msat: u64,
    recipients: Vec<RecipientParam>,
    #[serde(default)]
    custom_records: Option<CustomRecordsParam>,
    #[serde(default)]
    fee_limit_msat: Option<u64>,
    #[serde(default)]
    idempotency_key: Option<String>,
    #[serde(default)]
    wait_timeout_secs: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct RecipientResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    destination: String,
    split: u64,
    fee: bool,
    amount_msat: u64,
    /// pending | succeeded | failed, or skipped (below 1 sat).
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee_paid_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct SendValueSplitResponse {
    split_id: String,
    total_msat: u64,
    skipped_msat: u64,
    repeated: bool,
    timed_out: bool,
    recipients: Vec<RecipientResult>,
}

impl From<SplitOutcome> for SendValueSplitResponse {
    fn from(o: SplitOutcome) -> Self {
        let recipients = o
            .recipients
            .into_iter()
            .map(|r| {
                let p = r.payment.as_ref();
                RecipientResult {
                    name: r.name,
                    destination: r.destination,
                    split: r.split,
                    fee: r.fee,
                    amount_msat: r.amount_msat,
                    status: p.map_or("skipped", |p| p.status.as_str()),
                    payment_hash: p.map(|p| hex::encode(p.payment_hash)),
                    fee_paid_msat: p.and_then(|p| p.fee_paid_msat),
                    failure_reason: match p {
                        Some(p) => p.failure.as_ref().map(|f| f.reason.clone()),
                        None => Some("below 1 sat after splitting; not paid".to_string()),
                    },
                    attempts: p.map(|p| p.attempts),
                }
            })
            .collect();
        SendValueSplitResponse {
            split_id: o.split_id,
            total_msat: o.total_msat,
            skipped_msat: o.skipped_msat,
            repeated: o.repeated,
            timed_out: o.timed_out,
            recipients,
        }
    }
}

impl RpcMethod for SendValueSplit {
    const NAME: &'static str = "lightning::payments::send_value_split";
    const TAKES_COIN: bool = true;
    type Params = SendValueSplitParams;
    type Output = SendValueSplitResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: SendValueSplitParams,
    ) -> MmResult<SendValueSplitResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let request = ValueSplitRequest {
            total_msat: params.total_msat,
            recipients: params
                .recipients
                .into_iter()
                .map(|r| SplitRecipient {
                    name: r.name,
                    destination: r.destination,
                    split: r.split,
                    fee: r.fee,
                    custom_records: r.custom_records,
                })
                .collect(),
            custom_records: params.custom_records,
            fee_limit_msat: params.fee_limit_msat,
            idempotency_key: params.idempotency_key,
            wait: params.wait_timeout_secs.map(Duration::from_secs),
        };
        let outcome = engine
            .payments()
            .send_value_split(request)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(outcome.into())
    }
}
