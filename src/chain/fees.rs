//! Fee estimates for each LDK `ConfirmationTarget`, from Core's `estimatesmartfee`.
//!
//! LDK asks for fees synchronously and often (on every HTLC), so the estimates live in a cache
//! of atomics that `get_est_sat_per_1000_weight` only reads; the poll loop refreshes it on each
//! new tip.

use std::sync::atomic::{AtomicU32, Ordering};

use lightning::chain::chaininterface::{ConfirmationTarget, FEERATE_FLOOR_SATS_PER_KW};

use super::rpc::{CallFailure, CoreRpc};

/// Every target LDK asks about, in the order of the cache slots.
pub const ALL_TARGETS: [ConfirmationTarget; 8] = [
    ConfirmationTarget::MaximumFeeEstimate,
    ConfirmationTarget::UrgentOnChainSweep,
    ConfirmationTarget::MinAllowedAnchorChannelRemoteFee,
    ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee,
    ConfirmationTarget::AnchorChannelFee,
    ConfirmationTarget::NonAnchorChannelFee,
    ConfirmationTarget::ChannelCloseMinimum,
    ConfirmationTarget::OutputSpendingFee,
];

/// Core's `estimate_mode`: CONSERVATIVE looks at a longer history and reacts less to dips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EstimateMode {
    Conservative,
    Economical,
}

impl EstimateMode {
    fn as_core_str(self) -> &'static str {
        match self {
            EstimateMode::Conservative => "CONSERVATIVE",
            EstimateMode::Economical => "ECONOMICAL",
        }
    }
}

/// How we ask Core about one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EstimateQuery {
    /// `conf_target` in blocks.
    pub blocks: u16,
    pub mode: EstimateMode,
    /// Subtracted from Core's answer, for the "lowest we accept from a peer" targets: peers'
    /// estimators differ and round differently, and refusing their feerate force-closes.
    pub margin_sat_per_kw: u32,
    /// With no data from Core, answer the floor instead of the configured fallback: a minimum
    /// we demand of peers must never be a guess that is too high.
    pub floor_when_unknown: bool,
}

/// The query per target. Urgent things look 1 to 6 blocks ahead and conservatively; what may
/// wait (anchors, sweeps, close minimums) looks a day to a week ahead.
pub fn query_for(target: ConfirmationTarget) -> EstimateQuery {
    let (blocks, mode, margin, floor_when_unknown) = match target {
        ConfirmationTarget::MaximumFeeEstimate => (1, EstimateMode::Conservative, 0, false),
        ConfirmationTarget::UrgentOnChainSweep => (6, EstimateMode::Conservative, 0, false),
        ConfirmationTarget::NonAnchorChannelFee => (6, EstimateMode::Economical, 0, false),
        ConfirmationTarget::OutputSpendingFee => (12, EstimateMode::Economical, 0, false),
        ConfirmationTarget::ChannelCloseMinimum => (144, EstimateMode::Economical, 0, true),
        ConfirmationTarget::AnchorChannelFee => (1008, EstimateMode::Economical, 0, false),
        ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee => {
            (144, EstimateMode::Economical, 250, true)
        }
        ConfirmationTarget::MinAllowedAnchorChannelRemoteFee => {
            (1008, EstimateMode::Economical, 250, true)
        }
    };
    EstimateQuery {
        blocks,
        mode,
        margin_sat_per_kw: margin,
        floor_when_unknown,
    }
}

/// Converts Core's BTC per 1000 virtual bytes into sat per 1000 weight units (1 vB = 4 WU), or
/// `None` for a value that is not a usable fee rate.
pub fn btc_per_kvb_to_sat_per_kw(btc_per_kvb: f64) -> Option<u32> {
    if !btc_per_kvb.is_finite() || btc_per_kvb <= 0.0 {
        return None;
    }
    let sat_per_kvb = btc_per_kvb * 100_000_000.0;
    let sat_per_kw = (sat_per_kvb / 4.0).round();
    Some(if sat_per_kw >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        sat_per_kw as u32
    })
}

/// The fee rate for one target given Core's answer (if any) and the fallback, never below
/// LDK's floor of 253 sat/kw.
pub fn rate_for(query: EstimateQuery, core_sat_per_kw: Option<u32>, fallback: u32) -> u32 {
    let rate = match core_sat_per_kw {
        Some(rate) => rate.saturating_sub(query.margin_sat_per_kw),
        None if query.floor_when_unknown => FEERATE_FLOOR_SATS_PER_KW,
        None => fallback,
    };
    rate.max(FEERATE_FLOOR_SATS_PER_KW)
}

/// The cached estimates, one slot per target.
pub(crate) struct FeeCache {
    rates: [AtomicU32; ALL_TARGETS.len()],
}

impl FeeCache {
    /// A cache answering `fallback` (floored) until the first refresh.
    pub(crate) fn new(fallback: u32) -> Self {
        let cache = FeeCache {
            rates: std::array::from_fn(|_| AtomicU32::new(FEERATE_FLOOR_SATS_PER_KW)),
        };
        let unknown: Vec<(ConfirmationTarget, u32)> = ALL_TARGETS
            .iter()
            .map(|t| (*t, rate_for(query_for(*t), None, fallback)))
            .collect();
        cache.store(&unknown);
        cache
    }

