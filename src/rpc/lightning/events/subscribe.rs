//! `subscribe_events` / `unsubscribe_events`: the event log over a WebSocket subscription.
//!
//! Not an [`crate::rpc::RpcMethod`]: a subscription answers once with its id and then sends
//! notifications, which only the JSON-RPC WebSocket can carry, so the JSON-RPC surface
//! registers it beside the routed methods. Params, coin check and errors are the same as
//! `lightning::events::list`'s; this file turns them into a [`Subscription`] and its items into
//! the JSON the notifications carry.

use serde::Deserialize;
use serde_json::{json, Value};

use super::EventsError;
use crate::rpc::context::RpcContext;
use crate::rpc::dispatcher::parse_params_of;
use crate::rpc::error::{MapToMmResult, WireError};
use crate::service::feeds::subscribe::CloseReason;
use crate::service::feeds::{Event, Subscription};

/// The method that opens a subscription.
pub const SUBSCRIBE_METHOD: &str = "subscribe_events";
/// The method of every notification: `params.result` is one event, `params.error` the close.
pub const NOTIFICATION_METHOD: &str = "event";
/// The method that ends a subscription (answers `true`).
pub const UNSUBSCRIBE_METHOD: &str = "unsubscribe_events";
/// The methods the JSON-RPC surface serves beside the router's (each has its rpc-spec file).
pub const SUBSCRIPTION_METHODS: [&str; 2] = [SUBSCRIBE_METHOD, UNSUBSCRIBE_METHOD];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeEventsParams {
    #[serde(default)]
    coin: Option<String>,
    #[serde(default)]
    from_index: u64,
    #[serde(default)]
    kinds: Vec<String>,
}

/// Opens a subscription for `params` (by name; `coin` already filled in by the surface).
pub async fn open(ctx: &RpcContext, params: &Value) -> Result<Subscription, WireError> {
    let params: SubscribeEventsParams = parse_params_of(ctx, params, true)?;
    let _ = params.coin;
    let engine = ctx.engine().map_to_mm(EventsError::from)?;
    let capacity = ctx.config().event_subscription_buffer;
    Ok(engine
        .feeds()
        .subscribe(params.from_index, &params.kinds, capacity)
        .await
        .map_to_mm(EventsError::from)?)
}

/// The `result` of one notification: the event as `lightning::events::list` shows it.
pub fn event_json(event: &Event) -> Value {
    crate::service::feeds::webhooks::event_json(event)
}

/// The `error` of the last notification of a subscription the daemon ended: why, and the
/// `from_index` to resubscribe with so that nothing is missed.
pub fn closed_json(reason: &CloseReason, resume_from: u64) -> Value {
    let error_type = match reason {
        CloseReason::Stalled { .. } => "SubscriberStalled",
        CloseReason::CursorExpired { .. } => "CursorExpired",
        CloseReason::ReadFailed(_) => "DbError",
        CloseReason::ShuttingDown => "ShuttingDown",
        CloseReason::Forbidden(_) => "Forbidden",
    };
    json!({
        "error_type": error_type,
        "error": reason.to_string(),
        "resume_from": resume_from,
    })
}
