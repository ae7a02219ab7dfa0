//! Counting the rows before a `FromId` anchor from the day and minute tallies (migration 9):
//! the newer days are summed from one table, the anchor day's newer minutes from the other, and
//! only the anchor's own minute is counted row by row. A few thousand tally rows at most, where
//! the plain count walks everything newer than the anchor (half a million rows at 1M).

use rusqlite::types::Value;
use rusqlite::Connection;

use crate::ledger::error::LedgerError;
use crate::ledger::filter::{conditions, equality_part, Conditions};
use crate::ledger::model::{PaymentFilter, PaymentTypeFilter};

const DAY_SECS: i64 = 86_400;
const MINUTE_SECS: i64 = 60;

/// The tallies' own conditions for `filter`, if the tallies can answer it: direction and status
/// only (a destination, range or description needs the rows).
fn tally_conditions(filter: &PaymentFilter) -> Option<Conditions> {
    let kept = equality_part(filter);
    let destination = matches!(
        filter.payment_type,
        Some(PaymentTypeFilter::Outbound {
            destination: Some(_)
        })
    );
    (&kept == filter && !destination).then(|| conditions(&kept))
}

fn sum(tx: &Connection, sql: &str, params: Vec<Value>) -> Result<u64, LedgerError> {
    let n: i64 = tx
        .prepare_cached(sql)?
        .query_row(rusqlite::params_from_iter(params), |row| row.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Rows matching `filter` at or before the anchor `(last_updated, id)` in list order (newest
/// change first), or `None` when the filter is one the tallies cannot answer.
pub(crate) fn rows_up_to_anchor(
    tx: &Connection,
    filter: &PaymentFilter,
    last_updated: i64,
    id: i64,
) -> Result<Option<u64>, LedgerError> {
    let Some(c) = tally_conditions(filter) else {
        return Ok(None);
    };
    let (w, a, b) = (&c.sql, c.next_param(), c.next_param() + 1);
    let with = |extra: &[i64]| -> Vec<Value> {
        c.params
            .iter()
            .cloned()
            .chain(extra.iter().map(|v| Value::Integer(*v)))
            .collect()
    };
    let day = last_updated.div_euclid(DAY_SECS);
    let minute = last_updated.div_euclid(MINUTE_SECS);
    let newer_days = sum(
        tx,
        &format!("SELECT coalesce(sum(n), 0) FROM payment_day_tallies WHERE {w} AND day > ?{a}"),
        with(&[day]),
    )?;
    let newer_minutes = sum(
        tx,
        &format!(
            "SELECT coalesce(sum(n), 0) FROM payment_minute_tallies \
             WHERE {w} AND minute > ?{a} AND minute < ?{b}"
        ),
        with(&[minute, (day + 1) * DAY_SECS / MINUTE_SECS]),
    )?;
    let (lu, i) = (c.next_param() + 1, c.next_param() + 2);
    let same_minute = sum(
        tx,
        &format!(
            "SELECT count(*) FROM payments WHERE {w} AND last_updated < ?{a} \
             AND (last_updated, id) >= (?{lu}, ?{i})"
        ),
        with(&[(minute + 1) * MINUTE_SECS, last_updated, id]),
    )?;
    Ok(Some(newer_days + newer_minutes + same_minute))
}
