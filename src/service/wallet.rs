//! On-chain amounts: clients write BTC decimals (KDF's `"value": 0.001`); the node counts sats.

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("invalid amount {0}: expected a positive BTC amount with at most 8 decimals")]
    InvalidAmount(String),
}

/// Parses a BTC decimal (as JSON writes numbers: `0.001`, `1`, `1e-5`) into sats, exactly.
pub fn btc_to_sats(text: &str) -> Result<u64, AmountError> {
    let bad = || AmountError::InvalidAmount(text.to_string());
    let t = text.trim();
    if t.starts_with('-') || t.is_empty() {
        return Err(bad());
    }
    // Exponent form: shift the decimal point.
    let (mantissa, exp) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().map_err(|_| bad())?),
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let digits = format!("{int}{frac}");
    // value = digits * 10^(exp - frac.len()) BTC = digits * 10^(exp - frac.len() + 8) sat
    let shift = exp - frac.len() as i32 + 8;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    if shift < 0 {
        let cut = (-shift) as usize;
        if cut > digits.len() {
            return Err(bad());
        }
        let (keep, dropped) = digits.split_at(digits.len() - cut);
        if dropped.chars().any(|c| c != '0') {
            return Err(bad());
        }
        if keep.is_empty() {
            return Ok(0);
        }
        keep.parse::<u64>().map_err(|_| bad())
    } else {
        let s = format!("{digits}{}", "0".repeat(shift as usize));
        s.parse::<u64>().map_err(|_| bad())
    }
}

/// Sats as a BTC decimal string, 8 decimals trimmed (KDF's balance strings).
pub fn sats_to_btc_string(sats: u64) -> String {
    let whole = sats / 100_000_000;
    let frac = sats % 100_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:08}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn btc_decimals_to_sats() {
        assert_eq!(btc_to_sats("0.001"), Ok(100_000));
        assert_eq!(btc_to_sats("1"), Ok(100_000_000));
        assert_eq!(btc_to_sats("1e-5"), Ok(1_000));
        assert_eq!(btc_to_sats("0.00000001"), Ok(1));
        assert_eq!(btc_to_sats("21000000.5"), Ok(2_100_000_050_000_000));
        assert!(btc_to_sats("0.000000001").is_err());
        assert!(btc_to_sats("-1").is_err());
        assert!(btc_to_sats("abc").is_err());
        assert_eq!(sats_to_btc_string(100_000), "0.001");
        assert_eq!(sats_to_btc_string(200_000_000), "2");
    }
}
