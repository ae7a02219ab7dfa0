//! Idempotent writes. Each public call is one transaction, and replaying it (as LDK replays an
//! event whose handler failed) changes nothing: a true no-op leaves `updated_index` and
//! `last_updated` untouched and reports `changed: false`.

use rusqlite::{params, Connection};

use crate::ledger::error::LedgerError;
use crate::ledger::events::{append_payment_event, EventKind};
use crate::ledger::keys::{self, KeyCharge};
use crate::ledger::model::{
    Applied, ClaimableOutcome, CustomRecord, Direction, FailureCode, InboundClaimable,
    NewInboundInvoice, NewOutbound, OutboundIntent, Payment, PaymentKind, PaymentStatus,
};
use crate::ledger::refused_sets::{
    claimed_htlc_set, note_refused_htlc_set, set_claimed_htlc_set, underpaid,
};
use crate::ledger::row::{key_to_db, payment_by_hash, to_db_u64};
use crate::ledger::sendpays::{settle_parts, SendpayStatus};
use crate::ledger::Ledger;

use super::hold::hold_claimable;

/// Why a second payment of a settled hash is failed back.
pub(crate) fn settled_refusal(hash: &[u8; 32]) -> String {
    format!(
        "refused: payment hash {} is already settled; a second payment of it is failed back",
        hex::encode(hash)
    )
}

/// The description KDF gives a received keysend.
pub const INBOUND_KEYSEND_DESCRIPTION: &str = "keysend";

fn opt_u64(value: Option<u64>) -> Result<Option<i64>, LedgerError> {
    value.map(to_db_u64).transpose()
}

pub(crate) fn check_metadata(metadata: &Option<String>) -> Result<(), LedgerError> {
    if let Some(text) = metadata {
        serde_json::from_str::<serde::de::IgnoredAny>(text)
            .map_err(|e| LedgerError::InvalidMetadata(e.to_string()))?;
    }
    Ok(())
}

/// Takes the next value of a ledger-wide counter.
pub(crate) fn next_counter(tx: &Connection, name: &str) -> Result<i64, LedgerError> {
    let mut stmt = tx.prepare_cached(
        "UPDATE ledger_counters SET value = value + 1 WHERE name = ?1 RETURNING value",
    )?;
    Ok(stmt.query_row([name], |row| row.get(0))?)
}

/// Writes the history entry for the change that was given `updated_index`.
fn record_history(
    tx: &Connection,
    id: i64,
    updated_index: i64,
    now: i64,
) -> Result<(), LedgerError> {
    tx.prepare_cached(
        "INSERT INTO payment_history (updated_index, payment_id, status, at) \
         SELECT ?2, id, status, ?3 FROM payments WHERE id = ?1",
    )?
    .execute(params![id, updated_index, now])?;
    Ok(())
}

/// Records a change of row `id`: a new `updated_index`, `last_updated`, a history entry and
/// the event `kind` (with its webhook deliveries), all in the caller's transaction.
pub(crate) fn touch(
    tx: &Connection,
    id: i64,
    now: u64,
    kind: EventKind,
) -> Result<(), LedgerError> {
    let change = Change::next(tx, now)?;
    tx.prepare_cached("UPDATE payments SET updated_index = ?2, last_updated = ?3 WHERE id = ?1")?
        .execute(params![id, change.index, change.at])?;
    change.record(tx, id, kind, now)
}

/// A change of a row, for writers that set `updated_index` and `last_updated` in the same
/// UPDATE as the change itself ([`touch`] updates the row a second time, which rewrites it
/// and every index on `last_updated` again).
pub(crate) struct Change {
    pub index: i64,
    pub at: i64,
}

impl Change {
    pub fn next(tx: &Connection, now: u64) -> Result<Change, LedgerError> {
        Ok(Change {
            index: next_counter(tx, "payments_updated")?,
            at: to_db_u64(now)?,
        })
    }

    /// The history entry and the event of the change, once the row carries it.
    pub fn record(
        &self,
        tx: &Connection,
        id: i64,
        kind: EventKind,
        now: u64,
    ) -> Result<(), LedgerError> {
        record_history(tx, id, self.index, self.at)?;
        append_payment_event(tx, id, kind, now)?;
        Ok(())
    }
}

