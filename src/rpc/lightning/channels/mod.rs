//! `lightning::channels::*`.

pub mod close_channel;
pub mod error;
pub mod get_channel_details;
pub mod get_claimable_balances;
pub mod list_closed_channels_by_filter;
pub mod list_open_channels_by_filter;
pub mod open_channel;
pub mod update_channel;
pub mod wire;
