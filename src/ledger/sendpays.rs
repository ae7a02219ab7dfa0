//! Core Lightning `sendpay` parts: one row per `(payment, groupid, partid)` beside the one
//! `payments` row of the hash, which stays the payment everyone else sees
//! (`get_payment_details`, `list_payments_by_filter`, `send_payment`'s idempotency).
//!
//! [`Ledger::sendpay_begin`] is the idempotency authority for `sendpay`, in one transaction
//! (the table of CLN's sendpay documentation):
//! - no row for the hash: a new payment row and its first part;
//! - succeeded: the same amount and destination is [`SendpayBegin::AlreadyComplete`], anything
//!   else [`SendpayBegin::PaidDifferently`] (CLN 201);
//! - pending: the same `(groupid, partid)` with the same amount and destination is
//!   [`SendpayBegin::AlreadyPending`]; a new part of a group still being gathered joins it; any
//!   other send is [`SendpayBegin::InProgress`] (CLN 200);
//! - failed: the payment row is reset to pending (`attempts + 1`), a failed part with the same
//!   `(groupid, partid)` is replaced (as CLN deletes it), and the new part is added.
//!
//! A group is handed to the engine as one payment once its parts' amounts add up to the total
//! (`ready` in [`SendpayBegin::New`]); a part alone (`partid` 0) is ready at once. Success and
//! failure of the payment row (`mark_succeeded`, `mark_failed`) settle its pending parts in the
//! same transaction.

use rusqlite::{params, Connection};

use crate::ledger::error::LedgerError;
use crate::ledger::events::EventKind;
use crate::ledger::idempotency::{check_key, store_key, KeyTarget};
use crate::ledger::model::{Direction, IdempotencyKey, Payment, PaymentKind, PaymentStatus};
use crate::ledger::payments::{guard, insert_row, next_counter, reload, touch, NewRow};
use crate::ledger::row::{payment_by_hash, to_db_u64};
use crate::ledger::Ledger;

use super::sendpay_rows::{
    part_by_id, part_from_row, parts_where, PART_COLUMNS, PART_FROM, PAYMENT_AS_PART,
};
pub use super::sendpay_rows::{
    NewSendpayPart, PartFailure, SendpayListFilter, SendpayPart, SendpayStatus,
};

/// The outcome of [`Ledger::sendpay_begin`].
#[derive(Debug, Clone)]
pub enum SendpayBegin {
    /// The part was recorded. `ready` is the whole group when it has just become complete
    /// (hand it to the engine now), else empty (more parts are awaited).
    New {
        part: SendpayPart,
        ready: Vec<SendpayPart>,
    },
    AlreadyPending(SendpayPart),
    /// Paid before with the same amount and destination; `part` is a completed part if the
    /// payment was made by `sendpay`.
    AlreadyComplete {
        payment: Box<Payment>,
        part: Option<SendpayPart>,
    },
    /// Paid before, with another amount or destination (CLN 201).
    PaidDifferently(Box<Payment>),
    /// Another send of this hash is in flight (CLN 200); the text says which.
    InProgress(String),
    /// The idempotency key named an earlier send of the same request: its latest part, as it
    /// stands; nothing was recorded or is to be sent.
    Replay(SendpayPart),
}

/// Gives the changed part a new `updated_index`; the first part changed with its payment row
/// shares the row's index (`shared`), so CLN's `wait sendpays updated` and `listsendpays` agree.
fn bump_part(tx: &Connection, id: i64, shared: Option<i64>) -> Result<(), LedgerError> {
    let index = match shared {
        Some(index) => index,
        None => next_counter(tx, "payments_updated")?,
    };
    tx.prepare_cached("UPDATE sendpay_parts SET updated_index = ?2 WHERE id = ?1")?
        .execute(params![id, index])?;
    Ok(())
}

fn updated_index_of(tx: &Connection, payment_id: i64) -> Result<i64, LedgerError> {
    Ok(tx
        .prepare_cached("SELECT updated_index FROM payments WHERE id = ?1")?
        .query_row([payment_id], |row| row.get(0))?)
}

