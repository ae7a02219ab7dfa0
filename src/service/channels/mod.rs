//! Channels: open, close, update and look up channels, the closed-channel history, and the
//! balances still claimable on chain.
//!
//! - [`Channels`]: the operations the RPC methods call (through
//!   [`crate::service::Engine::channels`]); the open workflow is in `open`, the claimable
//!   balances in `balances`;
//! - `history`: keeps the ledger's channel history current;
//! - filters over open and closed channels live in [`super::channel_filter`].

mod balances;
pub mod history;
mod open;

use uuid::Uuid;

use crate::ledger::{Ledger, LedgerError};
use crate::node::{ChannelConfigUpdate, Node};

use super::filter::{page, Page, Paging, PagingError};
use super::nodes::NodeAddressError;
use super::wallet::AmountError;

pub use super::channel_filter::{sats_to_btc, ClosedChannelsFilter, OpenChannelsFilter};
pub use balances::{ClaimSource, ClaimableBalance};
pub use history::{record_open_channels, sighting, spawn_history_sync};
pub use open::{HandshakeConfig, OpenAmount, OpenRequest, Opened};

// The node's and the ledger's channel types, as the RPC layer sees them through this service.
pub use crate::ledger::ChannelRecord;
pub use crate::node::{ChannelError, ChannelInfo, ConnectError, WalletError};

/// A channel's forwarding policy as a request gives it; `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelPolicy {
    pub base_fee_msat: Option<u32>,
    pub proportional_fee_millionths: Option<u32>,
    pub cltv_expiry_delta: Option<u16>,
    pub max_dust_htlc_exposure_msat: Option<u64>,
    pub force_close_avoidance_max_fee_sat: Option<u64>,
    /// Announce the channel for forwarding: fixed when the channel opens.
    pub announced: Option<bool>,
}

impl ChannelPolicy {
    fn to_update(self) -> ChannelConfigUpdate {
        ChannelConfigUpdate {
            forwarding_fee_base_msat: self.base_fee_msat,
            forwarding_fee_proportional_millionths: self.proportional_fee_millionths,
            cltv_expiry_delta: self.cltv_expiry_delta,
            max_dust_htlc_exposure_msat: self.max_dust_htlc_exposure_msat,
            force_close_avoidance_max_fee_sat: self.force_close_avoidance_max_fee_sat,
        }
    }

    /// Whether it sets anything a live channel can change.
    fn changes_nothing(&self) -> bool {
        self.base_fee_msat.is_none()
            && self.proportional_fee_millionths.is_none()
            && self.cltv_expiry_delta.is_none()
            && self.max_dust_htlc_exposure_msat.is_none()
            && self.force_close_avoidance_max_fee_sat.is_none()
    }
}

/// One channel: live from the node, or closed from the history.
#[derive(Debug, Clone)]
pub enum ChannelDetails {
    Open(ChannelInfo),
    Closed(ChannelRecord),
}

/// Why a channel operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ChannelServiceError {
    #[error(transparent)]
    InvalidNodeAddress(#[from] NodeAddressError),
    #[error(transparent)]
    InvalidAmount(#[from] AmountError),
    /// A handshake or policy value out of range.
    #[error("{0}")]
    InvalidOption(String),
    /// An option this operation cannot apply.
    #[error("{0}")]
    UnsupportedOption(String),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error("Channel with uuid: {0} is not found")]
    NoSuchChannel(Uuid),
    #[error("Channel with uuid: {0} is already closing")]
    AlreadyClosing(Uuid),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Paging(#[from] PagingError<Uuid>),
}

/// The channels service over the running node and its ledger.
pub struct Channels<'a> {
    node: &'a Node,
    ledger: &'a Ledger,
}

impl<'a> Channels<'a> {
    pub(crate) fn new(node: &'a Node, ledger: &'a Ledger) -> Self {
        Channels { node, ledger }
    }

