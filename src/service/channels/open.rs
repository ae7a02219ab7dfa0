//! Opening a channel: check every value before LDK sees it, connect if needed, open, apply the
//! channel config the handshake does not carry, and record the channel in the history.

use uuid::Uuid;

use crate::node::{ChannelAmount, OpenChannelOptions};

use super::super::nodes::{connect, parse_node_address, NodeAddress};
use super::super::wallet::btc_to_sats;
use super::{record_open_channels, ChannelPolicy, ChannelServiceError, Channels};

/// How much to put into the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenAmount {
    /// A BTC decimal as the client wrote it (`"0.001"`, `"1e-3"`).
    Btc(String),
    /// Everything spendable, less the funding transaction's fee.
    Max,
}

/// Handshake settings of the new channel (KDF's `OurChannelsConfig`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HandshakeConfig {
    /// Applies to channels others open to us; refused on an open we start.
    pub inbound_channels_confirmations: Option<u32>,
    /// Blocks the counterparty waits to claim its funds after it force-closes.
    pub counterparty_locktime: Option<u16>,
    pub our_htlc_minimum_msat: Option<u64>,
    pub negotiate_scid_privacy: Option<bool>,
    pub max_inbound_in_flight_htlc_percent: Option<u8>,
}

/// LDK refuses a to-self delay below this (BOLT 2's breakdown timeout)...
const MIN_COUNTERPARTY_LOCKTIME: u16 = 144;
/// ... and peers refuse one above this (LDK's default `their_to_self_delay` limit).
const MAX_COUNTERPARTY_LOCKTIME: u16 = 2016;

impl HandshakeConfig {
    /// Checks the values before LDK sees them and applies them to `options`.
    fn apply(&self, options: &mut OpenChannelOptions) -> Result<(), ChannelServiceError> {
        let invalid = |m: String| Err(ChannelServiceError::InvalidOption(m));
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

/// What to open, to whom.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// `pubkey@host:port`.
    pub node_address: String,
    pub amount: OpenAmount,
    pub push_msat: u64,
    pub policy: ChannelPolicy,
    pub handshake: Option<HandshakeConfig>,
}

/// The channel being opened.
#[derive(Debug, Clone)]
pub struct Opened {
    pub uuid: Uuid,
    pub node_address: NodeAddress,
}

impl Channels<'_> {
    /// Connects to the peer if needed and opens a channel funded from the on-chain wallet.
    /// Every value is checked (address, amount, handshake settings) before the peer is
    /// dialled; amounts are checked against the wallet before LDK is asked.
    pub async fn open(&self, request: OpenRequest) -> Result<Opened, ChannelServiceError> {
        let address = parse_node_address(&request.node_address)?;
        let amount = match &request.amount {
            OpenAmount::Btc(value) => ChannelAmount::Sats(btc_to_sats(value)?),
            OpenAmount::Max => ChannelAmount::Max,
        };
        let policy = request.policy;
        let mut options = OpenChannelOptions {
            public: policy.announced.unwrap_or(false),
            forwarding_fee_base_msat: policy.base_fee_msat,
            forwarding_fee_proportional_millionths: policy.proportional_fee_millionths,
            cltv_expiry_delta: policy.cltv_expiry_delta,
            ..Default::default()
        };
        if let Some(handshake) = &request.handshake {
            handshake.apply(&mut options)?;
        }
        // The funding transaction must reach the chain: refuse now rather than leave the peer
        // waiting on a funding that cannot be broadcast.
        self.node
            .ensure_chain()
            .await
            .map_err(crate::node::ChannelError::from)?;
        connect(self.node, &address).await?;
        let uuid = self
            .node
            .open_channel(address.node_id, amount, request.push_msat, options)?;
        // The dust limit and force-close fee are channel config, not handshake: set them now.
        if policy.max_dust_htlc_exposure_msat.is_some()
            || policy.force_close_avoidance_max_fee_sat.is_some()
        {
            self.node.update_channel_config(uuid, policy.to_update())?;
        }
        record_open_channels(self.node, self.ledger).await;
        Ok(Opened {
            uuid,
            node_address: address,
        })
    }
}