fn insert_part(
    tx: &Connection,
    payment: &Payment,
    new: &NewSendpayPart,
    groupid: u64,
    created_index: Option<u64>,
    now: u64,
) -> Result<i64, LedgerError> {
    let created_index = match created_index {
        Some(index) => to_db_u64(index)?,
        None => next_counter(tx, "payments_created")?,
    };
    tx.prepare_cached(
        "INSERT INTO sendpay_parts (payment_id, groupid, partid, status, attempt, amount_msat, \
         total_msat, amount_sent_msat, destination, label, bolt11, description, route, \
         route_key, created_index, created_at) \
         VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        payment.id,
        to_db_u64(groupid)?,
        to_db_u64(new.partid)?,
        payment.attempts,
        to_db_u64(new.amount_msat)?,
        to_db_u64(new.total_msat)?,
        to_db_u64(new.amount_sent_msat)?,
        &new.destination[..],
        new.label,
        new.bolt11,
        new.description,
        new.route,
        new.route_key,
        created_index,
        to_db_u64(now)?,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The group's parts, once their amounts reach the total and none was handed over yet; marks
/// them handed over. Empty otherwise.
fn take_ready_group(
    tx: &Connection,
    payment_id: i64,
    groupid: u64,
) -> Result<Vec<SendpayPart>, LedgerError> {
    let group = to_db_u64(groupid)?;
    let parts = parts_where(
        tx,
        "s.payment_id = ?1 AND s.groupid = ?2 AND s.status = 'pending'",
        &[&payment_id, &group],
    )?;
    let Some(first) = parts.first() else {
        return Ok(Vec::new());
    };
    let sum: u64 = parts.iter().map(|p| p.amount_msat).sum();
    let dispatched: i64 = tx
        .prepare_cached(
            "SELECT count(*) FROM sendpay_parts WHERE payment_id = ?1 AND groupid = ?2 \
             AND dispatched = 1",
        )?
        .query_row(params![payment_id, group], |row| row.get(0))?;
    if dispatched > 0 || sum < first.total_msat {
        return Ok(Vec::new());
    }
    tx.prepare_cached(
        "UPDATE sendpay_parts SET dispatched = 1 WHERE payment_id = ?1 AND groupid = ?2 \
         AND status = 'pending'",
    )?
    .execute(params![payment_id, group])?;
    Ok(parts)
}

impl Ledger {
    /// Records a `sendpay` part, or says what is already recorded for its hash (module docs).
    pub fn sendpay_begin(&self, new: &NewSendpayPart) -> Result<SendpayBegin, LedgerError> {
        self.sendpay_begin_keyed(new, None)
    }

    /// [`Ledger::sendpay_begin`] under an optional idempotency key (see `idempotency.rs`): a
    /// key already used for the same request answers that payment's latest part and records
    /// nothing; one used for another request is `IdempotencyKeyReused`.
    pub fn sendpay_begin_keyed(
        &self,
        new: &NewSendpayPart,
        key: Option<&IdempotencyKey>,
    ) -> Result<SendpayBegin, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let Some(key) = key else {
                return sendpay_begin_in(tx, new, now);
            };
            match check_key(tx, key)? {
                Some(KeyTarget::Payment(id)) => {
                    let part = parts_where(tx, "s.payment_id = ?1", &[&id])?
                        .pop()
                        .ok_or(LedgerError::IdempotencyKeyReused(key.key.clone()))?;
                    Ok(SendpayBegin::Replay(part))
                }
                Some(KeyTarget::Split(_)) => {
                    Err(LedgerError::IdempotencyKeyReused(key.key.clone()))
                }
                None => {
                    let begun = sendpay_begin_in(tx, new, now)?;
                    if let Some(existing) = payment_by_hash(tx, &new.payment_hash)? {
                        store_key(tx, key, &KeyTarget::Payment(existing.id), now)?;
                    }
                    Ok(begun)
                }
            }
        })
    }

    /// Records a path failure on the pending part of `hash` whose route is `route_key`
    /// (the first report wins); its status changes when the payment fails.
    pub fn sendpay_path_failed(
        &self,
        hash: &[u8; 32],
        route_key: &str,
        failure: &PartFailure,
    ) -> Result<bool, LedgerError> {
        self.write(|tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE sendpay_parts SET fail_code = ?3, fail_message = ?4, \
                     erring_index = ?5, erring_node = ?6, erring_channel = ?7, \
                     erring_direction = ?8, failcode = ?9 \
                     WHERE status = 'pending' AND fail_message IS NULL AND route_key = ?2 \
                     AND payment_id = (SELECT id FROM payments WHERE payment_hash = ?1)",
                )?
                .execute(params![
                    &hash[..],
                    route_key,
                    failure.code,
                    failure.message,
                    failure.erring_index,
                    failure.erring_node.as_ref().map(|n| &n[..]),
                    failure.erring_channel,
                    failure.erring_direction,
                    failure.failcode,
                ])?;
            Ok(changed > 0)
        })
    }

    /// Fails the parts of a group that never became complete (CLN would have sent them; LDK
    /// 0.2 cannot send a part alone), and the payment row with them unless another group of
    /// it is in flight. Returns whether anything changed.
    pub fn sendpay_fail_incomplete_group(
        &self,
        hash: &[u8; 32],
        groupid: u64,
        message: &str,
    ) -> Result<bool, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let Some(payment) = payment_by_hash(tx, hash)? else {
                return Ok(false);
            };
            let group = to_db_u64(groupid)?;
            let stale = parts_where(
                tx,
                "s.payment_id = ?1 AND s.groupid = ?2 AND s.status = 'pending' \
                 AND s.dispatched = 0",
                &[&payment.id, &group],
            )?;
            if stale.is_empty() {
                return Ok(false);
            }
            let others: i64 = tx
                .prepare_cached(
                    "SELECT count(*) FROM sendpay_parts WHERE payment_id = ?1 \
                     AND status = 'pending' AND dispatched = 1",
                )?
                .query_row([payment.id], |row| row.get(0))?;
            let mut shared = None;
            if others == 0 && payment.status == PaymentStatus::Pending {
                tx.prepare_cached(
                    "UPDATE payments SET status = 'failed', failure_code = 'send_failed', \
                     failure_reason = ?2 WHERE id = ?1",
                )?
                .execute(params![payment.id, message])?;
                touch(tx, payment.id, now, EventKind::PaymentFailed)?;
                shared = Some(updated_index_of(tx, payment.id)?);
            }
            for (i, part) in stale.iter().enumerate() {
                tx.prepare_cached(
                    "UPDATE sendpay_parts SET status = 'failed', completed_at = ?2, \
                     fail_message = coalesce(fail_message, ?3) WHERE id = ?1",
                )?
                .execute(params![part.id, to_db_u64(now)?, message])?;
                bump_part(tx, part.id, if i == 0 { shared } else { None })?;
            }
            Ok(true)
        })
    }

    /// The parts of `hash`, oldest first (none when the hash is unknown).
    pub fn sendpay_parts(&self, hash: &[u8; 32]) -> Result<Vec<SendpayPart>, LedgerError> {
        self.read(|tx| parts_where(tx, "p.payment_hash = ?1", &[&&hash[..]]))
    }

    /// `listsendpays`: parts matching the filters, ordered by `created_index` (or
    /// `updated_index` with `by_updated`, where only changed parts count), from `start`. An
    /// outbound payment made some other way (`send_payment`) is listed as CLN lists a `pay`:
    /// one part, group 0, part 0, with the payment's indexes (`updated_index` once final).
    pub fn list_sendpays(
        &self,
        filter: &SendpayListFilter,
        by_updated: bool,
        start: u64,
        limit: u32,
    ) -> Result<Vec<SendpayPart>, LedgerError> {
        self.read(|tx| {
            let index = if by_updated {
                "updated_index"
            } else {
                "created_index"
            };
            let sql = format!(
                "SELECT * FROM (SELECT {PART_COLUMNS} FROM {PART_FROM} \
                 UNION ALL SELECT {PAYMENT_AS_PART} FROM payments p \
                 WHERE p.direction = 'outbound' \
                 AND NOT EXISTS (SELECT 1 FROM sendpay_parts s WHERE s.payment_id = p.id)) \
                 WHERE {index} >= ?1 AND (?2 IS NULL OR payment_hash = ?2) \
                 AND (?3 IS NULL OR bolt11 = ?3) AND (?4 IS NULL OR status = ?4) \
                 ORDER BY {index} LIMIT ?5"
            );
            let mut stmt = tx.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    to_db_u64(start)?,
                    filter.payment_hash.as_ref().map(|h| &h[..]),
                    filter.bolt11,
                    filter.status.map(SendpayStatus::as_str),
                    limit,
                ],
                |row| Ok(part_from_row(row)),
            )?;
            let mut parts = Vec::new();
            for row in rows {
                parts.push(row??);
            }
            Ok(parts)
        })
    }
}

