//! The typed method router: method name -> typed params -> handler -> result JSON.
//!
//! A [`Router`] is a table from wire name to a monomorphised call function, one per
//! [`RpcMethod`]. The product table is built in [`super::registry`]; tests may build their own
//! table to exercise the dispatcher with methods of their own.
//!
//! The dispatcher's own errors are created in this file, so their `error_path` is `dispatcher`,
//! as in KDF.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::coin::{check_lightning_coin, CoinError, CoinParam};
use super::context::RpcContext;
use super::error::{MapMmError, MapToMmResult, MmError, MmResult, RpcError, WireError};
use super::method::RpcMethod;
use crate::service::keys::{Access, Caller};

/// Errors of routing and parsing a call, before and after the method's own code.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum DispatcherError {
    #[error("No such method")]
    NoSuchMethod,
    /// The params did not parse into the method's params type; the serde message.
    #[error("Error parsing request: {0}")]
    InvalidRequest(String),
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("Lightning network is not supported for {0}")]
    UnsupportedCoin(String),
    /// The caller's access key may not call this method (scope, revoked, expired); the text
    /// says why.
    #[error("{0}")]
    Forbidden(String),
    /// The method's result could not be written as JSON (a bug in the result type).
    #[error("Failed to serialize the result: {0}")]
    SerializeResultFailed(String),
}

impl RpcError for DispatcherError {
    fn status(&self) -> StatusCode {
        match self {
            DispatcherError::NoSuchMethod
            | DispatcherError::InvalidRequest(_)
            | DispatcherError::UnsupportedCoin(_) => StatusCode::BAD_REQUEST,
            DispatcherError::NoSuchCoin(_) => StatusCode::NOT_FOUND,
            DispatcherError::Forbidden(_) => StatusCode::FORBIDDEN,
            DispatcherError::SerializeResultFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<CoinError> for DispatcherError {
    fn from(err: CoinError) -> Self {
        match err {
            CoinError::NoSuchCoin(ticker) => DispatcherError::NoSuchCoin(ticker),
            CoinError::UnsupportedCoin(ticker) => DispatcherError::UnsupportedCoin(ticker),
        }
    }
}

/// The future of one call: the result serialized as JSON text (so the result type's field
/// order is kept), or the rendered error.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<String, WireError>> + Send>>;

type CallFn = fn(RpcContext, Value) -> CallFuture;

/// One listed method: how to call it, and what a surface needs to know about it.
#[derive(Clone, Copy)]
struct Entry {
    call: CallFn,
    /// [`RpcMethod::TAKES_COIN`]: the JSON-RPC surface fills in an omitted `coin`.
    takes_coin: bool,
    /// Which access keys may call it.
    access: Access,
}

/// A table of methods by wire name.
#[derive(Default, Clone)]
pub struct Router {
    methods: HashMap<&'static str, Entry>,
}

impl Router {
    /// An empty table.
    pub fn new() -> Self {
        Router::default()
    }

    /// Adds method `M`.
    ///
    /// # Panics
    /// If a method of the same name is already listed: that is a programming error in the
    /// registry, caught by the registry's tests, never caused by input.
    pub fn with<M: RpcMethod>(self) -> Self {
        self.with_access::<M>(Access::Admin)
    }

    /// Adds method `M`, which reads only (`readonly` keys may call it).
    pub fn read<M: RpcMethod>(self) -> Self {
        self.with_access::<M>(Access::Read)
    }

    /// Adds method `M` of class `access` (see `service/keys/scope.rs`).
    pub fn with_access<M: RpcMethod>(mut self, access: Access) -> Self {
        let entry = Entry {
            call: call::<M>,
            takes_coin: M::TAKES_COIN,
            access,
        };
        let previous = self.methods.insert(M::NAME, entry);
        assert!(previous.is_none(), "method {} listed twice", M::NAME);
        self
    }

    /// The wire names of all listed methods, sorted.
    pub fn method_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.methods.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Whether `method` takes a `coin` param; `None` when no such method is listed.
    pub fn takes_coin(&self, method: &str) -> Option<bool> {
        self.methods.get(method).map(|entry| entry.takes_coin)
    }

    /// The access class of `method`; `None` when no such method is listed.
    pub fn access(&self, method: &str) -> Option<Access> {
        self.methods.get(method).map(|entry| entry.access)
    }

    /// Calls `method` with `params`. The returned future owns everything it needs. The
    /// caller's key is checked here, for every surface, before params are parsed.
    pub fn dispatch(&self, ctx: RpcContext, method: &str, params: Value) -> CallFuture {
        match self.methods.get(method) {
            Some(entry) => match authorize(&ctx, method, entry.access) {
                Ok(()) => (entry.call)(ctx, params),
                Err(err) => Box::pin(std::future::ready(Err(WireError::from(err)))),
            },
            None => {
                let err = WireError::from(MmError::new(DispatcherError::NoSuchMethod));
                Box::pin(std::future::ready(Err(err)))
            }
        }
    }
}

/// Whether the caller of `ctx` may call `method` of class `access`: the one check of scopes,
/// revocation and expiry, for every method on every surface (and the WebSocket subscription).
pub(crate) fn authorize(
    ctx: &RpcContext,
    method: &str,
    access: Access,
) -> MmResult<(), DispatcherError> {
    let caller = ctx.caller();
    if caller == Caller::Admin {
        return Ok(());
    }
    match ctx.keys() {
        Some(keys) => keys
            .authorize(caller, method, access)
            .map_to_mm(|denied| DispatcherError::Forbidden(denied.to_string())),
        // Keys are checked against the engine's ring; without one no key can have
        // authenticated, so refuse rather than assume.
        None => MmError::err(DispatcherError::Forbidden(
            "access keys need the running engine".into(),
        )),
    }
}

fn call<M: RpcMethod>(ctx: RpcContext, raw: Value) -> CallFuture {
    Box::pin(async move {
        let params = parse_params::<M>(&ctx, &raw).map_err(WireError::from)?;
        drop(raw);
        let output = M::handle(&ctx, params).await.map_err(WireError::from)?;
        serde_json::to_string(&output)
            .map_to_mm(|e| DispatcherError::SerializeResultFailed(e.to_string()))
            .map_err(WireError::from)
    })
}

/// Parses `raw` into `M::Params`, then checks `coin` if `M` takes one. The full parse comes
/// first, as in KDF, so a malformed request is `InvalidRequest` whatever its coin.
fn parse_params<M: RpcMethod>(
    ctx: &RpcContext,
    raw: &Value,
) -> MmResult<M::Params, DispatcherError> {
    parse_params_of::<M::Params>(ctx, raw, M::TAKES_COIN)
}

/// [`parse_params`] for what is not an [`RpcMethod`] (a WebSocket subscription).
pub(crate) fn parse_params_of<P: DeserializeOwned>(
    ctx: &RpcContext,
    raw: &Value,
    takes_coin: bool,
) -> MmResult<P, DispatcherError> {
    let params =
        P::deserialize(raw).map_to_mm(|e| DispatcherError::InvalidRequest(e.to_string()))?;
    if takes_coin {
        let CoinParam { coin } = CoinParam::deserialize(raw)
            .map_to_mm(|e| DispatcherError::InvalidRequest(e.to_string()))?;
        check_lightning_coin(ctx.coin_ticker(), &coin).map_mm_err::<DispatcherError>()?;
    }
    Ok(params)
}

#[cfg(test)]
#[path = "dispatcher_tests.rs"]
mod tests;
