//! The event log (schema v5, table `events`).
//!
//! Every change of a payment, a channel or the on-chain wallet appends one row, in the same
//! transaction as the change, with the next value of the ledger-wide `events` counter as its
//! `event_index`. So the log and the rows it describes can never disagree, and a reader that
//! remembers the last index it saw, plus one, never misses or repeats a change.
//!
//! The same transaction also fills the webhook outbox (`webhooks.rs`): one row per configured
//! route whose kinds match, and one for the payment's own `webhook_url`.
//!
//! Pruning deletes a prefix of the log (never a hole: see [`Ledger::prune_events`]) and records
//! how far it went in the `events_pruned` counter; a cursor at or below it is
//! [`LedgerError::CursorExpired`].

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection};

use super::error::LedgerError;
use super::filter::bound;
use super::payments::next_counter;
use super::Ledger;

/// What happened. The wire word is [`EventKind::as_str`]; its prefix before `_` is the
/// category (`payment`, `channel`, `wallet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A payment row was created (an invoice generated, a send recorded, a keysend arrived).
    PaymentCreated,
    /// A failed outbound payment is being retried.
    PaymentPending,
    PaymentClaimable,
    /// A hold invoice's payment arrived and is held until settled or canceled.
    PaymentHeld,
    PaymentSucceeded,
    PaymentFailed,
    /// A hold invoice was canceled (by the client, or automatically before its deadline).
    PaymentCanceled,
    /// A succeeded payment learnt a detail it lacked (fee, amount, preimage).
    PaymentUpdated,
    ChannelOpened,
    ChannelUsable,
    ChannelClosing,
    ChannelClosed,
    /// A transaction paying the wallet was seen.
    WalletReceived,
    /// A wallet transaction was confirmed in a block.
    WalletConfirmed,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::PaymentCreated,
        EventKind::PaymentPending,
        EventKind::PaymentClaimable,
        EventKind::PaymentHeld,
        EventKind::PaymentSucceeded,
        EventKind::PaymentFailed,
        EventKind::PaymentCanceled,
        EventKind::PaymentUpdated,
        EventKind::ChannelOpened,
        EventKind::ChannelUsable,
        EventKind::ChannelClosing,
        EventKind::ChannelClosed,
        EventKind::WalletReceived,
        EventKind::WalletConfirmed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PaymentCreated => "payment_created",
            EventKind::PaymentPending => "payment_pending",
            EventKind::PaymentClaimable => "payment_claimable",
            EventKind::PaymentHeld => "payment_held",
            EventKind::PaymentSucceeded => "payment_succeeded",
            EventKind::PaymentFailed => "payment_failed",
            EventKind::PaymentCanceled => "payment_canceled",
            EventKind::PaymentUpdated => "payment_updated",
            EventKind::ChannelOpened => "channel_opened",
            EventKind::ChannelUsable => "channel_usable",
            EventKind::ChannelClosing => "channel_closing",
            EventKind::ChannelClosed => "channel_closed",
            EventKind::WalletReceived => "wallet_received",
            EventKind::WalletConfirmed => "wallet_confirmed",
        }
    }

    /// `payment`, `channel` or `wallet`.
    pub fn category(self) -> &'static str {
        let word = self.as_str();
        word.split('_').next().unwrap_or(word)
    }

    pub fn from_db(word: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// The kinds a filter word names: a kind itself, or every kind of a category.
    pub fn matching(word: &str) -> Vec<EventKind> {
        EventKind::ALL
            .into_iter()
            .filter(|k| k.as_str() == word || k.category() == word)
            .collect()
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event_index: u64,
    pub kind: EventKind,
    /// Unix seconds.
    pub at: u64,
    /// The payment hash (hex), channel uuid or txid the event is about.
    pub subject: String,
    /// JSON object text: the subject's state right after the change.
    pub data: String,
}

/// A slice of the log and where to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// The `from_index` of the next call: just after the last event returned, or, when the
    /// page is not full, just after the newest event examined (so a kinds filter skips over
    /// what it does not want).
    pub next_index: u64,
}

/// The BOLT 12 part of a payment's event data (see [`PAYMENT_DATA`]).
macro_rules! bolt12_data {
    () => {
        "json_object('bolt12', bolt12, 'offer_id', \
         CASE WHEN offer_id IS NULL THEN NULL ELSE lower(hex(offer_id)) END, \
         'payer_note', payer_note, 'quantity', quantity)"
    };
}

/// A payment's state as events carry it. A BOLT 12 payment adds `bolt12`, `offer_id`,
/// `payer_note` and `quantity` (a merge patch drops the NULL ones, so other payments' data
/// is unchanged).
const PAYMENT_DATA: &str = concat!(
    "json_patch(json_object('payment_hash', lower(hex(payment_hash)), \
    'direction', direction, 'payment_type', kind, 'status', status, \
    'amount_msat', amount_msat, 'fee_paid_msat', fee_paid_msat, \
    'description', description, 'created_index', created_index, \
    'updated_index', updated_index, 'failure_code', failure_code, \
    'created_at', created_at, 'last_updated', last_updated), ",
    bolt12_data!(),
    ")"
);

