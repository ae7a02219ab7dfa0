//! `lightning::offers::list_offers` (mmln): the offers we issued, newest first.

use serde::{Deserialize, Serialize};

use super::wire::OfferDetails;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::lightning::payments::error::PaymentsError;
use crate::rpc::method::RpcMethod;

pub struct ListOffers;

#[derive(Debug, Deserialize)]
pub struct ListOffersParams {
    /// Also list disabled offers (default false).
    #[serde(default)]
    include_disabled: bool,
}

#[derive(Debug, Serialize)]
pub struct ListOffersResponse {
    offers: Vec<OfferDetails>,
}

impl RpcMethod for ListOffers {
    const NAME: &'static str = "lightning::offers::list_offers";
    const TAKES_COIN: bool = true;
    type Params = ListOffersParams;
    type Output = ListOffersResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: ListOffersParams,
    ) -> MmResult<ListOffersResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let offers = engine
            .payments()
            .list_offers(params.include_disabled)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(ListOffersResponse {
            offers: offers.iter().map(OfferDetails::from).collect(),
        })
    }
}