/// Refuses a status change the lifecycle does not allow (see [`PaymentStatus`]).
pub(crate) fn guard(payment: &Payment, to: PaymentStatus) -> Result<(), LedgerError> {
    if payment.status.can_become(to, payment.direction) {
        Ok(())
    } else {
        Err(LedgerError::InvalidTransition {
            hash: payment.payment_hash,
            from: payment.status,
            to,
        })
    }
}

/// Adds records, keeping the stored value where a key already exists (a replay brings the same
/// records; the first write wins).
pub(crate) fn add_custom_records(
    tx: &Connection,
    id: i64,
    records: &[CustomRecord],
) -> Result<bool, LedgerError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO payment_custom_records (payment_id, key, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (payment_id, key) DO NOTHING",
    )?;
    let mut added = false;
    for record in records {
        added |= stmt.execute(params![id, key_to_db(record.key), record.value])? > 0;
    }
    Ok(added)
}

pub(crate) struct NewRow<'a> {
    pub(crate) hash: &'a [u8; 32],
    pub(crate) direction: Direction,
    pub(crate) kind: PaymentKind,
    pub(crate) destination: Option<&'a [u8; 33]>,
    pub(crate) description: &'a str,
    pub(crate) amount_msat: Option<u64>,
    pub(crate) fee_limit_msat: Option<u64>,
    pub(crate) status: PaymentStatus,
    pub(crate) preimage: Option<&'a [u8; 32]>,
    pub(crate) payment_secret: Option<&'a [u8; 32]>,
    pub(crate) invoice: Option<&'a str>,
    pub(crate) expires_at: Option<u64>,
    pub(crate) metadata: Option<&'a str>,
    pub(crate) attempts: u32,
    pub(crate) hold: bool,
    pub(crate) webhook_url: Option<&'a str>,
    /// `(split_id, split_index)` of a value-split recipient.
    pub(crate) split: Option<(&'a str, u32)>,
    pub(crate) wallet_id: Option<&'a str>,
}

pub(crate) fn insert_row(tx: &Connection, row: &NewRow<'_>, now: u64) -> Result<i64, LedgerError> {
    let created_index = next_counter(tx, "payments_created")?;
    let updated_index = next_counter(tx, "payments_updated")?;
    let now_db = to_db_u64(now)?;
    tx.prepare_cached(
        "INSERT INTO payments (payment_hash, direction, kind, destination, description, \
         amount_msat, fee_limit_msat, status, preimage, payment_secret, invoice, expires_at, \
         created_at, last_updated, created_index, updated_index, metadata, attempts, hold, \
         webhook_url, split_id, split_index, wallet_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, \
         ?18, ?19, ?20, ?21, ?22)",
    )?
    .execute(params![
        &row.hash[..],
        row.direction.as_str(),
        row.kind.as_str(),
        row.destination.map(|d| &d[..]),
        row.description,
        opt_u64(row.amount_msat)?,
        opt_u64(row.fee_limit_msat)?,
        row.status.as_str(),
        row.preimage.map(|p| &p[..]),
        row.payment_secret.map(|s| &s[..]),
        row.invoice,
        opt_u64(row.expires_at)?,
        now_db,
        created_index,
        updated_index,
        row.metadata,
        row.attempts,
        row.hold,
        row.webhook_url,
        row.split.map(|(id, _)| id),
        row.split.map(|(_, index)| index),
        row.wallet_id,
    ])?;
    let id = tx.last_insert_rowid();
    record_history(tx, id, updated_index, now_db)?;
    append_payment_event(tx, id, EventKind::PaymentCreated, now)?;
    Ok(id)
}

/// Loads a row that this transaction just wrote or checked.
pub(crate) fn reload(tx: &Connection, hash: &[u8; 32]) -> Result<Payment, LedgerError> {
    payment_by_hash(tx, hash)?.ok_or(LedgerError::NoSuchPayment(*hash))
}

pub(crate) fn require_direction(payment: &Payment, wanted: Direction) -> Result<(), LedgerError> {
    if payment.direction == wanted {
        Ok(())
    } else {
        Err(LedgerError::DirectionConflict {
            hash: payment.payment_hash,
            existing: payment.direction.as_str(),
        })
    }
}

