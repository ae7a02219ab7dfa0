//! `lightning::wallet::send_to_address`: pays an address of the node's network from the
//! on-chain wallet and broadcasts at once (KDF's `withdraw` + `send_raw_transaction` in one
//! step). The chain backend's rejection is reported here.

use bitcoin::FeeRate;
use serde::{Deserialize, Serialize};

use super::WalletError;
use crate::node::SendAmount;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmError, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::wallet::btc_to_sats;

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
        let node = ctx.node().map_to_mm(WalletError::from)?;
        let amount = match &params.amount {
            SendAmountParam::Exact(v) => {
                SendAmount::Sats(btc_to_sats(&v.to_string()).map_to_mm(WalletError::from)?)
            }
            SendAmountParam::Max => SendAmount::All,
        };
        let fee_rate = match params.fee_rate_sat_per_vb {
            None => None,
            Some(0) => {
                return MmError::err(WalletError::InvalidFeeRate(
                    "fee_rate_sat_per_vb must be at least 1".to_string(),
                ))
            }
            Some(rate) => Some(FeeRate::from_sat_per_vb(rate).ok_or_else(|| {
                MmError::new(WalletError::InvalidFeeRate(format!(
                    "fee_rate_sat_per_vb {rate} is too large"
                )))
            })?),
        };
        let txid = node
            .send_to_address(&params.address, amount, fee_rate)
            .await
            .map_to_mm(WalletError::from)?;
        Ok(SendToAddressResponse {
            txid: txid.to_string(),
        })
    }
}
