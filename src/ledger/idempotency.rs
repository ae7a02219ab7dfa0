//! Client-chosen idempotency keys (`idempotency_keys`, migration 9) and value-split groups.
//!
//! A key is looked up and written in the same transaction as the payment row(s) it names. The
//! ledger has one writer, so of two concurrent calls with one key the second always sees the
//! first's key and row: one payment, however many calls. A key keeps the fingerprint of the
//! request it was first used with; the same key with another fingerprint is
//! `IdempotencyKeyReused`, whatever the method (keys share one namespace).

use rusqlite::{params, Connection, OptionalExtension};

use crate::ledger::error::LedgerError;
use crate::ledger::keys::KeyCharge;
use crate::ledger::model::{
    IdempotencyKey, KeyedIntent, NewOutbound, NewSplitPayment, OutboundIntent, Payment, SplitBegin,
};
use crate::ledger::payments::{check_metadata, outbound_intent_in};
use crate::ledger::row::{query_payments, to_db_u64, PAYMENT_COLUMNS};
use crate::ledger::Ledger;

/// What a stored key names.
pub(crate) enum KeyTarget {
    Payment(i64),
    Split(String),
}

/// The stored fingerprint and target of `key`, if the key was used before.
pub(crate) fn find_key(
    tx: &Connection,
    key: &str,
) -> Result<Option<([u8; 32], KeyTarget)>, LedgerError> {
    let found: Option<(Vec<u8>, Option<i64>, Option<String>)> = tx
        .prepare_cached(
            "SELECT fingerprint, payment_id, split_id FROM idempotency_keys WHERE key = ?1",
        )?
        .query_row([key], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((fingerprint, payment_id, split_id)) = found else {
        // An offer payment's key is kept with its intent (`bolt12_intents`, migration 12): the
        // namespace is one, and no other request can match an offer payment's fingerprint.
        let offer_key: Option<i64> = tx
            .prepare_cached("SELECT 1 FROM bolt12_intents WHERE idempotency_key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?;
        if offer_key.is_some() {
            return Err(LedgerError::IdempotencyKeyReused(key.to_string()));
        }
        return Ok(None);
    };
    let corrupt = |reason: &str| LedgerError::CorruptRow {
        id: payment_id.unwrap_or_default(),
        column: "idempotency_keys",
        reason: reason.to_string(),
    };
    let fingerprint: [u8; 32] = fingerprint
        .try_into()
        .map_err(|_| corrupt("fingerprint is not 32 bytes"))?;
    let target = match (payment_id, split_id) {
        (Some(id), None) => KeyTarget::Payment(id),
        (None, Some(split)) => KeyTarget::Split(split),
        _ => return Err(corrupt("names neither one payment nor one split")),
    };
    Ok(Some((fingerprint, target)))
}

/// Checks a key against its stored use: `None` when new, the target when the request matches.
pub(crate) fn check_key(
    tx: &Connection,
    key: &IdempotencyKey,
) -> Result<Option<KeyTarget>, LedgerError> {
    match find_key(tx, &key.key)? {
        None => Ok(None),
        Some((stored, _)) if stored != key.fingerprint => {
            Err(LedgerError::IdempotencyKeyReused(key.key.clone()))
        }
        Some((_, target)) => Ok(Some(target)),
    }
}

pub(crate) fn store_key(
    tx: &Connection,
    key: &IdempotencyKey,
    target: &KeyTarget,
    now: u64,
) -> Result<(), LedgerError> {
    let (payment_id, split_id) = match target {
        KeyTarget::Payment(id) => (Some(*id), None),
        KeyTarget::Split(split) => (None, Some(split.as_str())),
    };
    tx.prepare_cached(
        "INSERT INTO idempotency_keys (key, fingerprint, payment_id, split_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        key.key,
        &key.fingerprint[..],
        payment_id,
        split_id,
        to_db_u64(now)?
    ])?;
    Ok(())
}

fn payment_by_id(tx: &Connection, id: i64) -> Result<Option<Payment>, LedgerError> {
    let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?1");
    Ok(query_payments(tx, &sql, [id])?.pop())
}

/// The recipient rows of a split, in value-block order.
fn split_rows(tx: &rusqlite::Connection, split_id: &str) -> Result<Vec<Payment>, LedgerError> {
    let sql =
        format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE split_id = ?1 ORDER BY split_index");
    query_payments(tx, &sql, [split_id])
}

impl Ledger {
    /// [`Ledger::insert_outbound_intent_with_webhook`] under an optional idempotency key: a key
    /// already used for the same request replays its payment (nothing is written), one used for
    /// another request is `IdempotencyKeyReused`, and a new key is recorded with the row.
    pub fn insert_outbound_intent_keyed(
        &self,
        new: &NewOutbound,
        webhook_url: Option<&str>,
        key: Option<&IdempotencyKey>,
        charge: Option<&KeyCharge>,
    ) -> Result<KeyedIntent, LedgerError> {
        check_metadata(&new.metadata)?;
        let now = self.now();
        self.write(|tx| {
            let Some(key) = key else {
                return Ok(KeyedIntent::Intent(outbound_intent_in(
                    tx,
                    new,
                    webhook_url,
                    None,
                    charge,
                    now,
                )?));
            };
            match check_key(tx, key)? {
                Some(KeyTarget::Payment(id)) => {
                    // The row lives as long as its key (ON DELETE CASCADE).
                    let payment = payment_by_id(tx, id)?.ok_or(LedgerError::CorruptRow {
                        id,
                        column: "idempotency_keys.payment_id",
                        reason: "names no payment".to_string(),
                    })?;
                    Ok(KeyedIntent::Replay(payment))
                }
                // Same fingerprint but a split: cannot happen (the fingerprints differ by
                // method); refuse rather than guess.
                Some(KeyTarget::Split(_)) => {
                    Err(LedgerError::IdempotencyKeyReused(key.key.clone()))
                }
                None => {
                    let intent = outbound_intent_in(tx, new, webhook_url, None, charge, now)?;
                    let id = match &intent {
                        OutboundIntent::Created(p)
                        | OutboundIntent::Retrying(p)
                        | OutboundIntent::AlreadyPending(p)
                        | OutboundIntent::AlreadySucceeded(p) => p.id,
                    };
                    store_key(tx, key, &KeyTarget::Payment(id), now)?;
                    Ok(KeyedIntent::Intent(intent))
                }
            }
        })
    }

    /// Starts a value split: every recipient row (pending) and the key, in one transaction. A
    /// key already used for the same split request returns that group's rows as they stand
    /// (the caller re-sends only the failed ones); another request is `IdempotencyKeyReused`.
    pub fn begin_value_split(
        &self,
        split_id: &str,
        key: Option<&IdempotencyKey>,
        rows: &[NewSplitPayment],
    ) -> Result<SplitBegin, LedgerError> {
        for row in rows {
            check_metadata(&row.payment.metadata)?;
        }
        let now = self.now();
        self.write(|tx| {
            if let Some(key) = key {
                match check_key(tx, key)? {
                    Some(KeyTarget::Split(existing)) => {
                        let payments = split_rows(tx, &existing)?;
                        return Ok(SplitBegin::Existing {
                            split_id: existing,
                            payments,
                        });
                    }
                    Some(KeyTarget::Payment(_)) => {
                        return Err(LedgerError::IdempotencyKeyReused(key.key.clone()))
                    }
                    None => store_key(tx, key, &KeyTarget::Split(split_id.to_string()), now)?,
                }
            }
            for row in rows {
                outbound_intent_in(
                    tx,
                    &row.payment,
                    None,
                    Some((split_id, row.index)),
                    None,
                    now,
                )?;
            }
            Ok(SplitBegin::Created(split_rows(tx, split_id)?))
        })
    }

    /// The recipient rows of a value split, in value-block order.
    pub fn split_payments(&self, split_id: &str) -> Result<Vec<Payment>, LedgerError> {
        self.read(|tx| split_rows(tx, split_id))
    }
}
