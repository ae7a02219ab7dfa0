//! `lightning::payments::wallet_totals` (mmln): what one sub-wallet (keysends routed by
//! `wallet_routing_tlvs`) received and sent, over `created_at` in `[from, to]`.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::payments::WalletTotals as Totals;

pub struct WalletTotals;

#[derive(Debug, Deserialize)]
pub struct WalletTotalsParams {
    wallet_id: String,
    #[serde(default)]
    from_timestamp: Option<u64>,
    #[serde(default)]
    to_timestamp: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct WalletTotalsResponse {
    wallet_id: String,
    received_msat: u64,
    received_count: u64,
    pending_received_msat: u64,
    sent_msat: u64,
    sent_fee_msat: u64,
    sent_count: u64,
    pending_sent_msat: u64,
}

impl RpcMethod for WalletTotals {
    const NAME: &'static str = "lightning::payments::wallet_totals";
    const TAKES_COIN: bool = true;
    type Params = WalletTotalsParams;
    type Output = WalletTotalsResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: WalletTotalsParams,
    ) -> MmResult<WalletTotalsResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let t: Totals = engine
            .payments()
            .wallet_totals(
                params.wallet_id.clone(),
                params.from_timestamp,
                params.to_timestamp,
            )
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(WalletTotalsResponse {
            wallet_id: params.wallet_id,
            received_msat: t.received_msat,
            received_count: t.received_count,
            pending_received_msat: t.pending_received_msat,
            sent_msat: t.sent_msat,
            sent_fee_msat: t.sent_fee_msat,
            sent_count: t.sent_count,
            pending_sent_msat: t.pending_sent_msat,
        })
    }
}
