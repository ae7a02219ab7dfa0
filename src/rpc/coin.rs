//! The `coin` parameter: every lightning method names the configured lightning ticker.
//!
//! The daemon runs exactly one lightning coin. A client that names it is served. A client that
//! names its on-chain platform coin (`BTC`, `tBTC`, or the ticker without `-lightning`) is told
//! lightning is not supported for that coin, as KDF does for an enabled non-lightning coin.
//! Any other ticker is unknown.

use serde::Deserialize;

use super::error::{MmError, MmResult};

/// Why a `coin` parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoinError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("Lightning network is not supported for {0}")]
    UnsupportedCoin(String),
}

/// The `coin` field of a method's params; other fields are left to the method's own type.
#[derive(Debug, Deserialize)]
pub(crate) struct CoinParam {
    pub coin: String,
}

/// The suffix lightning tickers carry in KDF.
const LIGHTNING_SUFFIX: &str = "-lightning";

/// Tickers of the on-chain coins lightning runs on, always known to clients.
const PLATFORM_TICKERS: [&str; 2] = ["BTC", "tBTC"];

/// Checks that `requested` is the configured lightning ticker `configured`.
pub fn check_lightning_coin(configured: &str, requested: &str) -> MmResult<(), CoinError> {
    if requested == configured {
        return Ok(());
    }
    let platform = configured
        .strip_suffix(LIGHTNING_SUFFIX)
        .unwrap_or(configured);
    if requested == platform || PLATFORM_TICKERS.contains(&requested) {
        return MmError::err(CoinError::UnsupportedCoin(requested.to_string()));
    }
    MmError::err(CoinError::NoSuchCoin(requested.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_ticker_is_accepted() {
        assert!(check_lightning_coin("tBTC-lightning", "tBTC-lightning").is_ok());
        assert!(check_lightning_coin("MY-lightning", "MY-lightning").is_ok());
    }

    #[test]
    fn platform_tickers_are_unsupported() {
        for t in ["tBTC", "BTC"] {
            let err = check_lightning_coin("tBTC-lightning", t).unwrap_err();
            assert_eq!(err.get_inner(), &CoinError::UnsupportedCoin(t.into()));
        }
        let err = check_lightning_coin("LTC-lightning", "LTC").unwrap_err();
        assert_eq!(err.get_inner(), &CoinError::UnsupportedCoin("LTC".into()));
        assert_eq!(
            err.to_string(),
            "Lightning network is not supported for LTC"
        );
    }

    #[test]
    fn other_tickers_are_unknown() {
        for t in ["BTC-lightning", "tbtc-lightning", "", "KMD"] {
            let err = check_lightning_coin("tBTC-lightning", t).unwrap_err();
            assert_eq!(err.get_inner(), &CoinError::NoSuchCoin(t.into()));
        }
        let err = check_lightning_coin("tBTC-lightning", "KMD").unwrap_err();
        assert_eq!(err.to_string(), "No such coin KMD");
        assert_eq!(err.path(), "coin");
    }
}