/// [`bolt12_data`] alone: patched into the events of a row whose BOLT 12 columns were set
/// after its insert, in the same transaction (`ledger/offers.rs`).
pub(crate) const BOLT12_DATA: &str = bolt12_data!();

/// A channel's state as events carry it.
const CHANNEL_DATA: &str = "json_object('uuid', uuid, 'channel_id', channel_id, \
    'counterparty_node_id', counterparty_node_id, 'funding_tx', funding_tx, \
    'funding_value_sats', funding_value_sats, 'is_outbound', json(CASE WHEN is_outbound \
    THEN 'true' ELSE 'false' END), 'state', CASE WHEN is_closed THEN 'closed' ELSE state END, \
    'closure_reason', closure_reason)";

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Appends the event for a change of payment `id` (already written in `tx`).
pub(crate) fn append_payment_event(
    tx: &Connection,
    payment_id: i64,
    kind: EventKind,
    now: u64,
) -> Result<i64, LedgerError> {
    let index = next_counter(tx, "events")?;
    tx.prepare_cached(&format!(
        "INSERT INTO events (event_index, kind, at, subject, payment_id, data) \
         SELECT ?1, ?2, ?3, lower(hex(payment_hash)), id, {PAYMENT_DATA} \
         FROM payments WHERE id = ?4"
    ))?
    .execute(params![index, kind.as_str(), to_i64(now), payment_id])?;
    fill_outbox(tx, index, kind, now)?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO webhook_outbox (event_index, url, created_at_ms, next_attempt_ms) \
         SELECT ?1, webhook_url, ?2, ?2 FROM payments WHERE id = ?3 AND webhook_url IS NOT NULL",
    )?
    .execute(params![index, to_i64(now.saturating_mul(1000)), payment_id])?;
    Ok(index)
}

/// Appends the event for a change of channel `uuid` (already written in `tx`).
pub(crate) fn append_channel_event(
    tx: &Connection,
    uuid: &str,
    kind: EventKind,
    now: u64,
) -> Result<i64, LedgerError> {
    let index = next_counter(tx, "events")?;
    tx.prepare_cached(&format!(
        "INSERT INTO events (event_index, kind, at, subject, data) \
         SELECT ?1, ?2, ?3, uuid, {CHANNEL_DATA} FROM channels WHERE uuid = ?4"
    ))?
    .execute(params![index, kind.as_str(), to_i64(now), uuid])?;
    fill_outbox(tx, index, kind, now)?;
    Ok(index)
}

/// A change of the on-chain wallet, as the wallet's journal reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletEventRecord {
    pub kind: EventKind,
    pub txid: String,
    /// What the transaction paid us minus what it spent of ours (negative for a send).
    pub net_sat: i64,
    pub confirmation_height: Option<u32>,
}

/// Appends wallet events inside the wallet's own write transaction (the wallet persists on
/// its own connection to the same file; see `node/wallet_db.rs`). Call
/// [`Ledger::publish_committed_events`] after that transaction commits.
pub fn append_wallet_events(
    tx: &Connection,
    events: &[WalletEventRecord],
    now: u64,
) -> Result<(), LedgerError> {
    for event in events {
        let index = next_counter(tx, "events")?;
        tx.prepare_cached(
            "INSERT INTO events (event_index, kind, at, subject, data) VALUES (?1, ?2, ?3, ?4, \
             json_object('txid', ?4, 'net_sat', ?5, 'confirmation_height', ?6))",
        )?
        .execute(params![
            index,
            event.kind.as_str(),
            to_i64(now),
            event.txid,
            event.net_sat,
            event.confirmation_height
        ])?;
        fill_outbox(tx, index, event.kind, now)?;
    }
    Ok(())
}

/// One outbox row per configured route that wants this kind (or its category, or everything).
fn fill_outbox(tx: &Connection, index: i64, kind: EventKind, now: u64) -> Result<(), LedgerError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO webhook_outbox (event_index, url, created_at_ms, next_attempt_ms) \
         SELECT ?1, url, ?2, ?2 FROM webhook_routes WHERE kinds IS NULL \
         OR instr(',' || kinds || ',', ',' || ?3 || ',') > 0 \
         OR instr(',' || kinds || ',', ',' || ?4 || ',') > 0",
    )?
    .execute(params![
        index,
        to_i64(now.saturating_mul(1000)),
        kind.as_str(),
        kind.category()
    ])?;
    Ok(())
}

fn counter(tx: &Connection, name: &str) -> Result<u64, LedgerError> {
    let value: i64 = tx
        .prepare_cached("SELECT value FROM ledger_counters WHERE name = ?1")?
        .query_row([name], |row| row.get(0))?;
    Ok(u64::try_from(value).unwrap_or(0))
}

