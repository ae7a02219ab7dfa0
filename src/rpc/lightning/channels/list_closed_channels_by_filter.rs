//! `lightning::channels::list_closed_channels_by_filter`: the closed-channel history, most
//! recently closed first, filtered and paged.

use serde::{Deserialize, Serialize};

use super::error::ChannelsError;
use super::wire::{ClosedChannelDetails, PagingOptions, DEFAULT_LIMIT};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::channels::ClosedChannelsFilter;

pub struct ListClosedChannelsByFilter;

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum ChannelType {
    Outbound,
    Inbound,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub enum ChannelVisibility {
    Public,
    Private,
}

/// KDF's `ClosedChannelsFilter`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedFilter {
    channel_id: Option<String>,
    counterparty_node_id: Option<String>,
    funding_tx: Option<String>,
    from_funding_value: Option<u64>,
    to_funding_value: Option<u64>,
    closing_tx: Option<String>,
    closure_reason: Option<String>,
    claiming_tx: Option<String>,
    from_claimed_balance: Option<f64>,
    to_claimed_balance: Option<f64>,
    channel_type: Option<ChannelType>,
    channel_visibility: Option<ChannelVisibility>,
}

impl From<ClosedFilter> for ClosedChannelsFilter {
    fn from(f: ClosedFilter) -> Self {
        ClosedChannelsFilter {
            channel_id: f.channel_id,
            counterparty_node_id: f.counterparty_node_id,
            funding_tx: f.funding_tx,
            from_funding_value: f.from_funding_value,
            to_funding_value: f.to_funding_value,
            closing_tx: f.closing_tx,
            closure_reason: f.closure_reason,
            claiming_tx: f.claiming_tx,
            from_claimed_balance: f.from_claimed_balance,
            to_claimed_balance: f.to_claimed_balance,
            is_outbound: f.channel_type.map(|t| matches!(t, ChannelType::Outbound)),
            is_public: f
                .channel_visibility
                .map(|v| matches!(v, ChannelVisibility::Public)),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ListClosedChannelsParams {
    #[serde(default)]
    filter: Option<ClosedFilter>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    paging_options: Option<PagingOptions>,
}

#[derive(Debug, Serialize)]
pub struct ListClosedChannelsResponse {
    pub closed_channels: Vec<ClosedChannelDetails>,
    pub limit: usize,
    pub skipped: usize,
    pub total: usize,
    pub total_pages: usize,
    pub paging_options: PagingOptions,
}

impl RpcMethod for ListClosedChannelsByFilter {
    const NAME: &'static str = "lightning::channels::list_closed_channels_by_filter";
    const TAKES_COIN: bool = true;
    type Params = ListClosedChannelsParams;
    type Output = ListClosedChannelsResponse;
    type Error = ChannelsError;

    async fn handle(
        ctx: &RpcContext,
        params: ListClosedChannelsParams,
    ) -> MmResult<ListClosedChannelsResponse, ChannelsError> {
        let engine = ctx.engine().map_to_mm(ChannelsError::from)?;
        let filter = ClosedChannelsFilter::from(params.filter.unwrap_or_default());
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        let paging_options = params.paging_options.unwrap_or_default();
        let p = engine
            .channels()
            .list_closed(&filter, limit, &paging_options.to_paging())
            .await
            .map_to_mm(ChannelsError::from)?;
        Ok(ListClosedChannelsResponse {
            closed_channels: p
                .items
                .into_iter()
                .map(ClosedChannelDetails::from)
                .collect(),
            limit,
            skipped: p.skipped,
            total: p.total,
            total_pages: p.total_pages,
            paging_options,
        })
    }
}
