//! `lightning::events::list_webhook_deliveries`: every delivery owed, with each attempt (when,
//! the HTTP status or the error) and its state (`pending`, `delivered`, `failed`).

use serde::{Deserialize, Serialize};

use super::EventsError;
use crate::service::feeds::WebhookDelivery;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::feeds::DEFAULT_EVENT_LIMIT;

pub struct ListWebhookDeliveries;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListDeliveriesParams {
    #[serde(default)]
    coin: Option<String>,
    /// Deliveries of events at or after this index.
    #[serde(default)]
    from_event_index: u64,
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct AttemptWire {
    attempt: u32,
    /// Unix milliseconds.
    at_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DeliveryWire {
    id: String,
    event_index: u64,
    url: String,
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt_ms: Option<u64>,
    attempts: Vec<AttemptWire>,
}

#[derive(Debug, Serialize)]
pub struct ListDeliveriesResponse {
    deliveries: Vec<DeliveryWire>,
}

impl From<WebhookDelivery> for DeliveryWire {
    fn from(d: WebhookDelivery) -> Self {
        DeliveryWire {
            id: format!("evt_{}", d.event_index),
            event_index: d.event_index,
            url: d.url,
            state: d.state,
            next_attempt_ms: d.next_attempt_ms,
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptWire {
                    attempt: a.attempt,
                    at_ms: a.at_ms,
                    http_status: a.http_status,
                    error: a.error,
                })
                .collect(),
        }
    }
}

impl RpcMethod for ListWebhookDeliveries {
    const NAME: &'static str = "lightning::events::list_webhook_deliveries";
    const TAKES_COIN: bool = true;
    type Params = ListDeliveriesParams;
    type Output = ListDeliveriesResponse;
    type Error = EventsError;

    async fn handle(
        ctx: &RpcContext,
        params: ListDeliveriesParams,
    ) -> MmResult<ListDeliveriesResponse, EventsError> {
        let _ = params.coin;
        let engine = ctx.engine().map_to_mm(EventsError::from)?;
        let limit = params.limit.unwrap_or(DEFAULT_EVENT_LIMIT);
        let deliveries = engine
            .feeds()
            .deliveries(params.from_event_index, limit)
            .await
            .map_to_mm(EventsError::from)?;
        Ok(ListDeliveriesResponse {
            deliveries: deliveries.into_iter().map(DeliveryWire::from).collect(),
        })
    }
}
