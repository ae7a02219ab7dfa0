//! `lightning::offers::disable_offer` (mmln): from now on, payments to this offer are failed
//! back. Idempotent: disabling again answers the offer with its first `disabled_at`.

use serde::{Deserialize, Serialize};

use super::wire::OfferDetails;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::lightning::payments::error::PaymentsError;
use crate::rpc::lightning::payments::wire::HashParam;
use crate::rpc::method::RpcMethod;

pub struct DisableOffer;

#[derive(Debug, Deserialize)]
pub struct DisableOfferParams {
    offer_id: HashParam,
}

#[derive(Debug, Serialize)]
pub struct DisableOfferResponse {
    #[serde(flatten)]
    offer: OfferDetails,
}

impl RpcMethod for DisableOffer {
    const NAME: &'static str = "lightning::offers::disable_offer";
    const TAKES_COIN: bool = true;
    type Params = DisableOfferParams;
    type Output = DisableOfferResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: DisableOfferParams,
    ) -> MmResult<DisableOfferResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let offer = engine
            .payments()
            .disable_offer(params.offer_id.0)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(DisableOfferResponse {
            offer: OfferDetails::from(&offer),
        })
    }
}
