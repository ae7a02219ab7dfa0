//! `lightning::keys::*`: access keys (admin only): create, list, revoke, usage.

pub mod create;
pub mod error;
pub mod list;
pub mod revoke;
pub mod usage;
pub mod view;
