//! The HTTP side: bind, serve, read the body, answer with JSON.
//!
//! Every reply is `Content-Type: application/json` and mmrpc-shaped, including the ones for a
//! wrong HTTP method (405), an oversized body (413) and a body that never finished arriving.

use std::future::{Future, IntoFuture};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use tokio::net::TcpListener;

use super::auth::{check_local_only, Authenticator, RateLimit};
use super::batch::process_body;
use super::envelope::render_error;
use super::jsonrpc::{self, JsonRpcModule, JsonRpcSurface, RegisterError, JSONRPC_PATH};
use super::listener::{ConnectionLimitedListener, PeerAddr};
use super::slow_clients::{track_requests, ClientLimits, Connections};
use crate::config::Config;
use crate::rpc::error::{MapToMmResult, MmError, MmResult, RpcError, WireError};
use crate::rpc::{product_router, Router, RpcContext};

/// Failures to start or run the server.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error(
        "no rpc_password is configured (or it is empty); the RPC server refuses to run without one"
    )]
    MissingRpcPassword,
    #[error("failed to bind the RPC server to {addr}: {source}")]
    BindFailed {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the RPC server failed: {0}")]
    ServeFailed(std::io::Error),
    #[error("{0}")]
    JsonRpcModule(#[from] RegisterError),
}

/// Errors of the HTTP request itself, before any mmrpc parsing.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum HttpError {
    /// The HTTP method used; only POST is served.
    #[error("HTTP method {0} is not allowed: send mmrpc requests with POST")]
    MethodNotAllowed(String),
    #[error("Request body is larger than the limit of {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: usize },
    /// The body could not be read (connection error).
    #[error("Failed to read the request body: {0}")]
    BodyReadFailed(String),
    #[error("The request body did not arrive within {timeout_secs} seconds")]
    BodyReadTimeout { timeout_secs: u64 },
    /// Answered by the listener before any request is read (see `slow_clients`).
    #[error("Too many connections from this IP (limit {limit_per_ip}); retry once one closes")]
    TooManyConnections { limit_per_ip: usize },
}

