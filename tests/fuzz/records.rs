//! Amounts, keysend custom records and bLIP-10 decoding: hostile input is refused (or shown
//! raw) without a panic, and valid input comes back exactly.

use mmln::service::payments::blip10::{Blip10Action, Blip10Metadata};
use mmln::service::payments::custom_records::{
    encoded_size, CustomRecordsParam, MAX_CUSTOM_RECORDS_ENCODED_BYTES, MIN_CUSTOM_RECORD_KEY,
};
use mmln::service::payments::decoded_records::decode_records;
use mmln::service::wallet::btc_to_sats;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::strategies::{config, json, string};

/// All the bitcoin there will ever be, in sats.
const MAX_SATS: u64 = 21_000_000 * 100_000_000;

fn record_key() -> impl Strategy<Value = String> {
    prop_oneof![
        (MIN_CUSTOM_RECORD_KEY..u64::MAX).prop_map(|k| k.to_string()),
        any::<u64>().prop_map(|k| k.to_string()),
        Just("5482373484".to_string()),
        Just("077777".to_string()),
        Just("0065536".to_string()),
        Just("65536".to_string()),
        Just("18446744073709551616".to_string()),
        string(),
    ]
}

fn record_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        string().prop_map(Value::String),
        string().prop_map(|s| json!({ "text": s })),
        "[0-9a-fA-F]{0,80}".prop_map(|h| json!({ "hex": h })),
        json().prop_map(|v| json!({ "json": v })),
        json(),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_btc_amount_text(text in prop_oneof![
        string(),
        "[-+0-9.eE]{0,30}".prop_map(String::from),
    ]) {
        // Never a panic; an answer in sats fits the type by construction.
        let _ = btc_to_sats(&text);
    }

    #[test]
    fn fuzz_btc_amounts_round_trip(sats in 0..=MAX_SATS, exp in -3i32..4) {
        let plain = format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000);
        prop_assert_eq!(btc_to_sats(&plain), Ok(sats));
        prop_assert_eq!(btc_to_sats(&format!("{sats}e-8")), Ok(sats));
        // The same amount with the decimal point moved into the exponent.
        let shifted = format!("{plain}e{exp}");
        let scaled = match exp {
            e if e >= 0 => sats.checked_mul(10u64.pow(e as u32)),
            e => {
                let div = 10u64.pow((-e) as u32);
                (sats % div == 0).then(|| sats / div)
            }
        };
        match scaled {
            Some(v) => prop_assert_eq!(btc_to_sats(&shifted), Ok(v)),
            None => prop_assert!(btc_to_sats(&shifted).is_err(), "{}", shifted),
        }
    }

    #[test]
    fn fuzz_custom_records(entries in proptest::collection::vec((record_key(), record_value()), 0..6)) {
        let param = CustomRecordsParam::from_entries(entries);
        if let Ok(records) = param.validate() {
            prop_assert!(records.windows(2).all(|p| p[0].0 < p[1].0), "sorted, no duplicates");
            prop_assert!(records.iter().all(|(k, _)| *k >= MIN_CUSTOM_RECORD_KEY));
            prop_assert!(records.iter().all(|(k, _)| *k != 5_482_373_484));
            prop_assert!(encoded_size(&records) <= MAX_CUSTOM_RECORDS_ENCODED_BYTES);
            // The receive side shows what was sent, byte for byte.
            let decoded = decode_records(&records);
            prop_assert_eq!(decoded.len(), records.len());
        }
    }

    #[test]
    fn fuzz_custom_records_hex_round_trip(
        records in proptest::collection::btree_map(
            MIN_CUSTOM_RECORD_KEY..5_000_000_000u64,
            proptest::collection::vec(any::<u8>(), 0..40),
            0..5,
        )
    ) {
        let entries = records
            .iter()
            .map(|(k, v)| (k.to_string(), json!({ "hex": hex::encode(v) })))
            .collect();
        let got = CustomRecordsParam::from_entries(entries).validate();
        let want: Vec<(u64, Vec<u8>)> = records.into_iter().collect();
        prop_assert_eq!(got, Ok(want));
    }

    #[test]
    fn fuzz_blip10_bytes(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        json().prop_map(|v| v.to_string().into_bytes()),
        json().prop_map(|v| format!("\u{feff}{v}").into_bytes()),
    ]) {
        let parsed = Blip10Metadata::parse(&bytes);
        // Anything that parses serializes again (it is shown to clients as JSON).
        if let Some(metadata) = parsed {
            prop_assert!(serde_json::to_value(&metadata).is_ok());
        }
        let decoded = decode_records(&[(7_629_169, bytes.clone()), (65_537, bytes)]);
        prop_assert_eq!(decoded.len(), 2);
    }

    #[test]
    fn fuzz_blip10_objects(object in crate::strategies::object(), action in string()) {
        let mut object = object;
        object["action"] = json!(action);
        let metadata = Blip10Metadata::parse(object.to_string().as_bytes());
        prop_assert!(metadata.is_some(), "a JSON object always parses: {}", object);
        let parsed = Blip10Action::parse(&action);
        if let Blip10Action::Other(raw) = &parsed {
            prop_assert_eq!(raw, &action);
        }
    }
}
