//! The `RpcModule`: every method of the router, registered by iterating it.
//!
//! Each JSON-RPC method runs the mmrpc dispatch path unchanged (typed params, `coin` check,
//! handler, result); only the envelope around it differs. Two rules belong to this surface:
//! - `coin` may be left out of a method that takes one: it defaults to the configured ticker.
//!   When given it must match, exactly as on mmrpc.
//! - params may be by name (an object), absent, or an empty array (pyln-client's "no
//!   arguments"); anything else reaches the method's parser and fails with `-32602`.
//!
//! Each call runs in its own task, so a method that panics answers `InternalError` (`-32603`)
//! instead of taking the connection down, as on mmrpc.

use std::sync::Arc;

use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::RpcModule;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::discover::discover_document;
use super::errors::error_object;
use super::subscriptions::register_event_subscription;
use crate::rpc::error::{MmError, WireError};
use crate::rpc::lightning::events::subscribe::SUBSCRIPTION_METHODS;
use crate::rpc::{Router, RpcContext};
use crate::service::keys::Caller;
use crate::transport::batch::BatchError;

/// The method behind `rpc.discover`.
pub const DISCOVER_METHOD: &str = "rpc.discover";

/// What every method of the module shares.
pub struct ModuleState {
    router: Router,
    ctx: RpcContext,
    /// The OpenRPC document of the routed methods.
    discover: Box<RawValue>,
}

/// The JSON-RPC module of a daemon.
pub type JsonRpcModule = RpcModule<ModuleState>;

/// A method name listed twice (a programming error in the router or a later registration).
#[derive(Debug, thiserror::Error)]
#[error("could not register JSON-RPC method: {0}")]
pub struct RegisterError(#[from] jsonrpsee::core::RegisterMethodError);

/// The module serving every method of `router` over `ctx`, plus `rpc.discover`.
///
/// The event feed's WebSocket subscription (`subscribe_events`) is registered here too; it is
/// served on the WebSocket endpoint only.
pub fn rpc_module(router: Router, ctx: RpcContext) -> Result<JsonRpcModule, RegisterError> {
    let names = router.method_names();
    let mut listed = names.clone();
    listed.extend(SUBSCRIPTION_METHODS);
    let discover = discover_document(&listed);
    let takes_coin: Vec<(&'static str, bool)> = names
        .iter()
        .map(|name| (*name, router.takes_coin(name).unwrap_or(false)))
        .collect();
    let mut module = RpcModule::new(ModuleState {
        router,
        ctx,
        discover,
    });
    for (name, takes_coin) in takes_coin {
        module.register_async_method(name, move |params, state, extensions| async move {
            let caller = caller_of(&extensions);
            call_method(state, caller, name, takes_coin, params).await
        })?;
    }
    module.register_method(DISCOVER_METHOD, |_, state, _| {
        Ok::<_, ErrorObjectOwned>(state.discover.clone())
    })?;
    register_event_subscription(&mut module)?;
    Ok(module)
}

impl ModuleState {
    pub(super) fn ctx(&self) -> &RpcContext {
        &self.ctx
    }
}

/// Who is calling: set by `/jsonrpc`'s authentication; a call without it came through the unix
/// socket, which is guarded by its file mode as Core Lightning's is, and is the admin.
pub(super) fn caller_of(extensions: &jsonrpsee::types::Extensions) -> Caller {
    extensions.get::<Caller>().copied().unwrap_or(Caller::Admin)
}

async fn call_method(
    state: Arc<ModuleState>,
    caller: Caller,
    name: &'static str,
    takes_coin: bool,
    params: Params<'static>,
) -> Result<Box<RawValue>, ErrorObjectOwned> {
    let params = mmrpc_params(params.as_str(), takes_coin, state.ctx.coin_ticker());
    let ctx = state.ctx.clone().with_caller(caller);
    let call = state.router.dispatch(ctx, name, params);
    let wire = match tokio::spawn(call).await {
        Ok(Ok(result_json)) => match RawValue::from_string(result_json) {
            Ok(result) => return Ok(result),
            Err(e) => internal_error(format!("the result is not JSON: {e}")),
        },
        Ok(Err(wire)) => wire,
        Err(join_error) if join_error.is_panic() => internal_error("the method panicked".into()),
        Err(_) => internal_error("the task was cancelled".into()),
    };
    Err(error_object(&wire))
}

fn internal_error(reason: String) -> WireError {
    WireError::from(MmError::new(BatchError::InternalError(reason)))
}

/// The params as the mmrpc dispatcher takes them: absent or `[]` is `null`; an object of a
/// method that takes `coin` gets the configured ticker when it names none.
pub(super) fn mmrpc_params(raw: Option<&str>, takes_coin: bool, ticker: &str) -> Value {
    // jsonrpsee has already checked that params are JSON.
    let params = raw
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .unwrap_or(Value::Null);
    let params = match params {
        Value::Array(items) if items.is_empty() => Value::Null,
        other => other,
    };
    if !takes_coin {
        return params;
    }
    match params {
        Value::Null => Value::Object(Map::from_iter([("coin".to_string(), Value::from(ticker))])),
        Value::Object(mut fields) => {
            fields.entry("coin").or_insert_with(|| Value::from(ticker));
            Value::Object(fields)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coin_defaults_to_the_configured_ticker() {
        let t = "tBTC-lightning";
        assert_eq!(mmrpc_params(None, true, t), json!({"coin": t}));
        assert_eq!(mmrpc_params(Some("[]"), true, t), json!({"coin": t}));
        assert_eq!(
            mmrpc_params(Some(r#"{"a":1}"#), true, t),
            json!({"a": 1, "coin": t})
        );
        // Given, it is kept, so the dispatcher's check refuses a wrong one.
        assert_eq!(
            mmrpc_params(Some(r#"{"coin":"KMD"}"#), true, t),
            json!({"coin": "KMD"})
        );
        // Positional params are left for the method's parser to refuse.
        assert_eq!(mmrpc_params(Some("[1]"), true, t), json!([1]));
    }

    #[test]
    fn methods_without_coin_get_params_as_sent() {
        assert_eq!(mmrpc_params(None, false, "x"), Value::Null);
        assert_eq!(mmrpc_params(Some("[]"), false, "x"), Value::Null);
        assert_eq!(
            mmrpc_params(Some(r#"{"a":1}"#), false, "x"),
            json!({"a": 1})
        );
    }
}
