//! The rows of `sendpay_parts` (see `sendpays.rs`): the part types and their reading.

use rusqlite::{Connection, Row};

use crate::ledger::error::LedgerError;

/// A part's state, in CLN's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendpayStatus {
    Pending,
    Complete,
    Failed,
}

impl SendpayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SendpayStatus::Pending => "pending",
            SendpayStatus::Complete => "complete",
            SendpayStatus::Failed => "failed",
        }
    }

    pub(crate) fn from_db(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(SendpayStatus::Pending),
            "complete" => Some(SendpayStatus::Complete),
            "failed" => Some(SendpayStatus::Failed),
            _ => None,
        }
    }
}

/// What went wrong with a part, as far as it is known (CLN's routing-failure object).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartFailure {
    /// The CLN error code (203 destination, 204 along the route); `None` when no path failure
    /// was reported and only the payment's failure is known.
    pub code: Option<u32>,
    pub message: String,
    pub erring_index: Option<u32>,
    pub erring_node: Option<[u8; 33]>,
    pub erring_channel: Option<String>,
    pub erring_direction: Option<u8>,
    /// BOLT 4 failure code, when the engine reported it.
    pub failcode: Option<u16>,
}

/// One `sendpay` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendpayPart {
    pub id: i64,
    pub payment_hash: [u8; 32],
    pub groupid: u64,
    pub partid: u64,
    pub status: SendpayStatus,
    /// The engine's attempt number of the payment row when this part was added.
    pub attempt: u32,
    /// Delivered to the destination by this part.
    pub amount_msat: u64,
    /// The whole payment's amount (the sum of a group's parts).
    pub total_msat: u64,
    pub amount_sent_msat: u64,
    pub destination: [u8; 33],
    pub label: Option<String>,
    pub bolt11: Option<String>,
    pub description: Option<String>,
    /// The route as the service stored it (opaque text to the ledger).
    pub route: String,
    /// Identifies the route's channels, to match an engine path failure to its part.
    pub route_key: String,
    pub created_index: u64,
    pub updated_index: Option<u64>,
    pub created_at: u64,
    pub completed_at: Option<u64>,
    pub payment_secret: Option<[u8; 32]>,
    pub preimage: Option<[u8; 32]>,
    pub failure: Option<PartFailure>,
}

/// A part to record.
#[derive(Debug, Clone)]
pub struct NewSendpayPart {
    pub payment_hash: [u8; 32],
    /// `None`: the group of a pending part of this hash, or the next unused group.
    pub groupid: Option<u64>,
    pub partid: u64,
    pub amount_msat: u64,
    pub total_msat: u64,
    pub amount_sent_msat: u64,
    pub destination: [u8; 33],
    pub label: Option<String>,
    pub bolt11: Option<String>,
    pub description: Option<String>,
    pub payment_secret: Option<[u8; 32]>,
    pub route: String,
    pub route_key: String,
}

/// `listsendpays` filters; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct SendpayListFilter {
    pub payment_hash: Option<[u8; 32]>,
    pub bolt11: Option<String>,
    pub status: Option<SendpayStatus>,
}

/// A part's columns, in the order `part_from_row` reads them.
pub(crate) const PART_COLUMNS: &str =
    "s.id, p.payment_hash, s.groupid, s.partid, s.status, s.attempt, \
    s.amount_msat, s.total_msat, s.amount_sent_msat, s.destination, s.label, s.bolt11, \
    s.description, s.route, s.route_key, s.created_index, s.updated_index, s.created_at, \
    s.completed_at, p.payment_secret, p.preimage, s.fail_code, s.fail_message, s.erring_index, \
    s.erring_node, s.erring_channel, s.erring_direction, s.failcode";

/// An outbound payment without parts, in [`PART_COLUMNS`]' order (see `list_sendpays`).
pub(crate) const PAYMENT_AS_PART: &str = "p.id, p.payment_hash, 0, 0, \
    CASE p.status WHEN 'succeeded' THEN 'complete' WHEN 'failed' THEN 'failed' \
    ELSE 'pending' END, p.attempts, coalesce(p.amount_msat, 0), coalesce(p.amount_msat, 0), \
    coalesce(p.amount_msat, 0) + coalesce(p.fee_paid_msat, 0), \
    coalesce(p.destination, zeroblob(33)), NULL, p.invoice, nullif(p.description, ''), '', '', \
    p.created_index, \
    CASE WHEN p.status IN ('succeeded', 'failed') THEN p.updated_index END, p.created_at, \
    CASE WHEN p.status IN ('succeeded', 'failed') THEN p.last_updated END, p.payment_secret, \
    p.preimage, NULL, p.failure_reason, NULL, NULL, NULL, NULL, NULL";

