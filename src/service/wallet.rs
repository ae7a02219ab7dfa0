//! The on-chain wallet: [`Wallet`] holds the operations the RPC methods call (through
//! [`crate::service::Engine::wallet`]). Amounts: clients write BTC decimals (KDF's
//! `"value": 0.001`); the node counts sats.

use bitcoin::{Address, FeeRate, Txid};

use crate::node::{Node, SendAmount};

// The node's wallet error, as the RPC layer sees it through this service.
pub use crate::node::WalletError;

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
    if int.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    let digits = format!("{int}{frac}");
    // value = digits * 10^(exp - frac.len()) BTC = digits * 10^(exp - frac.len() + 8) sat.
    // In i64 so no exponent a client sends can overflow it.
    let frac_len = i64::try_from(frac.len()).map_err(|_| bad())?;
    let shift = i64::from(exp) - frac_len + 8;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    // u64 has 20 digits: a larger shift cannot fit (and must not allocate a huge string).
    if shift > 20 {
        return Err(bad());
    }
    if shift < 0 {
        let cut = usize::try_from(-shift).map_err(|_| bad())?;
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

/// How much to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnchainAmount {
    /// A BTC decimal as the client wrote it (`"0.001"`, `"1e-3"`).
    Btc(String),
    /// Empty the wallet to the address.
    Max,
}

/// A payment to an address of the node's network.
#[derive(Debug, Clone)]
pub struct SendToAddressRequest {
    pub address: String,
    pub amount: OnchainAmount,
    /// Default: the chain backend's estimate.
    pub fee_rate_sat_per_vb: Option<u64>,
}

/// Why an on-chain send was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SendToAddressError {
    #[error(transparent)]
    InvalidAmount(#[from] AmountError),
    #[error("{0}")]
    InvalidFeeRate(String),
    #[error(transparent)]
    Wallet(#[from] WalletError),
}

/// The wallet's balance, in sats, with what cannot be spent yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnchainBalance {
    /// What a new transaction may spend now: confirmed plus our own unconfirmed change.
    pub spendable_sat: u64,
    /// Incoming unconfirmed coins and immature coinbases.
    pub unspendable_sat: u64,
    pub unconfirmed_sat: u64,
    pub immature_sat: u64,
}

/// The wallet service over the running node.
pub struct Wallet<'a> {
    node: &'a Node,
}

impl<'a> Wallet<'a> {
    pub(crate) fn new(node: &'a Node) -> Self {
        Wallet { node }
    }

    /// A fresh receive address.
    pub fn new_address(&self) -> Result<Address, WalletError> {
        self.node.new_address()
    }

    /// The balance.
    pub fn balance(&self) -> OnchainBalance {
        let b = self.node.wallet_balance();
        // Spendable counts our own unconfirmed change; what stays unspendable is incoming
        // unconfirmed coins and immature coinbases.
        let own_change = b.spendable_sat.saturating_sub(b.confirmed_sat);
        OnchainBalance {
            spendable_sat: b.spendable_sat,
            unspendable_sat: b.unconfirmed_sat.saturating_sub(own_change) + b.immature_sat,
            unconfirmed_sat: b.unconfirmed_sat,
            immature_sat: b.immature_sat,
        }
    }

    /// Pays an address and broadcasts at once; the chain backend's rejection is reported.
    pub async fn send_to_address(
        &self,
        request: SendToAddressRequest,
    ) -> Result<Txid, SendToAddressError> {
        let amount = match &request.amount {
            OnchainAmount::Btc(v) => SendAmount::Sats(btc_to_sats(v)?),
            OnchainAmount::Max => SendAmount::All,
        };
        let fee_rate = match request.fee_rate_sat_per_vb {
            None => None,
            Some(0) => {
                return Err(SendToAddressError::InvalidFeeRate(
                    "fee_rate_sat_per_vb must be at least 1".to_string(),
                ))
            }
            Some(rate) => Some(FeeRate::from_sat_per_vb(rate).ok_or_else(|| {
                SendToAddressError::InvalidFeeRate(format!(
                    "fee_rate_sat_per_vb {rate} is too large"
                ))
            })?),
        };
        Ok(self
            .node
            .send_to_address(&request.address, amount, fee_rate)
            .await?)
    }
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
        // Extreme exponents are refused, never an overflow panic or a huge allocation.
        assert!(btc_to_sats("1e2147483647").is_err());
        assert!(btc_to_sats("1e-2147483648").is_err());
        assert!(btc_to_sats("1e300").is_err());
        assert_eq!(btc_to_sats("0e2147483647"), Ok(0));
        assert!(btc_to_sats(".").is_err());
        assert!(btc_to_sats("e5").is_err());
        assert_eq!(btc_to_sats(".5"), Ok(50_000_000));
        assert_eq!(sats_to_btc_string(100_000), "0.001");
        assert_eq!(sats_to_btc_string(200_000_000), "2");
    }
}
