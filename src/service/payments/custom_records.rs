//! The `custom_records` request param of a keysend: extra onion TLVs for the final hop.
//!
//! Accepted shape: a JSON object whose keys are TLV types written in decimal and whose values are
//! one of
//! - `"text"`: a plain string, sent as its UTF-8 bytes (the LNPay shape);
//! - `{"text": "..."}`: the same, spelled out;
//! - `{"hex": "0a0b..."}`: binary bytes, hex encoded (upper or lower case, even length);
//! - `{"json": <any JSON>}`: the value serialized as compact JSON, handy for bLIP-10 (7629169).
//!
//! Rules (those of LDK's `RecipientOnionFields::with_custom_tlvs`, checked here first so the
//! client gets an error naming the key instead of LDK's bare `Err(())`):
//! - keys are u64 in decimal digits only (no sign, spaces or hex); leading zeros are tolerated,
//!   but two spellings of one number are a duplicate;
//! - keys are at least 65536 (below is the protocol's own TLV range);
//! - 5482373484 is the keysend preimage, set by the node itself;
//! - 77777 is reserved by LDK (invoice requests for async payments); it is below 65536 anyway,
//!   but is reported as reserved should that range ever change;
//! - the encoded TLV stream is at most [`MAX_CUSTOM_RECORDS_ENCODED_BYTES`] bytes.
//!
//! The output is sorted by key, as LDK requires strictly increasing types.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Smallest type a custom record may use; lower types belong to the protocol.
pub const MIN_CUSTOM_RECORD_KEY: u64 = 1 << 16;
/// The keysend (bLIP-3) preimage record. The node writes it; clients may not.
pub const KEYSEND_PREIMAGE_KEY: u64 = 5_482_373_484;
/// Rejected by LDK 0.2's `with_custom_tlvs` (used for async-payment invoice requests).
pub const LDK_RESERVED_KEY: u64 = 77_777;
/// Bound on the encoded size (type + length + value of every record) of all custom records.
///
/// The onion gives all hops together 1300 bytes. A final hop's own fields (amount, CLTV,
/// payment secret, keysend preimage, HMAC) take about 130 bytes and every intermediate hop about
/// 60, so 1000 bytes of records still leave room for three intermediate hops on a keysend (LDK's
/// own path-length estimate agrees; a test checks it). Much larger payloads could hardly reach
/// anyone but a neighbour. Routes too long for a payload under this bound fail at send time
/// with LDK's onion-size error.
pub const MAX_CUSTOM_RECORDS_ENCODED_BYTES: usize = 1000;

/// Why a `custom_records` param was refused. Every message names the offending key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error_type", content = "error_data")]
pub enum CustomRecordsError {
    #[error("invalid custom record key \"{key}\": {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("custom record key {key} is below {MIN_CUSTOM_RECORD_KEY}; custom records must use keys >= {MIN_CUSTOM_RECORD_KEY}")]
    KeyBelowCustomRange { key: u64 },
    #[error("custom record key {key} is reserved: {reason}")]
    ReservedKey { key: u64, reason: &'static str },
    #[error("custom record key {key} is given more than once")]
    DuplicateKey { key: u64 },
    #[error("invalid value for custom record {key}: {reason}")]
    InvalidValue { key: u64, reason: String },
    #[error("custom records take {size} bytes encoded, more than the limit of {limit} bytes (the onion has 1300 bytes for all hops)")]
    RecordsTooLarge { size: usize, limit: usize },
}

/// The raw `custom_records` object, entries in the order given.
///
/// It keeps repeated JSON keys (a map would silently keep only the last one) so that
/// [`CustomRecordsParam::validate`] can report them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomRecordsParam {
    entries: Vec<(String, Value)>,
}

impl CustomRecordsParam {
    /// Builds the param from entries, as a deserializer would (tests and non-JSON callers).
    pub fn from_entries(entries: Vec<(String, Value)>) -> Self {
        Self { entries }
    }

