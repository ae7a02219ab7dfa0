//! Which HTLC set claimed an inbound payment, and the sets refused for it.
//!
//! LDK derives an id from each set of HTLCs it offers us (`PaymentClaimable::payment_id`). The
//! claimed set's id tells a replayed event apart from a payer paying the same hash again; the
//! refused sets are kept as notes, since a refusal changes nothing on the payment itself.

use rusqlite::{params, Connection};

use crate::ledger::error::LedgerError;
use crate::ledger::model::{InboundClaimable, Payment, PaymentKind, RefusedHtlcSet};
use crate::ledger::row::to_db_u64;
use crate::ledger::Ledger;

pub(crate) fn claimed_htlc_set(
    tx: &Connection,
    payment_id: i64,
) -> Result<Option<[u8; 32]>, LedgerError> {
    let stored: Option<Vec<u8>> = tx
        .prepare_cached("SELECT claimed_htlc_set FROM payments WHERE id = ?1")?
        .query_row([payment_id], |row| row.get(0))?;
    Ok(stored.and_then(|bytes| <[u8; 32]>::try_from(bytes.as_slice()).ok()))
}

pub(crate) fn set_claimed_htlc_set(
    tx: &Connection,
    payment_id: i64,
    htlc_set: Option<&[u8; 32]>,
) -> Result<(), LedgerError> {
    tx.prepare_cached("UPDATE payments SET claimed_htlc_set = ?2 WHERE id = ?1")?
        .execute(params![payment_id, htlc_set.map(|s| &s[..])])?;
    Ok(())
}

/// Why a set that pays less than our invoice asks is refused, if it does. LDK checks the amount
/// of invoices it made itself; this also covers rows whose amount the ledger alone knows.
pub(crate) fn underpaid(existing: &Payment, c: &InboundClaimable) -> Option<String> {
    let asked = existing.amount_msat?;
    (existing.kind == PaymentKind::Invoice && c.amount_msat < asked).then(|| {
        format!(
            "refused: {} msat arrived for an invoice of {asked} msat",
            c.amount_msat
        )
    })
}

pub(crate) fn note_refused_htlc_set(
    tx: &Connection,
    payment: &Payment,
    c: &InboundClaimable,
    reason: &str,
    now: u64,
) -> Result<(), LedgerError> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO refused_htlc_sets (payment_id, htlc_set, amount_msat, reason, at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        payment.id,
        c.htlc_set.as_ref().map(|s| &s[..]),
        to_db_u64(c.amount_msat)?,
        reason,
        to_db_u64(now)?,
    ])?;
    Ok(())
}

impl Ledger {
    /// The HTLC sets refused for a payment, oldest first (empty for an unknown hash).
    pub fn refused_htlc_sets(&self, hash: &[u8; 32]) -> Result<Vec<RefusedHtlcSet>, LedgerError> {
        let hash = *hash;
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.htlc_set, r.amount_msat, r.reason, r.at FROM refused_htlc_sets r \
                 JOIN payments p ON p.id = r.payment_id WHERE p.payment_hash = ?1 ORDER BY r.id",
            )?;
            let rows = stmt.query_map([&hash[..]], |row| {
                let set: Option<Vec<u8>> = row.get(0)?;
                let amount: i64 = row.get(1)?;
                let at: i64 = row.get(3)?;
                Ok(RefusedHtlcSet {
                    htlc_set: set.and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok()),
                    amount_msat: u64::try_from(amount).unwrap_or_default(),
                    reason: row.get(2)?,
                    at: u64::try_from(at).unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}
