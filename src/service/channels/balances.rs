//! What we could claim on chain, from LDK's `Balance` per channel monitor. Closed channels
//! still being resolved are always included; open ones only when asked.

use lightning::chain::channelmonitor::{Balance, BalanceSource};

use super::Channels;

/// Which kind of transaction an awaiting-confirmations balance comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimSource {
    HolderForceClosed,
    CounterpartyForceClosed,
    CoopClose,
    Htlc,
}

impl ClaimSource {
    /// The name, as LDK spells the variant.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimSource::HolderForceClosed => "HolderForceClosed",
            ClaimSource::CounterpartyForceClosed => "CounterpartyForceClosed",
            ClaimSource::CoopClose => "CoopClose",
            ClaimSource::Htlc => "Htlc",
        }
    }
}

/// One claimable balance, in satoshis; payment hashes in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimableBalance {
    /// An open channel: what we would get if it closed now.
    OnChannelClose {
        amount_sat: u64,
    },
    /// Claimable once the transaction at `confirmation_height` is deep enough (a force
    /// close's time-locked output, a cooperative close's output).
    AwaitingConfirmations {
        amount_sat: u64,
        confirmation_height: u32,
        source: ClaimSource,
    },
    Contentious {
        amount_sat: u64,
        timeout_height: u32,
        payment_hash: String,
    },
    MaybeTimeoutHtlc {
        amount_sat: u64,
        claimable_height: u32,
        payment_hash: String,
        outbound_payment: bool,
    },
    MaybePreimageHtlc {
        amount_sat: u64,
        expiry_height: u32,
        payment_hash: String,
    },
    CounterpartyRevokedOutput {
        amount_sat: u64,
    },
}

impl From<&BalanceSource> for ClaimSource {
    fn from(source: &BalanceSource) -> Self {
        match source {
            BalanceSource::HolderForceClosed => ClaimSource::HolderForceClosed,
            BalanceSource::CounterpartyForceClosed => ClaimSource::CounterpartyForceClosed,
            BalanceSource::CoopClose => ClaimSource::CoopClose,
            BalanceSource::Htlc => ClaimSource::Htlc,
        }
    }
}

impl From<&Balance> for ClaimableBalance {
    fn from(b: &Balance) -> Self {
        match b {
            Balance::ClaimableOnChannelClose { .. } => ClaimableBalance::OnChannelClose {
                amount_sat: b.claimable_amount_satoshis(),
            },
            Balance::ClaimableAwaitingConfirmations {
                amount_satoshis,
                confirmation_height,
                source,
            } => ClaimableBalance::AwaitingConfirmations {
                amount_sat: *amount_satoshis,
                confirmation_height: *confirmation_height,
                source: source.into(),
            },
            Balance::ContentiousClaimable {
                amount_satoshis,
                timeout_height,
                payment_hash,
                ..
            } => ClaimableBalance::Contentious {
                amount_sat: *amount_satoshis,
                timeout_height: *timeout_height,
                payment_hash: payment_hash.to_string(),
            },
            Balance::MaybeTimeoutClaimableHTLC {
                amount_satoshis,
                claimable_height,
                payment_hash,
                outbound_payment,
            } => ClaimableBalance::MaybeTimeoutHtlc {
                amount_sat: *amount_satoshis,
                claimable_height: *claimable_height,
                payment_hash: payment_hash.to_string(),
                outbound_payment: *outbound_payment,
            },
            Balance::MaybePreimageClaimableHTLC {
                amount_satoshis,
                expiry_height,
                payment_hash,
            } => ClaimableBalance::MaybePreimageHtlc {
                amount_sat: *amount_satoshis,
                expiry_height: *expiry_height,
                payment_hash: payment_hash.to_string(),
            },
            Balance::CounterpartyRevokedOutputClaimable { amount_satoshis } => {
                ClaimableBalance::CounterpartyRevokedOutput {
                    amount_sat: *amount_satoshis,
                }
            }
        }
    }
}

impl Channels<'_> {
    /// Balances of closed channels still being resolved, and of open ones when
    /// `include_open` is set.
    pub fn claimable_balances(&self, include_open: bool) -> Vec<ClaimableBalance> {
        let open = self.node.channel_manager().list_channels();
        let ignored: Vec<_> = if include_open {
            Vec::new()
        } else {
            open.iter().collect()
        };
        self.node
            .chain_monitor()
            .get_claimable_balances(&ignored)
            .iter()
            .map(ClaimableBalance::from)
            .collect()
    }
}
