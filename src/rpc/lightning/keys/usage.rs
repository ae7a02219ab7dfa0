//! `lightning::keys::usage`: what a key spent in its current budget period (all time for a
//! key without a budget) and the payments it made.

use serde::{Deserialize, Serialize};

use super::error::KeysError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct KeyUsageMethod;

#[derive(Debug, Deserialize)]
pub struct KeyUsageParams {
    id: u64,
}

#[derive(Debug, Serialize)]
pub struct KeyUsageResponse {
    pub id: u64,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_payment_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_period: Option<String>,
    /// Kept by succeeded payments (amount plus fees) in the current period.
    pub spent_msat: u64,
    /// Held by payments in flight (amount plus fee limit) in the current period.
    pub reserved_msat: u64,
    /// What a new payment may still use in the current period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_msat: Option<u64>,
    pub payments_in_period: u64,
    pub payments_made: u64,
    pub payments_pending: u64,
}

impl RpcMethod for KeyUsageMethod {
    const NAME: &'static str = "lightning::keys::usage";
    const TAKES_COIN: bool = true;
    type Params = KeyUsageParams;
    type Output = KeyUsageResponse;
    type Error = KeysError;

    async fn handle(
        ctx: &RpcContext,
        params: KeyUsageParams,
    ) -> MmResult<KeyUsageResponse, KeysError> {
        let engine = ctx.engine().map_to_mm(KeysError::from)?;
        let (key, usage) = engine
            .keys()
            .usage(params.id)
            .await
            .map_to_mm(KeysError::from)?;
        let used = usage.spent_msat.saturating_add(usage.reserved_msat);
        Ok(KeyUsageResponse {
            id: key.row.id,
            label: key.row.label,
            max_payment_msat: key.row.max_payment_msat,
            budget_msat: key.row.budget_msat,
            remaining_msat: key.row.budget_msat.map(|b| b.saturating_sub(used)),
            budget_period: key.row.budget_period,
            spent_msat: usage.spent_msat,
            reserved_msat: usage.reserved_msat,
            payments_in_period: usage.payments_in_period,
            payments_made: usage.payments_made,
            payments_pending: usage.payments_pending,
        })
    }
}
