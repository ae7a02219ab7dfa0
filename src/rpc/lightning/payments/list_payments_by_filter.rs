//! `lightning::payments::list_payments_by_filter`: filtered, paged payments, newest change
//! first (`last_updated DESC, id DESC`). Totals honour the filter; `FromId` must be a payment
//! within the filtered set; a page past the end is empty.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use super::wire::{PagingOptions, PaymentDetails, PaymentTypeWire, StatusWire};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::payments::PaymentFilter;

pub struct ListPaymentsByFilter;

/// KDF's default page size.
pub const DEFAULT_LIMIT: u32 = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsFilterWire {
    #[serde(default)]
    payment_type: Option<PaymentTypeWire>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<StatusWire>,
    #[serde(default)]
    from_amount_msat: Option<u64>,
    #[serde(default)]
    to_amount_msat: Option<u64>,
    #[serde(default)]
    from_fee_paid_msat: Option<u64>,
    #[serde(default)]
    to_fee_paid_msat: Option<u64>,
    #[serde(default)]
    from_timestamp: Option<u64>,
    #[serde(default)]
    to_timestamp: Option<u64>,
}

impl PaymentsFilterWire {
    fn to_filter(&self) -> Result<PaymentFilter, PaymentsError> {
        Ok(PaymentFilter {
            payment_type: self
                .payment_type
                .as_ref()
                .map(PaymentTypeWire::to_filter)
                .transpose()
                .map_err(PaymentsError::InvalidRequest)?,
            description: self.description.clone(),
            status: self.status.map(Into::into),
            from_amount_msat: self.from_amount_msat,
            to_amount_msat: self.to_amount_msat,
            from_fee_paid_msat: self.from_fee_paid_msat,
            to_fee_paid_msat: self.to_fee_paid_msat,
            from_timestamp: self.from_timestamp,
            to_timestamp: self.to_timestamp,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct ListPaymentsParams {
    #[serde(default)]
    filter: Option<PaymentsFilterWire>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    paging_options: Option<PagingOptions>,
}

#[derive(Debug, Serialize)]
pub struct ListPaymentsResponse {
    payments: Vec<PaymentDetails>,
    limit: u32,
    skipped: u64,
    total: u64,
    total_pages: u64,
    paging_options: PagingOptions,
}

impl RpcMethod for ListPaymentsByFilter {
    const NAME: &'static str = "lightning::payments::list_payments_by_filter";
    const TAKES_COIN: bool = true;
    type Params = ListPaymentsParams;
    type Output = ListPaymentsResponse;
    type Error = PaymentsError;

    async fn handle(
        ctx: &RpcContext,
        params: ListPaymentsParams,
    ) -> MmResult<ListPaymentsResponse, PaymentsError> {
        let engine = ctx.engine().map_to_mm(PaymentsError::from)?;
        let filter = params
            .filter
            .unwrap_or_default()
            .to_filter()
            .map_to_mm(|e| e)?;
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        let paging_options = params.paging_options.unwrap_or_default();
        let paging = paging_options.to_paging();
        let page = engine
            .payments()
            .list(filter, limit, paging)
            .await
            .map_to_mm(PaymentsError::from)?;
        Ok(ListPaymentsResponse {
            payments: page.payments.iter().map(PaymentDetails::from).collect(),
            limit: page.limit,
            skipped: page.skipped,
            total: page.total,
            total_pages: page.total_pages,
            paging_options,
        })
    }
}
