//! Payment events into the ledger: the seam between the node's event sink and the payments
//! service (`service/payments/events.rs` has the rules).

use std::sync::Arc;

use lightning::events::{Event, ReplayEvent};

use crate::ledger::Ledger;
use crate::node::ChannelManager;
use crate::service::payments::PaymentHub;

/// Applies one payment event (`PaymentClaimable`, `PaymentClaimed`, `PaymentSent`,
/// `PaymentFailed`, path and probe events). Idempotent; `Err` makes LDK replay it.
pub async fn apply_payment_event(
    ledger: &Ledger,
    event: Event,
    channel_manager: &Arc<ChannelManager>,
) -> Result<(), ReplayEvent> {
    PaymentHub::for_ledger(ledger)
        .apply_payment_event(event, channel_manager)
        .await
}
