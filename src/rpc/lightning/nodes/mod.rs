//! `lightning::nodes::*`: peers, trusted nodes, and our node's summary.

pub mod add_trusted_node;
pub mod connect_to_node;
pub mod error;
pub mod get_info;
pub mod list_trusted_nodes;
pub mod remove_trusted_node;
