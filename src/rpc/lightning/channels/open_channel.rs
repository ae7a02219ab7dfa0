//! `lightning::channels::open_channel`: connects to `node_address` if needed and opens a channel
//! funded from the on-chain wallet. Amounts are checked against the wallet before LDK is asked.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChannelsError;
use super::wire::ChannelOptions;
use crate::node::{ChannelAmount, OpenChannelOptions};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmError, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::nodes::{connect, parse_node_address};
use crate::service::wallet::btc_to_sats;

pub struct OpenChannel;

/// `{"type":"Exact","value":<BTC>}` or `{"type":"Max"}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "value")]
pub enum OpenAmount {
    Exact(serde_json::Number),
    Max,
}

/// KDF's `OurChannelsConfig`. This node applies its own handshake policy; setting any of these
/// is refused rather than silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfigs {
    inbound_channels_confirmations: Option<u32>,
    counterparty_locktime: Option<u16>,
    our_htlc_minimum_msat: Option<u64>,
    negotiate_scid_privacy: Option<bool>,
    max_inbound_in_flight_htlc_percent: Option<u8>,
}

impl ChannelConfigs {
    fn set_fields(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.inbound_channels_confirmations.is_some() {
            set.push("inbound_channels_confirmations");
        }
        if self.counterparty_locktime.is_some() {
            set.push("counterparty_locktime");
        }
        if self.our_htlc_minimum_msat.is_some() {
            set.push("our_htlc_minimum_msat");
        }
        if self.negotiate_scid_privacy.is_some() {
            set.push("negotiate_scid_privacy");
        }
        if self.max_inbound_in_flight_htlc_percent.is_some() {
            set.push("max_inbound_in_flight_htlc_percent");
        }
        set
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
        let node = ctx.node().map_to_mm(ChannelsError::from)?;
        let ledger = ctx.ledger().map_to_mm(ChannelsError::from)?;
        let address = parse_node_address(&params.node_address).map_to_mm(ChannelsError::from)?;
        let amount = match &params.amount {
            OpenAmount::Exact(value) => {
                ChannelAmount::Sats(btc_to_sats(&value.to_string()).map_to_mm(ChannelsError::from)?)
            }
            OpenAmount::Max => ChannelAmount::Max,
        };
        let unsupported = params.channel_configs.unwrap_or_default().set_fields();
        if !unsupported.is_empty() {
            return MmError::err(ChannelsError::UnsupportedOption(format!(
                "channel_configs {} cannot be set per channel on this node",
                unsupported.join(", ")
            )));
        }
        let options = params.channel_options.unwrap_or_default();
        connect(node, &address)
            .await
            .map_to_mm(ChannelsError::from)?;
        let uuid = node
            .open_channel(
                address.node_id,
                amount,
                params.push_msat,
                OpenChannelOptions {
                    public: options.announced_channel.unwrap_or(false),
                    forwarding_fee_base_msat: options.base_fee_msat,
                    forwarding_fee_proportional_millionths: options
                        .proportional_fee_in_millionths_sats,
                    cltv_expiry_delta: options.cltv_expiry_delta,
                },
            )
            .map_to_mm(ChannelsError::from)?;
        // The dust limit and force-close fee are channel config, not handshake: set them now.
        if options.max_dust_htlc_exposure_msat.is_some()
            || options.force_close_avoidance_max_fee_sats.is_some()
        {
            node.update_channel_config(uuid, options.to_update())
                .map_to_mm(ChannelsError::from)?;
        }
        crate::service::channels::record_open_channels(node, ledger).await;
        Ok(OpenChannelResponse {
            uuid,
            node_address: address.to_string(),
        })
    }
}
