//! Core Lightning's amount forms: `1000`, `"1000"`, `"1000msat"`, `"1sat"`, `"1.000sat"` (three
//! decimals: whole msat), `"0.001btc"` (1 to 11 decimals). Anything that is not a whole number
//! of millisatoshis is refused rather than rounded.

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid amount {0:?}: expected a whole number of msat, or a number ending in msat, sat \
     (at most 3 decimals) or btc (1 to 11 decimals)"
)]
pub struct AmountError(pub String);

const MSAT_PER_SAT: u64 = 1_000;
const MSAT_PER_BTC: u64 = 100_000_000_000;

/// Parses an amount given as text in one of CLN's forms.
pub fn parse_msat(text: &str) -> Result<u64, AmountError> {
    let refuse = || AmountError(text.to_string());
    let (number, scale, max_decimals, min_decimals) = if let Some(n) = text.strip_suffix("msat") {
        (n, 1, 0, 0)
    } else if let Some(n) = text.strip_suffix("sat") {
        (n, MSAT_PER_SAT, 3, 3)
    } else if let Some(n) = text.strip_suffix("btc") {
        (n, MSAT_PER_BTC, 11, 1)
    } else {
        (text, 1, 0, 0)
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (number, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    let whole: u64 = whole.parse().map_err(|_| refuse())?;
    let mut msat = whole.checked_mul(scale).ok_or_else(refuse)?;
    if let Some(fraction) = fraction {
        let digits = fraction.len();
        if digits < min_decimals.max(1) || digits > max_decimals {
            return Err(refuse());
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let value: u64 = fraction.parse().map_err(|_| refuse())?;
        // `scale` is 10^max_decimals times the unit of the last allowed decimal.
        let unit = scale / 10u64.pow(u32::try_from(digits).map_err(|_| refuse())?);
        msat = msat
            .checked_add(value.checked_mul(unit).ok_or_else(refuse)?)
            .ok_or_else(refuse)?;
    }
    Ok(msat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cln_form_parses_to_msat() {
        assert_eq!(parse_msat("1000"), Ok(1000));
        assert_eq!(parse_msat("1000msat"), Ok(1000));
        assert_eq!(parse_msat("1sat"), Ok(1000));
        assert_eq!(parse_msat("1.500sat"), Ok(1500));
        assert_eq!(parse_msat("0.001btc"), Ok(100_000_000));
        assert_eq!(parse_msat("0.00000000001btc"), Ok(1));
        assert_eq!(parse_msat("1.5btc"), Ok(150_000_000_000));
    }

    #[test]
    fn fractions_of_a_msat_and_junk_are_refused() {
        for bad in [
            "",
            "sat",
            "1.5sat",
            "1.5",
            "0.000000000001btc",
            "-1",
            "1e3",
            "1.sat",
            "abc",
            "99999999999999999999",
        ] {
            assert!(parse_msat(bad).is_err(), "{bad}");
        }
    }
}
