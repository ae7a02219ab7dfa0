//! [`Engine`]: the running node, its ledger and the payments hub, as the services reach them.
//!
//! The RPC layer holds one `Engine` and asks it for a service view (`engine.channels()`,
//! `engine.payments()`, ...); each view method is one whole operation. So an `rpc/` handler
//! never names the node or the ledger, and every rule stays on this side of the line.

use std::sync::Arc;

use crate::ledger::Ledger;
use crate::node::Node;

use super::channels::Channels;
use super::feeds::Feeds;
use super::keys::KeyRing;
use super::nodes::Nodes;
use super::payments::{PaymentHub, Payments};
use super::sendpay::Sendpays;
use super::wallet::Wallet;

/// The running engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Engine {
    node: Arc<Node>,
    ledger: Ledger,
    payments: PaymentHub,
    keys: Arc<KeyRing>,
}

impl Engine {
    /// `payments` must be the hub the node's event sink feeds, so that a send waiting for its
    /// outcome is woken by the event that settles it.
    pub fn new(node: Arc<Node>, ledger: Ledger, payments: PaymentHub, keys: Arc<KeyRing>) -> Self {
        Engine {
            node,
            ledger,
            payments,
            keys,
        }
    }

    /// The access keys: authentication, scopes, budgets.
    pub fn keys(&self) -> &Arc<KeyRing> {
        &self.keys
    }

    /// Invoices, sends and the payment ledger.
    pub fn payments(&self) -> Payments<'_> {
        Payments::new(&self.payments, &self.node, &self.keys)
    }

    /// Core Lightning's route-level payments (`sendpay`, `waitsendpay`, `listsendpays`,
    /// `getroute`) and `estimate_fee`.
    pub fn sendpays(&self) -> Sendpays<'_> {
        Sendpays::new(&self.payments, &self.node)
    }

    /// Opening, closing and listing channels, and the closed-channel history.
    pub fn channels(&self) -> Channels<'_> {
        Channels::new(&self.node, &self.ledger)
    }

    /// Peers, trusted nodes and the node's summary.
    pub fn nodes(&self) -> Nodes<'_> {
        Nodes::new(&self.node)
    }

    /// The event log, Core Lightning's `wait` and webhook deliveries.
    pub fn feeds(&self) -> Feeds<'_> {
        Feeds::new(&self.ledger)
    }

    /// The on-chain wallet.
    pub fn wallet(&self) -> Wallet<'_> {
        Wallet::new(&self.node)
    }
}
