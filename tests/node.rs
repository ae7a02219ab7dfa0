//! Node engine tests: real nodes over loopback TCP on an in-process regtest chain.

mod common;

#[path = "node/channels.rs"]
mod channels;
#[path = "node/errors.rs"]
mod errors;
#[path = "node/migration.rs"]
mod migration;
#[path = "node/peers.rs"]
mod peers;
#[path = "node/reconcile.rs"]
mod reconcile;
#[path = "node/wallet.rs"]
mod wallet;
