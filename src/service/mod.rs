//! Services: the rules between the wire methods (`rpc/`) and the engine (`node/`, `ledger/`).
//! Nothing here knows JSON-RPC or HTTP.
//!
//! The RPC layer reaches them through one [`Engine`]: `engine.payments()`, `.channels()`,
//! `.nodes()` and `.wallet()` hand out views whose methods are whole operations (every rule,
//! ledger read and LDK call of an RPC method lives behind one of them). Types of the layers
//! below that appear in their answers are re-exported by the service module that answers them.

pub mod channel_filter;
pub mod channels;
pub mod engine;
pub mod events;
pub mod feeds;
pub mod filter;
pub mod keys;
pub mod nodes;
pub mod payments;
pub mod sendpay;
pub mod wallet;

pub use engine::Engine;
