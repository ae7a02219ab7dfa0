//! WebSocket subscriptions: `subscribe_events` streams the event log to one connection.
//!
//! The feed's pump ([`crate::service::feeds::subscribe`]) reads the log from the cursor into a
//! bounded queue (`event_subscription_buffer`) and waits when it is full; this forwarder moves
//! queue items into the connection's own bounded buffer. A subscriber that reads slowly is
//! therefore served at its own pace from the log, never buffered for. One that stops reading
//! (no notification taken for `event_subscription_stall_secs` while the connection's buffer is
//! full) is closed with `SubscriberStalled` and the index to resume from, so it does not hold
//! a pump and a full buffer forever.
//!
//! The caller's key is checked when the subscription opens (`subscribe_events` is a read), and
//! the subscription is closed with `Forbidden` the moment that key is revoked or expires.
//!
//! On HTTP and the unix socket jsonrpsee answers `subscribe_events` with an error: a
//! subscription needs a connection that stays open.

use std::time::Duration;

use jsonrpsee::core::server::{PendingSubscriptionSink, SubscriptionMessage};
use jsonrpsee::core::SubscriptionError;
use jsonrpsee::types::Params;
use serde_json::value::RawValue;
use serde_json::Value;

use super::errors::error_object;
use super::module::{caller_of, mmrpc_params, JsonRpcModule, ModuleState, RegisterError};
use crate::rpc::dispatcher::authorize;
use crate::rpc::error::WireError;
use crate::rpc::lightning::events::subscribe::{
    closed_json, event_json, open, NOTIFICATION_METHOD, SUBSCRIBE_METHOD, UNSUBSCRIBE_METHOD,
};
use crate::service::feeds::subscribe::CloseReason;
use crate::service::feeds::SubscriptionItem;
use crate::service::keys::{Access, Caller};

/// Adds `subscribe_events` / `unsubscribe_events` to `module`.
pub fn register_event_subscription(module: &mut JsonRpcModule) -> Result<(), RegisterError> {
    module.register_subscription(
        SUBSCRIBE_METHOD,
        NOTIFICATION_METHOD,
        UNSUBSCRIBE_METHOD,
        |params, pending, state, extensions| follow(params, pending, state, caller_of(&extensions)),
    )?;
    Ok(())
}

async fn follow(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    state: std::sync::Arc<ModuleState>,
    caller: Caller,
) -> Result<(), SubscriptionError> {
    let ctx = &state.ctx().clone().with_caller(caller);
    if let Err(refused) = authorize(ctx, SUBSCRIBE_METHOD, Access::Read) {
        pending
            .reject(error_object(&WireError::from(refused)))
            .await;
        return Ok(());
    }
    // Resolves when the caller's key is revoked or expires (never for the admin).
    let keys = ctx.keys().cloned();
    let unusable = async move {
        match keys {
            Some(keys) => keys.unusable(caller).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(unusable);
    let stall = Duration::from_secs(ctx.config().event_subscription_stall_secs);
    let params = mmrpc_params(params.as_str(), true, ctx.coin_ticker());
    let mut subscription = match open(ctx, &params).await {
        Ok(subscription) => subscription,
        Err(wire) => {
            pending.reject(error_object(&wire)).await;
            return Ok(());
        }
    };
    let from_index = params.get("from_index").and_then(Value::as_u64);
    let mut resume_from = from_index.unwrap_or(0);
    let Ok(sink) = pending.accept().await else {
        return Ok(()); // the client went away before the answer
    };
    loop {
        let item = tokio::select! {
            item = subscription.items.recv() => item,
            () = sink.closed() => return Ok(()), // unsubscribed or disconnected
            denied = &mut unusable => {
                return Err(close(&CloseReason::Forbidden(denied.to_string()), resume_from));
            }
        };
        let event = match item {
            Some(SubscriptionItem::Event(event)) => event,
            Some(SubscriptionItem::Closed {
                reason,
                resume_from,
            }) => return Err(close(&reason, resume_from)),
            // The pump stopped without a reason: the ledger is shutting down.
            None => return Err(close(&CloseReason::ShuttingDown, resume_from)),
        };
        let next = event.event_index + 1;
        let message = SubscriptionMessage::from(raw(&event_json(&event)));
        match sink.send_timeout(message, stall).await {
            Ok(()) => resume_from = next,
            Err(jsonrpsee::core::server::SendTimeoutError::Timeout(_)) => {
                let reason = CloseReason::Stalled {
                    secs: stall.as_secs(),
                };
                return Err(close(&reason, event.event_index));
            }
            Err(jsonrpsee::core::server::SendTimeoutError::Closed(_)) => return Ok(()),
        }
    }
}

fn close(reason: &CloseReason, resume_from: u64) -> SubscriptionError {
    SubscriptionError::from_json(raw(&closed_json(reason, resume_from)))
}

fn raw(value: &Value) -> Box<RawValue> {
    // A Value always writes as JSON.
    serde_json::value::to_raw_value(value).unwrap_or_default()
}
