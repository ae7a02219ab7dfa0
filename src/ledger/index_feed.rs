//! CLN-style index feeds over payments: `wait` (the first change at or past an index, per
//! direction) and `list_payments_by_filter`'s `index`/`start` paging.
//!
//! Both indexes are ledger-wide counters (`created_index` once at insert, `updated_index` at
//! insert and every change), so they increase across directions: within one direction (CLN's
//! `invoices` or `sendpays`) they are monotonic but not dense. A client that continues from
//! the index it last saw, plus one, never misses or repeats an entry, whatever is inserted
//! meanwhile: new rows always get larger indexes than any already handed out.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};

use super::error::LedgerError;
use super::filter::{bound, conditions};
use super::model::{Direction, IndexKind, Payment, PaymentFilter, PaymentStatus};
use super::row::{query_payments, PAYMENT_COLUMNS};
use super::Ledger;

/// A change that reached an index: its index value, the status it set, and the payment now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedChange {
    pub index: u64,
    pub status: PaymentStatus,
    pub payment: Payment,
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Ledger {
    /// The first change to a `direction` payment whose `index` value is at least `at_least`.
    pub fn first_change_at(
        &self,
        direction: Direction,
        index: IndexKind,
        at_least: u64,
    ) -> Result<Option<IndexedChange>, LedgerError> {
        let sql = match index {
            IndexKind::Created => {
                "SELECT p.created_index, h.status, p.id FROM payments p \
                 JOIN payment_history h ON h.updated_index = p.updated_index \
                 WHERE p.direction = ?1 AND p.created_index >= ?2 \
                 ORDER BY p.created_index LIMIT 1"
            }
            IndexKind::Updated => {
                "SELECT h.updated_index, h.status, p.id FROM payment_history h \
                 JOIN payments p ON p.id = h.payment_id \
                 WHERE p.direction = ?1 AND h.updated_index >= ?2 \
                 ORDER BY h.updated_index LIMIT 1"
            }
        };
        self.read(|tx| {
            let found: Option<(i64, String, i64)> = tx
                .prepare_cached(sql)?
                .query_row(params![direction.as_str(), bound(at_least)], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?;
            let Some((value, word, id)) = found else {
                return Ok(None);
            };
            let status = PaymentStatus::from_db(&word).ok_or(LedgerError::CorruptRow {
                id,
                column: "payment_history.status",
                reason: format!("unknown value {word:?}"),
            })?;
            let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?1");
            let payment = query_payments(tx, &sql, [id])?.pop();
            Ok(payment.map(|payment| IndexedChange {
                index: to_u64(value),
                status,
                payment,
            }))
        })
    }

    /// The largest `index` value any `direction` payment has reached (0 when none).
    pub fn last_index(&self, direction: Direction, index: IndexKind) -> Result<u64, LedgerError> {
        let sql = match index {
            IndexKind::Created => "SELECT max(created_index) FROM payments WHERE direction = ?1",
            IndexKind::Updated => {
                "SELECT max(h.updated_index) FROM payment_history h \
                 JOIN payments p ON p.id = h.payment_id WHERE p.direction = ?1"
            }
        };
        self.read(|tx| {
            let value: Option<i64> = tx
                .prepare_cached(sql)?
                .query_row([direction.as_str()], |row| row.get(0))?;
            Ok(value.map_or(0, to_u64))
        })
    }

    /// Payments matching `filter` whose `index` value is at least `start`, in that index's
    /// order, at most `limit` (1..=MAX_LIMIT). With the `updated` index a payment appears at
    /// its latest change only, so a row that changes again moves past the cursor and is seen
    /// again there.
    pub fn list_payments_by_index(
        &self,
        filter: &PaymentFilter,
        index: IndexKind,
        start: u64,
        limit: u32,
    ) -> Result<Vec<Payment>, LedgerError> {
        if !(1..=super::MAX_LIMIT).contains(&limit) {
            return Err(LedgerError::InvalidLimit {
                limit,
                max: super::MAX_LIMIT,
            });
        }
        let column = match index {
            IndexKind::Created => "created_index",
            IndexKind::Updated => "updated_index",
        };
        let c = conditions(filter);
        let n = c.next_param();
        let filtered = if c.sql.is_empty() {
            String::new()
        } else {
            format!("({}) AND ", c.sql)
        };
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE {filtered}{column} >= ?{n} \
             ORDER BY {column} LIMIT ?{}",
            n + 1
        );
        let mut params: Vec<Value> = c.params.clone();
        params.push(bound(start));
        params.push(Value::Integer(i64::from(limit)));
        self.read(|tx| query_payments(tx, &sql, params_from_iter(params.iter())))
    }
}
