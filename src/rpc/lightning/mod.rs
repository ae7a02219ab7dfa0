//! `lightning::*` methods, one file each, grouped by namespace.

pub mod channels;
pub mod events;
pub mod keys;
pub mod nodes;
pub mod offers;
pub mod payments;
pub mod wallet;
