//! `send_value_split`: pay a whole Podcasting 2.0 value block with one call.
//!
//! Order (as `send.rs`):
//! 1. validate everything and compute the amounts (`split_plan.rs`), before any write;
//! 2. build one keysend per paid recipient: the common records plus its own (its own win per
//!    key), and its bLIP-10 record (7629169) with `value_msat`, `value_msat_total` and `name`
//!    filled in (created when no record was given);
//! 3. subscribe to every hash, then write every recipient row and the key in ONE transaction
//!    (`Ledger::begin_value_split`), so a concurrent repeat finds the whole group or nothing;
//! 4. hand the new rows to LDK concurrently; a repeat of the same key re-sends only the rows
//!    that failed (under their recorded hash: a failed keysend was never claimed), never one
//!    that succeeded or is in flight;
//! 5. with a wait, return once every recipient is final or the wait ends.
//!
//! Steps 3 and 4 run in their own task, so a client that hangs up cannot leave rows recorded
//! but never sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use serde_json::Value;

use crate::ledger::{
    CustomRecord, IdempotencyKey, LedgerError, NewOutbound, NewSplitPayment, OutboundIntent,
    Payment, PaymentKind, SplitBegin,
};
use crate::node::Node;

use super::blip10::BLIP10_RECORD_KEY;
use super::custom_records::{
    encoded_size, CustomRecordsError, CustomRecordsParam, MAX_CUSTOM_RECORDS_ENCODED_BYTES,
};
use super::fee_limit::effective_fee_limit_msat;
use super::hub::{PaymentHub, MAX_WAIT_TIMEOUT_SECS};
use super::idempotency::{check_key_text, Fingerprint, IdempotencyError};
use super::keysend::{
    ensure_not_self, parse_node_id, KeysendError, MIN_SENT_FINAL_CLTV_EXPIRY_DELTA,
};
use super::send::{Prepared, SendError};
use super::split_plan::{plan, Share, SplitPlanError, MIN_RECIPIENT_MSAT};

/// The most recipients one value block may have.
pub const MAX_SPLIT_RECIPIENTS: usize = 50;
/// The longest recipient name kept, in bytes.
pub const MAX_RECIPIENT_NAME_BYTES: usize = 256;

/// One `<podcast:valueRecipient>`.
#[derive(Debug, Clone)]
pub struct SplitRecipient {
    pub name: Option<String>,
    pub destination: String,
    pub split: u64,
    pub fee: bool,
    pub custom_records: Option<CustomRecordsParam>,
}

/// A value block to pay.
#[derive(Debug, Clone)]
pub struct ValueSplitRequest {
    pub total_msat: u64,
    pub recipients: Vec<SplitRecipient>,
    pub custom_records: Option<CustomRecordsParam>,
    /// Per recipient keysend; default 5% of its amount (at least 5 sat), as `send_payment`.
    pub fee_limit_msat: Option<u64>,
    pub idempotency_key: Option<String>,
    pub wait: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("{0}")]
    InvalidPlan(#[from] SplitPlanError),
    #[error("recipients: a value block has 1 to {MAX_SPLIT_RECIPIENTS} recipients, got {0}")]
    InvalidRecipientCount(usize),
    #[error("recipient {index}: {source}")]
    InvalidRecipient {
        index: usize,
        #[source]
        source: KeysendError,
    },
    #[error("recipient {index}: name is longer than {MAX_RECIPIENT_NAME_BYTES} bytes")]
    NameTooLong { index: usize },
    #[error("recipient {index}: {reason}")]
    InvalidRecords { index: usize, reason: String },
    #[error("custom_records: {0}")]
    InvalidCommonRecords(CustomRecordsError),
    #[error("{0}")]
    InvalidIdempotencyKey(IdempotencyError),
    #[error("invalid wait_timeout_secs {0}: at most {MAX_WAIT_TIMEOUT_SECS} seconds")]
    InvalidWaitTimeout(u64),
    #[error(
        "idempotency key {0:?} was already used for a different request; use a new key for a \
         new request"
    )]
    IdempotencyKeyReused(String),
    #[error("{0}")]
    Ledger(LedgerError),
    #[error("the split could not be recorded and sent: {0}")]
    DispatchTaskFailed(String),
}

impl From<LedgerError> for SplitError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::IdempotencyKeyReused(key) => SplitError::IdempotencyKeyReused(key),
            other => SplitError::Ledger(other),
        }
    }
}

/// What became of one recipient.
#[derive(Debug, Clone)]
pub struct RecipientOutcome {
    pub name: Option<String>,
    pub destination: String,
    pub split: u64,
    pub fee: bool,
    pub amount_msat: u64,
    /// `None` for a skipped (dust) recipient.
    pub payment: Option<Payment>,
}

