//! The webhook outbox (schema v5): deliveries owed, their attempts, and the configured routes.
//!
//! Outbox rows are written by the event append (`events.rs`), in the transaction of the change
//! itself. The delivery worker (`service/feeds/webhooks.rs`) reads the due rows, POSTs, and
//! records each attempt with its outcome here. Times in this table are unix milliseconds, so
//! a test can run the retry schedule with a millisecond base.

use rusqlite::{params, Connection, OptionalExtension};

use super::error::LedgerError;
use super::events::{event_from_row, Event};
use super::filter::bound;
use super::Ledger;

/// One configured URL and the event kinds (or categories) it wants; `None`: every event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRoute {
    pub url: String,
    pub kinds: Option<Vec<String>>,
}

/// A delivery that is due now, with its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDue {
    pub id: i64,
    pub url: String,
    /// Attempts made so far.
    pub attempts: u32,
    pub created_at_ms: u64,
    pub event: Event,
}

/// What one attempt led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    RetryAt(u64),
    /// The retry horizon has passed.
    GaveUp,
}

/// One attempt, as `list_webhook_deliveries` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub attempt: u32,
    pub at_ms: u64,
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

/// One delivery owed (to one URL for one event) and its attempts so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub event_index: u64,
    pub url: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub next_attempt_ms: Option<u64>,
    pub attempts: Vec<WebhookAttempt>,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn attempts_of(tx: &Connection, id: i64) -> Result<Vec<WebhookAttempt>, LedgerError> {
    let mut stmt = tx.prepare_cached(
        "SELECT attempt, at_ms, http_status, error FROM webhook_attempts \
         WHERE outbox_id = ?1 ORDER BY attempt",
    )?;
    let rows = stmt.query_map([id], |row| {
        Ok(WebhookAttempt {
            attempt: row.get(0)?,
            at_ms: to_u64(row.get(1)?),
            http_status: row.get(2)?,
            error: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl Ledger {
    /// Replaces the configured routes (app start-up). Deliveries already in the outbox keep
    /// their URL.
    pub fn set_webhook_routes(&self, routes: &[WebhookRoute]) -> Result<(), LedgerError> {
        self.write(|tx| {
            tx.execute("DELETE FROM webhook_routes", [])?;
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO webhook_routes (url, kinds) VALUES (?1, ?2)",
            )?;
            for route in routes {
                stmt.execute(params![
                    route.url,
                    route.kinds.as_ref().map(|k| k.join(","))
                ])?;
            }
            Ok(())
        })
    }

    /// Up to `limit` pending deliveries due at `now_ms`, oldest first.
    pub fn due_webhooks(&self, now_ms: u64, limit: u32) -> Result<Vec<WebhookDue>, LedgerError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT e.event_index, e.kind, e.at, e.subject, e.data, \
                 o.id, o.url, o.attempts, o.created_at_ms \
                 FROM webhook_outbox o JOIN events e ON e.event_index = o.event_index \
                 WHERE o.state = 'pending' AND o.next_attempt_ms <= ?1 \
                 ORDER BY o.next_attempt_ms, o.id LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![to_i64(now_ms), i64::from(limit)])?;
            let mut due = Vec::new();
            while let Some(row) = rows.next()? {
                due.push(WebhookDue {
                    event: event_from_row(row)?,
                    id: row.get(5)?,
                    url: row.get(6)?,
                    attempts: row.get(7)?,
                    created_at_ms: to_u64(row.get(8)?),
                });
            }
            Ok(due)
        })
    }

    /// When the next pending delivery is due, if any is pending.
    pub fn next_webhook_due_ms(&self) -> Result<Option<u64>, LedgerError> {
        self.read(|tx| {
            let next: Option<i64> = tx.query_row(
                "SELECT min(next_attempt_ms) FROM webhook_outbox WHERE state = 'pending'",
                [],
                |row| row.get(0),
            )?;
            Ok(next.map(to_u64))
        })
    }

    /// Records one attempt of delivery `id` and what follows from it.
    pub fn record_webhook_attempt(
        &self,
        id: i64,
        at_ms: u64,
        http_status: Option<u16>,
        error: Option<&str>,
        outcome: DeliveryOutcome,
    ) -> Result<(), LedgerError> {
        self.write(|tx| {
            let attempt: Option<i64> = tx
                .query_row(
                    "UPDATE webhook_outbox SET attempts = attempts + 1 WHERE id = ?1 \
                     RETURNING attempts",
                    [id],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(attempt) = attempt else {
                return Ok(());
            };
            tx.prepare_cached(
                "INSERT OR REPLACE INTO webhook_attempts (outbox_id, attempt, at_ms, http_status, \
                 error) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, attempt, to_i64(at_ms), http_status, error])?;
            let (state, next) = match outcome {
                DeliveryOutcome::Delivered => ("delivered", to_i64(at_ms)),
                DeliveryOutcome::RetryAt(ms) => ("pending", to_i64(ms)),
                DeliveryOutcome::GaveUp => ("failed", to_i64(at_ms)),
            };
            tx.prepare_cached(
                "UPDATE webhook_outbox SET state = ?2, next_attempt_ms = ?3 WHERE id = ?1",
            )?
            .execute(params![id, state, next])?;
            Ok(())
        })
    }

    /// Deliveries with `event_index >= from_event_index`, oldest first, with every attempt.
    pub fn list_webhook_deliveries(
        &self,
        from_event_index: u64,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, LedgerError> {
        if !(1..=super::MAX_LIMIT).contains(&limit) {
            return Err(LedgerError::InvalidLimit {
                limit,
                max: super::MAX_LIMIT,
            });
        }
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, event_index, url, state, next_attempt_ms FROM webhook_outbox \
                 WHERE event_index >= ?1 ORDER BY event_index, id LIMIT ?2",
            )?;
            let rows =
                stmt.query_map(params![bound(from_event_index), i64::from(limit)], |row| {
                    let state: String = row.get(3)?;
                    let next: i64 = row.get(4)?;
                    Ok(WebhookDelivery {
                        id: row.get(0)?,
                        event_index: to_u64(row.get(1)?),
                        url: row.get(2)?,
                        next_attempt_ms: (state == "pending").then_some(to_u64(next)),
                        state,
                        attempts: Vec::new(),
                    })
                })?;
            let mut deliveries = rows.collect::<Result<Vec<_>, _>>()?;
            for d in &mut deliveries {
                d.attempts = attempts_of(tx, d.id)?;
            }
            Ok(deliveries)
        })
    }
}
