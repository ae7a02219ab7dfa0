//! Wire types shared by the payment methods: the payment object, payment type, status, hash
//! params and paging options.

use std::fmt;

use lightning::chain::channelmonitor::HTLC_FAIL_BACK_BUFFER;
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::service::payments::decoded_records::{decode_records, DecodedRecord};
use crate::service::payments::metadata::ClientMetadata;
use crate::service::payments::{Direction, Paging, Payment, PaymentStatus, PaymentTypeFilter};

/// A 32-byte hash given as 64 hex characters (KDF's "a hash string").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParam(pub [u8; 32]);

impl<'de> Deserialize<'de> for HashParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HashVisitor;
        impl Visitor<'_> for HashVisitor {
            type Value = HashParam;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a hash string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<HashParam, E> {
                let mut out = [0u8; 32];
                if s.len() != 64 || hex::decode_to_slice(s, &mut out).is_err() {
                    return Err(E::invalid_value(Unexpected::Str(s), &self));
                }
                Ok(HashParam(out))
            }
        }
        deserializer.deserialize_str(HashVisitor)
    }
}

impl Serialize for HashParam {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

/// `{"type":"Outbound Payment","destination":pubkey}` or `{"type":"Inbound Payment"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PaymentTypeWire {
    #[serde(rename = "Outbound Payment")]
    Outbound {
        /// Always present in answers; optional in filters (all outbound payments).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        destination: Option<String>,
    },
    #[serde(rename = "Inbound Payment")]
    Inbound,
}

impl PaymentTypeWire {
    /// The ledger filter; an invalid destination is reported with the field name.
    pub fn to_filter(&self) -> Result<PaymentTypeFilter, String> {
        match self {
            PaymentTypeWire::Inbound => Ok(PaymentTypeFilter::Inbound),
            PaymentTypeWire::Outbound { destination: None } => {
                Ok(PaymentTypeFilter::Outbound { destination: None })
            }
            PaymentTypeWire::Outbound {
                destination: Some(d),
            } => {
                let mut key = [0u8; 33];
                hex::decode_to_slice(d, &mut key)
                    .map_err(|_| format!("invalid payment_type.destination \"{d}\": expected 66 hex characters (a compressed public key)"))?;
                Ok(PaymentTypeFilter::Outbound {
                    destination: Some(key),
                })
            }
        }
    }
}

/// `pending`, `claimable`, `succeeded`, `failed`, `held`, `canceled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusWire {
    Pending,
    Claimable,
    Succeeded,
    Failed,
    Held,
    Canceled,
}

impl From<StatusWire> for PaymentStatus {
    fn from(s: StatusWire) -> Self {
        match s {
            StatusWire::Pending => PaymentStatus::Pending,
            StatusWire::Claimable => PaymentStatus::Claimable,
            StatusWire::Succeeded => PaymentStatus::Succeeded,
            StatusWire::Failed => PaymentStatus::Failed,
            StatusWire::Held => PaymentStatus::Held,
            StatusWire::Canceled => PaymentStatus::Canceled,
        }
    }
}

/// KDF's payment object plus mmln's optional additions.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentDetails {
    pub payment_hash: String,
    pub payment_type: PaymentTypeWire,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_in_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_paid_msat: Option<u64>,
    pub status: &'static str,
    pub created_at: u64,
    pub last_updated: u64,
    // --- mmln additions ---
    /// Outbound: the recipient (also inside `payment_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// Once the payment succeeded (the proof of payment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preimage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_limit_msat: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom_records: Vec<DecodedRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub created_index: u64,
    pub updated_index: u64,
    /// Held hold-invoice payments: the earliest expiry height of the held HTLCs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub htlc_expiry_height: Option<u32>,
    /// Held hold-invoice payments: the height at which the HTLCs are failed back at the latest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_deadline_height: Option<u32>,
    /// Outbound: the access key that made the payment (absent: the password or the socket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<u64>,
    /// `send_value_split` recipients: the group and the recipient's position in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split_index: Option<u32>,
    /// Inbound keysends routed to a sub-wallet by their record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wallet_id: Option<String>,
    /// BOLT 12 payments: `"offer"` or `"refund"` (the row's `invoice` is then absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bolt12: Option<&'static str>,
    /// BOLT 12 offer payments: the offer's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_id: Option<String>,
    /// BOLT 12: the payer's note from the invoice request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payer_note: Option<String>,
    /// BOLT 12 offers with a quantity: the number of items paid for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
}

