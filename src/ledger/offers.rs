//! BOLT 12: the offers we issued, offer and refund payments before their invoice arrives
//! (`bolt12_intents`), and the BOLT 12 columns of `payments` rows (migration 12).
//!
//! An offer payment's hash is chosen by the payee's invoice, which arrives over onion messages
//! after we asked for it, so the intent is first recorded under LDK's `PaymentId`. When the
//! invoice arrives, [`Ledger::bolt12_invoice_arrived`] writes the usual pending `payments` row
//! in the same transaction that moves the intent to `paying`, and only then is the invoice
//! paid: as for every other send, the row exists before any HTLC leaves. The timeout path
//! ([`Ledger::fail_bolt12_intent`]) and the arrival race on the intent's status inside one
//! write transaction each, so exactly one of them wins.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::ledger::error::LedgerError;
use crate::ledger::events::{EventKind, BOLT12_DATA};
use crate::ledger::model::{
    Applied, Bolt12Kind, Direction, FailureCode, IdempotencyKey, NewOutbound, OutboundIntent,
    Payment, PaymentKind, PaymentStatus,
};
use crate::ledger::payments::{insert_row, outbound_intent_in, reload, touch, NewRow};
use crate::ledger::row::{payment_by_hash, to_db_u64};
use crate::ledger::Ledger;

/// An offer we issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRecord {
    pub offer_id: [u8; 32],
    /// The `lno1...` string.
    pub offer: String,
    pub description: String,
    pub amount_msat: Option<u64>,
    /// `None`: one item per payment; `Some(0)`: any quantity; `Some(n)`: at most `n`.
    pub quantity_max: Option<u64>,
    /// Unix seconds.
    pub expires_at: Option<u64>,
    pub issuer: Option<String>,
    pub created_at: u64,
    pub disabled_at: Option<u64>,
}

/// Where a BOLT 12 intent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bolt12IntentStatus {
    /// The invoice request (or the refund) is out; no invoice yet.
    AwaitingInvoice,
    /// The invoice arrived and its `payments` row (`payment_hash`) carries the payment.
    Paying,
    /// No invoice came, or the invoice was refused; `failure_reason` says why.
    Failed,
}

impl Bolt12IntentStatus {
    fn as_str(self) -> &'static str {
        match self {
            Bolt12IntentStatus::AwaitingInvoice => "awaiting_invoice",
            Bolt12IntentStatus::Paying => "paying",
            Bolt12IntentStatus::Failed => "failed",
        }
    }

    fn from_db(word: &str) -> Option<Self> {
        match word {
            "awaiting_invoice" => Some(Bolt12IntentStatus::AwaitingInvoice),
            "paying" => Some(Bolt12IntentStatus::Paying),
            "failed" => Some(Bolt12IntentStatus::Failed),
            _ => None,
        }
    }
}

/// An offer or refund payment as the client asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBolt12Intent {
    pub payment_id: [u8; 32],
    pub kind: Bolt12Kind,
    /// The `lno1...` or `lnr1...` string.
    pub bolt12: String,
    pub offer_id: Option<[u8; 32]>,
    pub description: String,
    /// What the invoice may ask at most (the offer's amount times the quantity, or the amount
    /// the payer chose).
    pub amount_msat: u64,
    pub quantity: Option<u64>,
    pub payer_note: Option<String>,
    pub fee_limit_msat: u64,
    pub metadata: Option<String>,
    pub webhook_url: Option<String>,
    pub idempotency: Option<IdempotencyKey>,
}

/// A recorded intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bolt12Intent {
    pub new: NewBolt12Intent,
    pub status: Bolt12IntentStatus,
    pub payment_hash: Option<[u8; 32]>,
    pub failure_reason: Option<String>,
    pub created_at: u64,
}

/// The outcome of recording an intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bolt12IntentInsert {
    /// New: hand it to LDK.
    Created(Bolt12Intent),
    /// The same idempotency key and request were seen before: this is that intent, as it is.
    Replay(Bolt12Intent),
}

