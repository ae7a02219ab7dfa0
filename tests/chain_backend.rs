//! Integration tests of the Bitcoin Core chain backend (`mmln::chain`) over real HTTP, against
//! a regtest chain (`mmln::regtest`) started in-process on an ephemeral loopback port.

#[path = "common/core_rpc.rs"]
mod core_rpc;
#[path = "chain_backend/support.rs"]
mod support;

#[path = "chain_backend/broadcast.rs"]
mod broadcast;
#[path = "chain_backend/fees.rs"]
mod fees;
#[path = "chain_backend/startup.rs"]
mod startup;
#[path = "chain_backend/sync.rs"]
mod sync;