/// Inserts the pending row of an invoice we generated; a hold invoice's preimage is never ours.
pub(crate) fn insert_invoice_row(
    tx: &Connection,
    new: &NewInboundInvoice,
    webhook_url: Option<&str>,
    hold: bool,
    now: u64,
) -> Result<i64, LedgerError> {
    insert_row(
        tx,
        &NewRow {
            hash: &new.payment_hash,
            direction: Direction::Inbound,
            kind: PaymentKind::Invoice,
            destination: None,
            description: &new.description,
            amount_msat: new.amount_msat,
            fee_limit_msat: None,
            status: PaymentStatus::Pending,
            preimage: if hold { None } else { new.preimage.as_ref() },
            payment_secret: new.payment_secret.as_ref(),
            invoice: Some(&new.invoice),
            expires_at: new.expires_at,
            metadata: new.metadata.as_deref(),
            attempts: 0,
            hold,
            webhook_url,
            split: None,
            wallet_id: None,
        },
        now,
    )
}

/// The intent write of [`Ledger::insert_outbound_intent_with_webhook`], in the caller's
/// transaction (a keyed send and a value split write their keys in the same one).
pub(crate) fn outbound_intent_in(
    tx: &Connection,
    new: &NewOutbound,
    webhook_url: Option<&str>,
    split: Option<(&str, u32)>,
    charge: Option<&KeyCharge>,
    now: u64,
) -> Result<OutboundIntent, LedgerError> {
    // What a key with limits is charged: the amount and the most the fee may be.
    let charged = new
        .amount_msat
        .unwrap_or_default()
        .saturating_add(new.fee_limit_msat.unwrap_or_default());
    let Some(existing) = payment_by_hash(tx, &new.payment_hash)? else {
        let id = insert_row(
            tx,
            &NewRow {
                hash: &new.payment_hash,
                direction: Direction::Outbound,
                kind: new.kind,
                destination: Some(&new.destination),
                description: &new.description,
                amount_msat: new.amount_msat,
                fee_limit_msat: new.fee_limit_msat,
                status: PaymentStatus::Pending,
                preimage: new.preimage.as_ref(),
                payment_secret: new.payment_secret.as_ref(),
                invoice: new.invoice.as_deref(),
                expires_at: new.expires_at,
                metadata: new.metadata.as_deref(),
                attempts: 1,
                hold: false,
                webhook_url,
                split,
                wallet_id: None,
            },
            now,
        )?;
        add_custom_records(tx, id, &new.custom_records)?;
        if let Some(charge) = charge {
            keys::reserve(tx, id, 1, charge, charged, now)?;
        }
        return Ok(OutboundIntent::Created(reload(tx, &new.payment_hash)?));
    };
    require_direction(&existing, Direction::Outbound)?;
    match existing.status {
        PaymentStatus::Pending | PaymentStatus::Claimable => {
            Ok(OutboundIntent::AlreadyPending(existing))
        }
        PaymentStatus::Succeeded => Ok(OutboundIntent::AlreadySucceeded(existing)),
        // Inbound-only states; `require_direction` above keeps them out.
        PaymentStatus::Held | PaymentStatus::Canceled => {
            guard(&existing, PaymentStatus::Pending)?;
            Ok(OutboundIntent::AlreadyPending(existing))
        }
        PaymentStatus::Failed => {
            guard(&existing, PaymentStatus::Pending)?;
            tx.prepare_cached(
                "UPDATE payments SET kind = ?2, destination = ?3, description = ?4, \
                 amount_msat = ?5, fee_limit_msat = ?6, payment_secret = ?7, \
                 preimage = ?8, invoice = ?9, expires_at = ?10, metadata = ?11, \
                 status = 'pending', fee_paid_msat = NULL, failure_code = NULL, \
                 failure_reason = NULL, attempts = attempts + 1, \
                 webhook_url = coalesce(?12, webhook_url) WHERE id = ?1",
            )?
            .execute(params![
                existing.id,
                new.kind.as_str(),
                &new.destination[..],
                new.description,
                opt_u64(new.amount_msat)?,
                opt_u64(new.fee_limit_msat)?,
                new.payment_secret.as_ref().map(|s| &s[..]),
                new.preimage.as_ref().map(|p| &p[..]),
                new.invoice,
                opt_u64(new.expires_at)?,
                new.metadata,
                webhook_url,
            ])?;
            tx.prepare_cached("DELETE FROM payment_custom_records WHERE payment_id = ?1")?
                .execute([existing.id])?;
            add_custom_records(tx, existing.id, &new.custom_records)?;
            touch(tx, existing.id, now, EventKind::PaymentPending)?;
            if let Some(charge) = charge {
                let attempt = existing.attempts.saturating_add(1);
                keys::reserve(tx, existing.id, attempt, charge, charged, now)?;
            }
            Ok(OutboundIntent::Retrying(reload(tx, &new.payment_hash)?))
        }
    }
}

