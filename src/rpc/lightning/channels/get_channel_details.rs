//! `lightning::channels::get_channel_details`: one channel, open (live from the node) or closed
//! (from the history).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChannelsError;
use super::wire::{ClosedChannelDetails, OpenChannelDetails};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::channels::ChannelDetails;

pub struct GetChannelDetails;

#[derive(Debug, Deserialize)]
pub struct GetChannelDetailsParams {
    uuid: Uuid,
}

#[derive(Debug, Serialize)]
#[serde(tag = "status", content = "details")]
pub enum ChannelDetailsResponse {
    Open(OpenChannelDetails),
    Closed(ClosedChannelDetails),
}

impl RpcMethod for GetChannelDetails {
    const NAME: &'static str = "lightning::channels::get_channel_details";
    const TAKES_COIN: bool = true;
    type Params = GetChannelDetailsParams;
    type Output = ChannelDetailsResponse;
    type Error = ChannelsError;

    async fn handle(
        ctx: &RpcContext,
        params: GetChannelDetailsParams,
    ) -> MmResult<ChannelDetailsResponse, ChannelsError> {
        let engine = ctx.engine().map_to_mm(ChannelsError::from)?;
        let details = engine
            .channels()
            .details(params.uuid)
            .await
            .map_to_mm(ChannelsError::from)?;
        Ok(match details {
            ChannelDetails::Open(c) => ChannelDetailsResponse::Open(OpenChannelDetails::from(&c)),
            ChannelDetails::Closed(r) => ChannelDetailsResponse::Closed(r.into()),
        })
    }
}
