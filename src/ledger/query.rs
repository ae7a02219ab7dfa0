//! Read queries: filtered pages (counts, page-number and keyset paging, the choice of access
//! path), single payments, and the CLN-style index feeds. The SQL fragments come from
//! `filter.rs`.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use crate::ledger::error::LedgerError;
use crate::ledger::filter::{
    bound, conditions, conditions_for, description_index, equality_part, prefer_order_walk,
    side_table_count, Conditions, RangeAccess,
};
use crate::ledger::model::{
    IndexKind, Page, Paging, Payment, PaymentFilter, PaymentStatus, StatusChange,
};
use crate::ledger::row::{payment_by_hash, query_payments, PAYMENT_COLUMNS};
use crate::ledger::tallies;
use crate::ledger::Ledger;

/// The largest page `list_payments` and `list_by_index` serve.
pub const MAX_LIMIT: u32 = 1000;

/// From this many rows skipped on, a page-number page starts from the tallies (when the
/// filter allows) instead of walking an offset.
const DEEP_OFFSET: u64 = 10_000;

/// The list order: newest change first, ties broken by the stable row id.
const ORDER: &str = "ORDER BY last_updated DESC, id DESC";

fn count(tx: &Connection, sql: &str, params: &[Value]) -> Result<u64, LedgerError> {
    let n: i64 = tx
        .prepare_cached(sql)?
        .query_row(params_from_iter(params), |row| row.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn check_limit(limit: u32) -> Result<(), LedgerError> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(LedgerError::InvalidLimit {
            limit,
            max: MAX_LIMIT,
        })
    }
}

/// The statements one `list_payments` call runs, built from fixed fragments.
pub(crate) struct ListSql {
    pub count: String,
    /// `LIMIT ?l OFFSET ?o` after the filter's parameters.
    pub page_by_offset: String,
    /// The anchor's `(last_updated, id)`; the hash parameter follows the filter's.
    pub anchor: String,
    /// Rows at or before the anchor (`?u`, `?i` follow the filter's parameters).
    pub skipped_to_anchor: String,
    /// Rows after the anchor (`?u`, `?i` follow the filter's parameters).
    pub count_after_anchor: String,
    /// The page after the anchor; `?u`, `?i`, then `LIMIT ?l`.
    pub page_after_anchor: String,
    /// Rows changed before a time; `?u`, then `LIMIT ?l OFFSET ?o`.
    pub page_before_time: String,
}

/// A page's rows: the page is chosen by ids alone, and only its rows are read whole. Sorting
/// the matches of a range index (one day's 2,700 rows, say) with every column in the sorter
/// reads each matching row from the table; sorting ids reads them from the index (a day's
/// page: 17 ms against 2 ms at a million rows).
fn page_of(selection: &str) -> String {
    format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id IN \
         (SELECT id FROM payments WHERE {selection}) {ORDER}"
    )
}

pub(crate) fn list_sql(c: &Conditions) -> ListSql {
    let w = &c.sql;
    let (a, b, d) = (c.next_param(), c.next_param() + 1, c.next_param() + 2);
    ListSql {
        count: format!("SELECT count(*) FROM payments WHERE {w}"),
        page_by_offset: page_of(&format!("{w} {ORDER} LIMIT ?{a} OFFSET ?{b}")),
        anchor: format!("SELECT last_updated, id FROM payments WHERE {w} AND payment_hash = ?{a}"),
        skipped_to_anchor: format!(
            "SELECT count(*) FROM payments WHERE {w} AND (last_updated, id) >= (?{a}, ?{b})"
        ),
        count_after_anchor: format!(
            "SELECT count(*) FROM payments WHERE {w} AND (last_updated, id) < (?{a}, ?{b})"
        ),
        page_after_anchor: page_of(&format!(
            "{w} AND (last_updated, id) < (?{a}, ?{b}) {ORDER} LIMIT ?{d}"
        )),
        page_before_time: page_of(&format!(
            "{w} AND last_updated < ?{a} {ORDER} LIMIT ?{b} OFFSET ?{d}"
        )),
    }
}

/// The oldest and newest `last_updated` (two index seeks; 0 when empty).
fn last_updated_bounds(tx: &Connection) -> Result<(i64, i64), LedgerError> {
    let one = |sql: &str| -> Result<i64, LedgerError> {
        let value: Option<i64> = tx.prepare_cached(sql)?.query_row([], |row| row.get(0))?;
        Ok(value.unwrap_or(0))
    };
    Ok((
        one("SELECT min(last_updated) FROM payments")?,
        one("SELECT max(last_updated) FROM payments")?,
    ))
}

fn with(params: &[Value], extra: impl IntoIterator<Item = Value>) -> Vec<Value> {
    params.iter().cloned().chain(extra).collect()
}

