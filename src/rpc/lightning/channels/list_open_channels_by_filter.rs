//! `lightning::channels::list_open_channels_by_filter`: live channels, oldest first (the
//! node's order), filtered and paged.

use serde::{Deserialize, Serialize};

use super::error::ChannelsError;
use super::wire::{OpenChannelDetails, PagingOptions, DEFAULT_LIMIT};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::channels::OpenChannelsFilter;

pub struct ListOpenChannelsByFilter;

#[derive(Debug, Deserialize)]
pub struct ListOpenChannelsParams {
    #[serde(default)]
    filter: Option<OpenChannelsFilter>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    paging_options: Option<PagingOptions>,
}

#[derive(Debug, Serialize)]
pub struct ListOpenChannelsResponse {
    pub open_channels: Vec<OpenChannelDetails>,
    pub limit: usize,
    pub skipped: usize,
    pub total: usize,
    pub total_pages: usize,
    pub paging_options: PagingOptions,
}

impl RpcMethod for ListOpenChannelsByFilter {
    const NAME: &'static str = "lightning::channels::list_open_channels_by_filter";
    const TAKES_COIN: bool = true;
    type Params = ListOpenChannelsParams;
    type Output = ListOpenChannelsResponse;
    type Error = ChannelsError;

    async fn handle(
        ctx: &RpcContext,
        params: ListOpenChannelsParams,
    ) -> MmResult<ListOpenChannelsResponse, ChannelsError> {
        let engine = ctx.engine().map_to_mm(ChannelsError::from)?;
        let filter = params.filter.unwrap_or_default();
        let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
        let paging_options = params.paging_options.unwrap_or_default();
        let p = engine
            .channels()
            .list_open(&filter, limit, &paging_options.to_paging())
            .map_to_mm(ChannelsError::from)?;
        Ok(ListOpenChannelsResponse {
            open_channels: p.items.iter().map(OpenChannelDetails::from).collect(),
            limit,
            skipped: p.skipped,
            total: p.total,
            total_pages: p.total_pages,
            paging_options,
        })
    }
}
