//! `lightning::nodes::get_info` (ours, not in KDF): the node at a glance.

use serde::Serialize;

use super::error::GetInfoError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::{NoParams, RpcMethod};

pub struct GetInfo;

#[derive(Debug, Serialize)]
pub struct ChannelCounts {
    /// Funding not yet confirmed (or channel_ready not yet exchanged).
    pub pending: usize,
    /// Ready and the peer connected.
    pub usable: usize,
    /// Ready but the peer is offline.
    pub inactive: usize,
}

#[derive(Debug, Serialize)]
pub struct GetInfoResponse {
    pub node_id: String,
    /// `bitcoin`, `testnet`, `signet` or `regtest`.
    pub network: String,
    pub coin: String,
    pub block_height: u32,
    pub block_hash: String,
    pub peers_count: usize,
    pub channels: ChannelCounts,
    /// Our balance over all open channels.
    pub lightning_balance_msat: u64,
    pub onchain_spendable_sats: u64,
    pub onchain_unconfirmed_sats: u64,
    pub onchain_immature_sats: u64,
    pub listening_addresses: Vec<String>,
    pub version: String,
}

impl RpcMethod for GetInfo {
    const NAME: &'static str = "lightning::nodes::get_info";
    const TAKES_COIN: bool = true;
    type Params = NoParams;
    type Output = GetInfoResponse;
    type Error = GetInfoError;

    async fn handle(
        ctx: &RpcContext,
        _params: NoParams,
    ) -> MmResult<GetInfoResponse, GetInfoError> {
        let engine = ctx.engine().map_to_mm(GetInfoError::from)?;
        let info = engine.nodes().info();
        Ok(GetInfoResponse {
            node_id: info.node_id.to_string(),
            network: info.network.to_string(),
            coin: ctx.coin_ticker().to_string(),
            block_height: info.block_height,
            block_hash: info.block_hash.to_string(),
            peers_count: info.peers_count,
            channels: ChannelCounts {
                pending: info.channels.pending,
                usable: info.channels.usable,
                inactive: info.channels.inactive,
            },
            lightning_balance_msat: info.lightning_balance_msat,
            onchain_spendable_sats: info.wallet.spendable_sat,
            onchain_unconfirmed_sats: info.wallet.unconfirmed_sat,
            onchain_immature_sats: info.wallet.immature_sat,
            listening_addresses: info
                .listening_addresses
                .iter()
                .map(|a| a.to_string())
                .collect(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }
}
