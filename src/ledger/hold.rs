//! Hold invoices: invoices for a hash whose preimage the client keeps, paid HTLCs kept (`held`)
//! until the client settles (`succeeded`) or cancels (`canceled`).
//!
//! Each call is one transaction, and deciding and writing happen in it, so a settle and a cancel
//! racing for one row cannot both win: the second sees the first's result.

use rusqlite::{params, Connection};

use crate::ledger::error::LedgerError;
use crate::ledger::events::EventKind;
use crate::ledger::model::{
    Applied, CancelOutcome, ClaimableOutcome, FailureCode, HeldPayment, InboundClaimable,
    NewInboundInvoice, Payment, PaymentStatus, SettleOutcome,
};
use crate::ledger::payments::{
    add_custom_records, check_metadata, guard, insert_invoice_row, reload, settled_refusal, touch,
};
use crate::ledger::refused_sets::{
    claimed_htlc_set, note_refused_htlc_set, set_claimed_htlc_set, underpaid,
};
use crate::ledger::row::{payment_by_hash, to_db_u64};
use crate::ledger::Ledger;

/// The rules of [`Ledger::record_inbound_claimable`] for a hold invoice's row:
/// - pending or held: becomes (or stays) held with this set; a different set replaces the one
///   held (LDK offers a new set only once the old one is gone), an underpaying one is refused;
/// - held with the preimage stored (a settle is under way): the set is claimed;
/// - canceled, or settled by another set: refused, so the payer gets its money back at once.
pub(crate) fn hold_claimable(
    tx: &Connection,
    existing: Payment,
    c: &InboundClaimable,
    now: u64,
) -> Result<ClaimableOutcome, LedgerError> {
    let claimed_set = claimed_htlc_set(tx, existing.id)?;
    // Equal only when both are known: an unknown id never proves a replay.
    let same_set = c.htlc_set.is_some() && claimed_set == c.htlc_set;
    let refuse = |reason: String| -> Result<ClaimableOutcome, LedgerError> {
        note_refused_htlc_set(tx, &existing, c, &reason, now)?;
        Ok(ClaimableOutcome::Refuse {
            payment: existing.clone(),
            reason,
        })
    };
    match existing.status {
        PaymentStatus::Succeeded if same_set => Ok(ClaimableOutcome::AlreadyClaimed(existing)),
        PaymentStatus::Succeeded => refuse(settled_refusal(&c.payment_hash)),
        PaymentStatus::Canceled => refuse(format!(
            "refused: hold invoice {} was canceled; a payment of it is failed back",
            hex::encode(c.payment_hash)
        )),
        PaymentStatus::Held if same_set => {
            let applied = Applied {
                payment: existing,
                changed: false,
            };
            Ok(if applied.payment.preimage.is_some() {
                ClaimableOutcome::Claim(applied)
            } else {
                ClaimableOutcome::Hold(applied)
            })
        }
        PaymentStatus::Pending | PaymentStatus::Held => {
            if let Some(reason) = underpaid(&existing, c) {
                return refuse(reason);
            }
            if existing.status == PaymentStatus::Pending {
                guard(&existing, PaymentStatus::Held)?;
            }
            tx.prepare_cached(
                "UPDATE payments SET status = 'held', amount_msat = ?2, \
                 claim_deadline_height = ?3 WHERE id = ?1",
            )?
            .execute(params![
                existing.id,
                to_db_u64(c.amount_msat)?,
                c.claim_deadline_height,
            ])?;
            add_custom_records(tx, existing.id, &c.custom_records)?;
            set_claimed_htlc_set(tx, existing.id, c.htlc_set.as_ref())?;
            touch(tx, existing.id, now, EventKind::PaymentHeld)?;
            let applied = Applied {
                payment: reload(tx, &c.payment_hash)?,
                changed: true,
            };
            Ok(if applied.payment.preimage.is_some() {
                ClaimableOutcome::Claim(applied)
            } else {
                ClaimableOutcome::Hold(applied)
            })
        }
        PaymentStatus::Claimable | PaymentStatus::Failed => Err(LedgerError::InvalidTransition {
            hash: existing.payment_hash,
            from: existing.status,
            to: PaymentStatus::Held,
        }),
    }
}