fn next_groupid(tx: &Connection, payment_id: i64) -> Result<u64, LedgerError> {
    let max: Option<i64> = tx
        .prepare_cached("SELECT max(groupid) FROM sendpay_parts WHERE payment_id = ?1")?
        .query_row([payment_id], |row| row.get(0))?;
    Ok(max.and_then(|m| u64::try_from(m).ok()).unwrap_or(0) + 1)
}

/// Adds a part and takes its group if that completes it.
fn begin_part(
    tx: &Connection,
    payment: &Payment,
    new: &NewSendpayPart,
    groupid: u64,
    created_index: Option<u64>,
    now: u64,
) -> Result<SendpayBegin, LedgerError> {
    let id = insert_part(tx, payment, new, groupid, created_index, now)?;
    let ready = take_ready_group(tx, payment.id, groupid)?;
    Ok(SendpayBegin::New {
        part: part_by_id(tx, id)?,
        ready,
    })
}

/// A send of a hash whose payment row is pending.
fn pending_begin(
    tx: &Connection,
    existing: &Payment,
    new: &NewSendpayPart,
    now: u64,
) -> Result<SendpayBegin, LedgerError> {
    let pending = parts_where(
        tx,
        "s.payment_id = ?1 AND s.status = 'pending'",
        &[&existing.id],
    )?;
    let Some(group_of_pending) = pending.first().map(|p| p.groupid) else {
        return Ok(SendpayBegin::InProgress(
            "this payment hash is already being paid by another send".to_string(),
        ));
    };
    let groupid = new.groupid.unwrap_or(group_of_pending);
    if groupid != group_of_pending {
        return Ok(SendpayBegin::InProgress(format!(
            "there is a payment already in progress for this hash (group {group_of_pending})"
        )));
    }
    if let Some(same) = pending.iter().find(|p| p.partid == new.partid) {
        if same.amount_msat == new.amount_msat && same.destination == new.destination {
            return Ok(SendpayBegin::AlreadyPending(same.clone()));
        }
        return Ok(SendpayBegin::InProgress(format!(
            "part {} of group {groupid} is already pending with amount {} msat (not {} msat)",
            new.partid, same.amount_msat, new.amount_msat
        )));
    }
    let dispatched: i64 = tx
        .prepare_cached(
            "SELECT count(*) FROM sendpay_parts WHERE payment_id = ?1 AND groupid = ?2 \
             AND dispatched = 1 AND status = 'pending'",
        )?
        .query_row(params![existing.id, to_db_u64(groupid)?], |row| row.get(0))?;
    if new.partid == 0 || dispatched > 0 {
        return Ok(SendpayBegin::InProgress(format!(
            "group {groupid} of this payment is already in flight; parts cannot be added to it"
        )));
    }
    if pending.iter().any(|p| p.total_msat != new.total_msat) {
        return Ok(SendpayBegin::InProgress(format!(
            "the other parts of group {groupid} pay a total of {} msat, not {} msat",
            pending[0].total_msat, new.total_msat
        )));
    }
    begin_part(tx, existing, new, groupid, None, now)
}

