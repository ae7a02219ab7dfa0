//! Start-up reconciliation: no payment stays pending forever because the node stopped.
//!
//! Run once after the node started and before the RPC server accepts sends (so nothing is
//! being dispatched meanwhile). Rules:
//! - An outbound row still `pending` is compared with LDK's `list_recent_payments()` entry for
//!   the row's current attempt (its `PaymentId`, see `send::payment_id_for`). Keyed by id, not
//!   by hash: after a retry LDK may still list the earlier, abandoned attempt under the same
//!   hash, and that must not fail the retry that is in flight (a client would then retry again
//!   and pay twice).
//!   - LDK has it pending: leave it; LDK's retry and events finish it.
//!   - LDK has it fulfilled: mark it succeeded if we know the preimage (keysend), else leave it
//!     for the `PaymentSent` event LDK replays.
//!   - LDK abandoned it: leave it too. LDK lists a payment as abandoned from the moment it stops
//!     retrying until its last HTLC resolves, and only then emits `PaymentFailed` (or
//!     `PaymentSent`, if an HTLC is claimed after all). Failing the row early would let a client
//!     retry, and pay twice, while an HTLC of this attempt is still in flight; the event LDK
//!     still owes us settles the row instead.
//!   - LDK does not know it: failed, "not in flight after restart" (the node stopped between
//!     writing the intent and handing the payment over, or LDK's state is older).
//! - An inbound invoice still `pending` whose expiry has passed: failed with code
//!   `payment_expired`, "invoice expired unpaid". LDK refuses payments to expired invoices, so it
//!   can never be paid. (A `claimable` row is left alone: LDK replays its claim events.)

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use lightning::ln::channelmanager::{PaymentId, RecentPaymentDetails};

use crate::ledger::{
    Direction, FailureCode, LedgerError, Paging, Payment, PaymentFilter, PaymentStatus, MAX_LIMIT,
};
use crate::node::Node;

use super::hub::PaymentHub;
use super::send::payment_id_for;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EngineView {
    Pending,
    Fulfilled,
    Abandoned,
}

/// LDK's view of each payment attempt it remembers, by `PaymentId`.
fn engine_views(details: Vec<RecentPaymentDetails>) -> HashMap<PaymentId, EngineView> {
    details
        .into_iter()
        .filter_map(|d| match d {
            RecentPaymentDetails::Pending { payment_id, .. } => {
                Some((payment_id, EngineView::Pending))
            }
            RecentPaymentDetails::Fulfilled { payment_id, .. } => {
                Some((payment_id, EngineView::Fulfilled))
            }
            RecentPaymentDetails::Abandoned { payment_id, .. } => {
                Some((payment_id, EngineView::Abandoned))
            }
            // BOLT 12 payments waiting for an invoice; we send none.
            RecentPaymentDetails::AwaitingInvoice { .. } => None,
        })
        .collect()
}

impl PaymentHub {
    /// Settles rows left pending by the last stop against what LDK holds; first tells the node
    /// which offers are disabled.
    pub async fn reconcile(&self, node: &Node) -> Result<ReconcileReport, LedgerError> {
        self.restore_disabled_offers(node).await?;
        let engine = engine_views(node.channel_manager().list_recent_payments());
        let pending = self.all_pending().await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut report = ReconcileReport::default();
        for payment in pending {
            let hash = payment.payment_hash;
            let change = match payment.direction {
                Direction::Outbound => match engine.get(&self.engine_id(&payment).await?) {
                    Some(EngineView::Pending | EngineView::Abandoned) => {
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

    /// The `PaymentId` LDK knows an outbound row by: a BOLT 12 payment's is its intent's.
    async fn engine_id(&self, payment: &Payment) -> Result<PaymentId, LedgerError> {
        let hash = payment.payment_hash;
        if payment.bolt12.is_some() {
            if let Some(id) = self
                .ledger
                .blocking(move |l| l.bolt12_payment_id(&hash))
                .await?
            {
                return Ok(PaymentId(id));
            }
        }
        Ok(payment_id_for(&hash, payment.attempts))
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

#[cfg(test)]
mod tests {
    use super::*;
    use lightning::types::payment::PaymentHash;

    #[test]
    fn a_retry_in_flight_is_not_mistaken_for_its_abandoned_first_attempt() {
        let hash = [5u8; 32];
        let first = || RecentPaymentDetails::Abandoned {
            payment_id: payment_id_for(&hash, 1),
            payment_hash: PaymentHash(hash),
        };
        let retry = || RecentPaymentDetails::Pending {
            payment_id: payment_id_for(&hash, 2),
            payment_hash: PaymentHash(hash),
            total_msat: 1_000,
        };
        // LDK lists its payments in no particular order; both orders must agree.
        for details in [vec![first(), retry()], vec![retry(), first()]] {
            let views = engine_views(details);
            assert_eq!(
                views.get(&payment_id_for(&hash, 2)),
                Some(&EngineView::Pending)
            );
            assert_eq!(
                views.get(&payment_id_for(&hash, 1)),
                Some(&EngineView::Abandoned)
            );
        }
    }

    #[test]
    fn an_attempt_the_engine_forgot_has_no_view() {
        let hash = [6u8; 32];
        let views = engine_views(vec![RecentPaymentDetails::Fulfilled {
            payment_id: payment_id_for(&hash, 1),
            payment_hash: Some(PaymentHash(hash)),
        }]);
        assert_eq!(
            views.get(&payment_id_for(&hash, 1)),
            Some(&EngineView::Fulfilled)
        );
        assert_eq!(views.get(&payment_id_for(&hash, 2)), None);
    }
}
