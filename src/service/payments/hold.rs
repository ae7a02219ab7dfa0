//! Hold invoices: settle, cancel, and the automatic cancel before a held payment's deadline.
//!
//! Ordering rules:
//! - Settle writes the preimage to the ledger first (intent first), then calls `claim_funds`;
//!   `PaymentClaimed` marks the row succeeded. A restart in between finds the preimage stored:
//!   a replayed `PaymentClaimable` is then claimed, and a second settle claims again (harmless).
//! - Cancel writes `canceled` first, then fails the HTLCs back; a set arriving for the hash
//!   afterwards is refused by the ledger and failed back at once.
//! - LDK fails held HTLCs back by itself at `claim_deadline` (the earliest HTLC expiry minus
//!   `HTLC_FAIL_BACK_BUFFER`, 39 blocks). We cancel earlier, `hold_cancel_before_blocks` before
//!   it, so that the ledger says why and the fail-back has blocks to complete in: an HTLC that
//!   reaches its expiry unresolved makes the payer's node close the channel on-chain.
//! - Only hold invoices can be settled or canceled here. An ordinary invoice's preimage is
//!   LDK's and its payments are claimed on arrival, so there is nothing held to cancel.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use lightning::types::payment::{PaymentHash, PaymentPreimage};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ledger::{CancelOutcome, LedgerError, Payment, PaymentStatus, SettleOutcome};
use crate::node::Node;

use super::hub::PaymentHub;

/// How long a settle waits for LDK to confirm the claim before answering with the row as it is
/// (still `held`, the claim under way).
const SETTLE_WAIT: Duration = Duration::from_secs(10);
/// How often the auto-cancel task looks at the chain tip. The ledger is read only when the
/// height changed.
const TIP_CHECK_INTERVAL: Duration = Duration::from_millis(500);
/// The reason a client's cancel is recorded with.
pub const CANCELED_BY_CLIENT: &str = "canceled by the client (cancel_invoice)";

#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error("Payment with hash: {} is not found", hex::encode(.0))]
    NoSuchPayment([u8; 32]),
    #[error(
        "payment {} is not a hold invoice: only invoices generated with a payment_hash can be \
         settled or canceled",
        hex::encode(.0)
    )]
    NotAHoldInvoice([u8; 32]),
    #[error("hold invoice {} was canceled: {reason}", hex::encode(.hash))]
    InvoiceCanceled { hash: [u8; 32], reason: String },
    #[error(
        "hold invoice {} has no payment held yet: nothing to settle until it is paid",
        hex::encode(.0)
    )]
    NothingHeld([u8; 32]),
    #[error("hold invoice {} is already settled: too late to cancel", hex::encode(.0))]
    AlreadySettled([u8; 32]),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

