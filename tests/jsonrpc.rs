//! The JSON-RPC 2.0 surface, driven through the real servers as a client would: HTTP POST and
//! WebSocket at `/jsonrpc` on the mmrpc port, and the unix socket.
//! - `errors`, `batch`, `auth`, `socket`, `discover`: a server without a Lightning node (the
//!   product methods plus test methods), one per test;
//! - `keys`: access keys on two real daemons (scopes on both surfaces, budgets, revocation);
//! - `network`: every routed method on a real sandbox network answers the same over mmrpc and
//!   the three JSON-RPC surfaces.

mod common;

#[path = "transport/test_methods.rs"]
mod test_methods;

#[path = "jsonrpc/server.rs"]
mod server;

#[path = "jsonrpc/auth.rs"]
mod auth;
#[path = "jsonrpc/batch.rs"]
mod batch;
#[path = "jsonrpc/discover.rs"]
mod discover;
#[path = "jsonrpc/errors.rs"]
mod errors;
#[path = "jsonrpc/keys.rs"]
mod keys;
#[path = "jsonrpc/network.rs"]
mod network;
#[path = "jsonrpc/socket.rs"]
mod socket;
