//! `lightning::offers::request_refund_payment` (mmln): be paid a refund. This node sends the
//! refund's creator an invoice for it and records the payment as a pending inbound row
//! (`bolt12: "refund"`), which becomes `succeeded` when the creator pays.

use serde::{Deserialize, Serialize};

use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::lightning::payments::error::PaymentsError;
use crate::rpc::method::RpcMethod;

pub struct RequestRefundPayment;

#[derive(Debug, Deserialize)]
pub struct RequestRefundPaymentParams {
    /// The `lnr1...` string.
    refund: String,
}

#[derive(Debug, Serialize)]
pub struct RequestRefundPaymentResponse {
    payment_hash: String,
    amount_in_msat: u64,
}

impl RpcMethod for RequestRefundPayment {
    const NAME: &'static str = "lightning::offers::request_refund_payment";
    const TAKES_COIN: bool = true;
    type Params = RequestRefundPaymentParams;
    type Output = RequestRefundPaymentResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: RequestRefundPaymentParams,
    ) -> MmResult<RequestRefundPaymentResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let payment = engine
            .payments()
            .request_refund_payment(&params.refund)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(RequestRefundPaymentResponse {
            payment_hash: hex::encode(payment.payment_hash),
            amount_in_msat: payment.amount_msat.unwrap_or_default(),
        })
    }
}
