//! Access keys and the budget reservations of the payments they make.
//!
//! The ledger stores what a key is and what it spent; what a scope permits and how a period
//! turns into a window are the service's rules (`service/keys`). Only the SHA-256 of a token
//! is stored: a 256-bit random token needs no slow hash, and a copy of the file gives no
//! usable key.
//!
//! Budget accounting (one row per payment attempt a key made, `key_reservations`):
//! - [`reserve`] runs inside the transaction that writes the payment's intent row: it sums what
//!   the key has reserved or spent within the window, refuses if the new amount would go over,
//!   and inserts the reservation. The ledger has one writer and each write is an `IMMEDIATE`
//!   transaction, so concurrent sends are serialised here and cannot overshoot together; a
//!   refusal rolls the intent row back with it.
//! - [`settle_reservation`] runs inside the transaction that marks the payment final: a
//!   success keeps the reservation at the amount plus the fee actually paid, a failure
//!   releases it.
//! - The window is rolling: a reservation counts while `reserved_at` is within the last
//!   `window_secs` seconds.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::ledger::error::LedgerError;
use crate::ledger::model::Payment;
use crate::ledger::row::{payment_by_hash, to_db_u64};
use crate::ledger::Ledger;

/// A key to record (the token itself never reaches the ledger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessKey {
    pub token_hash: [u8; 32],
    /// The visible start of the token (its prefix and a few characters), to tell keys apart.
    pub token_hint: String,
    pub label: String,
    /// `readonly`, `invoice`, `admin` or `methods`.
    pub scope: String,
    /// The allow-list, when `scope` is `methods`.
    pub methods: Option<Vec<String>>,
    pub max_payment_msat: Option<u64>,
    pub budget_msat: Option<u64>,
    /// `hour`, `day`, `week` or `month`, set together with `budget_msat`.
    pub budget_period: Option<String>,
    pub expires_at: Option<u64>,
}

/// A stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyRow {
    pub id: u64,
    pub token_hash: [u8; 32],
    pub token_hint: String,
    pub label: String,
    pub scope: String,
    pub methods: Option<Vec<String>>,
    pub max_payment_msat: Option<u64>,
    pub budget_msat: Option<u64>,
    pub budget_period: Option<String>,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
    pub expires_at: Option<u64>,
    pub revoked_at: Option<u64>,
}

/// What a payment made with a key is charged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyCharge {
    pub key_id: u64,
    pub max_payment_msat: Option<u64>,
    pub budget: Option<KeyBudget>,
}

/// A rolling budget: at most `budget_msat` reserved or spent within any `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyBudget {
    pub budget_msat: u64,
    pub window_secs: u64,
}

/// Why a payment was refused by its key's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetRefusal {
    pub key_id: u64,
    /// The amount plus the fee limit of the refused payment.
    pub requested_msat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_payment_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_msat: Option<u64>,
    /// What is left of the budget in the current window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_msat: Option<u64>,
}

impl std::fmt::Display for BudgetRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.max_payment_msat, self.remaining_msat) {
            (Some(max), _) if self.requested_msat > max => write!(
                f,
                "access key {} may pay at most {max} msat per payment (amount plus fee limit); \
                 this payment needs {} msat",
                self.key_id, self.requested_msat
            ),
            (_, Some(remaining)) => write!(
                f,
                "access key {} has {remaining} msat left of its budget in this period; this \
                 payment needs {} msat (amount plus fee limit)",
                self.key_id, self.requested_msat
            ),
            _ => write!(f, "access key {} may not make this payment", self.key_id),
        }
    }
}

/// What a key spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyUsage {
    /// Kept by succeeded payments within the window (all time without a window).
    pub spent_msat: u64,
    /// Held by payments still in flight within the window.
    pub reserved_msat: u64,
    /// Succeeded payments within the window.
    pub payments_in_period: u64,
    /// Succeeded payments, all time.
    pub payments_made: u64,
    /// Payments in flight.
    pub payments_pending: u64,
}

const KEY_COLUMNS: &str = "id, token_hash, token_hint, label, scope, methods, max_payment_msat, \
     budget_msat, budget_period, created_at, last_used_at, expires_at, revoked_at";

fn opt_u64(value: Option<u64>) -> Result<Option<i64>, LedgerError> {
    value.map(to_db_u64).transpose()
}

fn from_db(value: Option<i64>) -> Option<u64> {
    value.and_then(|v| u64::try_from(v).ok())
}

