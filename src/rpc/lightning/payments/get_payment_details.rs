//! `lightning::payments::get_payment_details`: one payment, by hash.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use super::wire::{HashParam, PaymentDetails};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct GetPaymentDetails;

#[derive(Debug, Deserialize)]
pub struct GetPaymentDetailsParams {
    payment_hash: HashParam,
}

#[derive(Debug, Serialize)]
pub struct GetPaymentDetailsResponse {
    payment_details: PaymentDetails,
}

impl RpcMethod for GetPaymentDetails {
    const NAME: &'static str = "lightning::payments::get_payment_details";
    const TAKES_COIN: bool = true;
    type Params = GetPaymentDetailsParams;
    type Output = GetPaymentDetailsResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: GetPaymentDetailsParams,
    ) -> MmResult<GetPaymentDetailsResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let payment = engine
            .payments()
            .get(params.payment_hash.0)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(GetPaymentDetailsResponse {
            payment_details: PaymentDetails::from(&payment),
        })
    }
}
