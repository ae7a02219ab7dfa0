//! The mmrpc 2.0 transport, driven through real HTTP on loopback, as a client would.
//! Each test starts its own server on port 0.

#[path = "transport/common.rs"]
mod common;
#[path = "transport/test_methods.rs"]
mod test_methods;

#[path = "transport/auth.rs"]
mod auth;
#[path = "transport/batch.rs"]
mod batch;
#[path = "transport/envelope.rs"]
mod envelope;
#[path = "transport/fuzz.rs"]
mod fuzz;
#[path = "transport/http.rs"]
mod http;
#[path = "transport/slow_clients.rs"]
mod slow_clients;
