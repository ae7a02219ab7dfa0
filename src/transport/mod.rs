//! The mmrpc 2.0 HTTP transport (server, envelope, authentication, batches) and the JSON-RPC 2.0
//! surface beside it.
//!
//! - [`server`]: bind, serve with a shutdown future, read bodies with a size limit, JSON replies.
//! - [`listener`]: the connection limits.
//! - [`slow_clients`]: per-IP limits and per-connection deadlines for slow or idle clients.
//! - [`envelope`]: request parsing and reply writing.
//! - [`auth`]: local-only rule, `userpass`, failed-attempt limit.
//! - [`batch`]: single requests and concurrent batches.
//! - [`jsonrpc`]: JSON-RPC 2.0 on jsonrpsee: `/jsonrpc` (HTTP and WebSocket) on the same port,
//!   and the unix socket.
//!
//! # Starting the server (app start-up)
//!
//! ```no_run
//! # async fn start(config: std::sync::Arc<mmln::config::Config>) -> Result<(), mmln::transport::TransportError> {
//! use std::sync::Arc;
//! use mmln::transport::{bind, serve, RpcServerState};
//!
//! // Bind first, so a taken port fails start-up before anything else runs.
//! let listener = bind(&config).await?;
//! // Once the node exists, build an `RpcContext` holding its handles and use
//! // `RpcServerState::new(ctx, mmln::rpc::product_router())` instead.
//! let state = Arc::new(RpcServerState::from_config(config)?);
//! let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(serve(listener, state, async {
//!     let _ = stop_rx.await;
//! }));
//! // ... on shutdown: stop the server first (in-flight requests finish), then the node.
//! let _ = stop_tx.send(());
//! let _ = server.await;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod batch;
pub mod envelope;
pub mod jsonrpc;
pub mod listener;
pub mod server;
pub mod slow_clients;

pub use server::{
    bind, serve, serve_with_grace, HttpError, RpcServerState, TransportError, SHUTDOWN_GRACE,
};
