//! `lightning::payments::get_payment_details`: one payment from the ledger.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use super::wire::{HashParam, PaymentDetails};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmError, MmResult};
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
        let ledger = ctx.ledger().map_to_mm(PaymentsError::from)?;
        let hash = params.payment_hash.0;
        let payment = ledger
            .blocking(move |l| l.get_payment(&hash))
            .await
            .map_to_mm(PaymentsError::from)?;
        match payment {
            Some(p) => Ok(GetPaymentDetailsResponse {
                payment_details: PaymentDetails::from(&p),
            }),
            None => MmError::err(PaymentsError::NoSuchPayment(hex::encode(hash))),
        }
    }
}