/// Settles the pending parts of a payment whose row just became succeeded or failed, in the
/// caller's transaction. `shared` is the row's new `updated_index`, given to the first part.
pub(crate) fn settle_parts(
    tx: &Connection,
    payment_id: i64,
    status: SendpayStatus,
    message: Option<&str>,
    now: u64,
) -> Result<(), LedgerError> {
    // A failed payment fails every pending part, also those of a group still being gathered
    // (start-up reconciliation fails a row LDK never got; its gathering timer died with the
    // process). Only parts handed to the engine can have succeeded.
    let condition = match status {
        SendpayStatus::Failed => "s.payment_id = ?1 AND s.status = 'pending'",
        _ => "s.payment_id = ?1 AND s.status = 'pending' AND s.dispatched = 1",
    };
    let pending = parts_where(tx, condition, &[&payment_id])?;
    if pending.is_empty() {
        return Ok(());
    }
    let shared = updated_index_of(tx, payment_id)?;
    for (i, part) in pending.iter().enumerate() {
        tx.prepare_cached(
            "UPDATE sendpay_parts SET status = ?2, completed_at = ?3, \
             fail_message = CASE WHEN ?2 = 'failed' THEN coalesce(fail_message, ?4) \
             ELSE fail_message END WHERE id = ?1",
        )?
        .execute(params![part.id, status.as_str(), to_db_u64(now)?, message])?;
        bump_part(tx, part.id, (i == 0).then_some(shared))?;
    }
    Ok(())
}