/// What to do with an arrived invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceArrival {
    /// The row is written (pending): pay the invoice.
    Pay(Payment),
    /// The intent is no longer waiting (it timed out, or this is a replayed event): do not pay.
    NotAwaiting(Bolt12Intent),
    /// The invoice breaks the intent (e.g. asks more than agreed): the intent is failed with
    /// this reason; abandon the payment.
    Refused(String),
    /// No intent has this `PaymentId` (a payment not made through mmln's ledger).
    Unknown,
}

/// The invoice's facts the row needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivedInvoice {
    pub payment_hash: [u8; 32],
    /// The invoice's signing key (the payee, or a key of its blinded path).
    pub destination: [u8; 33],
    pub amount_msat: u64,
    pub expires_at: Option<u64>,
}

/// An inbound BOLT 12 payment's facts, as its `PaymentClaimable` carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundBolt12 {
    pub payment_hash: [u8; 32],
    pub kind: Bolt12Kind,
    pub offer_id: Option<[u8; 32]>,
    pub payer_note: Option<String>,
    pub quantity: Option<u64>,
    pub amount_msat: u64,
    pub preimage: Option<[u8; 32]>,
}

/// Whether an inbound BOLT 12 payment may be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundBolt12Outcome {
    /// Its row exists (pending or further): go on as for any claimable payment.
    Recorded,
    /// Its offer was disabled: the row is failed with this reason; fail the HTLCs back.
    OfferDisabled(String),
}

fn opt_db(value: Option<u64>) -> Result<Option<i64>, LedgerError> {
    value.map(to_db_u64).transpose()
}

fn hash_of(bytes: Option<Vec<u8>>, what: &'static str) -> Result<Option<[u8; 32]>, LedgerError> {
    bytes
        .map(|b| {
            <[u8; 32]>::try_from(b.as_slice()).map_err(|_| LedgerError::CorruptRow {
                id: 0,
                column: what,
                reason: format!("{} bytes, expected 32", b.len()),
            })
        })
        .transpose()
}

fn u64_of(value: Option<i64>, what: &'static str) -> Result<Option<u64>, LedgerError> {
    value
        .map(|v| {
            u64::try_from(v).map_err(|_| LedgerError::CorruptRow {
                id: 0,
                column: what,
                reason: format!("negative {v}"),
            })
        })
        .transpose()
}

const OFFER_COLUMNS: &str = "offer_id, offer, description, amount_msat, quantity_max, \
     expires_at, issuer, created_at, disabled_at";

fn offer_from_row(row: &Row<'_>) -> Result<OfferRecord, LedgerError> {
    Ok(OfferRecord {
        offer_id: hash_of(row.get(0)?, "offer_id")?.ok_or(LedgerError::CorruptRow {
            id: 0,
            column: "offer_id",
            reason: "NULL".to_string(),
        })?,
        offer: row.get(1)?,
        description: row.get(2)?,
        amount_msat: u64_of(row.get(3)?, "amount_msat")?,
        quantity_max: u64_of(row.get(4)?, "quantity_max")?,
        expires_at: u64_of(row.get(5)?, "expires_at")?,
        issuer: row.get(6)?,
        created_at: u64_of(row.get(7)?, "created_at")?.unwrap_or_default(),
        disabled_at: u64_of(row.get(8)?, "disabled_at")?,
    })
}

fn offer_in(tx: &Connection, offer_id: &[u8; 32]) -> Result<Option<OfferRecord>, LedgerError> {
    let sql = format!("SELECT {OFFER_COLUMNS} FROM offers WHERE offer_id = ?1");
    tx.prepare_cached(&sql)?
        .query_row([&offer_id[..]], |row| Ok(offer_from_row(row)))
        .optional()?
        .transpose()
}

const INTENT_COLUMNS: &str = "payment_id, kind, bolt12, offer_id, description, amount_msat, \
     quantity, payer_note, fee_limit_msat, metadata, webhook_url, idempotency_key, fingerprint, \
     status, payment_hash, failure_reason, created_at";

