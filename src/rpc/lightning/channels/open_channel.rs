//! `lightning::channels::open_channel`: connects to `node_address` if needed and opens a channel
//! funded from the on-chain wallet (the workflow is `service::channels::open`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChannelsError;
use super::wire::ChannelOptions;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::channels::{HandshakeConfig, OpenAmount as ChannelAmount, OpenRequest};

pub struct OpenChannel;

/// `{"type":"Exact","value":<BTC>}` or `{"type":"Max"}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "value")]
pub enum OpenAmount {
    Exact(serde_json::Number),
    Max,
}

/// KDF's `OurChannelsConfig`: handshake settings of this channel.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfigs {
    /// Applies to channels others open to us; refused on an open we start.
    inbound_channels_confirmations: Option<u32>,
    /// Blocks the counterparty waits to claim its funds after it force-closes.
    counterparty_locktime: Option<u16>,
    our_htlc_minimum_msat: Option<u64>,
    negotiate_scid_privacy: Option<bool>,
    max_inbound_in_flight_htlc_percent: Option<u8>,
}

impl From<ChannelConfigs> for HandshakeConfig {
    fn from(c: ChannelConfigs) -> Self {
        HandshakeConfig {
            inbound_channels_confirmations: c.inbound_channels_confirmations,
            counterparty_locktime: c.counterparty_locktime,
            our_htlc_minimum_msat: c.our_htlc_minimum_msat,
            negotiate_scid_privacy: c.negotiate_scid_privacy,
            max_inbound_in_flight_htlc_percent: c.max_inbound_in_flight_htlc_percent,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct OpenChannelParams {
    node_address: String,
    amount: OpenAmount,
    #[serde(default)]
    push_msat: u64,
    #[serde(default)]
    channel_options: Option<ChannelOptions>,
    #[serde(default)]
    channel_configs: Option<ChannelConfigs>,
}

#[derive(Debug, Serialize)]
pub struct OpenChannelResponse {
    pub uuid: Uuid,
    pub node_address: String,
}

impl RpcMethod for OpenChannel {
    const NAME: &'static str = "lightning::channels::open_channel";
    const TAKES_COIN: bool = true;
    type Params = OpenChannelParams;
    type Output = OpenChannelResponse;
    type Error = ChannelsError;

    async fn handle(
        ctx: &RpcContext,
        params: OpenChannelParams,
    ) -> MmResult<OpenChannelResponse, ChannelsError> {
        let engine = ctx.engine().map_to_mm(ChannelsError::from)?;
        let opened = engine
            .channels()
            .open(OpenRequest {
                node_address: params.node_address,
                amount: match params.amount {
                    OpenAmount::Exact(value) => ChannelAmount::Btc(value.to_string()),
                    OpenAmount::Max => ChannelAmount::Max,
                },
                push_msat: params.push_msat,
                policy: params.channel_options.unwrap_or_default().into(),
                handshake: params.channel_configs.map(Into::into),
            })
            .await
            .map_to_mm(ChannelsError::from)?;
        Ok(OpenChannelResponse {
            uuid: opened.uuid,
            node_address: opened.node_address.to_string(),
        })
    }
}
