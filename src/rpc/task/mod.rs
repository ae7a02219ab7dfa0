//! `task::*`: KDF's long-running task methods, for drop-in compatibility.

pub mod enable_lightning;
pub mod error;
