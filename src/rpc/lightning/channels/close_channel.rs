//! `lightning::channels::close_channel`: cooperative close, or `force_close` (broadcast our
//! commitment; our balance comes back after the to-self delay, through the sweeper).

use serde::Deserialize;
use uuid::Uuid;

use super::error::ChannelsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct CloseChannel;

#[derive(Debug, Deserialize)]
pub struct CloseChannelParams {
    uuid: Uuid,
    #[serde(default)]
    force_close: bool,
}

impl RpcMethod for CloseChannel {
    const NAME: &'static str = "lightning::channels::close_channel";
    const TAKES_COIN: bool = true;
    type Params = CloseChannelParams;
    type Output = String;
    type Error = ChannelsError;

    async fn handle(
        ctx: &RpcContext,
        params: CloseChannelParams,
    ) -> MmResult<String, ChannelsError> {
        let engine = ctx.engine().map_to_mm(ChannelsError::from)?;
        engine
            .channels()
            .close(params.uuid, params.force_close)
            .await
            .map_to_mm(ChannelsError::from)?;
        Ok(format!(
            "Initiated closing of channel with uuid: {}",
            params.uuid
        ))
    }
}
