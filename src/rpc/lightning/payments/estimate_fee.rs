//! `lightning::payments::estimate_fee` (mmln): the routing fee and hop count of the route the
//! node would take to pay `invoice` (or `amount_msat` to `destination`) now, without paying.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::sendpay::routing::FeeQuery;

pub struct EstimateFee;

#[derive(Debug, Deserialize)]
pub struct EstimateFeeParams {
    #[serde(default)]
    invoice: Option<String>,
    #[serde(default)]
    destination: Option<String>,
    #[serde(default)]
    amount_msat: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct EstimateFeeResponse {
    destination: String,
    amount_msat: u64,
    fee_msat: u64,
    hops: u32,
    total_cltv_expiry_delta: u32,
}

fn query(params: EstimateFeeParams) -> Result<FeeQuery, String> {
    match (params.invoice, params.destination, params.amount_msat) {
        (Some(invoice), None, amount_msat) => Ok(FeeQuery::Invoice {
            invoice,
            amount_msat,
        }),
        (None, Some(destination), Some(amount_msat)) => Ok(FeeQuery::Destination {
            destination: destination.parse().map_err(|_| {
                format!("invalid destination {destination:?}: expected a 33-byte public key in hex")
            })?,
            amount_msat,
        }),
        (None, Some(_), None) => Err("destination needs amount_msat".to_string()),
        (Some(_), Some(_), _) => Err("give either invoice or destination, not both".to_string()),
        (None, None, _) => Err("give invoice, or destination and amount_msat".to_string()),
    }
}

impl RpcMethod for EstimateFee {
    const NAME: &'static str = "lightning::payments::estimate_fee";
    const TAKES_COIN: bool = true;
    type Params = EstimateFeeParams;
    type Output = EstimateFeeResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: EstimateFeeParams,
    ) -> MmResult<EstimateFeeResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let query = query(params).map_to_mm(PaymentsError::InvalidRequest)?;
        let estimate = engine
            .sendpays()
            .estimate_fee(query)
            .map_to_mm(PaymentsError::from)?;
        Ok(EstimateFeeResponse {
            destination: estimate.destination.to_string(),
            amount_msat: estimate.amount_msat,
            fee_msat: estimate.fee_msat,
            hops: estimate.hops,
            total_cltv_expiry_delta: estimate.total_cltv,
        })
    }
}
