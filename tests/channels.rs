//! Channels, nodes, wallet and activation methods, through HTTP with the schema-validating
//! client, on full daemons (`App::start`) over a regtest chain started by the test.

mod common;

#[path = "channels/bad_inputs.rs"]
mod bad_inputs;
#[path = "channels/force_close.rs"]
mod force_close;
#[path = "channels/lifecycle.rs"]
mod lifecycle;
