//! Shared code for the integration tests: include with `mod common;`.
//!
//! - `spec`: `rpc-spec/` loaded and compiled (local `$ref`s, custom formats).
//! - `check`: validation of one request or response against it.
//! - `client`: the mmrpc client that validates every request and response it exchanges.
//! - `jsonrpc`: the JSON-RPC 2.0 client (HTTP, WebSocket, unix socket) that validates every
//!   answer.
//! - `daemons`: real `mmln run` processes on an in-process regtest chain, to kill and restart.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

pub mod check;
pub mod client;
pub mod jsonrpc;
pub mod daemons;
pub mod spec;

pub use client::{RpcClient, RpcResponse};
pub use jsonrpc::{JsonRpcClient, Surface};