fn intent_from_row(row: &Row<'_>) -> Result<Bolt12Intent, LedgerError> {
    let corrupt = |column: &'static str, value: String| LedgerError::CorruptRow {
        id: 0,
        column,
        reason: format!("unknown value {value:?}"),
    };
    let kind: String = row.get(1)?;
    let status: String = row.get(13)?;
    let key: Option<String> = row.get(11)?;
    let fingerprint = hash_of(row.get(12)?, "fingerprint")?;
    Ok(Bolt12Intent {
        new: NewBolt12Intent {
            payment_id: hash_of(row.get(0)?, "payment_id")?.unwrap_or_default(),
            kind: Bolt12Kind::from_db(&kind).ok_or_else(|| corrupt("kind", kind.clone()))?,
            bolt12: row.get(2)?,
            offer_id: hash_of(row.get(3)?, "offer_id")?,
            description: row.get(4)?,
            amount_msat: u64_of(row.get(5)?, "amount_msat")?.unwrap_or_default(),
            quantity: u64_of(row.get(6)?, "quantity")?,
            payer_note: row.get(7)?,
            fee_limit_msat: u64_of(row.get(8)?, "fee_limit_msat")?.unwrap_or_default(),
            metadata: row.get(9)?,
            webhook_url: row.get(10)?,
            idempotency: key
                .zip(fingerprint)
                .map(|(key, fingerprint)| IdempotencyKey { key, fingerprint }),
        },
        status: Bolt12IntentStatus::from_db(&status)
            .ok_or_else(|| corrupt("status", status.clone()))?,
        payment_hash: hash_of(row.get(14)?, "payment_hash")?,
        failure_reason: row.get(15)?,
        created_at: u64_of(row.get(16)?, "created_at")?.unwrap_or_default(),
    })
}

fn intent_in(tx: &Connection, payment_id: &[u8; 32]) -> Result<Option<Bolt12Intent>, LedgerError> {
    let sql = format!("SELECT {INTENT_COLUMNS} FROM bolt12_intents WHERE payment_id = ?1");
    tx.prepare_cached(&sql)?
        .query_row([&payment_id[..]], |row| Ok(intent_from_row(row)))
        .optional()?
        .transpose()
}

/// Sets the BOLT 12 columns of a row just written.
fn set_bolt12_columns(
    tx: &Connection,
    hash: &[u8; 32],
    kind: Bolt12Kind,
    offer_id: Option<&[u8; 32]>,
    payer_note: Option<&str>,
    quantity: Option<u64>,
) -> Result<(), LedgerError> {
    tx.prepare_cached(
        "UPDATE payments SET bolt12 = ?2, offer_id = ?3, payer_note = ?4, quantity = ?5 \
         WHERE payment_hash = ?1",
    )?
    .execute(params![
        &hash[..],
        kind.as_str(),
        offer_id.map(|o| &o[..]),
        payer_note,
        opt_db(quantity)?,
    ])?;
    // The row's `payment_created` event, the newest event (every caller inserts the row just
    // before), was appended without these columns: give it the same facts. It is still
    // uncommitted, so no reader saw it without them.
    tx.prepare_cached(&format!(
        "UPDATE events SET data = json_patch(data, \
         (SELECT {BOLT12_DATA} FROM payments WHERE payment_hash = ?1)) \
         WHERE event_index = (SELECT value FROM ledger_counters WHERE name = 'events') \
         AND payment_id = (SELECT id FROM payments WHERE payment_hash = ?1)"
    ))?
    .execute([&hash[..]])?;
    Ok(())
}

