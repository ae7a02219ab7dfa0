//! The routing fee limit of an outgoing payment (LDK's `max_total_routing_fee_msat`).
//!
//! - An explicit `fee_limit_msat` is used as given. `0` is allowed and means "no routing fees":
//!   in practice a payment to a direct channel peer (the first hop charges us nothing) or along
//!   hops that advertise zero fees. It is how a client says "only pay my neighbour directly".
//!   A limit above the amount is allowed too; it is the client's money.
//! - Without one, the limit is 5% of the amount (LNPay's documented default, which streaming
//!   clients were written against), rounded up, but never less than
//!   [`MIN_DEFAULT_FEE_LIMIT_MSAT`].
//!
//! Why the floor: nodes commonly charge a base fee of 1 sat (1000 msat) per hop. A 10-sat
//! streaming keysend at 5% may spend 500 msat, which cannot pay even one hop, so every
//! non-neighbour payment of the typical streaming size (5 to 21 sats a minute) would fail with
//! "no route". 5 sat covers the base fees of four to five hops at usual rates; above
//! 100 sat (where 5% reaches 5 sat) the percentage takes over. For tiny payments the floor is a
//! large share of the amount; a client that minds sets `fee_limit_msat` explicitly.
//! (LDK's own default, 1% + 50 sat, is replaced on purpose by this documented rule.)

/// Default fee limit as a percentage of the amount.
pub const DEFAULT_FEE_LIMIT_PERCENT: u64 = 5;
/// Smallest default fee limit: 5 sat.
pub const MIN_DEFAULT_FEE_LIMIT_MSAT: u64 = 5_000;

/// The routing fee limit to use for a payment of `amount_msat`.
pub fn effective_fee_limit_msat(amount_msat: u64, requested: Option<u64>) -> u64 {
    match requested {
        Some(limit) => limit,
        None => default_fee_limit_msat(amount_msat),
    }
}

/// 5% of the amount, rounded up, at least [`MIN_DEFAULT_FEE_LIMIT_MSAT`].
pub fn default_fee_limit_msat(amount_msat: u64) -> u64 {
    // amount / 20, rounded up: no multiplication, so no overflow for any u64.
    let percent = amount_msat.div_ceil(100 / DEFAULT_FEE_LIMIT_PERCENT);
    percent.max(MIN_DEFAULT_FEE_LIMIT_MSAT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_limit_wins_including_zero_and_above_amount() {
        assert_eq!(effective_fee_limit_msat(1_000_000, Some(1_234)), 1_234);
        assert_eq!(effective_fee_limit_msat(1_000_000, Some(0)), 0);
        assert_eq!(effective_fee_limit_msat(1_000, Some(50_000)), 50_000);
    }

    #[test]
    fn default_is_five_percent_for_larger_amounts() {
        assert_eq!(effective_fee_limit_msat(1_000_000, None), 50_000);
        assert_eq!(effective_fee_limit_msat(100_000_000, None), 5_000_000);
        // Rounded up, never down.
        assert_eq!(effective_fee_limit_msat(1_000_001, None), 50_001);
    }

    #[test]
    fn small_payments_get_the_floor() {
        // A 10-sat stream payment: 5% would be 500 msat, below one hop's usual base fee.
        assert_eq!(
            effective_fee_limit_msat(10_000, None),
            MIN_DEFAULT_FEE_LIMIT_MSAT
        );
        assert_eq!(
            effective_fee_limit_msat(1, None),
            MIN_DEFAULT_FEE_LIMIT_MSAT
        );
        assert_eq!(
            effective_fee_limit_msat(0, None),
            MIN_DEFAULT_FEE_LIMIT_MSAT
        );
        // The percentage takes over exactly at 100 sat.
        assert_eq!(effective_fee_limit_msat(100_000, None), 5_000);
        assert_eq!(effective_fee_limit_msat(100_020, None), 5_001);
    }

    #[test]
    fn no_overflow_at_the_top_of_the_range() {
        assert_eq!(default_fee_limit_msat(u64::MAX), u64::MAX.div_ceil(20));
    }
}
