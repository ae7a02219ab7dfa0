use super::*;
use crate::service::payments::custom_records::CustomRecordsError;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use serde_json::json;

/// Destination from the KDF keysend example.
const KDF_DESTINATION: &str = "038863cf8ab91046230f561cd5b386cbff8309fa02e3f0c3ed161a3aeb64a643b9";

fn our_node_id() -> PublicKey {
    PublicKey::from_secret_key(&Secp256k1::new(), &SecretKey::from_slice(&[1; 32]).unwrap())
}

fn params(value: Value) -> KeysendParams {
    serde_json::from_value(value).unwrap()
}

#[test]
fn kdf_example_is_accepted() {
    let request =
        params(json!({"destination": KDF_DESTINATION, "amount_in_msat": 1000, "expiry": 24}))
            .validate(&our_node_id())
            .unwrap();
    assert_eq!(request.destination.to_string(), KDF_DESTINATION);
    assert_eq!(request.amount_msat, 1000);
    // 24 passes KDF's rule but is raised to what an LDK receiver accepts.
    assert_eq!(request.final_cltv_expiry_delta, 42);
    assert!(request.custom_records.is_empty());
    assert_eq!(request.fee_limit_msat, 5_000);
    assert_eq!(request.metadata, None);
}

#[test]
fn extensions_are_validated_and_carried() {
    let request = params(json!({
        "destination": KDF_DESTINATION, "amount_in_msat": 2_000_000, "expiry": 144,
        "custom_records": {"7629171": "LNPayTesting", "65536": {"hex": "ff"}},
        "fee_limit_msat": 0, "metadata": {"ticketId": "23"}
    }))
    .validate(&our_node_id())
    .unwrap();
    assert_eq!(request.final_cltv_expiry_delta, 144);
    assert_eq!(
        request.custom_records,
        vec![(65536, vec![0xff]), (7629171, b"LNPayTesting".to_vec())]
    );
    assert_eq!(request.fee_limit_msat, 0);
    assert_eq!(request.metadata.unwrap().as_str(), r#"{"ticketId":"23"}"#);
}

#[test]
fn expiry_defaults_and_bounds() {
    assert_eq!(
        final_cltv_expiry_delta(None).unwrap(),
        MIN_SENT_FINAL_CLTV_EXPIRY_DELTA
    );
    assert_eq!(final_cltv_expiry_delta(Some(24)).unwrap(), 42);
    assert_eq!(final_cltv_expiry_delta(Some(43)).unwrap(), 43);
    assert_eq!(final_cltv_expiry_delta(Some(1008)).unwrap(), 1008);
    for bad in [0, 23, 1009, u32::MAX] {
        let err = final_cltv_expiry_delta(Some(bad)).unwrap_err();
        assert_eq!(err, KeysendError::InvalidExpiry { expiry: bad });
        assert!(
            err.to_string().contains("between 24 and 1008 blocks"),
            "{err}"
        );
    }
}

#[test]
fn destination_must_be_a_compressed_pubkey_in_hex() {
    let uncompressed = "04".to_string() + &"11".repeat(64);
    let not_on_curve = "02".to_string() + &"00".repeat(32);
    for (bad, reason) in [
        ("", "66 hex"),
        (&KDF_DESTINATION[..64], "66 hex"),
        (uncompressed.as_str(), "66 hex"),
        (&("zz".to_string() + &KDF_DESTINATION[2..]), "not a hex"),
        (not_on_curve.as_str(), "not a valid secp256k1"),
    ] {
        let err = parse_node_id(bad).unwrap_err();
        let message = err.to_string();
        assert!(message.contains(reason), "{bad:?}: {message}");
        assert!(message.contains(&format!("\"{bad}\"")), "{message}");
    }
    // Upper-case hex is the same key.
    let upper = parse_node_id(&KDF_DESTINATION.to_uppercase()).unwrap();
    assert_eq!(upper.to_string(), KDF_DESTINATION);
}

#[test]
fn keysend_to_self_is_refused() {
    let ours = our_node_id();
    assert_eq!(
        ensure_not_self(&ours, &ours),
        Err(KeysendError::SelfPayment)
    );
    let err = params(json!({"destination": ours.to_string(), "amount_in_msat": 1000}))
        .validate(&ours)
        .unwrap_err();
    assert_eq!(err, KeysendError::SelfPayment);
}

#[test]
fn zero_amount_is_refused() {
    let err = params(json!({"destination": KDF_DESTINATION, "amount_in_msat": 0}))
        .validate(&our_node_id())
        .unwrap_err();
    assert_eq!(err, KeysendError::ZeroAmount);
}

#[test]
fn nested_errors_keep_their_messages() {
    let err = params(json!({"destination": KDF_DESTINATION, "amount_in_msat": 1,
        "custom_records": {"5482373484": "x"}}))
    .validate(&our_node_id())
    .unwrap_err();
    assert!(matches!(
        err,
        KeysendError::InvalidCustomRecords(CustomRecordsError::ReservedKey {
            key: 5482373484,
            ..
        })
    ));
    assert!(err.to_string().contains("5482373484"), "{err}");
    let err = params(json!({"destination": KDF_DESTINATION, "amount_in_msat": 1, "metadata": [1]}))
        .validate(&our_node_id())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "metadata must be a JSON object, got an array"
    );
}

#[test]
fn keysend_request_fits_ldk_payment_parameters() {
    let request =
        params(json!({"destination": KDF_DESTINATION, "amount_in_msat": 1000, "expiry": 1008}))
            .validate(&our_node_id())
            .unwrap();
    let payment_params = lightning::routing::router::PaymentParameters::for_keysend(
        request.destination,
        request.final_cltv_expiry_delta,
        false,
    );
    assert_eq!(
        payment_params.max_total_cltv_expiry_delta,
        MAX_KEYSEND_EXPIRY
    );
}

#[test]
fn errors_serialize_in_the_mmrpc_error_type_shape() {
    let nested =
        KeysendError::InvalidCustomRecords(CustomRecordsError::DuplicateKey { key: 65536 });
    assert_eq!(
        serde_json::to_value(&nested).unwrap(),
        json!({"error_type": "InvalidCustomRecords",
               "error_data": {"error_type": "DuplicateKey", "error_data": {"key": 65536}}})
    );
    // A unit variant has no error_data at all.
    assert_eq!(
        serde_json::to_value(KeysendError::SelfPayment).unwrap(),
        json!({"error_type": "SelfPayment"})
    );
}