impl Ledger {
    /// Records an offer we issued (idempotent on its id).
    pub fn insert_offer(&self, offer: &OfferRecord) -> Result<OfferRecord, LedgerError> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO offers (offer_id, offer, description, amount_msat, quantity_max, \
                 expires_at, issuer, created_at, disabled_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL) ON CONFLICT (offer_id) DO NOTHING",
            )?
            .execute(params![
                &offer.offer_id[..],
                offer.offer,
                offer.description,
                opt_db(offer.amount_msat)?,
                opt_db(offer.quantity_max)?,
                opt_db(offer.expires_at)?,
                offer.issuer,
                to_db_u64(offer.created_at)?,
            ])?;
            offer_in(tx, &offer.offer_id)?.ok_or(LedgerError::NoSuchOffer(offer.offer_id))
        })
    }

    /// One offer we issued.
    pub fn get_offer(&self, offer_id: &[u8; 32]) -> Result<Option<OfferRecord>, LedgerError> {
        self.read(|tx| offer_in(tx, offer_id))
    }

    /// The offers we issued, newest first; disabled ones only with `include_disabled`.
    pub fn list_offers(&self, include_disabled: bool) -> Result<Vec<OfferRecord>, LedgerError> {
        self.read(|tx| {
            let sql = format!(
                "SELECT {OFFER_COLUMNS} FROM offers WHERE ?1 OR disabled_at IS NULL \
                 ORDER BY created_at DESC, offer_id"
            );
            let mut stmt = tx.prepare_cached(&sql)?;
            let rows = stmt.query_map([include_disabled], |row| Ok(offer_from_row(row)))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row??);
            }
            Ok(out)
        })
    }

    /// Disables an offer (idempotent: the first `disabled_at` stays). `NoSuchOffer` when we
    /// never issued it.
    pub fn disable_offer(&self, offer_id: &[u8; 32]) -> Result<OfferRecord, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            tx.prepare_cached(
                "UPDATE offers SET disabled_at = ?2 WHERE offer_id = ?1 AND disabled_at IS NULL",
            )?
            .execute(params![&offer_id[..], to_db_u64(now)?])?;
            offer_in(tx, offer_id)?.ok_or(LedgerError::NoSuchOffer(*offer_id))
        })
    }

    /// Records an offer or refund payment before LDK is asked for anything. With an
    /// idempotency key, a repeat of the same request is a `Replay` of the first intent and
    /// another request under the key is `IdempotencyKeyReused` (also when the key was used
    /// for a BOLT 11 or keysend payment).
    pub fn insert_bolt12_intent(
        &self,
        new: &NewBolt12Intent,
    ) -> Result<Bolt12IntentInsert, LedgerError> {
        crate::ledger::payments::check_metadata(&new.metadata)?;
        let now = self.now();
        self.write(|tx| {
            if let Some(key) = &new.idempotency {
                let sql = format!(
                    "SELECT {INTENT_COLUMNS} FROM bolt12_intents WHERE idempotency_key = ?1"
                );
                let earlier = tx
                    .prepare_cached(&sql)?
                    .query_row([&key.key], |row| Ok(intent_from_row(row)))
                    .optional()?
                    .transpose()?;
                if let Some(earlier) = earlier {
                    let same = earlier.new.idempotency.as_ref() == Some(key);
                    return if same {
                        Ok(Bolt12IntentInsert::Replay(earlier))
                    } else {
                        Err(LedgerError::IdempotencyKeyReused(key.key.clone()))
                    };
                }
                let elsewhere: Option<String> = tx
                    .prepare_cached("SELECT key FROM idempotency_keys WHERE key = ?1")?
                    .query_row([&key.key], |row| row.get(0))
                    .optional()?;
                if elsewhere.is_some() {
                    return Err(LedgerError::IdempotencyKeyReused(key.key.clone()));
                }
            }
            tx.prepare_cached(
                "INSERT INTO bolt12_intents (payment_id, kind, bolt12, offer_id, description, \
                 amount_msat, quantity, payer_note, fee_limit_msat, metadata, webhook_url, \
                 idempotency_key, fingerprint, status, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                 'awaiting_invoice', ?14)",
            )?
            .execute(params![
                &new.payment_id[..],
                new.kind.as_str(),
                new.bolt12,
                new.offer_id.as_ref().map(|o| &o[..]),
                new.description,
                to_db_u64(new.amount_msat)?,
                opt_db(new.quantity)?,
                new.payer_note,
                to_db_u64(new.fee_limit_msat)?,
                new.metadata,
                new.webhook_url,
                new.idempotency.as_ref().map(|k| k.key.clone()),
                new.idempotency.as_ref().map(|k| k.fingerprint.to_vec()),
                to_db_u64(now)?,
            ])?;
            let intent = intent_in(tx, &new.payment_id)?
                .ok_or(LedgerError::NoSuchBolt12Intent(new.payment_id))?;
            Ok(Bolt12IntentInsert::Created(intent))
        })
    }

    /// One intent by its `PaymentId`.
    pub fn bolt12_intent(
        &self,
        payment_id: &[u8; 32],
    ) -> Result<Option<Bolt12Intent>, LedgerError> {
        self.read(|tx| intent_in(tx, payment_id))
    }

    /// The `PaymentId` LDK knows a BOLT 12 payment row by (its intent's), from the row's hash.
    pub fn bolt12_payment_id(
        &self,
        payment_hash: &[u8; 32],
    ) -> Result<Option<[u8; 32]>, LedgerError> {
        self.read(|tx| {
            let id: Option<Vec<u8>> = tx
                .prepare_cached("SELECT payment_id FROM bolt12_intents WHERE payment_hash = ?1")?
                .query_row([&payment_hash[..]], |row| row.get(0))
                .optional()?;
            hash_of(id, "payment_id")
        })
    }

    /// An invoice arrived for an intent: checks it against the intent and, if it is still
    /// waiting, writes the pending outbound row and moves the intent to `paying`, in one
    /// transaction (see the module docs).
    pub fn bolt12_invoice_arrived(
        &self,
        payment_id: &[u8; 32],
        invoice: &ArrivedInvoice,
    ) -> Result<InvoiceArrival, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let Some(intent) = intent_in(tx, payment_id)? else {
                return Ok(InvoiceArrival::Unknown);
            };
            if intent.status != Bolt12IntentStatus::AwaitingInvoice {
                return Ok(InvoiceArrival::NotAwaiting(intent));
            }
            let refuse = |reason: String| -> Result<InvoiceArrival, LedgerError> {
                fail_intent_in(tx, payment_id, &reason)?;
                Ok(InvoiceArrival::Refused(reason))
            };
            if invoice.amount_msat > intent.new.amount_msat {
                return refuse(format!(
                    "refused: the invoice asks {} msat, more than the {} msat agreed",
                    invoice.amount_msat, intent.new.amount_msat
                ));
            }
            let new = NewOutbound {
                payment_hash: invoice.payment_hash,
                kind: PaymentKind::Invoice,
                destination: invoice.destination,
                description: intent.new.description.clone(),
                amount_msat: Some(invoice.amount_msat),
                fee_limit_msat: Some(intent.new.fee_limit_msat),
                payment_secret: None,
                preimage: None,
                invoice: None,
                expires_at: invoice.expires_at,
                custom_records: Vec::new(),
                metadata: intent.new.metadata.clone(),
            };
            let row =
                outbound_intent_in(tx, &new, intent.new.webhook_url.as_deref(), None, None, now)?;
            let OutboundIntent::Created(_) = row else {
                return refuse(format!(
                    "refused: the invoice's payment hash {} is already in the ledger",
                    hex::encode(invoice.payment_hash)
                ));
            };
            set_bolt12_columns(
                tx,
                &invoice.payment_hash,
                intent.new.kind,
                intent.new.offer_id.as_ref(),
                intent.new.payer_note.as_deref(),
                intent.new.quantity,
            )?;
            tx.prepare_cached(
                "UPDATE bolt12_intents SET status = ?2, payment_hash = ?3 WHERE payment_id = ?1",
            )?
            .execute(params![
                &payment_id[..],
                Bolt12IntentStatus::Paying.as_str(),
                &invoice.payment_hash[..],
            ])?;
            Ok(InvoiceArrival::Pay(reload(tx, &invoice.payment_hash)?))
        })
    }

    /// Fails an intent that is still waiting for its invoice; `None` when it was not waiting
    /// (its invoice already arrived, or it failed before), so the caller must not abandon it.
    pub fn fail_bolt12_intent(
        &self,
        payment_id: &[u8; 32],
        reason: &str,
    ) -> Result<Option<Bolt12Intent>, LedgerError> {
        self.write(|tx| {
            if fail_intent_in(tx, payment_id, reason)? {
                intent_in(tx, payment_id)
            } else {
                Ok(None)
            }
        })
    }

    /// Records (if new) the pending inbound row of a BOLT 12 payment, so the usual claimable
    /// path finds it; a payment to a disabled offer is recorded failed instead.
    pub fn record_inbound_bolt12(
        &self,
        inbound: &InboundBolt12,
    ) -> Result<InboundBolt12Outcome, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            let offer = match &inbound.offer_id {
                Some(id) => offer_in(tx, id)?,
                None => None,
            };
            let disabled = offer.as_ref().is_some_and(|o| o.disabled_at.is_some());
            let existing = payment_by_hash(tx, &inbound.payment_hash)?;
            if existing.is_none() {
                let description = offer.as_ref().map(|o| o.description.clone());
                insert_row(
                    tx,
                    &NewRow {
                        hash: &inbound.payment_hash,
                        direction: Direction::Inbound,
                        kind: PaymentKind::Invoice,
                        destination: None,
                        description: description.as_deref().unwrap_or_default(),
                        amount_msat: Some(inbound.amount_msat),
                        fee_limit_msat: None,
                        status: PaymentStatus::Pending,
                        preimage: inbound.preimage.as_ref(),
                        payment_secret: None,
                        invoice: None,
                        expires_at: None,
                        metadata: None,
                        attempts: 0,
                        hold: false,
                        webhook_url: None,
                        split: None,
                        wallet_id: None,
                    },
                    now,
                )?;
                set_bolt12_columns(
                    tx,
                    &inbound.payment_hash,
                    inbound.kind,
                    inbound.offer_id.as_ref(),
                    inbound.payer_note.as_deref(),
                    inbound.quantity,
                )?;
            }
            if !disabled {
                return Ok(InboundBolt12Outcome::Recorded);
            }
            let reason = format!(
                "refused: offer {} is disabled",
                hex::encode(inbound.offer_id.unwrap_or_default())
            );
            let row = reload(tx, &inbound.payment_hash)?;
            if row.status == PaymentStatus::Pending {
                tx.prepare_cached(
                    "UPDATE payments SET status = 'failed', failure_code = ?2, \
                     failure_reason = ?3 WHERE id = ?1",
                )?
                .execute(params![
                    row.id,
                    FailureCode::ClaimFailed.as_str(),
                    reason
                ])?;
                touch(tx, row.id, now, EventKind::PaymentFailed)?;
            }
            Ok(InboundBolt12Outcome::OfferDisabled(reason))
        })
    }

    /// Records the pending inbound row of a refund we asked to be paid
    /// (`request_refund_payment`): its hash is that of the invoice we sent.
    pub fn insert_inbound_refund(
        &self,
        payment_hash: &[u8; 32],
        description: &str,
        amount_msat: u64,
        expires_at: Option<u64>,
    ) -> Result<Applied, LedgerError> {
        let now = self.now();
        self.write(|tx| {
            if let Some(existing) = payment_by_hash(tx, payment_hash)? {
                return Ok(Applied {
                    payment: existing,
                    changed: false,
                });
            }
            insert_row(
                tx,
                &NewRow {
                    hash: payment_hash,
                    direction: Direction::Inbound,
                    kind: PaymentKind::Invoice,
                    destination: None,
                    description,
                    amount_msat: Some(amount_msat),
                    fee_limit_msat: None,
                    status: PaymentStatus::Pending,
                    preimage: None,
                    payment_secret: None,
                    invoice: None,
                    expires_at,
                    metadata: None,
                    attempts: 0,
                    hold: false,
                    webhook_url: None,
                    split: None,
                    wallet_id: None,
                },
                now,
            )?;
            set_bolt12_columns(tx, payment_hash, Bolt12Kind::Refund, None, None, None)?;
            Ok(Applied {
                payment: reload(tx, payment_hash)?,
                changed: true,
            })
        })
    }
}

/// Moves a waiting intent to `failed`; false when it was not waiting.
fn fail_intent_in(
    tx: &Connection,
    payment_id: &[u8; 32],
    reason: &str,
) -> Result<bool, LedgerError> {
    let changed = tx
        .prepare_cached(
            "UPDATE bolt12_intents SET status = 'failed', failure_reason = ?2 \
             WHERE payment_id = ?1 AND status = 'awaiting_invoice'",
        )?
        .execute(params![&payment_id[..], reason])?;
    Ok(changed > 0)
}
