//! Core Lightning's method names, for clients written for CLN: `wait`, and the route-level
//! payments `getroute`, `sendpay`, `waitsendpay`, `listsendpays`.

pub mod error;
pub mod getroute;
pub mod listsendpays;
pub mod sendpay;
pub mod wait;
pub mod waitsendpay;
pub mod wire;
