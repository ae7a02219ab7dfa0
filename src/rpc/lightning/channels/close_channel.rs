//! `lightning::channels::close_channel`: cooperative close, or `force_close` (broadcast our
//! commitment; our balance comes back after the to-self delay, through the sweeper).

use serde::Deserialize;
use uuid::Uuid;

use super::error::ChannelsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmError, MmResult};
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
        let node = ctx.node().map_to_mm(ChannelsError::from)?;
        let ledger = ctx.ledger().map_to_mm(ChannelsError::from)?;
        // A channel already in the history as closed is "already closing", not unknown.
        if node.channel(params.uuid).is_none() {
            let key = params.uuid.to_string();
            let record = ledger
                .blocking(move |l| l.channel_record(&key))
                .await
                .map_to_mm(ChannelsError::from)?;
            if record.is_some_and(|r| r.is_closed) {
                return MmError::err(ChannelsError::ChannelAlreadyClosing(
                    params.uuid.to_string(),
                ));
            }
        }
        node.close_channel(params.uuid, params.force_close)
            .map_to_mm(ChannelsError::from)?;
        Ok(format!(
            "Initiated closing of channel with uuid: {}",
            params.uuid
        ))
    }
}
