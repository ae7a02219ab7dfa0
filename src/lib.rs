//! mmln: a Lightning Network node daemon that speaks Komodo's mmrpc 2.0.
//!
//! Data flows one way, and each layer knows only the layer below it:
//!
//! ```text
//! transport/  HTTP POST, mmrpc envelope, auth, limits, batch, HTTP status
//! rpc/        the one method registry; per method: params -> ONE service call -> result,
//!             and the method's wire error enum (one error.rs per namespace)
//! service/    payments, channels, nodes, wallet, events: every rule, every ledger read,
//!             every LDK call; reached from rpc/ through service::Engine
//! node/       LDK + BDK engine (no SQL, no JSON)    ledger/  SQLite ledger (no LDK)
//! chain/      Bitcoin Core JSON-RPC backend (blocks, fees, broadcast, lookups)
//! ```
//!
//! An `rpc/` file never names `node/`, `ledger/` or `chain/`: the types of those layers that
//! appear in answers are re-exported by the service module that answers them. `config/` sits
//! below everything and imports none of it. Events flow back up one path: an LDK event goes to
//! `service/events`, which applies it to the ledger before acknowledging it.
//!
//! `app` starts and stops a daemon in numbered steps. `regtest/` is a development chain that
//! answers the subset of Bitcoin Core's JSON-RPC the daemon uses, so that tests and the
//! `sandbox/` run the production chain code path; `bench/` drives a network through the public
//! API.

// No unwrap or expect on the daemon's paths: input and I/O errors are typed. Tests may use them.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod bench;
pub mod chain;
pub mod config;
pub mod data_dir_lock;
pub mod kvstore;
pub mod ledger;
pub mod node;
pub mod regtest;
pub mod rpc;
pub mod sandbox;
pub mod service;
pub mod sqlite_check;
pub mod transport;
