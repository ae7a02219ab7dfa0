//! The JSON-RPC 2.0 surface, on jsonrpsee, fed from the same router as mmrpc.
//!
//! One [`JsonRpcModule`] (built by [`rpc_module`] from the router) is served three ways:
//! - HTTP POST at `/jsonrpc` on the mmrpc port ([`http`], routed by the mmrpc server);
//! - WebSocket on the same path (the same handler: jsonrpsee's service upgrades it);
//! - a unix socket speaking Core Lightning's framing ([`socket`]).
//!
//! - [`module`]: the methods, the `coin` default, `rpc.discover`;
//! - [`calls`]: notifications executed, batch elements run concurrently;
//! - [`errors`] and [`codes`]: mmrpc errors as JSON-RPC error objects;
//! - [`discover`]: the OpenRPC document generated from `rpc-spec/` at build time.

pub mod calls;
pub mod codes;
pub mod discover;
pub mod errors;
pub mod http;
pub mod module;
pub mod socket;
pub mod subscriptions;

use jsonrpsee::core::middleware::RpcServiceBuilder;
use jsonrpsee::server::{
    stop_channel, Methods, ServerBuilder, ServerConfig, ServerHandle, StopHandle, TowerService,
    TowerServiceBuilder,
};
use tower::layer::util::{Identity, Stack};

pub use module::{rpc_module, JsonRpcModule, RegisterError, DISCOVER_METHOD};

use self::calls::CallsLayer;
use crate::config::Config;

/// The path of the JSON-RPC endpoint on the mmrpc port, for HTTP and WebSocket.
pub const JSONRPC_PATH: &str = "/jsonrpc";

/// Largest answer: mmrpc sets none, so neither does this surface (requests are bounded by
/// `rpc_max_body_bytes`).
const MAX_RESPONSE_BYTES: u32 = u32::MAX;

type Middleware = Stack<CallsLayer, Identity>;

/// jsonrpsee's HTTP answer to a notification (or a batch of only notifications) is the body
/// `null`; JSON-RPC 2.0 says such a request gets no answer, so the surfaces send nothing.
pub(crate) fn is_notification_ack(body: &[u8]) -> bool {
    body == b"null"
}

/// The jsonrpsee service of one daemon, shared by its HTTP, WebSocket and unix-socket
/// listeners.
pub struct JsonRpcSurface {
    methods: Methods,
    builder: TowerServiceBuilder<Middleware, Identity>,
    stop_handle: StopHandle,
    server_handle: ServerHandle,
}

/// A jsonrpsee service for one HTTP request, WebSocket connection or socket request.
pub type JsonRpcService = TowerService<Middleware, Identity>;

impl JsonRpcSurface {
    /// Serves `module` with the limits of `cfg`.
    pub fn new(module: JsonRpcModule, cfg: &Config) -> Self {
        let (stop_handle, server_handle) = stop_channel();
        let server_config = ServerConfig::builder()
            .max_request_body_size(u32::try_from(cfg.rpc_max_body_bytes).unwrap_or(u32::MAX))
            .max_response_body_size(MAX_RESPONSE_BYTES)
            .max_connections(u32::try_from(cfg.rpc_max_connections).unwrap_or(u32::MAX))
            .build();
        let calls = CallsLayer {
            max_response_bytes: MAX_RESPONSE_BYTES as usize,
        };
        let builder = ServerBuilder::with_config(server_config)
            .set_rpc_middleware(RpcServiceBuilder::new().layer(calls))
            .to_service_builder();
        JsonRpcSurface {
            methods: module.into(),
            builder,
            stop_handle,
            server_handle,
        }
    }

    /// A service for one HTTP request or WebSocket connection.
    pub fn service(&self) -> JsonRpcService {
        self.builder
            .clone()
            .build(self.methods.clone(), self.stop_handle.clone())
    }

    /// Closes open WebSocket connections; called when the daemon shuts down.
    pub fn stop(&self) {
        // An error means it was already stopped.
        let _ = self.server_handle.stop();
    }
}
