use serde_json::json;

use super::*;

fn refused(value: Value) -> RefusedRequest {
    parse_request(value).unwrap_err()
}

#[test]
fn a_full_request_parses() {
    let req = parse_request(json!({
        "mmrpc": "2.0", "userpass": "p", "method": "version", "params": {"a": 1}, "id": 7
    }))
    .unwrap();
    assert_eq!(req.userpass.as_deref(), Some("p"));
    assert_eq!(req.method, "version");
    assert_eq!(req.params, json!({"a": 1}));
    assert_eq!(req.id, Some(7));
}

#[test]
fn mmrpc_params_id_and_userpass_may_be_absent() {
    let req = parse_request(json!({"method": "version"})).unwrap();
    assert_eq!(req.params, Value::Null);
    assert_eq!(req.id, None);
    assert_eq!(req.userpass, None);
}

#[test]
fn a_wrong_version_is_refused_with_the_id() {
    for bad in [json!("1.0"), json!(2.0), json!(null), json!(["2.0"])] {
        let r = refused(json!({"mmrpc": bad.clone(), "method": "version", "id": 3}));
        assert_eq!(r.id, Some(3));
        assert_eq!(
            r.error.get_inner(),
            &EnvelopeError::InvalidMmRpcVersion(bad)
        );
    }
}

#[test]
fn unknown_top_level_keys_are_refused() {
    let r = refused(json!({"method": "version", "extra": 1, "id": 4}));
    assert_eq!(r.id, Some(4));
    match r.error.get_inner() {
        EnvelopeError::InvalidRequest(msg) => assert!(msg.starts_with("unknown field `extra`")),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn bad_ids_are_refused_and_echoed_as_null() {
    for bad in [json!(-1), json!(1.5), json!("1"), json!({})] {
        let r = refused(json!({"method": "version", "id": bad}));
        assert_eq!(r.id, None);
        assert!(matches!(
            r.error.get_inner(),
            EnvelopeError::InvalidRequest(_)
        ));
    }
}

#[test]
fn a_missing_method_is_refused() {
    let r = refused(json!({"userpass": "p"}));
    assert_eq!(
        r.error.get_inner(),
        &EnvelopeError::InvalidRequest("missing field `method`".into())
    );
}

#[test]
fn bodies_are_single_or_non_empty_batches() {
    assert!(matches!(parse_body(b"{}").unwrap(), RequestBody::Single(_)));
    assert!(matches!(parse_body(b"[1, {}]").unwrap(), RequestBody::Batch(v) if v.len() == 2));
    for bad in [&b"[]"[..], b"", b"not json", b"5", b"\"s\"", b"null", b"{"] {
        let err = parse_body(bad).unwrap_err();
        assert!(
            matches!(err.get_inner(), EnvelopeError::InvalidRequest(_)),
            "{bad:?}"
        );
        assert_eq!(err.path(), "envelope");
    }
}

#[test]
fn success_replies_keep_field_order() {
    assert_eq!(
        render_success(Some(1), r#"{"b":1,"a":2}"#),
        r#"{"mmrpc":"2.0","result":{"b":1,"a":2},"id":1}"#
    );
    assert_eq!(
        render_success(None, "null"),
        r#"{"mmrpc":"2.0","result":null,"id":null}"#
    );
}

#[test]
fn error_replies_keep_field_order_and_omit_absent_data() {
    let err = WireError::from(MmError::new(EnvelopeError::InvalidRequest("x".into())));
    let text = render_error(Some(9), &err);
    let keys: Vec<&str> = [
        "mmrpc",
        "error\"",
        "error_path",
        "error_trace",
        "error_type",
        "error_data",
        "\"id",
    ]
    .into_iter()
    .collect();
    let positions: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");

    let unit = WireError::from(MmError::new(crate::rpc::DispatcherError::NoSuchMethod));
    let text = render_error(None, &unit);
    assert!(!text.contains("error_data"), "{text}");
    assert!(text.ends_with(r#""id":null}"#));
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["error"], "No such method");
}

#[test]
fn error_data_keeps_the_declared_field_order() {
    let err = WireError::from(MmError::new(
        crate::transport::auth::AuthError::UserpassIsInvalid(
            crate::transport::auth::RateLimitError::NbAttemptsLeft(9),
        ),
    ));
    let text = render_error(Some(1), &err);
    assert!(
        text.contains(r#""error_data":{"error_type":"NbAttemptsLeft","error_data":9},"id":1}"#),
        "{text}"
    );
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        parsed["error"],
        "Userpass is invalid! - Rate Limit attempts left: 9"
    );
}

#[test]
fn messages_are_escaped() {
    let err = WireError::from(MmError::new(EnvelopeError::InvalidRequest(
        "a \"q\" \\ \n".into(),
    )));
    let parsed: Value = serde_json::from_str(&render_error(None, &err)).unwrap();
    assert_eq!(parsed["error_data"], "a \"q\" \\ \n");
}