fn key_from_row(row: &Row<'_>) -> rusqlite::Result<AccessKeyRow> {
    let hash: Vec<u8> = row.get(1)?;
    let methods: Option<String> = row.get(5)?;
    Ok(AccessKeyRow {
        id: from_db(row.get(0)?).unwrap_or_default(),
        token_hash: hash.try_into().unwrap_or([0; 32]),
        token_hint: row.get(2)?,
        label: row.get(3)?,
        scope: row.get(4)?,
        // Written by `insert_access_key` as a JSON array of strings.
        methods: methods.and_then(|text| serde_json::from_str(&text).ok()),
        max_payment_msat: from_db(row.get(6)?),
        budget_msat: from_db(row.get(7)?),
        budget_period: row.get(8)?,
        created_at: from_db(row.get(9)?).unwrap_or_default(),
        last_used_at: from_db(row.get(10)?),
        expires_at: from_db(row.get(11)?),
        revoked_at: from_db(row.get(12)?),
    })
}

fn key_by_id(tx: &Connection, id: u64) -> Result<Option<AccessKeyRow>, LedgerError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM access_keys WHERE id = ?1");
    Ok(tx
        .prepare_cached(&sql)?
        .query_row([to_db_u64(id)?], key_from_row)
        .optional()?)
}

impl Ledger {
    /// Records a new key; returns it with its id and creation time.
    pub fn insert_access_key(&self, new: &NewAccessKey) -> Result<AccessKeyRow, LedgerError> {
        let now = self.now();
        let methods = new
            .methods
            .as_ref()
            .map(|m| serde_json::to_string(m).unwrap_or_else(|_| "[]".into()));
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO access_keys (token_hash, token_hint, label, scope, methods, \
                 max_payment_msat, budget_msat, budget_period, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                &new.token_hash[..],
                new.token_hint,
                new.label,
                new.scope,
                methods,
                opt_u64(new.max_payment_msat)?,
                opt_u64(new.budget_msat)?,
                new.budget_period,
                to_db_u64(now)?,
                opt_u64(new.expires_at)?,
            ])?;
            let id = tx.last_insert_rowid();
            key_by_id(tx, u64::try_from(id).unwrap_or_default())?
                .ok_or(LedgerError::TaskFailed("the new key was not found".into()))
        })
    }

    /// Every key, revoked ones included, oldest first.
    pub fn access_keys(&self) -> Result<Vec<AccessKeyRow>, LedgerError> {
        self.read(|tx| {
            let sql = format!("SELECT {KEY_COLUMNS} FROM access_keys ORDER BY id");
            let mut stmt = tx.prepare_cached(&sql)?;
            let rows = stmt.query_map([], key_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Revokes key `id` (a second revoke keeps the first time); `None` when there is no such
    /// key.
    pub fn revoke_access_key(&self, id: u64) -> Result<Option<AccessKeyRow>, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE access_keys SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1",
            )?
            .execute(params![to_db_u64(id)?, to_db_u64(now)?])?;
            key_by_id(tx, id)
        })
    }

    /// Records that key `id` was used at `at` (never moves the time back).
    pub fn note_access_key_used(&self, id: u64, at: u64) -> Result<(), LedgerError> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE access_keys SET last_used_at = max(coalesce(last_used_at, 0), ?2) \
                 WHERE id = ?1",
            )?
            .execute(params![to_db_u64(id)?, to_db_u64(at)?])?;
            Ok(())
        })
    }

    /// Records that key `key_id` made the payment `hash` (an invoice it generated); a row that
    /// already names a key keeps it.
    pub fn set_payment_key(&self, hash: &[u8; 32], key_id: u64) -> Result<Payment, LedgerError> {
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE payments SET key_id = ?2 WHERE payment_hash = ?1 AND key_id IS NULL",
            )?
            .execute(params![&hash[..], to_db_u64(key_id)?])?;
            payment_by_hash(tx, hash)?.ok_or(LedgerError::NoSuchPayment(*hash))
        })
    }

    /// What key `id` spent within the last `window_secs` (all time when `None`).
    pub fn access_key_usage(
        &self,
        id: u64,
        window_secs: Option<u64>,
    ) -> Result<KeyUsage, LedgerError> {
        let since = window_secs.map_or(0, |w| self.now().saturating_sub(w));
        self.read(|tx| {
            let id = to_db_u64(id)?;
            let since = to_db_u64(since)?;
            let (spent, reserved, in_period): (i64, i64, i64) = tx
                .prepare_cached(
                    "SELECT \
                       coalesce(sum(CASE WHEN status = 'spent' THEN amount_msat END), 0), \
                       coalesce(sum(CASE WHEN status = 'reserved' THEN amount_msat END), 0), \
                       count(CASE WHEN status = 'spent' THEN 1 END) \
                     FROM key_reservations WHERE key_id = ?1 AND reserved_at > ?2",
                )?
                .query_row(params![id, since], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            let (made, pending): (i64, i64) = tx
                .prepare_cached(
                    "SELECT count(CASE WHEN status = 'spent' THEN 1 END), \
                       count(CASE WHEN status = 'reserved' THEN 1 END) \
                     FROM key_reservations WHERE key_id = ?1",
                )?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(KeyUsage {
                spent_msat: from_db(Some(spent)).unwrap_or_default(),
                reserved_msat: from_db(Some(reserved)).unwrap_or_default(),
                payments_in_period: from_db(Some(in_period)).unwrap_or_default(),
                payments_made: from_db(Some(made)).unwrap_or_default(),
                payments_pending: from_db(Some(pending)).unwrap_or_default(),
            })
        })
    }
}