/// One page of the filtered list, computed inside one read transaction.
fn list_in(
    tx: &Connection,
    filter: &PaymentFilter,
    limit: u32,
    paging: Paging,
) -> Result<Page, LedgerError> {
    let c = conditions(filter);
    let sql = list_sql(&c);
    // Rows matching the direction / destination / status part, in constant time.
    let eq = conditions(&equality_part(filter));
    let candidates = count(
        tx,
        &format!(
            "SELECT coalesce(sum(n), 0) FROM payment_counts WHERE {}",
            eq.sql
        ),
        &eq.params,
    )?;
    let equality_only = &equality_part(filter) == filter;
    let description_only = filter
        .description
        .as_deref()
        .filter(|_| {
            filter
                == &PaymentFilter {
                    description: filter.description.clone(),
                    ..PaymentFilter::default()
                }
        })
        .and_then(description_index);
    let total = if equality_only {
        candidates
    } else if let Some((sql, params)) = side_table_count(filter) {
        count(tx, &sql, &params)?
    } else if let Some((matches, query)) = description_only {
        // Counted inside a full-text index alone, without visiting the rows.
        let sql = format!("SELECT count(*) FROM ({matches} ?1)");
        count(tx, &sql, &[Value::Text(query)])?
    } else {
        count(tx, &sql.count, &c.params)?
    };
    let total_pages = total.div_ceil(u64::from(limit));
    // The page statements, with range conditions written for the cheaper access path.
    let page_conditions = |wanted: u64| {
        if !equality_only && prefer_order_walk(candidates, total, wanted) {
            conditions_for(filter, RangeAccess::RowCheck)
        } else {
            c.clone()
        }
    };
    let limit_value = Value::Integer(i64::from(limit));
    let (skipped, payments) = match paging {
        Paging::PageNumber(0) => return Err(LedgerError::InvalidPageNumber),
        Paging::PageNumber(n) => {
            let skipped = (n - 1).saturating_mul(u64::from(limit));
            let position = if skipped >= DEEP_OFFSET && skipped < total {
                tallies::rank_position(tx, filter, skipped)?
            } else {
                None
            };
            if skipped >= total {
                (skipped, Vec::new())
            } else if let Some(at) = position {
                // Deep: start from the tallies' minute instead of walking `skipped` rows.
                let params = with(
                    &c.params,
                    [Value::Integer(at.before), limit_value, bound(at.offset)],
                );
                (
                    skipped,
                    query_payments(tx, &sql.page_before_time, params_from_iter(params))?,
                )
            } else {
                let page = page_conditions(skipped + u64::from(limit));
                let params = with(&page.params, [limit_value, bound(skipped)]);
                let statement = list_sql(&page).page_by_offset;
                (
                    skipped,
                    query_payments(tx, &statement, params_from_iter(params))?,
                )
            }
        }
        Paging::FromId(hash) => {
            // The anchor must be in the filtered set: "after X" means nothing otherwise.
            let anchor: Option<(i64, i64)> = tx
                .prepare_cached(&sql.anchor)?
                .query_row(
                    params_from_iter(with(&c.params, [Value::Blob(hash.to_vec())])),
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let (last_updated, id) = anchor.ok_or(LedgerError::NoSuchPayment(hash))?;
            let key = [Value::Integer(last_updated), Value::Integer(id)];
            // `skipped` comes from the tallies when the filter allows (see tallies.rs);
            // otherwise count whichever side of the anchor is probably smaller (judged by
            // where its timestamp sits between the oldest and newest change) and derive it
            // from the other when that one is smaller.
            let skipped = match tallies::rows_up_to_anchor(tx, filter, last_updated, id)? {
                Some(n) => n,
                None => {
                    let (oldest, newest) = last_updated_bounds(tx)?;
                    let key_params = with(&c.params, key.clone());
                    if newest - last_updated <= last_updated - oldest {
                        count(tx, &sql.skipped_to_anchor, &key_params)?
                    } else {
                        total.saturating_sub(count(tx, &sql.count_after_anchor, &key_params)?)
                    }
                }
            };
            let page = page_conditions(u64::from(limit));
            let params = with(&page.params, key.into_iter().chain([limit_value]));
            let statement = list_sql(&page).page_after_anchor;
            (
                skipped,
                query_payments(tx, &statement, params_from_iter(params))?,
            )
        }
    };
    Ok(Page {
        payments,
        limit,
        skipped,
        total,
        total_pages,
    })
}

impl Ledger {
    /// The payment with this hash, if any.
    pub fn get_payment(&self, hash: &[u8; 32]) -> Result<Option<Payment>, LedgerError> {
        self.read(|tx| payment_by_hash(tx, hash))
    }

    /// One page of the payments matching `filter`, in `last_updated DESC, id DESC` order.
    ///
    /// - `limit` must be `1..=MAX_LIMIT` (`InvalidLimit`).
    /// - `PageNumber(n)`: `n >= 1` (`InvalidPageNumber`); `skipped = (n - 1) * limit`, and a
    ///   page past the end is empty.
    /// - `FromId(hash)`: the page starts just after that payment within the filtered set; a
    ///   hash that is not in the filtered set (absent, or filtered out) is `NoSuchPayment`.
    ///   `skipped` counts the filtered rows up to and including it.
    /// - `total` counts the filtered rows; `total_pages = ceil(total / limit)`.
    pub fn list_payments(
        &self,
        filter: &PaymentFilter,
        limit: u32,
        paging: Paging,
    ) -> Result<Page, LedgerError> {
        check_limit(limit)?;
        self.read(|tx| list_in(tx, filter, limit, paging))
    }

    /// CLN-style feed: payments whose `created_index` (or `updated_index`) is `>= start`, in
    /// that index's order. A client that remembers the last index it saw, plus one, never
    /// misses or repeats a change. Every insert also takes an `updated_index`, so the updated
    /// feed alone covers creations too.
    pub fn list_by_index(
        &self,
        index: IndexKind,
        start: u64,
        limit: u32,
    ) -> Result<Vec<Payment>, LedgerError> {
        check_limit(limit)?;
        let column = match index {
            IndexKind::Created => "created_index",
            IndexKind::Updated => "updated_index",
        };
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE {column} >= ?1 ORDER BY {column} LIMIT ?2"
        );
        self.read(|tx| query_payments(tx, &sql, (bound(start), i64::from(limit))))
    }

    /// The changes a payment went through, oldest first.
    pub fn payment_history(&self, hash: &[u8; 32]) -> Result<Vec<StatusChange>, LedgerError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT h.updated_index, h.status, h.at FROM payment_history h \
                 JOIN payments p ON p.id = h.payment_id \
                 WHERE p.payment_hash = ?1 ORDER BY h.updated_index",
            )?;
            let mut rows = stmt.query([&hash[..]])?;
            let mut changes = Vec::new();
            while let Some(row) = rows.next()? {
                let word: String = row.get(1)?;
                let status = PaymentStatus::from_db(&word).ok_or(LedgerError::CorruptRow {
                    id: row.get(0)?,
                    column: "payment_history.status",
                    reason: format!("unknown value {word:?}"),
                })?;
                changes.push(StatusChange {
                    updated_index: u64::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                    status,
                    at: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                });
            }
            Ok(changes)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::bench;

    /// Pages deeper than `DEEP_OFFSET` start from the tallies; they hold the rows a plain
    /// offset gives, for a filter the tallies answer and one they do not (a destination).
    #[test]
    fn deep_page_numbers_hold_the_rows_an_offset_gives() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        bench::fill(&ledger, DEEP_OFFSET + 2_500, 3).unwrap();
        let filters = [
            PaymentFilter::default(),
            PaymentFilter {
                status: Some(PaymentStatus::Succeeded),
                ..Default::default()
            },
            PaymentFilter {
                payment_type: Some(crate::ledger::model::PaymentTypeFilter::Outbound {
                    destination: Some(bench::synthetic_destination(3)),
                }),
                ..Default::default()
            },
        ];
        for filter in filters {
            let c = conditions(&filter);
            let plain = |limit: u32, skipped: u64| -> Vec<i64> {
                let sql = format!(
                    "SELECT id FROM payments WHERE {} {ORDER} LIMIT {limit} OFFSET {skipped}",
                    c.sql
                );
                ledger
                    .read(|tx| {
                        let mut stmt = tx.prepare(&sql)?;
                        let rows =
                            stmt.query_map(params_from_iter(&c.params), |r| r.get::<_, i64>(0))?;
                        Ok(rows.collect::<Result<Vec<_>, _>>()?)
                    })
                    .unwrap()
            };
            let total = ledger
                .list_payments(&filter, 1, Paging::PageNumber(1))
                .unwrap()
                .total;
            for limit in [1u32, 10, 1000] {
                let first_deep = DEEP_OFFSET / u64::from(limit) + 1;
                for n in [first_deep - 1, first_deep, first_deep + 1, first_deep + 7] {
                    let page = ledger
                        .list_payments(&filter, limit, Paging::PageNumber(n))
                        .unwrap();
                    let skipped = (n - 1) * u64::from(limit);
                    let ids: Vec<i64> = page.payments.iter().map(|p| p.id).collect();
                    assert_eq!(
                        ids,
                        plain(limit, skipped),
                        "{filter:?} limit {limit} page {n}"
                    );
                    assert_eq!((page.skipped, page.total), (skipped, total));
                }
            }
        }
    }

    #[test]
    fn limits_outside_one_to_max_are_refused() {
        assert!(check_limit(1).is_ok());
        assert!(check_limit(MAX_LIMIT).is_ok());
        assert!(matches!(
            check_limit(0),
            Err(LedgerError::InvalidLimit { limit: 0, .. })
        ));
        assert!(matches!(
            check_limit(MAX_LIMIT + 1),
            Err(LedgerError::InvalidLimit { .. })
        ));
    }
}
