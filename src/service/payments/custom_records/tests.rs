use super::*;
use serde_json::json;

fn param(value: Value) -> CustomRecordsParam {
    serde_json::from_value(value).unwrap()
}

#[test]
fn lnpay_string_values_become_utf8_bytes_sorted_by_key() {
    let records = param(
        json!({"7629171": "LNPayTesting", "112111100": "wal_JReJMmtQCxsFx3",
        "696969": "x"}),
    )
    .validate()
    .unwrap();
    assert_eq!(
        records,
        vec![
            (696969, b"x".to_vec()),
            (7629171, b"LNPayTesting".to_vec()),
            (112111100, b"wal_JReJMmtQCxsFx3".to_vec()),
        ]
    );
}

#[test]
fn tagged_values_text_hex_and_json() {
    let records = param(json!({
        "65536": {"hex": "0A0b00ff"},
        "65537": {"text": "hi"},
        "7629169": {"json": {"action": "boost", "value_msat": 1000}},
        "65538": "",
    }))
    .validate()
    .unwrap();
    assert_eq!(records[0], (65536, vec![0x0a, 0x0b, 0x00, 0xff]));
    assert_eq!(records[1], (65537, b"hi".to_vec()));
    assert_eq!(records[2], (65538, Vec::new()));
    assert_eq!(records[3].0, 7629169);
    let decoded: Value = serde_json::from_slice(&records[3].1).unwrap();
    assert_eq!(decoded, json!({"action": "boost", "value_msat": 1000}));
}

#[test]
fn empty_object_gives_no_records() {
    assert_eq!(param(json!({})).validate().unwrap(), Vec::new());
}

#[test]
fn malformed_keys_are_rejected_with_the_key_named() {
    for bad in [
        "+65536", " 65536", "65536 ", "0x10000", "-1", "", "1e6", "65536.0",
    ] {
        let err = param(json!({ bad: "v" })).validate().unwrap_err();
        assert!(
            matches!(&err, CustomRecordsError::InvalidKey { key, .. } if key == bad),
            "{bad:?} gave {err:?}"
        );
        assert!(err.to_string().contains(&format!("\"{bad}\"")), "{err}");
    }
    let err = param(json!({"18446744073709551616": "v"}))
        .validate()
        .unwrap_err();
    assert!(err.to_string().contains("64 bits"), "{err}");
    // u64::MAX itself is a valid (odd) type.
    let ok = param(json!({"18446744073709551615": "v"}))
        .validate()
        .unwrap();
    assert_eq!(ok[0].0, u64::MAX);
}

#[test]
fn keys_below_65536_are_rejected() {
    let err = param(json!({"65535": "v"})).validate().unwrap_err();
    assert_eq!(err, CustomRecordsError::KeyBelowCustomRange { key: 65535 });
    assert!(err.to_string().contains("65535"));
    assert!(err.to_string().contains(">= 65536"));
    assert_eq!(param(json!({"65536": "v"})).validate().unwrap()[0].0, 65536);
}

#[test]
fn reserved_keys_are_rejected() {
    let err = param(json!({"5482373484": "v"})).validate().unwrap_err();
    assert!(matches!(
        err,
        CustomRecordsError::ReservedKey {
            key: 5482373484,
            ..
        }
    ));
    assert!(err.to_string().contains("keysend preimage"), "{err}");
    let err = param(json!({"77777": "v"})).validate().unwrap_err();
    assert!(matches!(
        err,
        CustomRecordsError::ReservedKey { key: 77777, .. }
    ));
}

#[test]
fn duplicates_are_rejected_whatever_the_spelling() {
    let err = param(json!({"65536": "a", "065536": "b"}))
        .validate()
        .unwrap_err();
    assert_eq!(err, CustomRecordsError::DuplicateKey { key: 65536 });
    // A JSON text repeating a key verbatim is caught too (a map would drop one silently).
    let text = r#"{"7629171": "a", "7629171": "b"}"#;
    let err = serde_json::from_str::<CustomRecordsParam>(text)
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(err, CustomRecordsError::DuplicateKey { key: 7629171 });
}

