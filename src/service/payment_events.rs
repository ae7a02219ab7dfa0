//! Payment events into the ledger. Owned by the payments layer; until it records payments,
//! this claims every payment whose preimage LDK knows, as the node's `AutoClaimSink` does.

use std::sync::Arc;

use lightning::events::{Event, ReplayEvent};

use crate::ledger::Ledger;
use crate::node::{AutoClaimSink, ChannelManager, NodeEventSink};

/// Applies one payment event (`PaymentClaimable`, `PaymentClaimed`, `PaymentSent`,
/// `PaymentFailed`, path and probe events). Must be idempotent; `Err` makes LDK replay it.
pub async fn apply_payment_event(
    _ledger: &Ledger,
    event: Event,
    channel_manager: &Arc<ChannelManager>,
) -> Result<(), ReplayEvent> {
    AutoClaimSink.payment_event(event, channel_manager).await
}
