//! The one place that maps a `payments` row to a [`Payment`].

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row};

use crate::ledger::error::LedgerError;
use crate::ledger::model::{
    Bolt12Info, Bolt12Kind, CustomRecord, Direction, Failure, FailureCode, Payment, PaymentKind,
    PaymentStatus,
};

/// The columns [`payment_from_row`] reads, in its order.
pub(crate) const PAYMENT_COLUMNS: &str = "id, payment_hash, direction, kind, destination, \
     description, amount_msat, fee_paid_msat, fee_limit_msat, status, preimage, payment_secret, \
     invoice, expires_at, created_at, last_updated, created_index, updated_index, metadata, \
     failure_code, failure_reason, attempts, hold, claim_deadline_height, key_id, split_id, \
     split_index, wallet_id, bolt12, offer_id, payer_note, quantity";

/// Converts a u64 for storage in an SQLite INTEGER (i64).
pub(crate) fn to_db_u64(value: u64) -> Result<i64, LedgerError> {
    i64::try_from(value).map_err(|_| LedgerError::InvalidAmount(value))
}

/// Custom record keys are TLV types (u64); stored bit-for-bit as i64 so every key round-trips.
pub(crate) fn key_to_db(key: u64) -> i64 {
    key as i64
}

struct Reader<'a, 'r> {
    row: &'a Row<'r>,
    id: i64,
}

impl Reader<'_, '_> {
    fn corrupt(&self, column: &'static str, reason: impl Into<String>) -> LedgerError {
        LedgerError::CorruptRow {
            id: self.id,
            column,
            reason: reason.into(),
        }
    }

    fn blob<const N: usize>(
        &self,
        idx: usize,
        column: &'static str,
    ) -> Result<Option<[u8; N]>, LedgerError> {
        match self.row.get_ref(idx)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) => bytes
                .try_into()
                .map(Some)
                .map_err(|_| self.corrupt(column, format!("{} bytes, expected {N}", bytes.len()))),
            other => {
                Err(self.corrupt(column, format!("{:?} instead of a blob", other.data_type())))
            }
        }
    }

    fn u64_opt(&self, idx: usize, column: &'static str) -> Result<Option<u64>, LedgerError> {
        let value: Option<i64> = self.row.get(idx)?;
        value
            .map(|v| u64::try_from(v).map_err(|_| self.corrupt(column, format!("negative {v}"))))
            .transpose()
    }

    fn u64(&self, idx: usize, column: &'static str) -> Result<u64, LedgerError> {
        self.u64_opt(idx, column)?
            .ok_or_else(|| self.corrupt(column, "NULL"))
    }

    fn word<T>(
        &self,
        idx: usize,
        column: &'static str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T, LedgerError> {
        let word: String = self.row.get(idx)?;
        parse(&word).ok_or_else(|| self.corrupt(column, format!("unknown value {word:?}")))
    }
}

/// The BOLT 12 facts of a row (columns `bolt12, offer_id, payer_note, quantity` from `first`).
fn bolt12_info(r: &Reader<'_, '_>, first: usize) -> Result<Option<Bolt12Info>, LedgerError> {
    let Some(word) = r.row.get::<_, Option<String>>(first)? else {
        return Ok(None);
    };
    let kind = Bolt12Kind::from_db(&word)
        .ok_or_else(|| r.corrupt("bolt12", format!("unknown value {word:?}")))?;
    Ok(Some(Bolt12Info {
        kind,
        offer_id: r.blob(first + 1, "offer_id")?,
        payer_note: r.row.get(first + 2)?,
        quantity: r.u64_opt(first + 3, "quantity")?,
    }))
}

/// Reads a row selected with [`PAYMENT_COLUMNS`]; custom records are attached separately.
pub(crate) fn payment_from_row(row: &Row<'_>) -> Result<Payment, LedgerError> {
    let id: i64 = row.get(0)?;
    let r = Reader { row, id };
    let failure = match row.get::<_, Option<String>>(19)? {
        None => None,
        Some(code) => Some(Failure {
            code: FailureCode::from_db(&code)
                .ok_or_else(|| r.corrupt("failure_code", format!("unknown value {code:?}")))?,
            reason: row.get::<_, Option<String>>(20)?.unwrap_or_default(),
        }),
    };
    let attempts = r.u64(21, "attempts")?;
    let claim_deadline_height = r
        .u64_opt(23, "claim_deadline_height")?
        .map(|h| u32::try_from(h).map_err(|_| r.corrupt("claim_deadline_height", "too large")))
        .transpose()?;
    Ok(Payment {
        id,
        payment_hash: r
            .blob(1, "payment_hash")?
            .ok_or_else(|| r.corrupt("payment_hash", "NULL"))?,
        direction: r.word(2, "direction", Direction::from_db)?,
        kind: r.word(3, "kind", PaymentKind::from_db)?,
        destination: r.blob(4, "destination")?,
        description: row.get(5)?,
        amount_msat: r.u64_opt(6, "amount_msat")?,
        fee_paid_msat: r.u64_opt(7, "fee_paid_msat")?,
        fee_limit_msat: r.u64_opt(8, "fee_limit_msat")?,
        status: r.word(9, "status", PaymentStatus::from_db)?,
        preimage: r.blob(10, "preimage")?,
        payment_secret: r.blob(11, "payment_secret")?,
        invoice: row.get(12)?,
        expires_at: r.u64_opt(13, "expires_at")?,
        created_at: r.u64(14, "created_at")?,
        last_updated: r.u64(15, "last_updated")?,
        created_index: r.u64(16, "created_index")?,
        updated_index: r.u64(17, "updated_index")?,
        custom_records: Vec::new(),
        metadata: row.get(18)?,
        failure,
        attempts: u32::try_from(attempts).map_err(|_| r.corrupt("attempts", "too large"))?,
        hold: r.u64(22, "hold")? != 0,
        claim_deadline_height,
        key_id: r.u64_opt(24, "key_id")?,
        split_id: row.get(25)?,
        split_index: r
            .u64_opt(26, "split_index")?
            .map(|i| u32::try_from(i).map_err(|_| r.corrupt("split_index", "too large")))
            .transpose()?,
        wallet_id: row.get(27)?,
        bolt12: bolt12_info(&r, 28)?,
    })
}

/// The custom records of one payment, by key.
pub(crate) fn load_custom_records(
    conn: &Connection,
    payment_id: i64,
) -> Result<Vec<CustomRecord>, LedgerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM payment_custom_records WHERE payment_id = ?1 ORDER BY key",
    )?;
    let rows = stmt.query_map([payment_id], |row| {
        Ok(CustomRecord {
            key: row.get::<_, i64>(0)? as u64,
            value: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Runs a query selecting [`PAYMENT_COLUMNS`] and returns full payments, records attached.
pub(crate) fn query_payments(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Payment>, LedgerError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    let mut payments = Vec::new();
    while let Some(row) = rows.next()? {
        payments.push(payment_from_row(row)?);
    }
    for payment in &mut payments {
        payment.custom_records = load_custom_records(conn, payment.id)?;
    }
    Ok(payments)
}

/// The payment with this hash, if any.
pub(crate) fn payment_by_hash(
    conn: &Connection,
    hash: &[u8; 32],
) -> Result<Option<Payment>, LedgerError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE payment_hash = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let found = stmt
        .query_row([&hash[..]], |row| Ok(payment_from_row(row)))
        .optional()?;
    match found.transpose()? {
        None => Ok(None),
        Some(mut payment) => {
            payment.custom_records = load_custom_records(conn, payment.id)?;
            Ok(Some(payment))
        }
    }
}
