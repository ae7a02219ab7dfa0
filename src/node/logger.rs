//! LDK's log records, forwarded to `tracing` under the target `ldk`, tagged with the node.

use lightning::util::logger::{Level, Logger, Record};

pub struct NodeLogger {
    /// A short tag (node id prefix or alias) so logs of several in-process nodes can be told apart.
    node: String,
}

impl NodeLogger {
    pub fn new(node: String) -> Self {
        NodeLogger { node }
    }
}

impl Logger for NodeLogger {
    fn log(&self, record: Record) {
        let node = self.node.as_str();
        let module = record.module_path;
        let args = &record.args;
        // The only place LDK 0.2 gives a failed path's BOLT 4 code (see `onion_errors`).
        if let (Some(hash), true) = (record.payment_hash, module.ends_with("onion_utils")) {
            super::onion_errors::note(hash.0, &args.to_string());
        }
        match record.level {
            Level::Gossip | Level::Trace => tracing::trace!(target: "ldk", node, module, "{args}"),
            Level::Debug => tracing::debug!(target: "ldk", node, module, "{args}"),
            Level::Info => tracing::info!(target: "ldk", node, module, "{args}"),
            Level::Warn => tracing::warn!(target: "ldk", node, module, "{args}"),
            Level::Error => tracing::error!(target: "ldk", node, module, "{args}"),
        }
    }
}
