//! Channel operations. Amounts are checked against the wallet before LDK is asked, so callers
//! get `InsufficientFunds` / `InvalidAmount` rather than a funding failure later.

use bitcoin::secp256k1::PublicKey;
use lightning::chain::chaininterface::ConfirmationTarget;
use lightning::chain::channelmonitor::Balance;
use lightning::ln::channel_state::{ChannelDetails, ChannelShutdownState};
use lightning::util::config::MaxDustHTLCExposure;
use uuid::Uuid;

use super::error::ChannelError;
use super::types::{ChannelAmount, ChannelConfigUpdate, ChannelInfo, OpenChannelOptions};
use super::Node;

/// Smallest channel we open; smaller ones are mostly reserve and fees.
pub const DEFAULT_MIN_CHANNEL_SIZE_SAT: u64 = 20_000;
/// Without `option_support_large_channel` on both sides a channel is capped at 2^24 - 1 sat;
/// `Max` stays under it so it works with any peer.
pub const MAX_NON_WUMBO_CHANNEL_SAT: u64 = (1 << 24) - 1;

/// BOLT 3: each anchor output carries 330 sat, and a commitment has two; the opener pays them.
const ANCHOR_OUTPUTS_MSAT: u64 = 2 * 330 * 1000;

/// Our share of the channel in the current commitment, in msat: the channel's value minus the
/// counterparty's share and minus every HTLC in flight (an outbound HTLC counts again if it
/// fails, an inbound one once it is claimed). The opener's commitment fee and anchor outputs are
/// *not* deducted, so `ours + theirs + in-flight HTLCs == capacity * 1000` exactly.
///
/// LDK 0.2 no longer reports this figure, but its capacities are derived from it: each side's
/// capacity is that side's share minus the anchors (if it opened the channel) minus the reserve
/// it must keep, saturating at zero. A capacity above zero is therefore exact, so we invert
/// whichever one is unsaturated: the inbound one first, since it covers the common case of a
/// side whose share is at or below its reserve (where `outbound + reserve` overstated it).
fn current_balance_msat(c: &ChannelDetails) -> u64 {
    let capacity_msat = c.channel_value_satoshis * 1000;
    let anchors = c
        .channel_type
        .as_ref()
        .is_some_and(|t| t.supports_anchors_zero_fee_htlc_tx());
    let anchors_paid_by = |opener: bool| {
        if anchors && opener {
            ANCHOR_OUTPUTS_MSAT
        } else {
            0
        }
    };
    let in_flight_msat: u64 = c
        .pending_inbound_htlcs
        .iter()
        .map(|h| h.amount_msat)
        .chain(c.pending_outbound_htlcs.iter().map(|h| h.amount_msat))
        .sum();
    let shares_msat = capacity_msat.saturating_sub(in_flight_msat);
    if c.inbound_capacity_msat > 0 {
        let their_reserve_msat = c.counterparty.unspendable_punishment_reserve * 1000;
        let theirs = c.inbound_capacity_msat + their_reserve_msat + anchors_paid_by(!c.is_outbound);
        return shares_msat.saturating_sub(theirs);
    }
    // Both capacities at zero happens only when HTLCs in flight eat both shares; then ours is
    // at most our reserve plus the anchors we pay, which is what this reports.
    let our_reserve_msat = c.unspendable_punishment_reserve.unwrap_or(0) * 1000;
    let ours = c.outbound_capacity_msat + our_reserve_msat + anchors_paid_by(c.is_outbound);
    ours.min(shares_msat)
}

impl ChannelInfo {
    fn from_details(c: &ChannelDetails) -> Self {
        ChannelInfo {
            uuid: Uuid::from_u128(c.user_channel_id),
            channel_id: c.channel_id,
            counterparty: c.counterparty.node_id,
            funding_txo: c.funding_txo.map(|o| o.into_bitcoin_outpoint()),
            short_channel_id: c.short_channel_id,
            capacity_sat: c.channel_value_satoshis,
            balance_msat: current_balance_msat(c),
            outbound_capacity_msat: c.outbound_capacity_msat,
            inbound_capacity_msat: c.inbound_capacity_msat,
            next_outbound_htlc_limit_msat: c.next_outbound_htlc_limit_msat,
            is_outbound: c.is_outbound,
            is_public: c.is_announced,
            is_channel_ready: c.is_channel_ready,
            is_usable: c.is_usable,
            is_shutting_down: !matches!(
                c.channel_shutdown_state,
                None | Some(ChannelShutdownState::NotShuttingDown)
            ),
            confirmations: c.confirmations,
            confirmations_required: c.confirmations_required,
            forwarding_fee_base_msat: c.config.map(|cfg| cfg.forwarding_fee_base_msat),
            forwarding_fee_proportional_millionths: c
                .config
                .map(|cfg| cfg.forwarding_fee_proportional_millionths),
            cltv_expiry_delta: c.config.map(|cfg| cfg.cltv_expiry_delta),
        }
    }
}