impl Ledger {
    /// Records an outbound payment before it is handed to the engine (intent first), or reports
    /// what is already recorded for its hash. A failed row is reset to pending with the new
    /// details and `attempts + 1`, keeping its `id` and `created_at`. The caller compares the
    /// returned row with its request to refuse e.g. a different amount for a paid hash.
    pub fn insert_outbound_intent(&self, new: &NewOutbound) -> Result<OutboundIntent, LedgerError> {
        self.insert_outbound_intent_with_webhook(new, None)
    }

    /// [`Ledger::insert_outbound_intent`], with a URL every event of this payment is also
    /// delivered to (a retry replaces it).
    pub fn insert_outbound_intent_with_webhook(
        &self,
        new: &NewOutbound,
        webhook_url: Option<&str>,
    ) -> Result<OutboundIntent, LedgerError> {
        self.insert_outbound_intent_charged(new, webhook_url, None)
    }

    /// [`Ledger::insert_outbound_intent_with_webhook`] for a payment made with an access key:
    /// a new row or a retry is charged to `charge` in the same transaction (see
    /// `ledger/keys.rs`), and the whole intent is refused with `BudgetExceeded` when it would
    /// go over the key's limits.
    pub fn insert_outbound_intent_charged(
        &self,
        new: &NewOutbound,
        webhook_url: Option<&str>,
        charge: Option<&KeyCharge>,
    ) -> Result<OutboundIntent, LedgerError> {
        check_metadata(&new.metadata)?;
        let now = self.now();
        self.write(|tx| outbound_intent_in(tx, new, webhook_url, None, charge, now))
    }

    /// Records an invoice we generated. Replaying it returns the stored row unchanged.
    pub fn insert_inbound_invoice(&self, new: &NewInboundInvoice) -> Result<Applied, LedgerError> {
        self.insert_inbound_invoice_with_webhook(new, None)
    }

    /// [`Ledger::insert_inbound_invoice`], with a URL every event of this payment is also
    /// delivered to.
    pub fn insert_inbound_invoice_with_webhook(
        &self,
        new: &NewInboundInvoice,
        webhook_url: Option<&str>,
    ) -> Result<Applied, LedgerError> {
        check_metadata(&new.metadata)?;
        let now = self.now();
        self.write(|tx| {
            if let Some(existing) = payment_by_hash(tx, &new.payment_hash)? {
                require_direction(&existing, Direction::Inbound)?;
                return Ok(Applied {
                    payment: existing,
                    changed: false,
                });
            }
            insert_invoice_row(tx, new, webhook_url, false, now)?;
            Ok(Applied {
                payment: reload(tx, &new.payment_hash)?,
                changed: true,
            })
        })
    }

    /// Records arrived inbound HTLCs (LDK `PaymentClaimable`) and decides whether to claim them.
    /// A hash we never issued an invoice for is a keysend: its row is created here, described as
    /// "keysend". The amount is what actually arrived (this is how an amountless invoice gets its
    /// amount). The rules, by the row's state:
    /// - pending or failed: becomes claimable with this set (an underpaid invoice is refused);
    /// - claimable: the same set again is claimed again (a replay); another set means LDK no
    ///   longer holds the first (it refuses a second set while one is claimable or being
    ///   claimed), so the new set takes its place;
    /// - succeeded: the same set is already claimed; any other set pays a settled hash a second
    ///   time and is refused, so the payer gets its money back at once instead of the HTLC
    ///   timing out and force-closing our channel.
    pub fn record_inbound_claimable(
        &self,
        c: &InboundClaimable,
    ) -> Result<ClaimableOutcome, LedgerError> {
        self.record_inbound_claimable_routed(c, None)
    }