impl PaymentHub {
    /// Settles the held hold invoice whose hash is `sha256(preimage)`. A preimage that matches
    /// no invoice is reported as `NoSuchPayment` for the hash it does hash to. Settling again
    /// with the same preimage answers the settled row.
    pub async fn settle_invoice(
        &self,
        node: &Node,
        preimage: [u8; 32],
    ) -> Result<Payment, HoldError> {
        let hash = sha256::Hash::hash(&preimage).to_byte_array();
        let mut subscription = self.notifier.subscribe(hash);
        let outcome = self
            .ledger
            .blocking(move |l| l.record_settle_preimage(&hash, &preimage))
            .await
            .map_err(|e| match e {
                LedgerError::NoSuchPayment(h) => HoldError::NoSuchPayment(h),
                other => HoldError::Ledger(other),
            })?;
        match outcome {
            SettleOutcome::AlreadySettled(payment) => Ok(payment),
            SettleOutcome::NotHeld(payment) => Err(not_held(payment)),
            SettleOutcome::Settle(payment) => {
                tracing::info!(hash = %hex::encode(hash), "settling hold invoice");
                node.channel_manager()
                    .claim_funds(PaymentPreimage(preimage));
                let settled = tokio::time::timeout(SETTLE_WAIT, async {
                    loop {
                        let row = self.ledger.blocking(move |l| l.get_payment(&hash)).await;
                        match row {
                            Ok(Some(p)) if p.status == PaymentStatus::Succeeded => return Some(p),
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!("settle: ledger read failed: {e}");
                                return None;
                            }
                        }
                        subscription.changed().await;
                    }
                })
                .await;
                Ok(settled.ok().flatten().unwrap_or(payment))
            }
        }
    }

    /// Cancels a hold invoice (pending or held) and fails its HTLCs back. Canceling again is
    /// harmless and answers the canceled row.
    pub async fn cancel_invoice(&self, node: &Node, hash: [u8; 32]) -> Result<Payment, HoldError> {
        self.cancel_hold(node, hash, CANCELED_BY_CLIENT.to_string())
            .await
    }

    async fn cancel_hold(
        &self,
        node: &Node,
        hash: [u8; 32],
        reason: String,
    ) -> Result<Payment, HoldError> {
        let outcome = self
            .ledger
            .blocking(move |l| l.cancel_hold_invoice(&hash, &reason))
            .await
            .map_err(|e| match e {
                LedgerError::NoSuchPayment(h) => HoldError::NoSuchPayment(h),
                other => HoldError::Ledger(other),
            })?;
        let payment = match outcome {
            CancelOutcome::Canceled(applied) => {
                tracing::info!(hash = %hex::encode(hash), reason = ?applied.payment.failure, "hold invoice canceled");
                applied.payment
            }
            // Failing back again is harmless and covers a stop between the write and the call.
            CancelOutcome::AlreadyCanceled(payment) => payment,
            CancelOutcome::Settled(_) => return Err(HoldError::AlreadySettled(hash)),
            CancelOutcome::NotHold(_) => return Err(HoldError::NotAHoldInvoice(hash)),
        };
        node.channel_manager()
            .fail_htlc_backwards(&PaymentHash(hash));
        self.notifier.notify(&hash);
        Ok(payment)
    }

    /// Cancels every held payment within `hold_cancel_before_blocks` of its claim deadline at
    /// chain height `height`. Returns how many were canceled.
    pub async fn cancel_due_holds(&self, node: &Node, height: u32) -> Result<usize, HoldError> {
        let before = self.settings.hold_cancel_before_blocks;
        let due = self
            .ledger
            .blocking(move |l| l.held_due(height.saturating_add(before)))
            .await?;
        let mut canceled = 0;
        for held in due {
            let reason = format!(
                "auto-canceled {before} blocks before the claim deadline at height {}",
                held.claim_deadline_height
            );
            match self.cancel_hold(node, held.payment_hash, reason).await {
                Ok(_) => canceled += 1,
                // Settled meanwhile: nothing to do.
                Err(HoldError::AlreadySettled(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(canceled)
    }

    /// The auto-cancel task: whenever the node's best block changes (and once at start, for
    /// holds that came due while the daemon was down), cancels the held payments that are due.
    pub fn spawn_hold_watch(
        &self,
        node: Arc<Node>,
        mut shutdown: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let hub = self.clone();
        tokio::spawn(async move {
            let mut checked: Option<u32> = None;
            loop {
                let height = node.best_block().height;
                if checked != Some(height) {
                    match hub.cancel_due_holds(&node, height).await {
                        Ok(n) => {
                            if n > 0 {
                                tracing::warn!(
                                    height,
                                    canceled = n,
                                    "held payments auto-canceled before their deadline"
                                );
                            }
                            checked = Some(height);
                        }
                        // Tried again at the next tick.
                        Err(e) => tracing::error!(height, "hold auto-cancel failed: {e}"),
                    }
                }
                tokio::select! {
                    _ = shutdown.wait_for(|stop| *stop) => break,
                    _ = tokio::time::sleep(TIP_CHECK_INTERVAL) => {}
                }
            }
        })
    }
}

/// Why a settle found nothing to claim.
fn not_held(payment: Payment) -> HoldError {
    let hash = payment.payment_hash;
    if !payment.hold {
        return HoldError::NotAHoldInvoice(hash);
    }
    match payment.status {
        PaymentStatus::Canceled => HoldError::InvoiceCanceled {
            hash,
            reason: payment
                .failure
                .map(|f| f.reason)
                .unwrap_or_else(|| "no reason recorded".to_string()),
        },
        _ => HoldError::NothingHeld(hash),
    }
}
