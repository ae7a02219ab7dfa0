//! `lightning::channels::open_channel`: connects to `node_address` if needed and opens a channel
//! funded from the on-chain wallet. Amounts are checked against the wallet before LDK is asked.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::ChannelsError;
use super::wire::ChannelOptions;
use crate::node::{ChannelAmount, OpenChannelOptions};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
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

/// LDK refuses a to-self delay below this (BOLT 2's breakdown timeout)...
const MIN_COUNTERPARTY_LOCKTIME: u16 = 144;
/// ... and peers refuse one above this (LDK's default `their_to_self_delay` limit).
const MAX_COUNTERPARTY_LOCKTIME: u16 = 2016;

impl ChannelConfigs {
    /// Checks the values before LDK sees them and applies them to `options`.
    fn apply(&self, options: &mut OpenChannelOptions) -> Result<(), ChannelsError> {
        let invalid = |m: String| Err(ChannelsError::InvalidOption(m));
        if self.inbound_channels_confirmations.is_some() {
            return invalid(
                "channel_configs.inbound_channels_confirmations applies to channels others \
                 open to us; the peer sets the confirmations of a channel we open"
                    .to_string(),
            );
        }
        if let Some(delay) = self.counterparty_locktime {
            if !(MIN_COUNTERPARTY_LOCKTIME..=MAX_COUNTERPARTY_LOCKTIME).contains(&delay) {
                return invalid(format!(
                    "channel_configs.counterparty_locktime {delay} is outside \
                     {MIN_COUNTERPARTY_LOCKTIME}..={MAX_COUNTERPARTY_LOCKTIME} blocks"
                ));
            }
        }
        if let Some(percent) = self.max_inbound_in_flight_htlc_percent {
            if !(1..=100).contains(&percent) {
                return invalid(format!(
                    "channel_configs.max_inbound_in_flight_htlc_percent {percent} is outside 1..=100"
                ));
            }
        }
        options.to_self_delay = self.counterparty_locktime;
        options.htlc_minimum_msat = self.our_htlc_minimum_msat;
        options.negotiate_scid_privacy = self.negotiate_scid_privacy;
        options.max_inbound_htlc_value_in_flight_percent = self.max_inbound_in_flight_htlc_percent;
        Ok(())
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
        let options = params.channel_options.unwrap_or_default();
        let mut open_options = OpenChannelOptions {
            public: options.announced_channel.unwrap_or(false),
            forwarding_fee_base_msat: options.base_fee_msat,
            forwarding_fee_proportional_millionths: options.proportional_fee_in_millionths_sats,
            cltv_expiry_delta: options.cltv_expiry_delta,
            ..Default::default()
        };
        if let Some(configs) = &params.channel_configs {
            configs
                .apply(&mut open_options)
                .map_to_mm(std::convert::identity)?;
        }
        connect(node, &address)
            .await
            .map_to_mm(ChannelsError::from)?;
        let uuid = node
            .open_channel(address.node_id, amount, params.push_msat, open_options)
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