/// The result of a split.
#[derive(Debug, Clone)]
pub struct SplitOutcome {
    pub split_id: String,
    pub total_msat: u64,
    /// Amounts below 1 sat that were not paid.
    pub skipped_msat: u64,
    /// True when the key named an earlier call (only its failed recipients were re-sent).
    pub repeated: bool,
    pub recipients: Vec<RecipientOutcome>,
    /// True when a wait was requested and ended before every recipient was final.
    pub timed_out: bool,
}

/// A recipient ready to send.
struct Planned {
    index: u32,
    destination: PublicKey,
    amount_msat: u64,
    fee_limit_msat: u64,
    records: Vec<(u64, Vec<u8>)>,
}

impl PaymentHub {
    /// Pays a value block (module docs).
    pub async fn send_value_split(
        &self,
        node: &Arc<Node>,
        request: ValueSplitRequest,
    ) -> Result<SplitOutcome, SplitError> {
        if let Some(wait) = request.wait {
            if wait.as_secs() > MAX_WAIT_TIMEOUT_SECS {
                return Err(SplitError::InvalidWaitTimeout(wait.as_secs()));
            }
        }
        if let Some(key) = &request.idempotency_key {
            check_key_text(key).map_err(SplitError::InvalidIdempotencyKey)?;
        }
        let (planned, amounts, fingerprint) = validate(node, &request)?;
        let key = request
            .idempotency_key
            .clone()
            .map(|key| IdempotencyKey { key, fingerprint });
        let rows: Vec<NewSplitPayment> = planned
            .iter()
            .map(|p| NewSplitPayment {
                index: p.index,
                payment: new_row(node, p, None),
            })
            .collect();
        let split_id = uuid::Uuid::new_v4().to_string();

        let hub = self.clone();
        let task_node = Arc::clone(node);
        let (split_id, repeated, rows) = tokio::spawn(async move {
            hub.record_and_dispatch_split(&task_node, split_id, key, planned, rows)
                .await
        })
        .await
        .map_err(|e| SplitError::DispatchTaskFailed(e.to_string()))??;

        let mut timed_out = false;
        let mut payments = rows;
        if let Some(wait) = request.wait {
            let (finals, any_timed_out) = self.wait_all(&payments, wait).await?;
            payments = finals;
            timed_out = any_timed_out;
        }
        let plan_amounts = amounts;
        let recipients = request
            .recipients
            .iter()
            .enumerate()
            .map(|(i, r)| RecipientOutcome {
                name: r.name.clone(),
                destination: r.destination.clone(),
                split: r.split,
                fee: r.fee,
                amount_msat: plan_amounts[i],
                payment: payments
                    .iter()
                    .find(|p| p.split_index == Some(i as u32))
                    .cloned(),
            })
            .collect();
        Ok(SplitOutcome {
            split_id,
            total_msat: request.total_msat,
            skipped_msat: plan_amounts
                .iter()
                .filter(|a| **a < MIN_RECIPIENT_MSAT)
                .sum(),
            repeated,
            recipients,
            timed_out,
        })
    }

    /// Steps 3 and 4 of the module docs; returns the group's rows after dispatch.
    async fn record_and_dispatch_split(
        &self,
        node: &Node,
        split_id: String,
        key: Option<IdempotencyKey>,
        planned: Vec<Planned>,
        rows: Vec<NewSplitPayment>,
    ) -> Result<(String, bool, Vec<Payment>), SplitError> {
        let id = split_id.clone();
        let begun = self
            .ledger
            .blocking(move |l| l.begin_value_split(&id, key.as_ref(), &rows))
            .await?;
        let (split_id, repeated, rows) = match begun {
            SplitBegin::Created(rows) => (split_id, false, rows),
            SplitBegin::Existing { split_id, payments } => (split_id, true, payments),
        };
        let mut sends = Vec::new();
        for row in &rows {
            let Some(p) = planned.iter().find(|p| Some(p.index) == row.split_index) else {
                continue;
            };
            let send = match (repeated, row.status) {
                (false, _) => Some((row.clone(), false)),
                (true, crate::ledger::PaymentStatus::Failed) => Some((row.clone(), true)),
                _ => None,
            };
            if let Some((row, retry)) = send {
                let prepared = Prepared::Keysend {
                    preimage: row.preimage.unwrap_or_default(),
                    final_cltv_expiry_delta: MIN_SENT_FINAL_CLTV_EXPIRY_DELTA,
                    fee_limit_msat: p.fee_limit_msat,
                    new: new_row(node, p, row.preimage),
                };
                sends.push(self.send_split_row(node, prepared, row, retry));
            }
        }
        // Concurrently: one keysend per recipient, as the value block's listeners expect.
        futures_util::future::join_all(sends).await;
        let id = split_id.clone();
        let rows = self.ledger.blocking(move |l| l.split_payments(&id)).await?;
        Ok((split_id, repeated, rows))
    }

