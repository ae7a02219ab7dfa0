//! `lightning::nodes::get_info` (ours, not in KDF): the node at a glance.

use serde::Serialize;

use super::TrustedNodeError;
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
    type Error = TrustedNodeError;

    async fn handle(
        ctx: &RpcContext,
        _params: NoParams,
    ) -> MmResult<GetInfoResponse, TrustedNodeError> {
        let node = ctx.node().map_to_mm(TrustedNodeError::from)?;
        let channels = node.list_channels();
        let counts = ChannelCounts {
            pending: channels.iter().filter(|c| !c.is_channel_ready).count(),
            usable: channels.iter().filter(|c| c.is_usable).count(),
            inactive: channels
                .iter()
                .filter(|c| c.is_channel_ready && !c.is_usable)
                .count(),
        };
        let best = node.best_block();
        let wallet = node.wallet_balance();
        Ok(GetInfoResponse {
            node_id: node.node_id().to_string(),
            network: node.network().to_string(),
            coin: ctx.coin_ticker().to_string(),
            block_height: best.height,
            block_hash: best.block_hash.to_string(),
            peers_count: node.list_peers().len(),
            channels: counts,
            lightning_balance_msat: channels.iter().map(|c| c.balance_msat).sum(),
            onchain_spendable_sats: wallet.spendable_sat,
            onchain_unconfirmed_sats: wallet.unconfirmed_sat,
            onchain_immature_sats: wallet.immature_sat,
            listening_addresses: node
                .listening_addresses()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }
}