/// The body of [`Ledger::sendpay_begin`], in the caller's transaction.
fn sendpay_begin_in(
    tx: &Connection,
    new: &NewSendpayPart,
    now: u64,
) -> Result<SendpayBegin, LedgerError> {
    let hash = &new.payment_hash;
    let Some(existing) = payment_by_hash(tx, hash)? else {
        insert_row(
            tx,
            &NewRow {
                hash,
                direction: Direction::Outbound,
                kind: PaymentKind::Route,
                destination: Some(&new.destination),
                description: new.description.as_deref().unwrap_or_default(),
                amount_msat: Some(new.total_msat),
                fee_limit_msat: None,
                status: PaymentStatus::Pending,
                preimage: None,
                payment_secret: new.payment_secret.as_ref(),
                invoice: new.bolt11.as_deref(),
                expires_at: None,
                metadata: None,
                attempts: 1,
                hold: false,
                webhook_url: None,
                split: None,
                wallet_id: None,
            },
            now,
        )?;
        let payment = reload(tx, hash)?;
        let groupid = new.groupid.unwrap_or(1);
        return begin_part(tx, &payment, new, groupid, Some(payment.created_index), now);
    };
    if existing.direction != Direction::Outbound {
        return Err(LedgerError::DirectionConflict {
            hash: *hash,
            existing: existing.direction.as_str(),
        });
    }
    match existing.status {
        PaymentStatus::Succeeded => {
            let same = existing.amount_msat == Some(new.total_msat)
                && existing.destination == Some(new.destination);
            if !same {
                return Ok(SendpayBegin::PaidDifferently(Box::new(existing)));
            }
            let part = parts_where(
                tx,
                "s.payment_id = ?1 AND s.status = 'complete'",
                &[&existing.id],
            )?
            .into_iter()
            .next();
            Ok(SendpayBegin::AlreadyComplete {
                payment: Box::new(existing),
                part,
            })
        }
        PaymentStatus::Failed => {
            guard(&existing, PaymentStatus::Pending)?;
            let groupid = match new.groupid {
                Some(g) => g,
                None => next_groupid(tx, existing.id)?,
            };
            tx.prepare_cached(
                "DELETE FROM sendpay_parts WHERE payment_id = ?1 AND groupid = ?2 \
                 AND partid = ?3 AND status = 'failed'",
            )?
            .execute(params![
                existing.id,
                to_db_u64(groupid)?,
                to_db_u64(new.partid)?
            ])?;
            tx.prepare_cached(
                "UPDATE payments SET kind = 'route', destination = ?2, \
                 amount_msat = ?3, payment_secret = coalesce(?4, payment_secret), \
                 invoice = coalesce(?5, invoice), status = 'pending', \
                 fee_paid_msat = NULL, failure_code = NULL, failure_reason = NULL, \
                 attempts = attempts + 1 WHERE id = ?1",
            )?
            .execute(params![
                existing.id,
                &new.destination[..],
                to_db_u64(new.total_msat)?,
                new.payment_secret.as_ref().map(|s| &s[..]),
                new.bolt11,
            ])?;
            touch(tx, existing.id, now, EventKind::PaymentPending)?;
            let payment = reload(tx, hash)?;
            begin_part(tx, &payment, new, groupid, None, now)
        }
        PaymentStatus::Pending | PaymentStatus::Claimable => pending_begin(tx, &existing, new, now),
        PaymentStatus::Held | PaymentStatus::Canceled => Err(LedgerError::DirectionConflict {
            hash: *hash,
            existing: existing.direction.as_str(),
        }),
    }
}
