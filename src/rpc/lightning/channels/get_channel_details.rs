//! `lightning::channels::get_channel_details`: one channel, open (live from the node) or closed
//! (from the history).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChannelsError;
use super::wire::{ClosedChannelDetails, OpenChannelDetails};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmError, MmResult};
use crate::rpc::method::RpcMethod;

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
        let node = ctx.node().map_to_mm(ChannelsError::from)?;
        let ledger = ctx.ledger().map_to_mm(ChannelsError::from)?;
        if let Some(channel) = node.channel(params.uuid) {
            return Ok(ChannelDetailsResponse::Open(OpenChannelDetails::from(
                &channel,
            )));
        }
        let key = params.uuid.to_string();
        let record = ledger
            .blocking(move |l| l.channel_record(&key))
            .await
            .map_to_mm(ChannelsError::from)?;
        match record {
            Some(r) if r.is_closed => Ok(ChannelDetailsResponse::Closed(r.into())),
            _ => MmError::err(ChannelsError::NoSuchChannel(params.uuid.to_string())),
        }
    }
}
