//! Services: the rules between the wire methods (`rpc/`) and the engine (`node/`, `ledger/`).
//! Nothing here knows JSON-RPC or HTTP.

pub mod channel_filter;
pub mod channels;
pub mod events;
pub mod feeds;
pub mod filter;
pub mod nodes;
pub mod payments;
pub mod wallet;
