//! `listsendpays` (Core Lightning): `sendpay` parts, filtered by `bolt11`, `payment_hash` and
//! `status`, in `created_index` order, or paged with `index` (`created` | `updated`),
//! `start` and `limit` by the ledger's monotonic indexes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::sendpay::{SendpayListFilter, SendpayStatus};

use super::error::ClnPayError;
use super::wire::{parse_hex32, part_object, PartShape};

/// Without `limit`, at most this many parts (the ledger's page bound).
const DEFAULT_LIMIT: u32 = 1000;

pub struct Listsendpays;

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusWire {
    Pending,
    Complete,
    Failed,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexWire {
    Created,
    Updated,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListsendpaysParams {
    #[serde(default)]
    bolt11: Option<String>,
    #[serde(default)]
    payment_hash: Option<String>,
    #[serde(default)]
    status: Option<StatusWire>,
    #[serde(default)]
    index: Option<IndexWire>,
    #[serde(default)]
    start: Option<u64>,
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct ListsendpaysResult {
    payments: Vec<Map<String, Value>>,
}

impl RpcMethod for Listsendpays {
    const NAME: &'static str = "listsendpays";
    const TAKES_COIN: bool = false;
    type Params = Option<ListsendpaysParams>;
    type Output = ListsendpaysResult;
    type Error = ClnPayError;

    async fn handle(
        ctx: &RpcContext,
        params: Option<ListsendpaysParams>,
    ) -> MmResult<ListsendpaysResult, ClnPayError> {
        let engine = ctx.engine().map_to_mm(ClnPayError::from)?;
        let params = params.unwrap_or_default();
        if params.index.is_none() && (params.start.is_some() || params.limit.is_some()) {
            return MmResult::Err(
                ClnPayError::InvalidRequest(
                    "start and limit need index (created or updated), as in Core Lightning"
                        .to_string(),
                )
                .into(),
            );
        }
        let payment_hash = params
            .payment_hash
            .map(|h| parse_hex32("payment_hash", &h))
            .transpose()
            .map_to_mm(ClnPayError::InvalidRequest)?;
        let filter = SendpayListFilter {
            payment_hash,
            bolt11: params.bolt11,
            status: params.status.map(|s| match s {
                StatusWire::Pending => SendpayStatus::Pending,
                StatusWire::Complete => SendpayStatus::Complete,
                StatusWire::Failed => SendpayStatus::Failed,
            }),
        };
        let by_updated = matches!(params.index, Some(IndexWire::Updated));
        let parts = engine
            .sendpays()
            .listsendpays(
                filter,
                by_updated,
                params.start.unwrap_or(0),
                params.limit.unwrap_or(DEFAULT_LIMIT),
            )
            .await
            .map_to_mm(ClnPayError::from)?;
        Ok(ListsendpaysResult {
            payments: parts
                .iter()
                .map(|p| part_object(p, PartShape::Listed))
                .collect(),
        })
    }
}
