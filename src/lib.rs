//! mmln: a Lightning Network node daemon that speaks Komodo's mmrpc 2.0.
//!
//! Data flows one way, and each layer knows only the layer below it:
//!
//! ```text
//! transport/  HTTP POST, mmrpc envelope, auth, batch, HTTP status
//! rpc/        method name -> typed params -> handler; wire errors
//! service/    payments, channels, nodes, wallet: the rules
//! node/       LDK + BDK engine          ledger/  SQLite payment ledger
//! chain/      Bitcoin Core JSON-RPC backend (blocks, fees, broadcast)
//! ```
//!
//! `regtest/` is a development chain that answers the subset of Bitcoin Core's JSON-RPC the
//! daemon uses, so that tests and the sandbox run the production chain code path.

pub mod app;
pub mod bench;
pub mod chain;
pub mod config;
pub mod kvstore;
pub mod ledger;
pub mod node;
pub mod regtest;
pub mod rpc;
pub mod sandbox;
pub mod service;
pub mod transport;