impl RpcError for HttpError {
    fn status(&self) -> StatusCode {
        match self {
            HttpError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::BodyReadFailed(_) => StatusCode::BAD_REQUEST,
            HttpError::BodyReadTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            HttpError::TooManyConnections { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Everything the server needs, shared by all connections.
pub struct RpcServerState {
    pub(crate) router: Router,
    pub(crate) ctx: RpcContext,
    pub(crate) auth: Authenticator,
    /// The JSON-RPC 2.0 surface: `/jsonrpc` here, and the unix socket.
    jsonrpc: Arc<JsonRpcSurface>,
    local_only: bool,
    max_body_bytes: usize,
    max_connections: usize,
    body_read_timeout: Duration,
    client_limits: ClientLimits,
}

impl RpcServerState {
    /// A server over `ctx` routing with `router`; limits and the password come from
    /// `ctx.config()`. Fails without an `rpc_password`, or with an empty one (KDF then accepts an
    /// empty `userpass`, which is a bug).
    pub fn new(ctx: RpcContext, router: Router) -> Result<Self, TransportError> {
        let module = jsonrpc::rpc_module(router.clone(), ctx.clone())?;
        RpcServerState::with_jsonrpc_module(ctx, router, module)
    }

    /// [`RpcServerState::new`] serving `module` on the JSON-RPC surface: a module from
    /// [`jsonrpc::rpc_module`] over the same router and context, to which WebSocket
    /// subscriptions have been added.
    pub fn with_jsonrpc_module(
        ctx: RpcContext,
        router: Router,
        module: JsonRpcModule,
    ) -> Result<Self, TransportError> {
        let cfg = ctx.config();
        let password = cfg
            .rpc_password
            .as_deref()
            .filter(|p| !p.is_empty())
            .ok_or(TransportError::MissingRpcPassword)?;
        let auth = Authenticator::new(
            password,
            RateLimit {
                max_failed_attempts: cfg.rpc_max_failed_attempts,
                window: Duration::from_secs(cfg.rpc_failed_attempts_window_secs),
            },
        )
        .with_keys(ctx.keys().cloned());
        let jsonrpc = Arc::new(JsonRpcSurface::new(module, cfg));
        Ok(RpcServerState {
            jsonrpc,
            local_only: cfg.rpc_local_only,
            max_body_bytes: cfg.rpc_max_body_bytes,
            max_connections: cfg.rpc_max_connections,
            body_read_timeout: Duration::from_secs(cfg.rpc_body_read_timeout_secs),
            client_limits: ClientLimits {
                per_ip: cfg.rpc_max_connections_per_ip,
                header_read: Duration::from_secs(cfg.rpc_header_read_timeout_secs),
                keepalive: Duration::from_secs(cfg.rpc_keepalive_timeout_secs),
            },
            router,
            auth,
            ctx,
        })
    }

    /// The JSON-RPC surface, for the unix socket server.
    pub fn jsonrpc(&self) -> &Arc<JsonRpcSurface> {
        &self.jsonrpc
    }

    /// The daemon's server: every product method over a context made from `config`.
    pub fn from_config(config: Arc<Config>) -> Result<Self, TransportError> {
        RpcServerState::new(RpcContext::new(config), product_router())
    }
}

/// Binds the configured `rpcip:rpcport`.
pub async fn bind(cfg: &Config) -> Result<TcpListener, TransportError> {
    let addr = SocketAddr::new(cfg.rpcip, cfg.rpcport);
    TcpListener::bind(addr)
        .await
        .map_err(|source| TransportError::BindFailed { addr, source })
}

/// How long in-flight requests may run on after the shutdown signal before [`serve`] returns
/// anyway. It bounds shutdown when a client holds a connection mid-request (e.g. sends its
/// headers slowly).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves mmrpc, and JSON-RPC 2.0 at `/jsonrpc`, on `listener` until `shutdown` completes, then stops accepting, lets in-flight
/// requests finish (for up to [`SHUTDOWN_GRACE`]) and returns.
pub async fn serve(
    listener: TcpListener,
    state: Arc<RpcServerState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), TransportError> {
    serve_with_grace(listener, state, shutdown, SHUTDOWN_GRACE).await
}

/// [`serve`] with a chosen grace period.
pub async fn serve_with_grace(
    listener: TcpListener,
    state: Arc<RpcServerState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), TransportError> {
    let connections = Connections::new(state.client_limits);
    let listener =
        ConnectionLimitedListener::new(listener, state.max_connections, Arc::clone(&connections));
    let jsonrpc = Arc::clone(&state.jsonrpc);
    // `/jsonrpc` sits under the same request tracking as mmrpc, so slow or idle clients of
    // either surface are held to the same deadlines.
    let app = axum::Router::new()
        .route(JSONRPC_PATH, any(handle_jsonrpc))
        .fallback(handle_http)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            connections,
            track_requests,
        ));
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<PeerAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        // WebSocket connections run outside axum's connection tracking; this closes them.
        jsonrpc.stop();
        let _ = signalled_tx.send(());
    })
    .into_future();
    let grace_over = async move {
        // If the server ends first the sender is dropped; then this never completes.
        if signalled_rx.await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served.map_err(TransportError::ServeFailed),
        () = grace_over => {
            tracing::warn!(
                "mmrpc server: requests still open {} ms after shutdown; stopping without them",
                grace.as_millis()
            );
            Ok(())
        }
    }
}

async fn handle_http(
    State(state): State<Arc<RpcServerState>>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    request: Request,
) -> Response {
    let (status, body) = answer(&state, peer.ip(), request).await;
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn handle_jsonrpc(
    State(state): State<Arc<RpcServerState>>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    request: Request,
) -> Response {
    jsonrpc::http::handle(
        &state.jsonrpc,
        &state.auth,
        state.local_only,
        peer.ip(),
        request,
    )
    .await
}

async fn answer(
    state: &Arc<RpcServerState>,
    peer: IpAddr,
    request: Request,
) -> (StatusCode, String) {
    if let Err(err) = check_local_only(state.local_only, peer) {
        return error_reply(err);
    }
    if request.method() != Method::POST {
        let method = request.method().to_string();
        return error_reply(MmError::new(HttpError::MethodNotAllowed(method)));
    }
    match read_body(request, state.max_body_bytes, state.body_read_timeout).await {
        Ok(bytes) => process_body(state, peer, &bytes).await,
        Err(err) => error_reply(err),
    }
}

/// Reads the whole body, refusing more than `limit` bytes: at once when `Content-Length` says
/// so, else as soon as the streamed body goes past it.
async fn read_body(
    request: Request,
    limit: usize,
    timeout: Duration,
) -> MmResult<axum::body::Bytes, HttpError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return MmError::err(HttpError::PayloadTooLarge { limit_bytes: limit });
    }
    let body: Body = request.into_body();
    let collected = tokio::time::timeout(timeout, Limited::new(body, limit).collect())
        .await
        .map_to_mm(|_| HttpError::BodyReadTimeout {
            timeout_secs: timeout.as_secs(),
        })?;
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
            MmError::err(HttpError::PayloadTooLarge { limit_bytes: limit })
        }
        Err(err) => MmError::err(HttpError::BodyReadFailed(err.to_string())),
    }
}

fn error_reply<E: RpcError>(err: MmError<E>) -> (StatusCode, String) {
    let wire = WireError::from(err);
    (wire.status(), render_error(None, &wire))
}
