//! Wire shapes shared by the channel methods, in KDF's field names.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::channels::{sats_to_btc, ChannelInfo, ChannelPolicy, ChannelRecord};
use crate::service::filter::Paging;

/// KDF's `ChannelOptions`: forwarding policy of one channel. Absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proportional_fee_in_millionths_sats: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_fee_msat: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cltv_expiry_delta: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_dust_htlc_exposure_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_close_avoidance_max_fee_sats: Option<u64>,
    /// Announce the channel for forwarding; only at open (a channel's announcement cannot
    /// change later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announced_channel: Option<bool>,
}

impl From<ChannelOptions> for ChannelPolicy {
    fn from(o: ChannelOptions) -> Self {
        ChannelPolicy {
            base_fee_msat: o.base_fee_msat,
            proportional_fee_millionths: o.proportional_fee_in_millionths_sats,
            cltv_expiry_delta: o.cltv_expiry_delta,
            max_dust_htlc_exposure_msat: o.max_dust_htlc_exposure_msat,
            force_close_avoidance_max_fee_sat: o.force_close_avoidance_max_fee_sats,
            announced: o.announced_channel,
        }
    }
}

impl From<ChannelPolicy> for ChannelOptions {
    fn from(p: ChannelPolicy) -> Self {
        ChannelOptions {
            proportional_fee_in_millionths_sats: p.proportional_fee_millionths,
            base_fee_msat: p.base_fee_msat,
            cltv_expiry_delta: p.cltv_expiry_delta,
            max_dust_htlc_exposure_msat: p.max_dust_htlc_exposure_msat,
            force_close_avoidance_max_fee_sats: p.force_close_avoidance_max_fee_sat,
            announced_channel: p.announced,
        }
    }
}

/// `{"PageNumber": n}` or `{"FromId": uuid}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum PagingOptions {
    PageNumber(u64),
    FromId(Uuid),
}

impl Default for PagingOptions {
    fn default() -> Self {
        PagingOptions::PageNumber(1)
    }
}

impl PagingOptions {
    pub fn to_paging(&self) -> Paging<Uuid> {
        match self {
            PagingOptions::PageNumber(n) => Paging::PageNumber(*n),
            PagingOptions::FromId(id) => Paging::FromId(*id),
        }
    }
}

pub const DEFAULT_LIMIT: usize = 10;

/// An open channel, as KDF's `ChannelDetailsForRPC`.
#[derive(Debug, Clone, Serialize)]
pub struct OpenChannelDetails {
    pub uuid: Uuid,
    pub channel_id: String,
    pub counterparty_node_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_tx: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_tx_output_index: Option<u32>,
    pub funding_tx_value_sats: u64,
    pub is_outbound: bool,
    pub balance_msat: u64,
    pub outbound_capacity_msat: u64,
    pub inbound_capacity_msat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_confirmations: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_confirmations: Option<u32>,
    pub is_ready: bool,
    pub is_usable: bool,
    pub is_public: bool,
}

impl From<&ChannelInfo> for OpenChannelDetails {
    fn from(c: &ChannelInfo) -> Self {
        OpenChannelDetails {
            uuid: c.uuid,
            channel_id: c.channel_id.to_string(),
            counterparty_node_id: c.counterparty.to_string(),
            funding_tx: c.funding_txo.map(|o| o.txid.to_string()),
            funding_tx_output_index: c.funding_txo.map(|o| o.vout),
            funding_tx_value_sats: c.capacity_sat,
            is_outbound: c.is_outbound,
            balance_msat: c.balance_msat,
            outbound_capacity_msat: c.outbound_capacity_msat,
            inbound_capacity_msat: c.inbound_capacity_msat,
            current_confirmations: c.confirmations,
            required_confirmations: c.confirmations_required,
            is_ready: c.is_channel_ready,
            is_usable: c.is_usable,
            is_public: c.is_public,
        }
    }
}

/// A closed channel from the history, as KDF's `DBChannelDetails` (with `uuid` for `rpc_id`).
#[derive(Debug, Clone, Serialize)]
pub struct ClosedChannelDetails {
    pub uuid: String,
    pub channel_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterparty_node_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_tx: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_tx_output_index: Option<u32>,
    /// Channel capacity in sats (KDF's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_value: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closing_tx: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closure_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claiming_tx: Option<String>,
    /// BTC, as KDF reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_balance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_balance_sats: Option<u64>,
    /// Our balance when the channel closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_local_balance_msat: Option<u64>,
    pub is_outbound: bool,
    pub is_public: bool,
    pub is_closed: bool,
    pub created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<u64>,
}

impl From<ChannelRecord> for ClosedChannelDetails {
    fn from(c: ChannelRecord) -> Self {
        ClosedChannelDetails {
            uuid: c.uuid,
            channel_id: c.channel_id,
            counterparty_node_id: c.counterparty_node_id,
            funding_tx: c.funding_tx,
            funding_tx_output_index: c.funding_tx_output_index,
            funding_value: c.funding_value_sats,
            closing_tx: c.closing_tx,
            closure_reason: c.closure_reason,
            claiming_tx: c.claiming_tx,
            claimed_balance: c.claimed_balance_sats.map(sats_to_btc),
            claimed_balance_sats: c.claimed_balance_sats,
            last_local_balance_msat: c.last_local_balance_msat,
            is_outbound: c.is_outbound,
            is_public: c.is_public,
            is_closed: c.is_closed,
            created_at: c.created_at,
            closed_at: c.closed_at,
        }
    }
}