    /// [`Ledger::record_inbound_claimable`]; a new keysend row is tagged with `wallet_id` (the
    /// sub-wallet its routing record named).
    pub fn record_inbound_claimable_routed(
        &self,
        c: &InboundClaimable,
        wallet_id: Option<&str>,
    ) -> Result<ClaimableOutcome, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let Some(existing) = payment_by_hash(tx, &c.payment_hash)? else {
                let id = insert_row(
                    tx,
                    &NewRow {
                        hash: &c.payment_hash,
                        direction: Direction::Inbound,
                        kind: PaymentKind::Keysend,
                        destination: None,
                        description: INBOUND_KEYSEND_DESCRIPTION,
                        amount_msat: Some(c.amount_msat),
                        fee_limit_msat: None,
                        status: PaymentStatus::Claimable,
                        preimage: c.preimage.as_ref(),
                        payment_secret: None,
                        invoice: None,
                        expires_at: None,
                        metadata: None,
                        attempts: 0,
                        hold: false,
                        webhook_url: None,
                        split: None,
                        wallet_id,
                    },
                    now,
                )?;
                add_custom_records(tx, id, &c.custom_records)?;
                set_claimed_htlc_set(tx, id, c.htlc_set.as_ref())?;
                return Ok(ClaimableOutcome::Claim(Applied {
                    payment: reload(tx, &c.payment_hash)?,
                    changed: true,
                }));
            };
            require_direction(&existing, Direction::Inbound)?;
            if existing.hold {
                return hold_claimable(tx, existing, c, now);
            }
            let claimed_set = claimed_htlc_set(tx, existing.id)?;
            // Equal only when both are known: an unknown id never proves a replay.
            let same_set = c.htlc_set.is_some() && claimed_set == c.htlc_set;
            match existing.status {
                PaymentStatus::Succeeded if same_set => {
                    Ok(ClaimableOutcome::AlreadyClaimed(existing))
                }
                PaymentStatus::Succeeded => {
                    let reason = settled_refusal(&c.payment_hash);
                    note_refused_htlc_set(tx, &existing, c, &reason, now)?;
                    Ok(ClaimableOutcome::Refuse {
                        payment: existing,
                        reason,
                    })
                }
                PaymentStatus::Claimable if same_set => Ok(ClaimableOutcome::Claim(Applied {
                    payment: existing,
                    changed: false,
                })),
                // Only hold invoices are held or canceled (handled above).
                PaymentStatus::Held | PaymentStatus::Canceled => {
                    Err(LedgerError::InvalidTransition {
                        hash: existing.payment_hash,
                        from: existing.status,
                        to: PaymentStatus::Claimable,
                    })
                }
                PaymentStatus::Claimable | PaymentStatus::Pending | PaymentStatus::Failed => {
                    if let Some(reason) = underpaid(&existing, c) {
                        note_refused_htlc_set(tx, &existing, c, &reason, now)?;
                        return Ok(ClaimableOutcome::Refuse {
                            payment: existing,
                            reason,
                        });
                    }
                    if existing.status != PaymentStatus::Claimable {
                        guard(&existing, PaymentStatus::Claimable)?;
                    }
                    tx.prepare_cached(
                        "UPDATE payments SET status = 'claimable', amount_msat = ?2, \
                         preimage = COALESCE(preimage, ?3), failure_code = NULL, \
                         failure_reason = NULL WHERE id = ?1",
                    )?
                    .execute(params![
                        existing.id,
                        to_db_u64(c.amount_msat)?,
                        c.preimage.as_ref().map(|p| &p[..]),
                    ])?;
                    add_custom_records(tx, existing.id, &c.custom_records)?;
                    set_claimed_htlc_set(tx, existing.id, c.htlc_set.as_ref())?;
                    touch(tx, existing.id, now, EventKind::PaymentClaimable)?;
                    Ok(ClaimableOutcome::Claim(Applied {
                        payment: reload(tx, &c.payment_hash)?,
                        changed: true,
                    }))
                }
            }
        })
    }

    /// Marks a payment succeeded (LDK `PaymentSent` / `PaymentClaimed`). Fields given as
    /// `None` keep their stored value. On an already succeeded row this only fills in fields
    /// still unknown; the same data again is a no-op. A preimage other than the one already
    /// stored is `PreimageMismatch`, in any state.
    pub fn mark_succeeded(
        &self,
        hash: &[u8; 32],
        preimage: &[u8; 32],
        fee_paid_msat: Option<u64>,
        amount_msat: Option<u64>,
    ) -> Result<Applied, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let existing = payment_by_hash(tx, hash)?.ok_or(LedgerError::NoSuchPayment(*hash))?;
            // A preimage we already hold (ours for keysend and our invoices, or the one a
            // success reported) is the truth; a different one means a bug upstream.
            if existing.preimage.is_some_and(|p| &p != preimage) {
                return Err(LedgerError::PreimageMismatch(*hash));
            }
            let succeeded_kind = if existing.status == PaymentStatus::Succeeded {
                EventKind::PaymentUpdated
            } else {
                EventKind::PaymentSucceeded
            };
            if existing.status == PaymentStatus::Succeeded {
                let fills = existing.preimage.is_none()
                    || (existing.fee_paid_msat.is_none() && fee_paid_msat.is_some())
                    || (existing.amount_msat.is_none() && amount_msat.is_some());
                if !fills {
                    return Ok(Applied {
                        payment: existing,
                        changed: false,
                    });
                }
            } else {
                guard(&existing, PaymentStatus::Succeeded)?;
            }
            // Every other state may become succeeded: a preimage is proof of payment.
            let change = Change::next(tx, now)?;
            tx.prepare_cached(
                "UPDATE payments SET status = 'succeeded', preimage = COALESCE(preimage, ?2), \
                 fee_paid_msat = COALESCE(fee_paid_msat, ?3), \
                 amount_msat = COALESCE(amount_msat, ?4), \
                 failure_code = NULL, failure_reason = NULL, \
                 updated_index = ?5, last_updated = ?6 WHERE id = ?1",
            )?
            .execute(params![
                existing.id,
                &preimage[..],
                opt_u64(fee_paid_msat)?,
                opt_u64(amount_msat)?,
                change.index,
                change.at,
            ])?;
            change.record(tx, existing.id, succeeded_kind, now)?;
            settle_parts(tx, existing.id, SendpayStatus::Complete, None, now)?;
            let payment = reload(tx, hash)?;
            let spent = payment.amount_msat.unwrap_or_default();
            let spent = spent.saturating_add(payment.fee_paid_msat.unwrap_or_default());
            keys::settle_reservation(tx, existing.id, Some(spent))?;
            Ok(Applied {
                payment,
                changed: true,
            })
        })
    }

    /// Marks a payment failed. Never overwrites a success (the row is returned unchanged with
    /// `changed: false`, and its status says why); a replay keeps the first reason.
    pub fn mark_failed(
        &self,
        hash: &[u8; 32],
        code: FailureCode,
        reason: &str,
    ) -> Result<Applied, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let existing = payment_by_hash(tx, hash)?.ok_or(LedgerError::NoSuchPayment(*hash))?;
            match existing.status {
                // A hold invoice is failed only through a cancel (`cancel_hold_invoice`).
                PaymentStatus::Succeeded
                | PaymentStatus::Failed
                | PaymentStatus::Held
                | PaymentStatus::Canceled => Ok(Applied {
                    payment: existing,
                    changed: false,
                }),
                PaymentStatus::Pending | PaymentStatus::Claimable => {
                    guard(&existing, PaymentStatus::Failed)?;
                    tx.prepare_cached(
                        "UPDATE payments SET status = 'failed', failure_code = ?2, \
                         failure_reason = ?3 WHERE id = ?1",
                    )?
                    .execute(params![existing.id, code.as_str(), reason])?;
                    touch(tx, existing.id, now, EventKind::PaymentFailed)?;
                    settle_parts(tx, existing.id, SendpayStatus::Failed, Some(reason), now)?;
                    keys::settle_reservation(tx, existing.id, None)?;
                    Ok(Applied {
                        payment: reload(tx, hash)?,
                        changed: true,
                    })
                }
            }
        })
    }
}
