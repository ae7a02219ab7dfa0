//! `lightning::channels::get_claimable_balances`: what we could claim on chain, per LDK's
//! `Balance`, tagged as KDF renders it (`{"type": <variant>, "data": {...}}`). Closed channels
//! still being resolved are always included; open ones only when asked.

use lightning::chain::channelmonitor::{Balance, BalanceSource};
use serde::{Deserialize, Serialize};

use super::error::ChannelsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct GetClaimableBalances;

#[derive(Debug, Deserialize)]
pub struct GetClaimableBalancesParams {
    #[serde(default)]
    include_open_channels_balances: bool,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", content = "data")]
pub enum ClaimableBalance {
    /// An open channel: what we would get if it closed now.
    ClaimableOnChannelClose {
        claimable_amount_satoshis: u64,
    },
    /// Claimable once the transaction at `confirmation_height` is deep enough (a
    /// force close's time-locked output, a cooperative close's output).
    ClaimableAwaitingConfirmations {
        claimable_amount_satoshis: u64,
        confirmation_height: u32,
        source: &'static str,
    },
    ContentiousClaimable {
        claimable_amount_satoshis: u64,
        timeout_height: u32,
        payment_hash: String,
    },
    #[serde(rename = "MaybeTimeoutClaimableHTLC")]
    MaybeTimeoutClaimableHtlc {
        claimable_amount_satoshis: u64,
        claimable_height: u32,
        payment_hash: String,
        outbound_payment: bool,
    },
    #[serde(rename = "MaybePreimageClaimableHTLC")]
    MaybePreimageClaimableHtlc {
        claimable_amount_satoshis: u64,
        expiry_height: u32,
        payment_hash: String,
    },
    CounterpartyRevokedOutputClaimable {
        claimable_amount_satoshis: u64,
    },
}

fn source_name(source: &BalanceSource) -> &'static str {
    match source {
        BalanceSource::HolderForceClosed => "HolderForceClosed",
        BalanceSource::CounterpartyForceClosed => "CounterpartyForceClosed",
        BalanceSource::CoopClose => "CoopClose",
        BalanceSource::Htlc => "Htlc",
    }
}

impl From<&Balance> for ClaimableBalance {
    fn from(b: &Balance) -> Self {
        let amount = b.claimable_amount_satoshis();
        match b {
            Balance::ClaimableOnChannelClose { .. } => ClaimableBalance::ClaimableOnChannelClose {
                claimable_amount_satoshis: amount,
            },
            Balance::ClaimableAwaitingConfirmations {
                amount_satoshis,
                confirmation_height,
                source,
            } => ClaimableBalance::ClaimableAwaitingConfirmations {
                claimable_amount_satoshis: *amount_satoshis,
                confirmation_height: *confirmation_height,
                source: source_name(source),
            },
            Balance::ContentiousClaimable {
                amount_satoshis,
                timeout_height,
                payment_hash,
                ..
            } => ClaimableBalance::ContentiousClaimable {
                claimable_amount_satoshis: *amount_satoshis,
                timeout_height: *timeout_height,
                payment_hash: payment_hash.to_string(),
            },
            Balance::MaybeTimeoutClaimableHTLC {
                amount_satoshis,
                claimable_height,
                payment_hash,
                outbound_payment,
            } => ClaimableBalance::MaybeTimeoutClaimableHtlc {
                claimable_amount_satoshis: *amount_satoshis,
                claimable_height: *claimable_height,
                payment_hash: payment_hash.to_string(),
                outbound_payment: *outbound_payment,
            },
            Balance::MaybePreimageClaimableHTLC {
                amount_satoshis,
                expiry_height,
                payment_hash,
            } => ClaimableBalance::MaybePreimageClaimableHtlc {
                claimable_amount_satoshis: *amount_satoshis,
                expiry_height: *expiry_height,
                payment_hash: payment_hash.to_string(),
            },
            Balance::CounterpartyRevokedOutputClaimable { amount_satoshis } => {
                ClaimableBalance::CounterpartyRevokedOutputClaimable {
                    claimable_amount_satoshis: *amount_satoshis,
                }
            }
        }
    }
}

impl RpcMethod for GetClaimableBalances {
    const NAME: &'static str = "lightning::channels::get_claimable_balances";
    const TAKES_COIN: bool = true;
    type Params = GetClaimableBalancesParams;
    type Output = Vec<ClaimableBalance>;
    type Error = ChannelsError;

    async fn handle(
        ctx: &RpcContext,
        params: GetClaimableBalancesParams,
    ) -> MmResult<Vec<ClaimableBalance>, ChannelsError> {
        let node = ctx.node().map_to_mm(ChannelsError::from)?;
        let open = node.channel_manager().list_channels();
        let ignored: Vec<_> = if params.include_open_channels_balances {
            Vec::new()
        } else {
            open.iter().collect()
        };
        let balances = node.chain_monitor().get_claimable_balances(&ignored);
        Ok(balances.iter().map(ClaimableBalance::from).collect())
    }
}