#[test]
fn bad_values_are_rejected_with_the_key_named() {
    for bad in [
        json!(12),
        json!(null),
        json!(["a"]),
        json!({"hex": "abc"}),
        json!({"hex": "zz"}),
        json!({"hex": 5}),
        json!({"text": true}),
        json!({"base64": "AA=="}),
        json!({"hex": "00", "text": "a"}),
        json!({}),
    ] {
        let err = param(json!({ "65537": bad.clone() }))
            .validate()
            .unwrap_err();
        assert!(
            matches!(err, CustomRecordsError::InvalidValue { key: 65537, .. }),
            "{bad} gave {err:?}"
        );
        assert!(err.to_string().contains("65537"), "{err}");
    }
}

#[test]
fn total_encoded_size_is_bounded() {
    // key 65536 takes 5 bytes, a length of 992 takes 3: 5 + 3 + 992 = 1000.
    let fits = "a".repeat(992);
    assert_eq!(
        param(json!({"65536": fits})).validate().unwrap()[0].1.len(),
        992
    );
    let too_big = "a".repeat(993);
    let err = param(json!({"65536": too_big})).validate().unwrap_err();
    assert_eq!(
        err,
        CustomRecordsError::RecordsTooLarge {
            size: 1001,
            limit: 1000
        }
    );
    assert!(err.to_string().contains("1000 bytes"), "{err}");
    // The bound is on the sum of all records.
    let half = "b".repeat(500);
    let err = param(json!({"65536": half, "65537": half}))
        .validate()
        .unwrap_err();
    assert!(matches!(
        err,
        CustomRecordsError::RecordsTooLarge { size: 1016, .. }
    ));
}

#[test]
fn encoded_size_uses_bigsize_lengths() {
    assert_eq!(encoded_size(&[(65536, vec![0; 252])]), 5 + 1 + 252);
    assert_eq!(encoded_size(&[(65535, vec![0; 253])]), 3 + 3 + 253);
    assert_eq!(encoded_size(&[(5482373484, vec![])]), 9 + 1);
}

#[test]
fn output_is_accepted_by_ldk() {
    let records = param(json!({"7629175": "x", "65536": {"hex": "00"}, "818818": "hive"}))
        .validate()
        .unwrap();
    let fields = lightning::ln::channelmanager::RecipientOnionFields::spontaneous_empty()
        .with_custom_tlvs(records.clone())
        .expect("LDK accepts validated records");
    assert_eq!(fields.custom_tlvs(), &records);
}

#[test]
fn non_object_param_is_a_deserialize_error() {
    let err = serde_json::from_value::<CustomRecordsParam>(json!(["65536", "v"])).unwrap_err();
    assert!(err.to_string().contains("custom records"), "{err}");
}

/// The hops LDK can still fit in the onion next to `records` on a keysend.
fn ldk_max_path_length(records: Vec<(u64, Vec<u8>)>) -> Result<u8, ()> {
    use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
    use lightning::ln::channelmanager::RecipientOnionFields;
    use lightning::routing::router::{PaymentParameters, RouteParameters};
    let payee =
        PublicKey::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[3; 32]).unwrap());
    let onion = RecipientOnionFields::spontaneous_empty().with_custom_tlvs(records)?;
    let mut params = RouteParameters::from_payment_params_and_value(
        PaymentParameters::for_keysend(payee, 42, false),
        21_000_000_000,
    );
    params.set_max_path_length(&onion, true, 800_000)?;
    Ok(params.payment_params.max_path_length)
}

#[test]
fn records_at_the_limit_leave_room_for_intermediate_hops() {
    let at_limit = param(json!({"7629169": "x".repeat(986), "65537": ""}))
        .validate()
        .unwrap();
    assert_eq!(encoded_size(&at_limit), MAX_CUSTOM_RECORDS_ENCODED_BYTES);
    let hops = ldk_max_path_length(at_limit).expect("LDK fits the records in an onion");
    // The destination plus three intermediate hops, as the constant's docs say.
    assert!(hops >= 4, "only {hops} hops fit");
}
