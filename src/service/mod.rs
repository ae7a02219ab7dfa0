//! Services: the rules between the RPC layer and the engine/ledger.

pub mod payments;
