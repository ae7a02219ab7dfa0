//! Payment rules: pure validation and decoding used by the payment methods.
//!
//! Nothing here talks to LDK, SQLite or HTTP; each module turns request params or stored bytes
//! into checked values (or readable typed errors) for the service that does.
//!
//! Every error enum serializes as `{"error_type": "<Variant>", "error_data": <fields>}` (no
//! `error_data` for unit variants), the tagging mmrpc uses for nested errors.

pub mod blip10;
pub mod custom_records;
pub mod decoded_records;
pub mod fee_limit;
pub mod invoice_checks;
pub mod keysend;
pub mod metadata;
