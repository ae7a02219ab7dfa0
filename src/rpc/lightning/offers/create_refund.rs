//! `lightning::offers::create_refund` (mmln): a BOLT 12 refund, an `lnr1...` "offer of money":
//! this node pays `amount_msat` to whoever holds the string and asks for it
//! (`request_refund_payment` on an mmln node) before it expires. The payment appears as an
//! outbound row (`bolt12: "refund"`) once the holder's invoice arrives.

use serde::{Deserialize, Serialize};

use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::lightning::payments::error::PaymentsError;
use crate::rpc::method::RpcMethod;
use crate::service::payments::RefundRequest;

pub struct CreateRefund;

#[derive(Debug, Deserialize)]
pub struct CreateRefundParams {
    amount_msat: u64,
    description: String,
    /// Seconds from now; 3600 when absent.
    #[serde(default)]
    expiry: Option<u64>,
    /// The most routing may cost us; the usual default (5%, at least 5 sat) when absent.
    #[serde(default)]
    fee_limit_msat: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct CreateRefundResponse {
    refund: String,
    /// Unix seconds.
    expires_at: u64,
}

impl RpcMethod for CreateRefund {
    const NAME: &'static str = "lightning::offers::create_refund";
    const TAKES_COIN: bool = true;
    type Params = CreateRefundParams;
    type Output = CreateRefundResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: CreateRefundParams,
    ) -> MmResult<CreateRefundResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let created = engine
            .payments()
            .create_refund(RefundRequest {
                amount_msat: params.amount_msat,
                description: params.description,
                expiry_secs: params.expiry,
                fee_limit_msat: params.fee_limit_msat,
            })
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(CreateRefundResponse {
            refund: created.refund,
            expires_at: created.expires_at,
        })
    }
}
