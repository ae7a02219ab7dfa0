//! `lightning::offers::create_offer` (mmln): a BOLT 12 offer, a reusable `lno1...` payment
//! code, recorded at once. Its payments arrive as inbound rows carrying its `offer_id`.

use serde::{Deserialize, Serialize};

use super::wire::OfferDetails;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::lightning::payments::error::PaymentsError;
use crate::rpc::method::RpcMethod;
use crate::service::payments::OfferRequest;

pub struct CreateOffer;

#[derive(Debug, Deserialize)]
pub struct CreateOfferParams {
    description: String,
    /// Absent: the payer chooses the amount.
    #[serde(default)]
    amount_msat: Option<u64>,
    /// Absent or 1: one item per payment; 0: any quantity; n: at most n items.
    #[serde(default)]
    quantity_max: Option<u64>,
    /// Seconds from now; absent: never expires.
    #[serde(default)]
    expiry: Option<u64>,
    #[serde(default)]
    issuer: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CreateOfferResponse {
    #[serde(flatten)]
    offer: OfferDetails,
}

impl RpcMethod for CreateOffer {
    const NAME: &'static str = "lightning::offers::create_offer";
    const TAKES_COIN: bool = true;
    type Params = CreateOfferParams;
    type Output = CreateOfferResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: CreateOfferParams,
    ) -> MmResult<CreateOfferResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let offer = engine
            .payments()
            .create_offer(OfferRequest {
                description: params.description,
                amount_msat: params.amount_msat,
                quantity_max: params.quantity_max,
                expiry_secs: params.expiry,
                issuer: params.issuer,
            })
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(CreateOfferResponse {
            offer: OfferDetails::from(&offer),
        })
    }
}
