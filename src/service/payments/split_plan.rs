//! Podcasting 2.0 value-block arithmetic (`<podcast:value>` splits), exact to the msat.
//!
//! The rules (stated in the `send_value_split` schema and the README too):
//! 1. A `fee` recipient takes its `split` as a **percentage** of `total_msat`, off the top,
//!    rounded down to the msat. Fee percentages may add up to at most 100.
//! 2. What remains is shared by the other recipients **in proportion to their `split`s**
//!    (shares, not percentages: 90/5/5 and 18/1/1 split alike), each rounded down.
//! 3. The msats rounding left over (fewer than the number of non-fee recipients) go one each to
//!    the non-fee recipients with the largest rounded-off fractions, ties to the earlier one
//!    in the block (largest-remainder method). The amounts then add up to `total_msat` exactly.
//! 4. A recipient whose amount is below 1 sat (1000 msat), a zero split included, is skipped
//!    and reported; its amount is not paid to anyone (`skipped_msat`), as Podcasting 2.0 apps
//!    drop dust rather than reshuffle it.

/// One value-block recipient, as far as the arithmetic goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub split: u64,
    pub fee: bool,
}

/// The smallest amount paid to a recipient.
pub const MIN_RECIPIENT_MSAT: u64 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitPlanError {
    #[error("total_msat must be greater than zero")]
    ZeroTotal,
    #[error("fee recipients take {0}% in all; at most 100% can be taken off the top")]
    FeesOver100(u64),
    #[error("a fee recipient's split is a percentage, at most 100; got {0}")]
    FeeSplitOver100(u64),
    #[error("the value block needs at least one non-fee recipient with a split above 0")]
    NoSharedRecipient,
}

/// What each recipient gets, in block order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub amounts_msat: Vec<u64>,
}

impl Plan {
    /// Whether recipient `i` is paid (at least [`MIN_RECIPIENT_MSAT`]).
    pub fn is_paid(&self, i: usize) -> bool {
        self.amounts_msat
            .get(i)
            .is_some_and(|a| *a >= MIN_RECIPIENT_MSAT)
    }

    /// The sum of the skipped (dust) amounts.
    pub fn skipped_msat(&self) -> u64 {
        self.amounts_msat
            .iter()
            .filter(|a| **a < MIN_RECIPIENT_MSAT)
            .sum()
    }
}

/// Splits `total_msat` over `shares` by the module's rules.
pub fn plan(total_msat: u64, shares: &[Share]) -> Result<Plan, SplitPlanError> {
    if total_msat == 0 {
        return Err(SplitPlanError::ZeroTotal);
    }
    let mut fee_percent: u64 = 0;
    for share in shares.iter().filter(|s| s.fee) {
        if share.split > 100 {
            return Err(SplitPlanError::FeeSplitOver100(share.split));
        }
        fee_percent += share.split;
    }
    if fee_percent > 100 {
        return Err(SplitPlanError::FeesOver100(fee_percent));
    }
    let shared_weight: u128 = shares
        .iter()
        .filter(|s| !s.fee)
        .map(|s| u128::from(s.split))
        .sum();
    if shared_weight == 0 {
        return Err(SplitPlanError::NoSharedRecipient);
    }
    let total = u128::from(total_msat);
    let mut amounts = vec![0u128; shares.len()];
    for (i, share) in shares.iter().enumerate().filter(|(_, s)| s.fee) {
        amounts[i] = total * u128::from(share.split) / 100;
    }
    let remaining = total - amounts.iter().sum::<u128>();
    // (fraction numerator, index) of each shared recipient, for the leftover msats.
    let mut fractions = Vec::new();
    for (i, share) in shares.iter().enumerate().filter(|(_, s)| !s.fee) {
        let exact = remaining * u128::from(share.split);
        amounts[i] = exact / shared_weight;
        fractions.push((exact % shared_weight, i));
    }
    let mut leftover = remaining
        - shares
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.fee)
            .map(|(i, _)| amounts[i])
            .sum::<u128>();
    // Largest fraction first; the stable sort keeps block order among equals.
    fractions.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, i) in fractions {
        if leftover == 0 {
            break;
        }
        amounts[i] += 1;
        leftover -= 1;
    }
    Ok(Plan {
        // Each amount is at most total_msat, a u64.
        amounts_msat: amounts
            .into_iter()
            .map(|a| u64::try_from(a).unwrap_or(u64::MAX))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(list: &[(u64, bool)]) -> Vec<Share> {
        list.iter()
            .map(|(split, fee)| Share {
                split: *split,
                fee: *fee,
            })
            .collect()
    }

    #[test]
    fn fees_come_off_the_top_and_the_rest_is_shared_by_weight() {
        // 100 sats: a 1% app fee, then 90/5/5 of the remaining 99 sats.
        let p = plan(
            100_000,
            &shares(&[(90, false), (5, false), (5, false), (1, true)]),
        )
        .unwrap();
        assert_eq!(p.amounts_msat, vec![89_100, 4_950, 4_950, 1_000]);
        assert_eq!(p.amounts_msat.iter().sum::<u64>(), 100_000);
        // Shares, not percentages.
        let q = plan(
            100_000,
            &shares(&[(18, false), (1, false), (1, false), (1, true)]),
        )
        .unwrap();
        assert_eq!(p, q);
    }

    #[test]
    fn leftover_msats_go_to_the_largest_fractions_and_sums_are_exact() {
        let p = plan(10, &shares(&[(1, false), (1, false), (1, false)])).unwrap();
        assert_eq!(p.amounts_msat, vec![4, 3, 3]);
        let p = plan(11, &shares(&[(1, false), (2, false)])).unwrap();
        // 11/3 = 3.67 and 22/3 = 7.33: the first has the larger fraction.
        assert_eq!(p.amounts_msat, vec![4, 7]);
        for total in [1u64, 999, 1000, 12_345, 21_000, 1_000_003, u64::MAX] {
            let p = plan(
                total,
                &shares(&[(3, true), (50, false), (33, false), (17, false), (1, true)]),
            )
            .unwrap();
            assert_eq!(
                p.amounts_msat.iter().map(|a| u128::from(*a)).sum::<u128>(),
                u128::from(total),
                "{total}"
            );
        }
    }

    #[test]
    fn dust_recipients_are_skipped_and_counted() {
        let p = plan(
            21_000,
            &shares(&[(97, false), (2, false), (1, false), (0, false)]),
        )
        .unwrap();
        assert_eq!(p.amounts_msat, vec![20_370, 420, 210, 0]);
        assert!(p.is_paid(0));
        assert!(!p.is_paid(1) && !p.is_paid(3));
        assert_eq!(p.skipped_msat(), 630);
    }

    #[test]
    fn impossible_blocks_are_refused() {
        assert_eq!(
            plan(0, &shares(&[(1, false)])),
            Err(SplitPlanError::ZeroTotal)
        );
        assert_eq!(
            plan(1000, &shares(&[(60, true), (50, true), (1, false)])),
            Err(SplitPlanError::FeesOver100(110))
        );
        assert_eq!(
            plan(1000, &shares(&[(101, true), (1, false)])),
            Err(SplitPlanError::FeeSplitOver100(101))
        );
        assert_eq!(
            plan(1000, &shares(&[(5, true), (0, false)])),
            Err(SplitPlanError::NoSharedRecipient)
        );
    }
}