/// The newest `event_index` committed (0 before the first event).
pub(crate) fn last_event_index(tx: &Connection) -> Result<u64, LedgerError> {
    counter(tx, "events")
}

pub(crate) fn event_from_row(row: &rusqlite::Row<'_>) -> Result<Event, LedgerError> {
    let index: i64 = row.get(0)?;
    let word: String = row.get(1)?;
    let kind = EventKind::from_db(&word).ok_or(LedgerError::CorruptRow {
        id: index,
        column: "events.kind",
        reason: format!("unknown value {word:?}"),
    })?;
    Ok(Event {
        event_index: u64::try_from(index).unwrap_or(0),
        kind,
        at: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        subject: row.get(3)?,
        data: row.get(4)?,
    })
}

pub(crate) const EVENT_COLUMNS: &str = "event_index, kind, at, subject, data";

impl Ledger {
    /// Events with `event_index >= from_index`, oldest first, at most `limit` (1..=1000), of
    /// the given kinds (all when empty). A cursor at or below what pruning removed is
    /// `CursorExpired`; `from_index` 0 means "from the oldest kept", which is expired too once
    /// anything was pruned (the client must resync with a list call).
    pub fn list_events(
        &self,
        from_index: u64,
        limit: u32,
        kinds: &[EventKind],
    ) -> Result<EventPage, LedgerError> {
        if !(1..=super::MAX_LIMIT).contains(&limit) {
            return Err(LedgerError::InvalidLimit {
                limit,
                max: super::MAX_LIMIT,
            });
        }
        self.read(|tx| {
            let pruned = counter(tx, "events_pruned")?;
            let last = last_event_index(tx)?;
            if pruned > 0 && from_index <= pruned {
                return Err(LedgerError::CursorExpired {
                    from_index,
                    oldest_index: pruned + 1,
                    next_index: last + 1,
                });
            }
            let mut params: Vec<Value> = vec![bound(from_index)];
            let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE event_index >= ?1");
            if !kinds.is_empty() {
                let marks: Vec<String> = (0..kinds.len()).map(|i| format!("?{}", i + 2)).collect();
                sql.push_str(&format!(" AND kind IN ({})", marks.join(", ")));
                params.extend(kinds.iter().map(|k| Value::Text(k.as_str().into())));
            }
            sql.push_str(&format!(
                " ORDER BY event_index LIMIT ?{}",
                params.len() + 1
            ));
            params.push(Value::Integer(i64::from(limit)));
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(params.iter()))?;
            let mut events = Vec::new();
            while let Some(row) = rows.next()? {
                events.push(event_from_row(row)?);
            }
            let next_index = match events.last() {
                Some(e) if events.len() == limit as usize => e.event_index + 1,
                _ => from_index.max(last + 1),
            };
            Ok(EventPage { events, next_index })
        })
    }

    /// One event by index, if kept.
    pub fn event(&self, index: u64) -> Result<Option<Event>, LedgerError> {
        self.read(|tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE event_index = ?1"
            ))?;
            let mut rows = stmt.query([bound(index)])?;
            match rows.next()? {
                Some(row) => Ok(Some(event_from_row(row)?)),
                None => Ok(None),
            }
        })
    }

    /// The newest committed `event_index` (0 before the first event).
    pub fn last_event_index(&self) -> Result<u64, LedgerError> {
        self.read(|tx| last_event_index(tx))
    }

    /// Deletes events older than `before` (unix seconds), as one prefix of the log: it stops
    /// below the oldest event a webhook still waits to deliver, so a pending delivery keeps its
    /// event and a cursor is either wholly valid or expired. Returns how many were deleted.
    pub fn prune_events(&self, before: u64) -> Result<u64, LedgerError> {
        self.write(|tx| {
            let newest_old: Option<i64> = tx.query_row(
                "SELECT max(event_index) FROM events WHERE at < ?1",
                [to_i64(before)],
                |row| row.get(0),
            )?;
            let Some(mut upto) = newest_old else {
                return Ok(0);
            };
            let oldest_pending: Option<i64> = tx.query_row(
                "SELECT min(event_index) FROM webhook_outbox WHERE state = 'pending'",
                [],
                |row| row.get(0),
            )?;
            if let Some(pending) = oldest_pending {
                upto = upto.min(pending - 1);
            }
            if upto <= 0 {
                return Ok(0);
            }
            tx.execute("DELETE FROM webhook_outbox WHERE event_index <= ?1", [upto])?;
            let deleted = tx.execute("DELETE FROM events WHERE event_index <= ?1", [upto])?;
            tx.execute(
                "UPDATE ledger_counters SET value = max(value, ?1) WHERE name = 'events_pruned'",
                [upto],
            )?;
            Ok(deleted as u64)
        })
    }
}