    /// Dispatches one recipient; a retry first resets its failed row (same hash). A refusal is
    /// already recorded on the row, which the result reports.
    async fn send_split_row(&self, node: &Node, prepared: Prepared, row: Payment, retry: bool) {
        let hash = row.payment_hash;
        let intent = if retry {
            let new = prepared.new_row().clone();
            match self
                .ledger
                .blocking(move |l| l.insert_outbound_intent(&new))
                .await
            {
                Ok(intent) => intent,
                Err(e) => {
                    tracing::warn!(hash = %hex::encode(hash), error = %e, "split recipient not re-sent");
                    return;
                }
            }
        } else {
            OutboundIntent::Created(row)
        };
        if let Err(e) = self.dispatch_intent(node, &prepared, intent, hash).await {
            let already = matches!(e, SendError::AlreadyPaid(_));
            if !already {
                tracing::info!(hash = %hex::encode(hash), error = %e, "split recipient not sent");
            }
        }
    }

    /// Waits for every row to be final, or for `wait` to pass; returns the rows as they stand.
    async fn wait_all(
        &self,
        rows: &[Payment],
        wait: Duration,
    ) -> Result<(Vec<Payment>, bool), SplitError> {
        let waits = rows.iter().map(|row| {
            let subscription = self.notifier.subscribe(row.payment_hash);
            self.wait_until_final(subscription, wait)
        });
        let mut finals = Vec::with_capacity(rows.len());
        let mut timed_out = false;
        for outcome in futures_util::future::join_all(waits).await {
            let outcome = outcome.map_err(|e| match e {
                SendError::Ledger(e) => SplitError::from(e),
                other => SplitError::DispatchTaskFailed(other.to_string()),
            })?;
            timed_out |= outcome.timed_out;
            finals.push(outcome.payment);
        }
        Ok((finals, timed_out))
    }
}

/// The ledger row of a recipient's keysend; `preimage` reuses a recorded one (a retry).
fn new_row(node: &Node, p: &Planned, preimage: Option<[u8; 32]>) -> NewOutbound {
    use bitcoin::hashes::{sha256, Hash};
    use lightning::sign::EntropySource;
    let preimage = preimage.unwrap_or_else(|| node.keys_manager().get_secure_random_bytes());
    NewOutbound {
        payment_hash: sha256::Hash::hash(&preimage).to_byte_array(),
        kind: PaymentKind::Keysend,
        destination: p.destination.serialize(),
        description: String::new(),
        amount_msat: Some(p.amount_msat),
        fee_limit_msat: Some(p.fee_limit_msat),
        payment_secret: None,
        preimage: Some(preimage),
        invoice: None,
        expires_at: None,
        custom_records: p
            .records
            .iter()
            .map(|(key, value)| CustomRecord {
                key: *key,
                value: value.clone(),
            })
            .collect(),
        metadata: None,
    }
}

type Validated = (Vec<Planned>, Vec<u64>, [u8; 32]);

/// Step 1 and 2: the recipients to pay, every recipient's amount, and the fingerprint.
fn validate(node: &Node, request: &ValueSplitRequest) -> Result<Validated, SplitError> {
    let n = request.recipients.len();
    if n == 0 || n > MAX_SPLIT_RECIPIENTS {
        return Err(SplitError::InvalidRecipientCount(n));
    }
    let shares: Vec<Share> = request
        .recipients
        .iter()
        .map(|r| Share {
            split: r.split,
            fee: r.fee,
        })
        .collect();
    let amounts = plan(request.total_msat, &shares)?.amounts_msat;
    let common = match &request.custom_records {
        Some(records) => records
            .validate()
            .map_err(SplitError::InvalidCommonRecords)?,
        None => Vec::new(),
    };
    let our_id = node.node_id();
    let mut fingerprint = Fingerprint::new("send_value_split");
    fingerprint
        .u64(request.total_msat)
        .opt_u64(request.fee_limit_msat)
        .records(&as_refs(&common));
    let mut planned = Vec::new();
    for (index, r) in request.recipients.iter().enumerate() {
        let invalid = |source| SplitError::InvalidRecipient { index, source };
        let destination = parse_node_id(&r.destination).map_err(invalid)?;
        ensure_not_self(&destination, &our_id).map_err(invalid)?;
        if r.name
            .as_ref()
            .is_some_and(|n| n.len() > MAX_RECIPIENT_NAME_BYTES)
        {
            return Err(SplitError::NameTooLong { index });
        }
        let own = match &r.custom_records {
            Some(records) => records.validate().map_err(|e| SplitError::InvalidRecords {
                index,
                reason: e.to_string(),
            })?,
            None => Vec::new(),
        };
        fingerprint
            .bytes(&destination.serialize())
            .opt_bytes(r.name.as_deref().map(str::as_bytes))
            .u64(r.split)
            .u64(u64::from(r.fee))
            .records(&as_refs(&own));
        let amount_msat = amounts[index];
        if amount_msat < MIN_RECIPIENT_MSAT {
            continue;
        }
        let records = recipient_records(
            &common,
            &own,
            r.name.as_deref(),
            amount_msat,
            request.total_msat,
        )
        .map_err(|reason| SplitError::InvalidRecords { index, reason })?;
        planned.push(Planned {
            index: index as u32,
            destination,
            amount_msat,
            fee_limit_msat: effective_fee_limit_msat(amount_msat, request.fee_limit_msat),
            records,
        });
    }
    Ok((planned, amounts, fingerprint.finish()))
}