impl Node {
    /// Opens a channel to a connected peer; returns the channel's uuid. Funding happens when
    /// LDK asks for it (`FundingGenerationReady`).
    pub fn open_channel(
        &self,
        peer: PublicKey,
        amount: ChannelAmount,
        push_msat: u64,
        options: OpenChannelOptions,
    ) -> Result<Uuid, ChannelError> {
        if !self.connector.is_connected(&peer) {
            return Err(ChannelError::PeerNotConnected(peer));
        }
        let min = self.config.min_channel_size_sat;
        let fee_rate = self
            .wallet
            .default_fee_rate(ConfirmationTarget::NonAnchorChannelFee);
        let available = self.wallet.max_funding_sat(fee_rate)?;
        let amount_sat = match amount {
            ChannelAmount::Sats(sat) => {
                if sat < min {
                    return Err(ChannelError::InvalidAmount(format!(
                        "{sat} sat is below the minimum channel size of {min} sat"
                    )));
                }
                if sat > available {
                    return Err(ChannelError::InsufficientFunds {
                        needed_sat: sat,
                        available_sat: available,
                    });
                }
                sat
            }
            ChannelAmount::Max => {
                let sat = available.min(MAX_NON_WUMBO_CHANNEL_SAT);
                if sat < min {
                    return Err(ChannelError::InsufficientFunds {
                        needed_sat: min,
                        available_sat: available,
                    });
                }
                sat
            }
        };
        if push_msat > amount_sat * 1000 {
            return Err(ChannelError::InvalidAmount(format!(
                "push of {push_msat} msat exceeds the channel amount of {amount_sat} sat"
            )));
        }
        let mut config = self.user_config.clone();
        config.channel_handshake_config.announce_for_forwarding = options.public;
        if let Some(v) = options.forwarding_fee_base_msat {
            config.channel_config.forwarding_fee_base_msat = v;
        }
        if let Some(v) = options.forwarding_fee_proportional_millionths {
            config.channel_config.forwarding_fee_proportional_millionths = v;
        }
        if let Some(v) = options.cltv_expiry_delta {
            config.channel_config.cltv_expiry_delta = v;
        }
        let handshake = &mut config.channel_handshake_config;
        if let Some(v) = options.to_self_delay {
            handshake.our_to_self_delay = v;
        }
        if let Some(v) = options.htlc_minimum_msat {
            handshake.our_htlc_minimum_msat = v;
        }
        if let Some(v) = options.negotiate_scid_privacy {
            handshake.negotiate_scid_privacy = v;
        }
        if let Some(v) = options.max_inbound_htlc_value_in_flight_percent {
            handshake.max_inbound_htlc_value_in_flight_percent_of_channel = v;
        }
        let uuid = Uuid::new_v4();
        self.channel_manager
            .create_channel(
                peer,
                amount_sat,
                push_msat,
                uuid.as_u128(),
                None,
                Some(config),
            )
            .map_err(|e| ChannelError::OpenFailed(format!("{e:?}")))?;
        Ok(uuid)
    }

    fn find_channel(&self, uuid: Uuid) -> Result<ChannelDetails, ChannelError> {
        let id = uuid.as_u128();
        if let Some(c) = self
            .channel_manager
            .list_channels()
            .into_iter()
            .find(|c| c.user_channel_id == id)
        {
            return Ok(c);
        }
        if super::lock_unpoisoned(&self.closed_channels).contains(&id) {
            return Err(ChannelError::AlreadyClosing(uuid));
        }
        Err(ChannelError::UnknownChannel(uuid))
    }

    /// Closes a channel cooperatively, or force-closes it (broadcasting our commitment).
    pub fn close_channel(&self, uuid: Uuid, force: bool) -> Result<(), ChannelError> {
        let channel = self.find_channel(uuid)?;
        let shutting_down = !matches!(
            channel.channel_shutdown_state,
            None | Some(ChannelShutdownState::NotShuttingDown)
        );
        if shutting_down && !force {
            return Err(ChannelError::AlreadyClosing(uuid));
        }
        let peer = channel.counterparty.node_id;
        let result = if force {
            self.channel_manager.force_close_broadcasting_latest_txn(
                &channel.channel_id,
                &peer,
                "force-closed by the node operator".to_string(),
            )
        } else {
            self.channel_manager
                .close_channel(&channel.channel_id, &peer)
        };
        result.map_err(|e| ChannelError::CloseFailed(format!("{e:?}")))?;
        super::lock_unpoisoned(&self.closed_channels).insert(uuid.as_u128());
        Ok(())
    }

    pub fn update_channel_config(
        &self,
        uuid: Uuid,
        update: ChannelConfigUpdate,
    ) -> Result<(), ChannelError> {
        let channel = self.find_channel(uuid)?;
        let ldk_update = lightning::util::config::ChannelConfigUpdate {
            forwarding_fee_proportional_millionths: update.forwarding_fee_proportional_millionths,
            forwarding_fee_base_msat: update.forwarding_fee_base_msat,
            cltv_expiry_delta: update.cltv_expiry_delta,
            max_dust_htlc_exposure_msat: update
                .max_dust_htlc_exposure_msat
                .map(MaxDustHTLCExposure::FixedLimitMsat),
            force_close_avoidance_max_fee_satoshis: update.force_close_avoidance_max_fee_sat,
            accept_underpaying_htlcs: None,
        };
        self.channel_manager
            .update_partial_channel_config(
                &channel.counterparty.node_id,
                &[channel.channel_id],
                &ldk_update,
            )
            .map_err(|e| ChannelError::UpdateFailed(format!("{e:?}")))
    }

    pub fn list_channels(&self) -> Vec<ChannelInfo> {
        self.channel_manager
            .list_channels()
            .iter()
            .map(ChannelInfo::from_details)
            .collect()
    }

    pub fn channel(&self, uuid: Uuid) -> Option<ChannelInfo> {
        self.find_channel(uuid)
            .ok()
            .map(|c| ChannelInfo::from_details(&c))
    }

    /// Balances we could claim on-chain, including from closed channels still being resolved.
    pub fn claimable_balances(&self) -> Vec<Balance> {
        self.chain_monitor.get_claimable_balances(&[])
    }
}