impl From<&Payment> for PaymentDetails {
    fn from(p: &Payment) -> Self {
        let destination = p.destination.map(hex::encode);
        let payment_type = match p.direction {
            Direction::Outbound => PaymentTypeWire::Outbound {
                destination: destination.clone(),
            },
            Direction::Inbound => PaymentTypeWire::Inbound,
        };
        let records: Vec<(u64, Vec<u8>)> = p
            .custom_records
            .iter()
            .map(|r| (r.key, r.value.clone()))
            .collect();
        let held_deadline = p
            .claim_deadline_height
            .filter(|_| p.status == PaymentStatus::Held);
        PaymentDetails {
            payment_hash: hex::encode(p.payment_hash),
            payment_type,
            description: p.description.clone(),
            amount_in_msat: p.amount_msat,
            fee_paid_msat: p.fee_paid_msat,
            status: p.status.as_str(),
            created_at: p.created_at,
            last_updated: p.last_updated,
            destination,
            preimage: (p.status == PaymentStatus::Succeeded)
                .then_some(p.preimage)
                .flatten()
                .map(hex::encode),
            invoice: p.invoice.clone(),
            fee_limit_msat: p.fee_limit_msat,
            custom_records: decode_records(&records),
            metadata: p
                .metadata
                .clone()
                .map(|m| ClientMetadata::from_stored(m).to_value()),
            failure_reason: p.failure.as_ref().map(|f| f.reason.clone()),
            created_index: p.created_index,
            updated_index: p.updated_index,
            htlc_expiry_height: held_deadline.map(|d| d.saturating_add(HTLC_FAIL_BACK_BUFFER)),
            claim_deadline_height: held_deadline,
            key_id: p.key_id,
            split_id: p.split_id.clone(),
            split_index: p.split_index,
            wallet_id: p.wallet_id.clone(),
            bolt12: p.bolt12.as_ref().map(|b| b.kind.as_str()),
            offer_id: p.bolt12.as_ref().and_then(|b| b.offer_id).map(hex::encode),
            payer_note: p.bolt12.as_ref().and_then(|b| b.payer_note.clone()),
            quantity: p.bolt12.as_ref().and_then(|b| b.quantity),
        }
    }
}

/// `{"PageNumber": n}` (from 1) or `{"FromId": hash}` (start just after that payment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PagingOptions {
    PageNumber(u64),
    FromId(HashParam),
}

impl Default for PagingOptions {
    fn default() -> Self {
        PagingOptions::PageNumber(1)
    }
}

impl PagingOptions {
    pub fn to_paging(self) -> Paging {
        match self {
            PagingOptions::PageNumber(n) => Paging::PageNumber(n),
            PagingOptions::FromId(h) => Paging::FromId(h.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_param_accepts_64_hex_and_names_bad_input() {
        let ok: HashParam = serde_json::from_value(json!("ab".repeat(32))).unwrap();
        assert_eq!(ok.0, [0xab; 32]);
        let err = serde_json::from_value::<HashParam>(json!("")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value: string \"\", expected a hash string"
        );
        assert!(serde_json::from_value::<HashParam>(json!("zz".repeat(32))).is_err());
    }

    #[test]
    fn payment_type_round_trips_kdf_shapes() {
        let inbound: PaymentTypeWire =
            serde_json::from_value(json!({"type": "Inbound Payment"})).unwrap();
        assert_eq!(inbound, PaymentTypeWire::Inbound);
        let outbound: PaymentTypeWire =
            serde_json::from_value(json!({"type": "Outbound Payment"})).unwrap();
        assert_eq!(outbound, PaymentTypeWire::Outbound { destination: None });
        assert_eq!(
            serde_json::to_value(&inbound).unwrap(),
            json!({"type": "Inbound Payment"})
        );
    }
}