fn as_refs(records: &[(u64, Vec<u8>)]) -> Vec<(u64, &[u8])> {
    records.iter().map(|(k, v)| (*k, v.as_slice())).collect()
}

/// The common records overlaid with the recipient's own, and the bLIP-10 record filled in:
/// its JSON object (the recipient's keys over the common ones) with this recipient's
/// `value_msat`, the listener's `value_msat_total` and the recipient's `name`.
pub fn recipient_records(
    common: &[(u64, Vec<u8>)],
    own: &[(u64, Vec<u8>)],
    name: Option<&str>,
    value_msat: u64,
    value_msat_total: u64,
) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let mut merged: BTreeMap<u64, Vec<u8>> = common.iter().cloned().collect();
    let mut blip10 = serde_json::Map::new();
    for records in [common, own] {
        if let Some((_, value)) = records.iter().find(|(k, _)| *k == BLIP10_RECORD_KEY) {
            match serde_json::from_slice::<Value>(value) {
                Ok(Value::Object(object)) => blip10.extend(object),
                _ => {
                    return Err(format!(
                        "custom record {BLIP10_RECORD_KEY} (bLIP-10) must be a JSON object"
                    ))
                }
            }
        }
    }
    merged.extend(own.iter().cloned());
    blip10.insert("value_msat".into(), Value::from(value_msat));
    blip10.insert("value_msat_total".into(), Value::from(value_msat_total));
    if let Some(name) = name {
        blip10.insert("name".into(), Value::from(name));
    }
    let encoded = serde_json::to_vec(&Value::Object(blip10)).map_err(|e| e.to_string())?;
    merged.insert(BLIP10_RECORD_KEY, encoded);
    let records: Vec<(u64, Vec<u8>)> = merged.into_iter().collect();
    let size = encoded_size(&records);
    if size > MAX_CUSTOM_RECORDS_ENCODED_BYTES {
        return Err(format!(
            "custom records take {size} bytes encoded with the bLIP-10 values filled in, more \
             than the limit of {MAX_CUSTOM_RECORDS_ENCODED_BYTES} bytes"
        ));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blip10_is_merged_and_filled_and_own_records_win() {
        let common = vec![
            (
                BLIP10_RECORD_KEY,
                br#"{"podcast":"P","action":"stream","name":"x"}"#.to_vec(),
            ),
            (7_629_171, b"common".to_vec()),
        ];
        let own = vec![
            (BLIP10_RECORD_KEY, br#"{"episode":"E1"}"#.to_vec()),
            (7_629_171, b"own".to_vec()),
            (696_969, b"wal_1".to_vec()),
        ];
        let records = recipient_records(&common, &own, Some("Host"), 4950, 100_000).unwrap();
        let keys: Vec<u64> = records.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, vec![696_969, BLIP10_RECORD_KEY, 7_629_171]);
        let blip: Value = serde_json::from_slice(&records[1].1).unwrap();
        assert_eq!(blip["podcast"], "P");
        assert_eq!(blip["episode"], "E1");
        assert_eq!(blip["value_msat"], 4950);
        assert_eq!(blip["value_msat_total"], 100_000);
        assert_eq!(blip["name"], "Host");
        assert_eq!(records[2].1, b"own");
    }

    #[test]
    fn a_record_is_created_when_none_is_given_and_non_objects_are_refused() {
        let records = recipient_records(&[], &[], None, 1000, 2000).unwrap();
        let blip: Value = serde_json::from_slice(&records[0].1).unwrap();
        assert_eq!(
            blip,
            serde_json::json!({"value_msat": 1000, "value_msat_total": 2000})
        );
        let bad = vec![(BLIP10_RECORD_KEY, b"[1]".to_vec())];
        assert!(recipient_records(&bad, &[], None, 1, 1).is_err());
        let big = vec![(7_629_171, vec![b'a'; 990])];
        assert!(recipient_records(&big, &[], None, 1, 1).is_err());
    }
}
