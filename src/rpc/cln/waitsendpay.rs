//! `waitsendpay` (Core Lightning): waits until the part is final; `complete` answers the
//! part, a failure answers CLN's 203/204 with the routing-failure object, `timeout` passing
//! answers 200 (`timeout: 0` polls). mmln waits at most 600 s.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::sendpay::WaitQuery;

use super::error::ClnPayError;
use super::wire::{parse_hex32, part_object, PartShape};

pub struct Waitsendpay;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitsendpayParams {
    payment_hash: String,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    partid: Option<u64>,
    #[serde(default)]
    groupid: Option<u64>,
}

impl RpcMethod for Waitsendpay {
    const NAME: &'static str = "waitsendpay";
    const TAKES_COIN: bool = false;
    type Params = WaitsendpayParams;
    type Output = Map<String, Value>;
    type Error = ClnPayError;

    async fn handle(
        ctx: &RpcContext,
        params: WaitsendpayParams,
    ) -> MmResult<Map<String, Value>, ClnPayError> {
        let engine = ctx.engine().map_to_mm(ClnPayError::from)?;
        let payment_hash = parse_hex32("payment_hash", &params.payment_hash)
            .map_to_mm(ClnPayError::InvalidRequest)?;
        let part = engine
            .sendpays()
            .waitsendpay(WaitQuery {
                payment_hash,
                timeout_secs: params.timeout,
                partid: params.partid,
                groupid: params.groupid,
            })
            .await
            .map_to_mm(ClnPayError::from)?;
        Ok(part_object(&part, PartShape::Listed))
    }
}
