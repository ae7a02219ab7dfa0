//! Lenient reader for bLIP-10 Podcasting 2.0 metadata (custom record 7629169).
//!
//! The record is meant to be flat UTF-8 JSON with known keys, but apps deviate: `"streaming"` for
//! `"stream"`, `itemID` as a string, numbers sent as strings, `message: null`, extra keys. This
//! reader never fails a payment: input that is not a JSON object simply has no decoded view, and
//! the caller keeps the raw bytes regardless.
//!
//! Normalisation rules:
//! - ids (`feedID`, `itemID`) and other text fields accept strings or numbers and are given as
//!   strings (an id is never arithmetic; one type is easier for clients);
//! - counters (`ts`, `value_msat`, `value_msat_total`, `seconds_back`) accept non-negative
//!   numbers or numeric strings; fractions are truncated;
//! - `null` means absent;
//! - a known key whose value cannot be read as its type, a second spelling of a key already seen
//!   (`feedID` and `feed_id`), and every unknown key are kept unchanged in `extra`.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

/// The custom record that carries bLIP-10 JSON.
pub const BLIP10_RECORD_KEY: u64 = 7_629_169;

/// What the payment is for. Unknown spellings are kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blip10Action {
    Stream,
    Boost,
    Auto,
    Other(String),
}

impl Blip10Action {
    /// Known actions match case-insensitively and ignoring surrounding spaces.
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "stream" => Self::Stream,
            "boost" => Self::Boost,
            "auto" => Self::Auto,
            _ => Self::Other(raw.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Stream => "stream",
            Self::Boost => "boost",
            Self::Auto => "auto",
            Self::Other(raw) => raw,
        }
    }
}

impl Serialize for Blip10Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The typed view of one bLIP-10 record. Field names are the snake_case spelling of the bLIP
/// keys (`feedID` is `feed_id`); absent fields are omitted when serialized.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Blip10Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Blip10Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub podcast: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feed_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episode_guid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boost_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_msat_total: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boost_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds_back: Option<u64>,
    /// Unknown keys, and known keys whose value could not be read, exactly as sent.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Value>,
}

impl Blip10Metadata {
    /// Reads a record value. `None` when it is not UTF-8 JSON holding an object.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        match serde_json::from_slice(bytes).ok()? {
            Value::Object(object) => Some(Self::from_object(object)),
            _ => None,
        }
    }

    /// A boost that carries a non-blank message.
    pub fn is_boostagram(&self) -> bool {
        self.action == Some(Blip10Action::Boost)
            && self
                .message
                .as_deref()
                .is_some_and(|m| !m.trim().is_empty())
    }

    fn from_object(object: serde_json::Map<String, Value>) -> Self {
        let mut view = Self::default();
        for (key, value) in object {
            if value.is_null() {
                continue;
            }
            let extra = &mut view.extra;
            match key.as_str() {
                "action" => put(&mut view.action, action(&value), key, value, extra),
                "podcast" => put(&mut view.podcast, text(&value), key, value, extra),
                "feedID" | "feedId" | "feed_id" => {
                    put(&mut view.feed_id, text(&value), key, value, extra)
                }
                "url" => put(&mut view.url, text(&value), key, value, extra),
                "guid" => put(&mut view.guid, text(&value), key, value, extra),
                "episode" => put(&mut view.episode, text(&value), key, value, extra),
                "itemID" | "itemId" | "item_id" => {
                    put(&mut view.item_id, text(&value), key, value, extra)
                }
                "episode_guid" => put(&mut view.episode_guid, text(&value), key, value, extra),
                "ts" => put(&mut view.ts, count(&value), key, value, extra),
                "time" => put(&mut view.time, text(&value), key, value, extra),
                "app_name" => put(&mut view.app_name, text(&value), key, value, extra),
                "app_version" => put(&mut view.app_version, text(&value), key, value, extra),
                "boost_link" => put(&mut view.boost_link, text(&value), key, value, extra),
                "message" => put(&mut view.message, text(&value), key, value, extra),
                "name" => put(&mut view.name, text(&value), key, value, extra),
                "sender_name" => put(&mut view.sender_name, text(&value), key, value, extra),
                "sender_id" => put(&mut view.sender_id, text(&value), key, value, extra),
                "value_msat" => put(&mut view.value_msat, count(&value), key, value, extra),
                "value_msat_total" => {
                    put(&mut view.value_msat_total, count(&value), key, value, extra)
                }
                "speed" => put(&mut view.speed, text(&value), key, value, extra),
                "uuid" => put(&mut view.uuid, text(&value), key, value, extra),
                "boost_uuid" => put(&mut view.boost_uuid, text(&value), key, value, extra),
                "reply_address" => put(&mut view.reply_address, text(&value), key, value, extra),
                "seconds_back" => put(&mut view.seconds_back, count(&value), key, value, extra),
                _ => {
                    extra.insert(key, value);
                }
            }
        }
        view
    }
}

/// Fills `slot` with the converted value, or keeps the original in `extra` when it could not be
/// converted or the slot was already filled by another spelling of the key.
fn put<T>(
    slot: &mut Option<T>,
    converted: Option<T>,
    key: String,
    value: Value,
    extra: &mut BTreeMap<String, Value>,
) {
    match converted {
        Some(converted) if slot.is_none() => *slot = Some(converted),
        _ => {
            extra.insert(key, value);
        }
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn action(value: &Value) -> Option<Blip10Action> {
    value.as_str().map(Blip10Action::parse)
}

/// A non-negative whole count; fractions are truncated.
fn count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().and_then(truncate)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(truncate))
        }
        _ => None,
    }
}

fn truncate(f: f64) -> Option<u64> {
    // 2^64 as f64; every non-negative value below it truncates into a u64 (NaN and infinities
    // fall outside the range).
    const LIMIT: f64 = 18_446_744_073_709_551_616.0;
    (0.0..LIMIT).contains(&f).then_some(f as u64)
}

#[cfg(test)]
mod tests;
