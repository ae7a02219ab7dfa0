//! The mmrpc envelope: any bytes parse or are refused with `InvalidRequest`, any refused
//! request renders as a well-formed error, and a valid request keeps its fields.

use mmln::rpc::WireError;
use mmln::transport::envelope::{parse_body, parse_request, render_error, RequestBody};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::strategies::{config, json, string};

/// A rendered error must be one JSON object with the mmrpc error fields.
pub fn assert_well_formed_error(rendered: &str) -> Result<(), TestCaseError> {
    let v: Value = serde_json::from_str(rendered)
        .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {rendered}")))?;
    prop_assert_eq!(&v["mmrpc"], "2.0", "{}", rendered);
    for key in ["error", "error_path", "error_trace", "error_type"] {
        prop_assert!(v[key].is_string(), "{} in {}", key, rendered);
    }
    Ok(())
}

fn check_request(value: Value) -> Result<(), TestCaseError> {
    let expected_id = value.get("id").and_then(Value::as_u64);
    match parse_request(value) {
        Ok(_) => {}
        Err(refused) => {
            prop_assert_eq!(refused.id, expected_id);
            let wire = WireError::from(refused.error);
            prop_assert_eq!(wire.status().as_u16(), 400);
            assert_well_formed_error(&render_error(refused.id, &wire))?;
        }
    }
    Ok(())
}

fn check_body(bytes: &[u8]) -> Result<(), TestCaseError> {
    match parse_body(bytes) {
        Ok(RequestBody::Single(v)) => check_request(v)?,
        Ok(RequestBody::Batch(items)) => {
            prop_assert!(!items.is_empty());
            for item in items {
                check_request(item)?;
            }
        }
        Err(e) => {
            let wire = WireError::from(e);
            prop_assert_eq!(wire.error_type(), "InvalidRequest");
            assert_well_formed_error(&render_error(None, &wire))?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_envelope_raw_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_body(&bytes)?;
    }

    #[test]
    fn fuzz_envelope_json_values(value in json()) {
        check_body(value.to_string().as_bytes())?;
        check_request(value)?;
    }

    /// Near-valid requests: the known fields with random values, plus a random extra.
    #[test]
    fn fuzz_envelope_near_valid(
        method in string(),
        userpass in proptest::option::of(string()),
        id in proptest::option::of(any::<u64>()),
        params in json(),
        extra in proptest::option::of((string(), json())),
        mmrpc in prop_oneof![Just(json!("2.0")), Just(Value::Null), json()],
    ) {
        let mut request = json!({ "mmrpc": mmrpc, "method": method, "params": params });
        if let Some(pass) = &userpass {
            request["userpass"] = json!(pass);
        }
        if let Some(id) = id {
            request["id"] = json!(id);
        }
        let valid = extra.is_none() && request["mmrpc"] == "2.0";
        if let Some((key, value)) = extra {
            request[key] = value;
        }
        match parse_request(request.clone()) {
            Ok(parsed) => {
                prop_assert_eq!(&parsed.method, request["method"].as_str().unwrap_or_default());
                prop_assert_eq!(parsed.id, request["id"].as_u64());
                prop_assert_eq!(&parsed.params, &request["params"]);
            }
            Err(refused) => {
                prop_assert!(!valid, "a valid request was refused: {}", request);
                let wire = WireError::from(refused.error);
                assert_well_formed_error(&render_error(refused.id, &wire))?;
            }
        }
        // The same request inside a batch behaves alike.
        check_body(json!([request]).to_string().as_bytes())?;
    }
}
