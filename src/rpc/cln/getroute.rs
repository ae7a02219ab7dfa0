//! `getroute` (Core Lightning): a route to `id` for `amount_msat` from the network graph and
//! our usable channels, in the shape `sendpay` takes. `riskfactor` and `fuzzpercent` are
//! accepted and not used (LDK's scorer weighs risk its own way); `fromid` must be this node.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::sendpay::routing::Exclusion;
use crate::service::sendpay::{parse_scid, RouteQuery};

use super::error::ClnPayError;
use super::wire::{parse_pubkey, scid_text, ClnMsat};

pub struct Getroute;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetrouteParams {
    id: String,
    amount_msat: ClnMsat,
    riskfactor: f64,
    #[serde(default)]
    cltv: Option<u32>,
    #[serde(default)]
    fromid: Option<String>,
    #[serde(default)]
    fuzzpercent: Option<f64>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    maxhops: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct GetrouteResult {
    route: Vec<Map<String, Value>>,
}

/// `BLOCKxTXxOUT/DIR` (a channel) or a node id.
fn exclusion(text: &str) -> Result<Exclusion, String> {
    if let Some((scid, dir)) = text.split_once('/') {
        if dir != "0" && dir != "1" {
            return Err(format!(
                "invalid exclude {text:?}: the direction must be 0 or 1"
            ));
        }
        return parse_scid(scid)
            .map(Exclusion::Channel)
            .map_err(|e| format!("invalid exclude {text:?}: {e}"));
    }
    parse_pubkey("exclude", text).map(Exclusion::Node)
}

fn query(params: GetrouteParams) -> Result<RouteQuery, String> {
    if !(0.0..=100.0).contains(&params.fuzzpercent.unwrap_or(0.0)) {
        return Err("invalid fuzzpercent: must be between 0 and 100".to_string());
    }
    if !params.riskfactor.is_finite() || params.riskfactor < 0.0 {
        return Err("invalid riskfactor: must be a non-negative number".to_string());
    }
    Ok(RouteQuery {
        id: parse_pubkey("id", &params.id)?,
        amount_msat: params.amount_msat.0,
        cltv: params.cltv,
        fromid: params
            .fromid
            .map(|f| parse_pubkey("fromid", &f))
            .transpose()?,
        exclude: params
            .exclude
            .iter()
            .map(|e| exclusion(e))
            .collect::<Result<_, _>>()?,
        maxhops: params.maxhops,
    })
}

impl RpcMethod for Getroute {
    const NAME: &'static str = "getroute";
    const TAKES_COIN: bool = false;
    type Params = GetrouteParams;
    type Output = GetrouteResult;
    type Error = ClnPayError;

    async fn handle(
        ctx: &RpcContext,
        params: GetrouteParams,
    ) -> MmResult<GetrouteResult, ClnPayError> {
        let engine = ctx.engine().map_to_mm(ClnPayError::from)?;
        let query = query(params).map_to_mm(ClnPayError::InvalidRequest)?;
        let hops = engine
            .sendpays()
            .getroute(query)
            .map_to_mm(ClnPayError::from)?;
        let route = hops
            .into_iter()
            .map(|h| {
                let mut o = Map::new();
                o.insert("id".into(), h.id.to_string().into());
                o.insert("channel".into(), scid_text(h.channel).into());
                o.insert("direction".into(), h.direction.into());
                o.insert("amount_msat".into(), h.amount_msat.into());
                o.insert("delay".into(), h.delay.into());
                o.insert("style".into(), "tlv".into());
                o
            })
            .collect();
        Ok(GetrouteResult { route })
    }
}
