//! `lightning::wallet::my_balance`: the on-chain wallet's balance, in KDF's `my_balance` shape
//! (`balance` spendable, `unspendable_balance` unconfirmed or immature, BTC decimal strings)
//! plus the same in sats.

use serde::Serialize;

use super::error::WalletError;
use super::platform_ticker;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::{NoParams, RpcMethod};
use crate::service::wallet::sats_to_btc_string;

pub struct MyBalance;

#[derive(Debug, Serialize)]
pub struct MyBalanceResponse {
    /// The on-chain coin, e.g. `tBTC`.
    pub coin: String,
    pub balance: String,
    pub unspendable_balance: String,
    pub spendable_sats: u64,
    pub unconfirmed_sats: u64,
    pub immature_sats: u64,
}

impl RpcMethod for MyBalance {
    const NAME: &'static str = "lightning::wallet::my_balance";
    const TAKES_COIN: bool = true;
    type Params = NoParams;
    type Output = MyBalanceResponse;
    type Error = WalletError;

    async fn handle(
        ctx: &RpcContext,
        _params: NoParams,
    ) -> MmResult<MyBalanceResponse, WalletError> {
        let engine = ctx.engine().map_to_mm(WalletError::from)?;
        let b = engine.wallet().balance();
        Ok(MyBalanceResponse {
            coin: platform_ticker(ctx.coin_ticker()),
            balance: sats_to_btc_string(b.spendable_sat),
            unspendable_balance: sats_to_btc_string(b.unspendable_sat),
            spendable_sats: b.spendable_sat,
            unconfirmed_sats: b.unconfirmed_sat,
            immature_sats: b.immature_sat,
        })
    }
}
