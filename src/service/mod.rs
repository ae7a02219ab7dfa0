//! Services: the rules between the wire methods (`rpc/`) and the engine (`node/`, `ledger/`).
//! Nothing here knows JSON-RPC or HTTP.

pub mod channels;
pub mod events;
pub mod filter;
pub mod nodes;
pub mod payment_events;
pub mod payments;
pub mod wallet;
