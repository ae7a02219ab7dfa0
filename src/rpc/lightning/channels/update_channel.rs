//! `lightning::channels::update_channel`: changes a channel's forwarding policy; peers learn it
//! from the next channel_update.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChannelsError;
use super::wire::ChannelOptions;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct UpdateChannel;

#[derive(Debug, Deserialize)]
pub struct UpdateChannelParams {
    uuid: Uuid,
    channel_options: ChannelOptions,
}

#[derive(Debug, Serialize)]
pub struct UpdateChannelResponse {
    /// The options now in force (fees and CLTV delta read back from the channel; the dust and
    /// force-close limits as set).
    pub channel_options: ChannelOptions,
}

impl RpcMethod for UpdateChannel {
    const NAME: &'static str = "lightning::channels::update_channel";
    const TAKES_COIN: bool = true;
    type Params = UpdateChannelParams;
    type Output = UpdateChannelResponse;
    type Error = ChannelsError;

    async fn handle(
        ctx: &RpcContext,
        params: UpdateChannelParams,
    ) -> MmResult<UpdateChannelResponse, ChannelsError> {
        let engine = ctx.engine().map_to_mm(ChannelsError::from)?;
        let in_force = engine
            .channels()
            .update(params.uuid, params.channel_options.into())
            .map_to_mm(ChannelsError::from)?;
        Ok(UpdateChannelResponse {
            channel_options: in_force.into(),
        })
    }
}
