//! Start-up reconciliation: no payment stays pending forever because the node stopped.
//!
//! Run once after the node started and before the RPC server accepts sends (so nothing is
//! being dispatched meanwhile). Rules:
//! - An outbound row still `pending` is compared with LDK's `list_recent_payments()`:
//!   - LDK has it pending: leave it; LDK's retry and events finish it.
//!   - LDK has it fulfilled: mark it succeeded if we know the preimage (keysend), else leave it
//!     for the `PaymentSent` event LDK replays.
//!   - LDK abandoned it: failed, "abandoned by the Lightning engine".
//!   - LDK does not know it: failed, "not in flight after restart" (the node stopped between
//!     writing the intent and handing the payment over, or LDK's state is older).
//! - An inbound invoice still `pending` whose expiry has passed: failed with code
//!   `payment_expired`, "invoice expired unpaid". LDK refuses payments to expired invoices, so it
//!   can never be paid. (A `claimable` row is left alone: LDK replays its claim events.)

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use lightning::ln::channelmanager::RecentPaymentDetails;

use crate::ledger::{
    Direction, FailureCode, LedgerError, Paging, Payment, PaymentFilter, PaymentStatus, MAX_LIMIT,
};
use crate::node::Node;

use super::hub::PaymentHub;

/// What reconciliation changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub outbound_failed: usize,
    pub outbound_succeeded: usize,
    pub outbound_in_flight: usize,
    pub invoices_expired: usize,
}

pub const NOT_IN_FLIGHT_REASON: &str = "not in flight after restart";
pub const INVOICE_EXPIRED_REASON: &str = "invoice expired unpaid";

enum EngineView {
    Pending,
    Fulfilled,
    Abandoned,
}

impl PaymentHub {
    pub async fn reconcile(&self, node: &Node) -> Result<ReconcileReport, LedgerError> {
        let mut engine: HashMap<[u8; 32], EngineView> = HashMap::new();
        for details in node.channel_manager().list_recent_payments() {
            match details {
                RecentPaymentDetails::Pending { payment_hash, .. } => {
                    engine.insert(payment_hash.0, EngineView::Pending);
                }
                RecentPaymentDetails::Fulfilled {
                    payment_hash: Some(h),
                    ..
                } => {
                    engine.insert(h.0, EngineView::Fulfilled);
                }
                RecentPaymentDetails::Abandoned { payment_hash, .. } => {
                    engine.insert(payment_hash.0, EngineView::Abandoned);
                }
                _ => {}
            }
        }
        let pending = self.all_pending().await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut report = ReconcileReport::default();
        for payment in pending {
            let hash = payment.payment_hash;
            let change = match payment.direction {
                Direction::Outbound => match engine.get(&hash) {
                    Some(EngineView::Pending) => {
                        report.outbound_in_flight += 1;
                        None
                    }
                    Some(EngineView::Fulfilled) => match payment.preimage {
                        Some(preimage) => {
                            report.outbound_succeeded += 1;
                            let applied = self
                                .ledger
                                .blocking(move |l| l.mark_succeeded(&hash, &preimage, None, None))
                                .await?;
                            Some(applied.payment)
                        }
                        None => None,
                    },
                    Some(EngineView::Abandoned) => {
                        report.outbound_failed += 1;
                        Some(
                            self.fail(
                                hash,
                                FailureCode::UserAbandoned,
                                "abandoned by the Lightning engine",
                            )
                            .await?,
                        )
                    }
                    None => {
                        report.outbound_failed += 1;
                        Some(
                            self.fail(hash, FailureCode::Other, NOT_IN_FLIGHT_REASON)
                                .await?,
                        )
                    }
                },
                Direction::Inbound => {
                    if payment.status == PaymentStatus::Pending
                        && payment.expires_at.is_some_and(|at| at < now)
                    {
                        report.invoices_expired += 1;
                        Some(
                            self.fail(hash, FailureCode::PaymentExpired, INVOICE_EXPIRED_REASON)
                                .await?,
                        )
                    } else {
                        None
                    }
                }
            };
            if change.is_some() {
                self.notifier.notify(&hash);
            }
        }
        tracing::info!(?report, "payments reconciled with the Lightning engine");
        Ok(report)
    }

    async fn fail(
        &self,
        hash: [u8; 32],
        code: FailureCode,
        reason: &'static str,
    ) -> Result<Payment, LedgerError> {
        let applied = self
            .ledger
            .blocking(move |l| l.mark_failed(&hash, code, reason))
            .await?;
        Ok(applied.payment)
    }

    /// Every pending row, paged through the ledger's keyset paging.
    async fn all_pending(&self) -> Result<Vec<Payment>, LedgerError> {
        let filter = PaymentFilter {
            status: Some(PaymentStatus::Pending),
            ..PaymentFilter::default()
        };
        let mut all = Vec::new();
        let mut paging = Paging::PageNumber(1);
        loop {
            let f = filter.clone();
            let page = self
                .ledger
                .blocking(move |l| l.list_payments(&f, MAX_LIMIT, paging))
                .await?;
            let Some(last) = page.payments.last() else {
                break;
            };
            paging = Paging::FromId(last.payment_hash);
            let full = page.payments.len() == MAX_LIMIT as usize;
            all.extend(page.payments);
            if !full {
                break;
            }
        }
        Ok(all)
    }
}
