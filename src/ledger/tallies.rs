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

/// The conditions' parameters followed by `extra`.
fn with_integers(c: &Conditions, extra: &[i64]) -> Vec<Value> {
    c.params
        .iter()
        .cloned()
        .chain(extra.iter().map(|v| Value::Integer(*v)))
        .collect()
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
    let with = |extra: &[i64]| with_integers(&c, extra);
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

/// Where the row `rank` places into the list (0 = newest) of rows matching `filter` sits,
/// found from the tallies: it is row `offset` (0-based) of the rows with
/// `last_updated < before`, and `before` ends the minute it changed in. `None` when the
/// tallies cannot answer the filter or fewer rows match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RankPosition {
    pub before: i64,
    pub offset: u64,
}

/// The first `(unit, n)` row, newest first, at which the running count passes `rank`, with the
/// count before it.
fn passing(
    tx: &Connection,
    sql: &str,
    params: Vec<Value>,
    rank: u64,
) -> Result<Option<(i64, u64)>, LedgerError> {
    let mut stmt = tx.prepare_cached(sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
    let mut seen = 0u64;
    while let Some(row) = rows.next()? {
        let unit: i64 = row.get(0)?;
        let n = u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0);
        if seen + n > rank {
            return Ok(Some((unit, seen)));
        }
        seen += n;
    }
    Ok(None)
}

/// [`RankPosition`] of `rank`: the day tallies find its day (a few hundred rows), that day's
/// minute tallies its minute, so a deep page reads at most one minute's rows before it
/// instead of every row before it.
pub(crate) fn rank_position(
    tx: &Connection,
    filter: &PaymentFilter,
    rank: u64,
) -> Result<Option<RankPosition>, LedgerError> {
    let Some(c) = tally_conditions(filter) else {
        return Ok(None);
    };
    let (w, a, b) = (&c.sql, c.next_param(), c.next_param() + 1);
    let days = format!(
        "SELECT day, sum(n) FROM payment_day_tallies WHERE {w} GROUP BY day ORDER BY day DESC"
    );
    let Some((day, before_day)) = passing(tx, &days, c.params.clone(), rank)? else {
        return Ok(None);
    };
    let minutes = format!(
        "SELECT minute, sum(n) FROM payment_minute_tallies WHERE {w} \
         AND minute >= ?{a} AND minute < ?{b} GROUP BY minute ORDER BY minute DESC"
    );
    let per_day = DAY_SECS / MINUTE_SECS;
    let params = with_integers(&c, &[day * per_day, (day + 1) * per_day]);
    let Some((minute, before_minute)) = passing(tx, &minutes, params, rank - before_day)? else {
        return Ok(None);
    };
    Ok(Some(RankPosition {
        before: (minute + 1) * MINUTE_SECS,
        offset: rank - before_day - before_minute,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::model::PaymentStatus;
    use crate::ledger::{bench, Ledger};

    /// For every filter the tallies answer and ranks across the whole list, the row found from
    /// `rank_position` is the row a plain offset finds, including in minutes shared by many
    /// rows (a seventh of the rows moved into one minute, through the update trigger).
    #[test]
    fn rank_positions_find_the_row_an_offset_finds() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        bench::fill(&ledger, 3_000, 7).unwrap();
        let crowded = bench::EPOCH as i64 + 200 * DAY_SECS + 30;
        ledger
            .write(|tx| {
                tx.execute(
                    "UPDATE payments SET last_updated = ?1 WHERE id % 7 = 0",
                    [crowded],
                )?;
                Ok(())
            })
            .unwrap();
        let filters = [
            PaymentFilter::default(),
            PaymentFilter {
                payment_type: Some(PaymentTypeFilter::Inbound),
                ..Default::default()
            },
            PaymentFilter {
                status: Some(PaymentStatus::Succeeded),
                ..Default::default()
            },
            PaymentFilter {
                payment_type: Some(PaymentTypeFilter::Outbound { destination: None }),
                status: Some(PaymentStatus::Failed),
                ..Default::default()
            },
        ];
        for filter in filters {
            let c = conditions(&filter);
            let ids: Vec<i64> = ledger
                .read(|tx| {
                    let sql = format!(
                        "SELECT id FROM payments WHERE {} ORDER BY last_updated DESC, id DESC",
                        c.sql
                    );
                    let mut stmt = tx.prepare(&sql)?;
                    let rows =
                        stmt.query_map(rusqlite::params_from_iter(&c.params), |r| r.get(0))?;
                    Ok(rows.collect::<Result<Vec<i64>, _>>()?)
                })
                .unwrap();
            assert!(ids.len() > 300, "{filter:?}: {}", ids.len());
            for rank in (0..ids.len() as u64)
                .step_by(13)
                .chain([ids.len() as u64 - 1])
            {
                let at = ledger
                    .read(|tx| rank_position(tx, &filter, rank))
                    .unwrap()
                    .unwrap();
                let found: i64 = ledger
                    .read(|tx| {
                        let sql = format!(
                            "SELECT id FROM payments WHERE {} AND last_updated < ?{} \
                             ORDER BY last_updated DESC, id DESC LIMIT 1 OFFSET ?{}",
                            c.sql,
                            c.next_param(),
                            c.next_param() + 1
                        );
                        let params = c
                            .params
                            .iter()
                            .cloned()
                            .chain([Value::Integer(at.before), Value::Integer(at.offset as i64)]);
                        Ok(tx.query_row(&sql, rusqlite::params_from_iter(params), |r| r.get(0))?)
                    })
                    .unwrap();
                assert_eq!(found, ids[rank as usize], "{filter:?} rank {rank}");
            }
            let past = ledger
                .read(|tx| rank_position(tx, &filter, ids.len() as u64))
                .unwrap();
            assert_eq!(past, None);
        }
    }
}
