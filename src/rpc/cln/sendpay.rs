//! `sendpay` (Core Lightning): send along the given route; answers at once with the part,
//! `pending` (or `complete` when this hash was already paid alike). See
//! `service::sendpay::send` for the rules.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapMmError, MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::sendpay::{parse_scid, ClnHop, SendpayRequest};

use super::error::ClnPayError;
use super::wire::{parse_hex32, parse_pubkey, part_object, ClnMsat, PartShape};

pub struct Sendpay;

/// A hop of `route`; `direction` and `style` are accepted and ignored, as CLN does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HopParams {
    id: String,
    channel: String,
    delay: u32,
    amount_msat: ClnMsat,
    #[serde(default)]
    direction: Option<u8>,
    #[serde(default)]
    style: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendpayParams {
    route: Vec<HopParams>,
    payment_hash: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    amount_msat: Option<ClnMsat>,
    #[serde(default)]
    bolt11: Option<String>,
    #[serde(default)]
    payment_secret: Option<String>,
    #[serde(default)]
    partid: Option<u64>,
    #[serde(default)]
    localinvreqid: Option<String>,
    #[serde(default)]
    groupid: Option<u64>,
    #[serde(default)]
    payment_metadata: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// mmln: a repeat with this key and the same request answers the first send's part and
    /// sends nothing; with another request it is `IdempotencyKeyReused` (409).
    #[serde(default)]
    idempotency_key: Option<String>,
}

impl SendpayParams {
    fn into_request(self) -> Result<SendpayRequest, String> {
        let route = self
            .route
            .into_iter()
            .enumerate()
            .map(|(i, hop)| {
                let _ignored = (hop.direction, hop.style);
                Ok(ClnHop {
                    id: parse_pubkey(&format!("route[{i}].id"), &hop.id)?,
                    channel: parse_scid(&hop.channel).map_err(|e| format!("route[{i}]: {e}"))?,
                    delay: hop.delay,
                    amount_msat: hop.amount_msat.0,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let payment_metadata = self
            .payment_metadata
            .map(|m| {
                hex::decode(&m).map_err(|_| format!("invalid payment_metadata {m:?}: not hex"))
            })
            .transpose()?;
        Ok(SendpayRequest {
            route,
            payment_hash: parse_hex32("payment_hash", &self.payment_hash)?,
            label: self.label,
            amount_msat: self.amount_msat.map(|a| a.0),
            bolt11: self.bolt11,
            payment_secret: self
                .payment_secret
                .map(|s| parse_hex32("payment_secret", &s))
                .transpose()?,
            partid: self.partid,
            localinvreqid: self.localinvreqid,
            groupid: self.groupid,
            payment_metadata,
            description: self.description,
            key_id: None,
            idempotency_key: self.idempotency_key,
        })
    }
}

impl RpcMethod for Sendpay {
    const NAME: &'static str = "sendpay";
    const TAKES_COIN: bool = false;
    type Params = SendpayParams;
    type Output = Map<String, Value>;
    type Error = ClnPayError;

    async fn handle(
        ctx: &RpcContext,
        params: SendpayParams,
    ) -> MmResult<Map<String, Value>, ClnPayError> {
        let engine = ctx.engine().map_to_mm(ClnPayError::from)?;
        let mut request = params
            .into_request()
            .map_to_mm(ClnPayError::InvalidRequest)?;
        request.key_id = ctx.caller().key_id();
        let outcome = engine
            .sendpays()
            .sendpay(request)
            .await
            .map_to_mm(ClnPayError::from)
            .map_mm_err::<ClnPayError>()?;
        Ok(part_object(&outcome.part, PartShape::Sendpay))
    }
}