impl Ledger {
    /// Records a hold invoice we generated (its preimage is unknown). Unlike an ordinary
    /// invoice, a hash already in the ledger is refused (`HashInUse`): the client chose it, and
    /// reusing a hash would let a payer's proof of payment cover two invoices.
    pub fn insert_hold_invoice(
        &self,
        new: &NewInboundInvoice,
        webhook_url: Option<&str>,
    ) -> Result<Applied, LedgerError> {
        check_metadata(&new.metadata)?;
        let now = self.now();
        self.write(|tx| {
            if payment_by_hash(tx, &new.payment_hash)?.is_some() {
                return Err(LedgerError::HashInUse(new.payment_hash));
            }
            insert_invoice_row(tx, new, webhook_url, true, now)?;
            Ok(Applied {
                payment: reload(tx, &new.payment_hash)?,
                changed: true,
            })
        })
    }

    /// Stores the preimage of a held hold invoice before it is claimed (intent first). The
    /// caller has checked that it hashes to `hash`. The status stays `held` until LDK reports
    /// the claim (`mark_succeeded`).
    pub fn record_settle_preimage(
        &self,
        hash: &[u8; 32],
        preimage: &[u8; 32],
    ) -> Result<SettleOutcome, LedgerError> {
        self.write(|tx| {
            let existing = payment_by_hash(tx, hash)?.ok_or(LedgerError::NoSuchPayment(*hash))?;
            if !existing.hold {
                return Ok(SettleOutcome::NotHeld(existing));
            }
            if existing.preimage.is_some_and(|p| &p != preimage) {
                return Err(LedgerError::PreimageMismatch(*hash));
            }
            match existing.status {
                PaymentStatus::Succeeded => Ok(SettleOutcome::AlreadySettled(existing)),
                PaymentStatus::Held if existing.preimage.is_some() => {
                    Ok(SettleOutcome::Settle(existing))
                }
                PaymentStatus::Held => {
                    // Not a status change: no new updated_index until the claim lands.
                    tx.prepare_cached("UPDATE payments SET preimage = ?2 WHERE id = ?1")?
                        .execute(params![existing.id, &preimage[..]])?;
                    Ok(SettleOutcome::Settle(reload(tx, hash)?))
                }
                _ => Ok(SettleOutcome::NotHeld(existing)),
            }
        })
    }

    /// Cancels a pending or held hold invoice with `reason`. Once canceled, any later payment of
    /// the hash is refused.
    pub fn cancel_hold_invoice(
        &self,
        hash: &[u8; 32],
        reason: &str,
    ) -> Result<CancelOutcome, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let existing = payment_by_hash(tx, hash)?.ok_or(LedgerError::NoSuchPayment(*hash))?;
            if !existing.hold {
                return Ok(CancelOutcome::NotHold(existing));
            }
            match existing.status {
                PaymentStatus::Canceled => Ok(CancelOutcome::AlreadyCanceled(existing)),
                PaymentStatus::Held if existing.preimage.is_some() => {
                    Ok(CancelOutcome::Settled(existing))
                }
                PaymentStatus::Pending | PaymentStatus::Held => {
                    guard(&existing, PaymentStatus::Canceled)?;
                    tx.prepare_cached(
                        "UPDATE payments SET status = 'canceled', failure_code = ?2, \
                         failure_reason = ?3 WHERE id = ?1",
                    )?
                    .execute(params![
                        existing.id,
                        FailureCode::Canceled.as_str(),
                        reason
                    ])?;
                    touch(tx, existing.id, now, EventKind::PaymentCanceled)?;
                    Ok(CancelOutcome::Canceled(Applied {
                        payment: reload(tx, hash)?,
                        changed: true,
                    }))
                }
                _ => Ok(CancelOutcome::Settled(existing)),
            }
        })
    }

    /// Held payments not being settled whose claim deadline is at or below `height`, oldest
    /// deadline first.
    pub fn held_due(&self, height: u32) -> Result<Vec<HeldPayment>, LedgerError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT payment_hash, claim_deadline_height FROM payments \
                 WHERE status = 'held' AND claim_deadline_height <= ?1 AND preimage IS NULL \
                 ORDER BY claim_deadline_height",
            )?;
            let rows = stmt.query_map([height], |row| {
                Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, u32>(1)?))
            })?;
            let mut held = Vec::new();
            for row in rows {
                let (hash, deadline) = row?;
                if let Ok(payment_hash) = <[u8; 32]>::try_from(hash.as_slice()) {
                    held.push(HeldPayment {
                        payment_hash,
                        claim_deadline_height: deadline,
                    });
                }
            }
            Ok(held)
        })
    }
}
