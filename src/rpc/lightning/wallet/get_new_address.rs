//! `lightning::wallet::get_new_address`: a fresh receive address of the on-chain wallet.

use serde::Serialize;

use super::error::WalletError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::{NoParams, RpcMethod};

pub struct GetNewAddress;

#[derive(Debug, Serialize)]
pub struct GetNewAddressResponse {
    pub address: String,
}

impl RpcMethod for GetNewAddress {
    const NAME: &'static str = "lightning::wallet::get_new_address";
    const TAKES_COIN: bool = true;
    type Params = NoParams;
    type Output = GetNewAddressResponse;
    type Error = WalletError;

    async fn handle(
        ctx: &RpcContext,
        _params: NoParams,
    ) -> MmResult<GetNewAddressResponse, WalletError> {
        let engine = ctx.engine().map_to_mm(WalletError::from)?;
        let address = engine.wallet().new_address().map_to_mm(WalletError::from)?;
        Ok(GetNewAddressResponse {
            address: address.to_string(),
        })
    }
}
