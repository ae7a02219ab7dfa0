//! Integration tests of the regtest chain (`mmln::regtest` and `mmln chain`) over real HTTP.
//! Answers are checked against `corepc-types` (rust-bitcoin's typed models of Bitcoin Core's
//! JSON-RPC, with unknown and missing fields rejected), not against our own idea of Core.

#[path = "regtest_rpc/common.rs"]
mod common;
#[path = "common/core_rpc.rs"]
mod core_rpc;

#[path = "regtest_rpc/block_sync.rs"]
mod block_sync;
#[path = "regtest_rpc/cli.rs"]
mod cli;
#[path = "regtest_rpc/http.rs"]
mod http;
#[path = "regtest_rpc/mining.rs"]
mod mining;
#[path = "regtest_rpc/persistence.rs"]
mod persistence;
#[path = "regtest_rpc/rejects.rs"]
mod rejects;
#[path = "regtest_rpc/reorg.rs"]
mod reorg;
#[path = "regtest_rpc/shapes.rs"]
mod shapes;
