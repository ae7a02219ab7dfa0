//! Property-based fuzzing on stable Rust (proptest): hostile input to every parser a client can
//! reach must give a clear error, never a panic, and valid input must survive the trip.
//!
//! Targets: the mmrpc envelope (raw bytes and JSON values), every method's params through the
//! real dispatcher, BTC amounts, keysend custom records, bLIP-10 decoding, BOLT 11 input. (The
//! filter -> SQL path is fuzzed in `tests/ledger.rs`, against its independent computation.)
//!
//! `cargo test` runs a short run; `PROPTEST_CASES=N` (or `scripts/fuzz.sh N`) a long one. A
//! crash found here becomes a named test in `regressions` below.

#[path = "fuzz/bolt11.rs"]
mod bolt11;
#[path = "fuzz/dispatcher.rs"]
mod dispatcher;
#[path = "fuzz/envelope.rs"]
mod envelope;
#[path = "fuzz/records.rs"]
mod records;
#[path = "fuzz/regressions.rs"]
mod regressions;
#[path = "fuzz/strategies.rs"]
mod strategies;