    pub(crate) fn get(&self, target: ConfirmationTarget) -> u32 {
        self.rates[slot(target)].load(Ordering::Relaxed)
    }

    fn store(&self, rates: &[(ConfirmationTarget, u32)]) {
        // The maximum must stay the maximum, or LDK would reject peers' honest feerates.
        let highest = rates.iter().map(|(_, r)| *r).max().unwrap_or(0);
        for (target, rate) in rates {
            let rate = if *target == ConfirmationTarget::MaximumFeeEstimate {
                highest
            } else {
                *rate
            };
            self.rates[slot(*target)].store(rate, Ordering::Relaxed);
        }
    }

    /// Asks Core for every distinct query and stores the results. An unreachable Core leaves
    /// the previous estimates in place; "no data" answers fall back.
    pub(crate) async fn refresh(&self, rpc: &CoreRpc, fallback: u32) {
        let mut answers: Vec<((u16, EstimateMode), Option<u32>)> = Vec::new();
        let mut rates = Vec::with_capacity(ALL_TARGETS.len());
        for target in ALL_TARGETS {
            let query = query_for(target);
            let key = (query.blocks, query.mode);
            let core_rate = match answers.iter().find(|(k, _)| *k == key) {
                Some((_, rate)) => *rate,
                None => match estimate_smart_fee(rpc, query.blocks, query.mode).await {
                    Ok(rate) => {
                        answers.push((key, rate));
                        rate
                    }
                    Err(CallFailure::Unreachable(_)) => return,
                    Err(other) => {
                        let error = other.into_chain_error(rpc.url(), "estimatesmartfee");
                        tracing::debug!("{error}; using the fallback fee rate");
                        answers.push((key, None));
                        None
                    }
                },
            };
            rates.push((target, rate_for(query, core_rate, fallback)));
        }
        self.store(&rates);
    }
}

fn slot(target: ConfirmationTarget) -> usize {
    ALL_TARGETS.iter().position(|t| *t == target).unwrap_or(0)
}

/// `estimatesmartfee`: `Ok(None)` when Core has no estimate yet (its `errors` field).
async fn estimate_smart_fee(
    rpc: &CoreRpc,
    blocks: u16,
    mode: EstimateMode,
) -> Result<Option<u32>, CallFailure> {
    let params = [
        serde_json::json!(blocks),
        serde_json::json!(mode.as_core_str()),
    ];
    let answer: serde_json::Value = rpc.call("estimatesmartfee", &params).await?;
    Ok(answer
        .get("feerate")
        .and_then(serde_json::Value::as_f64)
        .and_then(btc_per_kvb_to_sat_per_kw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_btc_per_kvb_to_sat_per_kw() {
        // 1 sat/vB = 0.00001 BTC/kvB = 1000 sat/kvB = 250 sat/kw.
        assert_eq!(btc_per_kvb_to_sat_per_kw(0.00001), Some(250));
        // 10 sat/vB.
        assert_eq!(btc_per_kvb_to_sat_per_kw(0.0001), Some(2500));
        // Fractions round to the nearest sat/kw rather than truncating float noise away.
        assert_eq!(btc_per_kvb_to_sat_per_kw(0.00012345), Some(3086));
        assert_eq!(btc_per_kvb_to_sat_per_kw(0.0), None);
        assert_eq!(btc_per_kvb_to_sat_per_kw(-1.0), None);
        assert_eq!(btc_per_kvb_to_sat_per_kw(f64::NAN), None);
        assert_eq!(btc_per_kvb_to_sat_per_kw(1e12), Some(u32::MAX));
    }

    #[test]
    fn never_below_the_floor() {
        for target in ALL_TARGETS {
            let query = query_for(target);
            assert_eq!(rate_for(query, Some(1), 2500), 253, "{target:?}");
            assert_eq!(rate_for(query, Some(250), 0), 253, "{target:?}");
            assert!(rate_for(query, None, 0) >= 253, "{target:?}");
        }
    }

    #[test]
    fn fallback_when_core_has_no_data() {
        let urgent = query_for(ConfirmationTarget::UrgentOnChainSweep);
        assert_eq!(rate_for(urgent, None, 2500), 2500);
        // Minimums demanded of peers stay at the floor rather than guess high.
        let min_remote = query_for(ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee);
        assert_eq!(rate_for(min_remote, None, 2500), 253);
    }

    #[test]
    fn margin_applies_to_peer_minimums_only() {
        let min_remote = query_for(ConfirmationTarget::MinAllowedNonAnchorChannelRemoteFee);
        assert_eq!(rate_for(min_remote, Some(5000), 2500), 4750);
        let anchor = query_for(ConfirmationTarget::AnchorChannelFee);
        assert_eq!(rate_for(anchor, Some(5000), 2500), 5000);
    }

    #[test]
    fn cache_starts_with_fallbacks_and_keeps_the_maximum_highest() {
        let cache = FeeCache::new(1000);
        assert_eq!(cache.get(ConfirmationTarget::OutputSpendingFee), 1000);
        assert_eq!(cache.get(ConfirmationTarget::ChannelCloseMinimum), 253);
        cache.store(&[
            (ConfirmationTarget::MaximumFeeEstimate, 300),
            (ConfirmationTarget::UrgentOnChainSweep, 9000),
        ]);
        assert_eq!(cache.get(ConfirmationTarget::MaximumFeeEstimate), 9000);
    }
}
