//! `lightning::channels::update_channel`: changes a channel's forwarding policy; peers learn it
//! from the next channel_update.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChannelsError;
use super::wire::ChannelOptions;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmError, MmResult};
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
        let node = ctx.node().map_to_mm(ChannelsError::from)?;
        let options = params.channel_options;
        if options.announced_channel.is_some() {
            return MmError::err(ChannelsError::UnsupportedOption(
                "announced_channel is fixed when the channel opens".to_string(),
            ));
        }
        if options.is_empty() {
            return MmError::err(ChannelsError::UnsupportedOption(
                "channel_options sets nothing to update".to_string(),
            ));
        }
        node.update_channel_config(params.uuid, options.to_update())
            .map_to_mm(ChannelsError::from)?;
        let channel = node
            .channel(params.uuid)
            .ok_or_else(|| MmError::new(ChannelsError::NoSuchChannel(params.uuid.to_string())))?;
        Ok(UpdateChannelResponse {
            channel_options: ChannelOptions {
                proportional_fee_in_millionths_sats: channel.forwarding_fee_proportional_millionths,
                base_fee_msat: channel.forwarding_fee_base_msat,
                cltv_expiry_delta: channel.cltv_expiry_delta,
                max_dust_htlc_exposure_msat: options.max_dust_htlc_exposure_msat,
                force_close_avoidance_max_fee_sats: options.force_close_avoidance_max_fee_sats,
                announced_channel: None,
            },
        })
    }
}
