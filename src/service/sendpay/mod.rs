//! Core Lightning's route-level payments: `sendpay`, `waitsendpay`, `listsendpays`,
//! `getroute`, and mmln's `estimate_fee` beside them.
//!
//! - `amounts`: CLN's amount forms;
//! - `route`: `BLOCKxTXxOUT` and CLN hops to and from LDK paths;
//! - `send`: `sendpay` (intent first, idempotency in `Ledger::sendpay_begin`, MPP gathering);
//! - `wait`: `waitsendpay` and `listsendpays`;
//! - `failure`: CLN's routing-failure object and error codes from LDK's path failures;
//! - `routing`: `getroute` and `estimate_fee` over the network graph and our channels.
//!
//! MPP on LDK 0.2: LDK cannot send one part of a payment whose total is larger than the part
//! (that needs `total_mpp_amount_msat`, LDK 0.3). So parts with the same hash and `groupid`
//! are gathered until their amounts add up to `amount_msat`, then sent together as one
//! multi-path payment; a set still incomplete after `sendpay_mpp_timeout_secs` (60 s) fails.

pub mod amounts;
pub mod failure;
pub mod route;
pub mod routing;
pub mod send;
pub mod wait;

use std::sync::Arc;

use crate::node::Node;
use crate::service::payments::PaymentHub;

pub use crate::ledger::{PartFailure, SendpayListFilter, SendpayPart, SendpayStatus};
pub use amounts::{parse_msat, AmountError};
pub use route::{format_scid, parse_scid, ClnHop, RouteError};
pub use routing::{FeeEstimate, FeeQuery, RouteQuery, RoutedHop, RoutingError};
pub use send::{SendpayError, SendpayOutcome, SendpayRequest};
pub use wait::{WaitError, WaitQuery};

/// The CLN payment methods over the running node (see [`crate::service::Engine::sendpays`]).
pub struct Sendpays<'a> {
    hub: &'a PaymentHub,
    node: &'a Arc<Node>,
}

impl<'a> Sendpays<'a> {
    pub(crate) fn new(hub: &'a PaymentHub, node: &'a Arc<Node>) -> Self {
        Sendpays { hub, node }
    }

    /// `sendpay`: records the part, then hands its group to LDK once complete.
    pub async fn sendpay(&self, request: SendpayRequest) -> Result<SendpayOutcome, SendpayError> {
        send::sendpay(self.hub, self.node, request).await
    }

    /// `waitsendpay`: the part once final, or `WaitError::Timeout`.
    pub async fn waitsendpay(&self, query: WaitQuery) -> Result<SendpayPart, WaitError> {
        wait::waitsendpay(self.hub, query).await
    }

    /// `listsendpays`.
    pub async fn listsendpays(
        &self,
        filter: SendpayListFilter,
        by_updated: bool,
        start: u64,
        limit: u32,
    ) -> Result<Vec<SendpayPart>, WaitError> {
        wait::listsendpays(self.hub, filter, by_updated, start, limit).await
    }

    /// `getroute`.
    pub fn getroute(&self, query: RouteQuery) -> Result<Vec<RoutedHop>, RoutingError> {
        routing::getroute(self.node, query)
    }

    /// `lightning::payments::estimate_fee`.
    pub fn estimate_fee(&self, query: FeeQuery) -> Result<FeeEstimate, RoutingError> {
        routing::estimate_fee(self.node, query)
    }
}
