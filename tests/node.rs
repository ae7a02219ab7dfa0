//! Node engine tests: real nodes over loopback TCP on an in-process regtest chain.

#[path = "node/harness.rs"]
mod harness;

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
