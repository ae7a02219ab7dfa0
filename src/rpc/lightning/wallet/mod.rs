//! `lightning::wallet::*`: the node's on-chain wallet (funds channel opens, receives closes
//! and sweeps).

pub mod error;
pub mod get_new_address;
pub mod my_balance;
pub mod send_to_address;

/// The on-chain coin under the lightning ticker: `tBTC-lightning` -> `tBTC`.
pub fn platform_ticker(lightning_ticker: &str) -> String {
    lightning_ticker
        .strip_suffix("-lightning")
        .unwrap_or(lightning_ticker)
        .to_string()
}
