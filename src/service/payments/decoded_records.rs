//! The client's view of a payment's custom records (sent or received), for
//! `get_payment_details` and payment lists.
//!
//! Wire shape, one object per record, in key order:
//!
//! ```json
//! {"key": 7629169, "name": "podcast_metadata", "value_hex": "7b22...",
//!  "value_utf8": "{\"action\":\"boost\",...}", "decoded": {"action": "boost", ...}}
//! ```
//!
//! - `key` is a JSON number, like CLN's `type` in `extratlvs`. Keys above 2^53 are not exact in
//!   JavaScript numbers; every well-known key is far below that, and `name` names those.
//! - `name` is present only for the well-known keys in [`WELL_KNOWN_RECORDS`].
//! - `value_hex` is always present (lowercase), so binary values survive.
//! - `value_utf8` is present when the bytes are valid UTF-8. Senders disagree on text versus
//!   hex-of-text (696969 is seen both ways); the raw bytes are shown, not guessed at.
//! - `decoded` is present for record 7629169 when it holds a JSON object: the lenient bLIP-10
//!   view of [`Blip10Metadata`].
//!
//! Absent fields are omitted, not `null`, as with the payment object's optional amounts.

use serde::Serialize;

use super::blip10::{Blip10Metadata, BLIP10_RECORD_KEY};

/// Well-known custom record keys and the names the API gives them.
pub const WELL_KNOWN_RECORDS: &[(u64, &str)] = &[
    (696_969, "wallet_destination"),
    (818_818, "hive_account"),
    (906_608, "fountain_routing_key"),
    (7_629_168, "tip_note_legacy"),
    (BLIP10_RECORD_KEY, "podcast_metadata"),
    (7_629_171, "tip_note"),
    (7_629_173, "batched_stream"),
    (7_629_175, "podcastindex_feed_id"),
    (34_349_334, "whatsat_message"),
    (34_349_337, "whatsat_signature"),
    (34_349_339, "whatsat_sender_pubkey"),
    (34_349_343, "whatsat_timestamp"),
    (112_111_100, "lnpay_wallet_id"),
    (133_773_310, "sphinx_podcast_metadata"),
    (5_482_373_484, "keysend_preimage"),
];

/// The name of a well-known record key.
pub fn well_known_name(key: u64) -> Option<&'static str> {
    WELL_KNOWN_RECORDS
        .iter()
        .find(|(known, _)| *known == key)
        .map(|(_, name)| *name)
}

/// The even well-known keys a receiver has to allow explicitly when claiming (BOLT 1: unknown
/// even types must be rejected). The keysend preimage is excluded: LDK handles it itself.
pub fn well_known_even_keys() -> impl Iterator<Item = u64> {
    WELL_KNOWN_RECORDS
        .iter()
        .map(|(key, _)| *key)
        .filter(|key| key % 2 == 0 && *key != 5_482_373_484)
}

/// One record as shown to clients.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodedRecord {
    pub key: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    pub value_hex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_utf8: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Blip10Metadata>,
}

impl DecodedRecord {
    pub fn new(key: u64, value: &[u8]) -> Self {
        let decoded = if key == BLIP10_RECORD_KEY {
            Blip10Metadata::parse(value)
        } else {
            None
        };
        Self {
            key,
            name: well_known_name(key),
            value_hex: hex::encode(value),
            value_utf8: std::str::from_utf8(value).ok().map(str::to_owned),
            decoded,
        }
    }
}

/// Decodes every record, sorted by key (LDK already gives them sorted; stored copies may not be).
pub fn decode_records(records: &[(u64, Vec<u8>)]) -> Vec<DecodedRecord> {
    let mut decoded: Vec<DecodedRecord> = records
        .iter()
        .map(|(key, value)| DecodedRecord::new(*key, value))
        .collect();
    decoded.sort_by_key(|record| record.key);
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_record_shows_name_hex_and_utf8() {
        let record = DecodedRecord::new(112_111_100, b"wal_JReJMmtQCxsFx3");
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            json!({
                "key": 112111100,
                "name": "lnpay_wallet_id",
                "value_hex": hex::encode("wal_JReJMmtQCxsFx3"),
                "value_utf8": "wal_JReJMmtQCxsFx3",
            })
        );
    }

    #[test]
    fn binary_unknown_record_has_only_key_and_hex() {
        let record = DecodedRecord::new(65_537, &[0xff, 0x00, 0xfe]);
        assert_eq!(
            serde_json::to_value(&record).unwrap(),
            json!({"key": 65537, "value_hex": "ff00fe"})
        );
    }

    #[test]
    fn podcast_metadata_gets_the_blip10_view() {
        let raw = br#"{"action":"boost","message":"hi","value_msat":2100,"itemID":"7"}"#;
        let record = DecodedRecord::new(7_629_169, raw);
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(value["name"], "podcast_metadata");
        assert_eq!(value["value_utf8"], std::str::from_utf8(raw).unwrap());
        assert_eq!(
            value["decoded"],
            json!({"action": "boost", "message": "hi", "value_msat": 2100, "item_id": "7"})
        );
        assert!(record.decoded.unwrap().is_boostagram());
    }

    #[test]
    fn invalid_podcast_metadata_keeps_raw_value_without_a_view() {
        let record = DecodedRecord::new(7_629_169, b"{not json");
        assert_eq!(record.decoded, None);
        assert_eq!(record.value_utf8.as_deref(), Some("{not json"));
        assert_eq!(record.value_hex, hex::encode("{not json"));
        // JSON in other keys is not decoded: only 7629169 has a defined meaning.
        assert_eq!(
            DecodedRecord::new(7_629_173, br#"{"action":"stream"}"#).decoded,
            None
        );
    }

    #[test]
    fn names_for_the_reference_table() {
        for (key, name) in [
            (7_629_169, "podcast_metadata"),
            (7_629_171, "tip_note"),
            (7_629_173, "batched_stream"),
            (7_629_175, "podcastindex_feed_id"),
            (696_969, "wallet_destination"),
            (112_111_100, "lnpay_wallet_id"),
            (818_818, "hive_account"),
            (906_608, "fountain_routing_key"),
            (133_773_310, "sphinx_podcast_metadata"),
            (34_349_334, "whatsat_message"),
            (34_349_337, "whatsat_signature"),
            (34_349_339, "whatsat_sender_pubkey"),
            (34_349_343, "whatsat_timestamp"),
        ] {
            assert_eq!(well_known_name(key), Some(name), "{key}");
        }
        assert_eq!(well_known_name(65_536), None);
    }

    #[test]
    fn even_keys_are_the_ones_a_receiver_must_allow() {
        let even: Vec<u64> = well_known_even_keys().collect();
        assert_eq!(
            even,
            vec![
                818_818,
                906_608,
                7_629_168,
                34_349_334,
                112_111_100,
                133_773_310
            ]
        );
    }

    #[test]
    fn decode_records_sorts_by_key() {
        let decoded = decode_records(&[(7_629_171, b"b".to_vec()), (696_969, b"a".to_vec())]);
        let keys: Vec<u64> = decoded.iter().map(|r| r.key).collect();
        assert_eq!(keys, vec![696_969, 7_629_171]);
    }
}
