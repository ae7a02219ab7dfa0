//! `lightning::payments::cancel_invoice` (mmln): cancels a hold invoice, failing back any
//! payment held for it. Idempotent: canceling a canceled invoice again answers it.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use super::wire::{HashParam, PaymentDetails};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct CancelInvoice;

#[derive(Debug, Deserialize)]
pub struct CancelInvoiceParams {
    payment_hash: HashParam,
}

#[derive(Debug, Serialize)]
pub struct CancelInvoiceResponse {
    payment_details: PaymentDetails,
}

impl RpcMethod for CancelInvoice {
    const NAME: &'static str = "lightning::payments::cancel_invoice";
    const TAKES_COIN: bool = true;
    type Params = CancelInvoiceParams;
    type Output = CancelInvoiceResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: CancelInvoiceParams,
    ) -> MmResult<CancelInvoiceResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let payment = engine
            .payments()
            .cancel_invoice(params.payment_hash.0)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(CancelInvoiceResponse {
            payment_details: PaymentDetails::from(&payment),
        })
    }
}
