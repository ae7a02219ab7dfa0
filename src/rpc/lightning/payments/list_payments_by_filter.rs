//! `lightning::payments::list_payments_by_filter`: filtered, paged payments, newest change
//! first (`last_updated DESC, id DESC`). Totals honour the filter; `FromId` must be a payment
//! within the filtered set; a page past the end is empty.
//!
//! mmln adds CLN-style cursor paging: `index` (`created` | `updated`) with `start` lists the
//! filtered payments whose index is at least `start`, in index order, and answers
//! `next_start`. Such a cursor is stable under concurrent inserts; `paging_options` is then
//! refused, and `skipped`, `total`, `total_pages` are absent.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use super::wire::{HashParam, PagingOptions, PaymentDetails, PaymentTypeWire, StatusWire};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::feeds::FeedError;
use crate::service::payments::{Blip10Filter, IndexKind, PaymentFilter};

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
    /// mmln: payments made with this access key.
    #[serde(default)]
    key_id: Option<u64>,
    /// mmln: payments carrying a custom record with this key.
    #[serde(default)]
    custom_record_key: Option<u64>,
    /// mmln: bLIP-10 (record 7629169) fields, compared exactly (`action` case-insensitively).
    #[serde(default, rename = "blip10.action")]
    blip10_action: Option<String>,
    #[serde(default, rename = "blip10.podcast")]
    blip10_podcast: Option<String>,
    #[serde(default, rename = "blip10.feedID")]
    blip10_feed_id: Option<String>,
    #[serde(default, rename = "blip10.app_name")]
    blip10_app_name: Option<String>,
    /// mmln: true: a bLIP-10 record with a non-blank `message` (boostagrams); false: none.
    #[serde(default)]
    has_message: Option<bool>,
    /// mmln: the recipients of one `send_value_split`.
    #[serde(default)]
    split_id: Option<String>,
    /// mmln: keysends routed to this sub-wallet (`wallet_routing_tlvs`).
    #[serde(default)]
    wallet_id: Option<String>,
    /// mmln: BOLT 12 payments of this offer (its `offer_id`, 64 hex), either direction.
    #[serde(default)]
    offer_id: Option<HashParam>,
}

impl PaymentsFilterWire {
    pub fn to_filter(&self) -> Result<PaymentFilter, PaymentsError> {
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
            key_id: self.key_id,
            custom_record_key: self.custom_record_key,
            blip10: Blip10Filter {
                action: self.blip10_action.clone(),
                podcast: self.blip10_podcast.clone(),
                feed_id: self.blip10_feed_id.clone(),
                app_name: self.blip10_app_name.clone(),
            },
            has_message: self.has_message,
            split_id: self.split_id.clone(),
            wallet_id: self.wallet_id.clone(),
            offer_id: self.offer_id.map(|h| h.0),
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
    /// mmln: cursor paging by this index.
    #[serde(default)]
    index: Option<IndexWire>,
    /// mmln: with `index`, the first index value wanted (default 0).
    #[serde(default)]
    start: Option<u64>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexWire {
    Created,
    Updated,
}

#[derive(Debug, Serialize)]
pub struct ListPaymentsResponse {
    payments: Vec<PaymentDetails>,
    limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_pages: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging_options: Option<PagingOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<IndexWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_start: Option<u64>,
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
        if let Some(index) = params.index {
            if params.paging_options.is_some() {
                return Err(PaymentsError::InvalidRequest(
                    "give either index/start or paging_options, not both".to_string(),
                )
                .into());
            }
            let kind = match index {
                IndexWire::Created => IndexKind::Created,
                IndexWire::Updated => IndexKind::Updated,
            };
            let page = engine
                .payments()
                .list_by_index(filter, kind, params.start.unwrap_or(0), limit)
                .await
                .map_to_mm(|e| match e {
                    FeedError::Ledger(e) => PaymentsError::from(e),
                    other => PaymentsError::InvalidRequest(other.to_string()),
                })?;
            return Ok(ListPaymentsResponse {
                payments: page.payments.iter().map(PaymentDetails::from).collect(),
                limit,
                skipped: None,
                total: None,
                total_pages: None,
                paging_options: None,
                index: Some(index),
                next_start: Some(page.next_start),
            });
        }
        if params.start.is_some() {
            return Err(PaymentsError::InvalidRequest(
                "start needs index (created or updated)".to_string(),
            )
            .into());
        }
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
            skipped: Some(page.skipped),
            total: Some(page.total),
            total_pages: Some(page.total_pages),
            paging_options: Some(paging_options),
            index: None,
            next_start: None,
        })
    }
}