pub(crate) const PART_FROM: &str = "sendpay_parts s JOIN payments p ON p.id = s.payment_id";

fn u64_of(row: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    let v: i64 = row.get(i)?;
    Ok(u64::try_from(v).unwrap_or_default())
}

fn opt_u64_of(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    let v: Option<i64> = row.get(i)?;
    Ok(v.and_then(|v| u64::try_from(v).ok()))
}

fn blob_of<const N: usize>(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<[u8; N]>> {
    let v: Option<Vec<u8>> = row.get(i)?;
    Ok(v.and_then(|v| <[u8; N]>::try_from(v.as_slice()).ok()))
}

pub(crate) fn part_from_row(row: &Row<'_>) -> Result<SendpayPart, LedgerError> {
    let id: i64 = row.get(0)?;
    let status_text: String = row.get(4)?;
    let status = SendpayStatus::from_db(&status_text).ok_or_else(|| LedgerError::CorruptRow {
        id,
        column: "status",
        reason: format!("unknown value {status_text:?}"),
    })?;
    let fail_message: Option<String> = row.get(22)?;
    let failure = fail_message.map(|message| -> rusqlite::Result<PartFailure> {
        Ok(PartFailure {
            code: opt_u64_of(row, 21)?.and_then(|c| u32::try_from(c).ok()),
            message,
            erring_index: opt_u64_of(row, 23)?.and_then(|c| u32::try_from(c).ok()),
            erring_node: blob_of(row, 24)?,
            erring_channel: row.get(25)?,
            erring_direction: opt_u64_of(row, 26)?.and_then(|c| u8::try_from(c).ok()),
            failcode: opt_u64_of(row, 27)?.and_then(|c| u16::try_from(c).ok()),
        })
    });
    let corrupt = |column: &'static str| LedgerError::CorruptRow {
        id,
        column,
        reason: "wrong length".to_string(),
    };
    Ok(SendpayPart {
        id,
        payment_hash: blob_of(row, 1)?.ok_or_else(|| corrupt("payment_hash"))?,
        groupid: u64_of(row, 2)?,
        partid: u64_of(row, 3)?,
        status,
        attempt: u32::try_from(u64_of(row, 5)?).unwrap_or(u32::MAX),
        amount_msat: u64_of(row, 6)?,
        total_msat: u64_of(row, 7)?,
        amount_sent_msat: u64_of(row, 8)?,
        destination: blob_of(row, 9)?.ok_or_else(|| corrupt("destination"))?,
        label: row.get(10)?,
        bolt11: row.get(11)?,
        description: row.get(12)?,
        route: row.get(13)?,
        route_key: row.get(14)?,
        created_index: u64_of(row, 15)?,
        updated_index: opt_u64_of(row, 16)?,
        created_at: u64_of(row, 17)?,
        completed_at: opt_u64_of(row, 18)?,
        payment_secret: blob_of(row, 19)?,
        preimage: blob_of(row, 20)?,
        failure: failure.transpose()?,
    })
}

pub(crate) fn parts_where(
    tx: &Connection,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<SendpayPart>, LedgerError> {
    let sql = format!(
        "SELECT {PART_COLUMNS} FROM {PART_FROM} WHERE {condition} ORDER BY s.created_index"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(args, |row| Ok(part_from_row(row)))?;
    let mut parts = Vec::new();
    for row in rows {
        parts.push(row??);
    }
    Ok(parts)
}

pub(crate) fn part_by_id(tx: &Connection, id: i64) -> Result<SendpayPart, LedgerError> {
    parts_where(tx, "s.id = ?1", &[&id])?
        .pop()
        .ok_or(LedgerError::CorruptRow {
            id,
            column: "id",
            reason: "part vanished".to_string(),
        })
}
