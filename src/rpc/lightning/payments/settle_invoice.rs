//! `lightning::payments::settle_invoice` (mmln): claims a held hold-invoice payment with its
//! preimage. Idempotent: settling a settled invoice again answers it.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use super::wire::{HashParam, PaymentDetails};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct SettleInvoice;

#[derive(Debug, Deserialize)]
pub struct SettleInvoiceParams {
    /// 32 bytes as 64 hex characters; its SHA-256 is the invoice's payment hash.
    preimage: HashParam,
}

#[derive(Debug, Serialize)]
pub struct SettleInvoiceResponse {
    payment_details: PaymentDetails,
}

impl RpcMethod for SettleInvoice {
    const NAME: &'static str = "lightning::payments::settle_invoice";
    const TAKES_COIN: bool = true;
    type Params = SettleInvoiceParams;
    type Output = SettleInvoiceResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: SettleInvoiceParams,
    ) -> MmResult<SettleInvoiceResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let payment = engine
            .payments()
            .settle_invoice(params.preimage.0)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(SettleInvoiceResponse {
            payment_details: PaymentDetails::from(&payment),
        })
    }
}