/// Charges attempt `attempt` of payment `payment_id` (`amount_msat`: amount plus fee limit) to
/// `charge`'s key, in the caller's (intent) transaction. See the module docs.
pub(crate) fn reserve(
    tx: &Connection,
    payment_id: i64,
    attempt: u32,
    charge: &KeyCharge,
    amount_msat: u64,
    now: u64,
) -> Result<(), LedgerError> {
    let refusal = |remaining_msat| {
        LedgerError::BudgetExceeded(BudgetRefusal {
            key_id: charge.key_id,
            requested_msat: amount_msat,
            max_payment_msat: charge.max_payment_msat,
            budget_msat: charge.budget.map(|b| b.budget_msat),
            remaining_msat,
        })
    };
    let key_id = to_db_u64(charge.key_id)?;
    let remaining = match charge.budget {
        None => None,
        Some(budget) => {
            let since = to_db_u64(now.saturating_sub(budget.window_secs))?;
            let used: i64 = tx
                .prepare_cached(
                    "SELECT coalesce(sum(amount_msat), 0) FROM key_reservations \
                     WHERE key_id = ?1 AND reserved_at > ?2 AND status IN ('reserved', 'spent')",
                )?
                .query_row(params![key_id, since], |r| r.get(0))?;
            Some(
                budget
                    .budget_msat
                    .saturating_sub(from_db(Some(used)).unwrap_or_default()),
            )
        }
    };
    if charge.max_payment_msat.is_some_and(|max| amount_msat > max) {
        return Err(refusal(remaining));
    }
    if remaining.is_some_and(|left| amount_msat > left) {
        return Err(refusal(remaining));
    }
    tx.prepare_cached("UPDATE payments SET key_id = ?2 WHERE id = ?1")?
        .execute(params![payment_id, key_id])?;
    tx.prepare_cached(
        "INSERT INTO key_reservations (key_id, payment_id, attempt, amount_msat, reserved_at, \
         status) VALUES (?1, ?2, ?3, ?4, ?5, 'reserved')",
    )?
    .execute(params![
        key_id,
        payment_id,
        attempt,
        to_db_u64(amount_msat)?,
        to_db_u64(now)?
    ])?;
    Ok(())
}

/// Settles the open reservation of payment `payment_id`, in the caller's transaction: kept at
/// `spent_msat` (amount plus fee paid) on success, released on failure (`None`). A payment no
/// key made has none, and this changes nothing.
pub(crate) fn settle_reservation(
    tx: &Connection,
    payment_id: i64,
    spent_msat: Option<u64>,
) -> Result<(), LedgerError> {
    match spent_msat {
        Some(spent) => {
            tx.prepare_cached(
                "UPDATE key_reservations SET status = 'spent', amount_msat = ?2 \
                 WHERE payment_id = ?1 AND status = 'reserved'",
            )?
            .execute(params![payment_id, to_db_u64(spent)?])?;
        }
        None => {
            tx.prepare_cached(
                "UPDATE key_reservations SET status = 'released' \
                 WHERE payment_id = ?1 AND status = 'reserved'",
            )?
            .execute([payment_id])?;
        }
    }
    Ok(())
}