    /// Checks every rule and returns the records sorted by key, ready for LDK.
    pub fn validate(&self) -> Result<Vec<(u64, Vec<u8>)>, CustomRecordsError> {
        let mut records = Vec::with_capacity(self.entries.len());
        for (raw_key, value) in &self.entries {
            let key = parse_key(raw_key)?;
            records.push((key, value_bytes(key, value)?));
        }
        records.sort_by_key(|(key, _)| *key);
        if let Some(pair) = records.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(CustomRecordsError::DuplicateKey { key: pair[0].0 });
        }
        let size = encoded_size(&records);
        if size > MAX_CUSTOM_RECORDS_ENCODED_BYTES {
            return Err(CustomRecordsError::RecordsTooLarge {
                size,
                limit: MAX_CUSTOM_RECORDS_ENCODED_BYTES,
            });
        }
        Ok(records)
    }
}

impl<'de> Deserialize<'de> for CustomRecordsParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = CustomRecordsParam;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of custom records {\"<decimal key>\": value}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(CustomRecordsParam { entries })
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

fn parse_key(raw: &str) -> Result<u64, CustomRecordsError> {
    let invalid = |reason| CustomRecordsError::InvalidKey {
        key: raw.to_string(),
        reason,
    };
    if raw.is_empty() {
        return Err(invalid("the key is empty"));
    }
    if !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("keys are written in decimal digits only"));
    }
    let key: u64 = raw
        .parse()
        .map_err(|_| invalid("the number does not fit in 64 bits"))?;
    if key == KEYSEND_PREIMAGE_KEY {
        return Err(CustomRecordsError::ReservedKey {
            key,
            reason: "it carries the keysend preimage, which the node sets itself",
        });
    }
    if key == LDK_RESERVED_KEY {
        return Err(CustomRecordsError::ReservedKey {
            key,
            reason: "the Lightning engine (LDK) uses it for async payments",
        });
    }
    if key < MIN_CUSTOM_RECORD_KEY {
        return Err(CustomRecordsError::KeyBelowCustomRange { key });
    }
    Ok(key)
}

const VALUE_SHAPES: &str =
    "expected a string, {\"text\": string}, {\"hex\": hex string} or {\"json\": any JSON}";

fn value_bytes(key: u64, value: &Value) -> Result<Vec<u8>, CustomRecordsError> {
    let invalid = |reason: String| CustomRecordsError::InvalidValue { key, reason };
    let object = match value {
        Value::String(text) => return Ok(text.as_bytes().to_vec()),
        Value::Object(object) => object,
        other => return Err(invalid(format!("{VALUE_SHAPES}, got {}", kind(other)))),
    };
    let mut fields = object.iter();
    let (Some((tag, inner)), None) = (fields.next(), fields.next()) else {
        return Err(invalid(format!(
            "{VALUE_SHAPES}, got an object with {} keys",
            object.len()
        )));
    };
    match (tag.as_str(), inner) {
        ("text", Value::String(text)) => Ok(text.as_bytes().to_vec()),
        ("hex", Value::String(hex_text)) => {
            hex::decode(hex_text).map_err(|e| invalid(format!("\"hex\" is not valid hex ({e})")))
        }
        ("json", json) => serde_json::to_vec(json)
            .map_err(|e| invalid(format!("\"json\" could not be serialized ({e})"))),
        ("text" | "hex", other) => Err(invalid(format!(
            "\"{tag}\" must be a string, got {}",
            kind(other)
        ))),
        (unknown, _) => Err(invalid(format!("{VALUE_SHAPES}, got key \"{unknown}\""))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Size of a BOLT 1 BigSize integer.
fn big_size_len(n: u64) -> usize {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Bytes the records take in the onion TLV stream: type, length, value for each.
pub fn encoded_size(records: &[(u64, Vec<u8>)]) -> usize {
    records
        .iter()
        .map(|(key, value)| big_size_len(*key) + big_size_len(value.len() as u64) + value.len())
        .sum()
}

#[cfg(test)]
mod tests;
