//! `lightning::wallet::send_to_address`: pays an address of the node's network from the
//! on-chain wallet and broadcasts at once (KDF's `withdraw` + `send_raw_transaction` in one
//! step). The chain backend's rejection is reported here.

use serde::{Deserialize, Serialize};

use super::error::WalletError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::wallet::{OnchainAmount, SendToAddressRequest};

pub struct SendToAddress;

/// `{"type":"Exact","value":<BTC>}` or `{"type":"Max"}` (empty the wallet).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "value")]
pub enum SendAmountParam {
    Exact(serde_json::Number),
    Max,
}

#[derive(Debug, Deserialize)]
pub struct SendToAddressParams {
    address: String,
    amount: SendAmountParam,
    /// Default: the chain backend's estimate.
    #[serde(default)]
    fee_rate_sat_per_vb: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct SendToAddressResponse {
    pub txid: String,
}

impl RpcMethod for SendToAddress {
    const NAME: &'static str = "lightning::wallet::send_to_address";
    const TAKES_COIN: bool = true;
    type Params = SendToAddressParams;
    type Output = SendToAddressResponse;
    type Error = WalletError;

    async fn handle(
        ctx: &RpcContext,
        params: SendToAddressParams,
    ) -> MmResult<SendToAddressResponse, WalletError> {
        let engine = ctx.engine().map_to_mm(WalletError::from)?;
        let txid = engine
            .wallet()
            .send_to_address(SendToAddressRequest {
                address: params.address,
                amount: match params.amount {
                    SendAmountParam::Exact(v) => OnchainAmount::Btc(v.to_string()),
                    SendAmountParam::Max => OnchainAmount::Max,
                },
                fee_rate_sat_per_vb: params.fee_rate_sat_per_vb,
            })
            .await
            .map_to_mm(WalletError::from)?;
        Ok(SendToAddressResponse {
            txid: txid.to_string(),
        })
    }
}
