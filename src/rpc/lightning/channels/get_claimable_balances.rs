//! `lightning::channels::get_claimable_balances`: what we could claim on chain, per LDK's
//! `Balance`, tagged as KDF renders it (`{"type": <variant>, "data": {...}}`). Closed channels
//! still being resolved are always included; open ones only when asked.

use serde::{Deserialize, Serialize};

use super::error::ChannelsError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::channels as service;

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

impl From<&service::ClaimableBalance> for ClaimableBalance {
    fn from(b: &service::ClaimableBalance) -> Self {
        use service::ClaimableBalance as B;
        match b.clone() {
            B::OnChannelClose { amount_sat } => ClaimableBalance::ClaimableOnChannelClose {
                claimable_amount_satoshis: amount_sat,
            },
            B::AwaitingConfirmations {
                amount_sat,
                confirmation_height,
                source,
            } => ClaimableBalance::ClaimableAwaitingConfirmations {
                claimable_amount_satoshis: amount_sat,
                confirmation_height,
                source: source.as_str(),
            },
            B::Contentious {
                amount_sat,
                timeout_height,
                payment_hash,
            } => ClaimableBalance::ContentiousClaimable {
                claimable_amount_satoshis: amount_sat,
                timeout_height,
                payment_hash,
            },
            B::MaybeTimeoutHtlc {
                amount_sat,
                claimable_height,
                payment_hash,
                outbound_payment,
            } => ClaimableBalance::MaybeTimeoutClaimableHtlc {
                claimable_amount_satoshis: amount_sat,
                claimable_height,
                payment_hash,
                outbound_payment,
            },
            B::MaybePreimageHtlc {
                amount_sat,
                expiry_height,
                payment_hash,
            } => ClaimableBalance::MaybePreimageClaimableHtlc {
                claimable_amount_satoshis: amount_sat,
                expiry_height,
                payment_hash,
            },
            B::CounterpartyRevokedOutput { amount_sat } => {
                ClaimableBalance::CounterpartyRevokedOutputClaimable {
                    claimable_amount_satoshis: amount_sat,
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
        let engine = ctx.engine().map_to_mm(ChannelsError::from)?;
        let balances = engine
            .channels()
            .claimable_balances(params.include_open_channels_balances);
        Ok(balances.iter().map(ClaimableBalance::from).collect())
    }
}
