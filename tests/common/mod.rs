//! Shared code for the integration tests: include with `mod common;`. This is the one harness.
//!
//! - `spec`: `rpc-spec/` loaded and compiled (local `$ref`s, custom formats).
//! - `check`: validation of one request or response against it.
//! - `client`: the mmrpc client that validates every request and response it exchanges.
//! - `core_rpc`: the one raw Bitcoin Core JSON-RPC client.
//! - `chain`: the regtest chain a test starts, mining, and bounded waits.
//! - `node`: in-process LDK nodes on that chain (node engine tests).
//! - `daemon`: full daemons on that chain, in-process, driven over HTTP (method tests).
//! - `jsonrpc`: the JSON-RPC 2.0 client (HTTP, WebSocket, unix socket) that validates every
//!   answer.
//! - `daemons`: real `mmln run` processes on an in-process regtest chain, to kill and restart.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

pub mod chain;
pub mod check;
pub mod client;
pub mod core_rpc;
pub mod daemon;
pub mod daemons;
pub mod jsonrpc;
pub mod node;
pub mod spec;
pub mod subscription;

pub use chain::{burn_address, mine_until, mine_until_sync, wait_until, Chain, WAIT};
pub use client::{RpcClient, RpcResponse};
pub use core_rpc::CoreClient;
pub use daemon::{daemon_config, Daemon, COIN, PASSWORD};
pub use jsonrpc::{JsonRpcClient, Surface};
pub use node::*;