    /// The history's record of a channel the node no longer has, if it is closed.
    async fn closed_record(&self, uuid: Uuid) -> Result<Option<ChannelRecord>, LedgerError> {
        let key = uuid.to_string();
        let record = self
            .ledger
            .blocking(move |l| l.channel_record(&key))
            .await?;
        Ok(record.filter(|r| r.is_closed))
    }

    /// One channel, open (live from the node) or closed (from the history).
    pub async fn details(&self, uuid: Uuid) -> Result<ChannelDetails, ChannelServiceError> {
        if let Some(channel) = self.node.channel(uuid) {
            return Ok(ChannelDetails::Open(channel));
        }
        match self.closed_record(uuid).await? {
            Some(record) => Ok(ChannelDetails::Closed(record)),
            None => Err(ChannelServiceError::NoSuchChannel(uuid)),
        }
    }

    /// Starts a cooperative close, or a force close (our commitment is broadcast; our balance
    /// comes back after the to-self delay, through the sweeper).
    pub async fn close(&self, uuid: Uuid, force: bool) -> Result<(), ChannelServiceError> {
        // A channel already in the history as closed is "already closing", not unknown.
        if self.node.channel(uuid).is_none() && self.closed_record(uuid).await?.is_some() {
            return Err(ChannelServiceError::AlreadyClosing(uuid));
        }
        Ok(self.node.close_channel(uuid, force)?)
    }

    /// Changes a live channel's forwarding policy; answers the policy now in force (fees and
    /// CLTV delta read back from the channel, the dust and force-close limits as set).
    pub fn update(
        &self,
        uuid: Uuid,
        policy: ChannelPolicy,
    ) -> Result<ChannelPolicy, ChannelServiceError> {
        if policy.announced.is_some() {
            return Err(ChannelServiceError::UnsupportedOption(
                "announced_channel is fixed when the channel opens".to_string(),
            ));
        }
        if policy.changes_nothing() {
            return Err(ChannelServiceError::UnsupportedOption(
                "channel_options sets nothing to update".to_string(),
            ));
        }
        self.node.update_channel_config(uuid, policy.to_update())?;
        let channel = self
            .node
            .channel(uuid)
            .ok_or(ChannelServiceError::NoSuchChannel(uuid))?;
        Ok(ChannelPolicy {
            base_fee_msat: channel.forwarding_fee_base_msat,
            proportional_fee_millionths: channel.forwarding_fee_proportional_millionths,
            cltv_expiry_delta: channel.cltv_expiry_delta,
            max_dust_htlc_exposure_msat: policy.max_dust_htlc_exposure_msat,
            force_close_avoidance_max_fee_sat: policy.force_close_avoidance_max_fee_sat,
            announced: None,
        })
    }

    /// Live channels matching `filter`, oldest first (the node's order), one page.
    pub fn list_open(
        &self,
        filter: &OpenChannelsFilter,
        limit: usize,
        paging: &Paging<Uuid>,
    ) -> Result<Page<ChannelInfo>, ChannelServiceError> {
        let matching: Vec<ChannelInfo> = self
            .node
            .list_channels()
            .into_iter()
            .filter(|c| filter.matches(c))
            .collect();
        Ok(page(matching, |c| c.uuid, limit, paging)?)
    }

    /// The closed-channel history matching `filter`, most recently closed first, one page.
    pub async fn list_closed(
        &self,
        filter: &ClosedChannelsFilter,
        limit: usize,
        paging: &Paging<Uuid>,
    ) -> Result<Page<ChannelRecord>, ChannelServiceError> {
        let closed = self.ledger.blocking(|l| l.closed_channels()).await?;
        let matching: Vec<ChannelRecord> =
            closed.into_iter().filter(|c| filter.matches(c)).collect();
        let uuid_of = |c: &ChannelRecord| c.uuid.parse::<Uuid>().unwrap_or_default();
        Ok(page(matching, uuid_of, limit, paging)?)
    }
}
