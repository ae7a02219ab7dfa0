//! `rpc-spec/` itself: it matches the routed methods one to one, its files are valid JSON Schema,
//! its examples validate, it rejects what it should, and the live server's envelope obeys it.

mod common;

use std::collections::BTreeSet;

use serde_json::{json, Value};

use common::check::{check_request, check_response, conforms};
use common::spec::{compile, method_files, read_json, spec, spec_dir};
use common::RpcClient;
use mmln::rpc::lightning::events::subscribe::SUBSCRIPTION_METHODS;

/// Methods rpc-spec describes whose handlers are not routed yet. The issue that routes one
/// removes it here; the test below fails if a routed method is still listed.
const SPECIFIED_NOT_YET_ROUTED: &[&str] = &[];

const PASSWORD: &str = "Str0ng!Secret";

/// Every method some daemon serves: the sandbox's router is the product router plus the
/// sandbox-only methods, so it covers both; the JSON-RPC surface adds the WebSocket
/// subscription methods.
fn served() -> BTreeSet<&'static str> {
    let mut methods: BTreeSet<&'static str> =
        mmln::sandbox::router().method_names().into_iter().collect();
    methods.extend(SUBSCRIPTION_METHODS);
    methods
}

#[test]
fn every_routed_method_has_a_schema() {
    let spec = spec();
    let missing: Vec<_> = served()
        .into_iter()
        .filter(|m| !spec.methods.contains_key(*m))
        .collect();
    assert!(
        missing.is_empty(),
        "routed methods without an rpc-spec file: {missing:?}"
    );
}

#[test]
fn every_schema_is_a_routed_method() {
    let routed = served();
    let spec = spec();
    let unrouted: Vec<_> = spec
        .methods
        .keys()
        .filter(|m| !routed.contains(m.as_str()) && !SPECIFIED_NOT_YET_ROUTED.contains(&m.as_str()))
        .collect();
    assert!(
        unrouted.is_empty(),
        "rpc-spec files for methods nobody routes: {unrouted:?}"
    );
    for method in SPECIFIED_NOT_YET_ROUTED {
        assert!(
            !routed.contains(method),
            "{method} is routed now: remove it from SPECIFIED_NOT_YET_ROUTED"
        );
        assert!(
            spec.methods.contains_key(*method),
            "{method} has no rpc-spec file"
        );
    }
}

#[test]
fn every_file_is_valid_json_schema() {
    let dir = spec_dir();
    let mut files = method_files(&dir);
    files.push(dir.join("common.json"));
    for name in [
        "request",
        "success",
        "error",
        "batch_request",
        "batch_response",
        "jsonrpc_success",
        "jsonrpc_error",
    ] {
        files.push(dir.join("envelope").join(format!("{name}.json")));
    }
    for path in files {
        let doc = read_json(&path);
        if let Err(e) = jsonschema::meta::validate(&doc) {
            panic!(
                "{} is not a valid draft 2020-12 schema: {e}",
                path.display()
            );
        }
        for part in ["request", "response"] {
            if let Some(schema) = doc.get(part) {
                if let Err(e) = jsonschema::meta::validate(schema) {
                    panic!("{}#/{part} is not a valid schema: {e}", path.display());
                }
            }
        }
    }
}

/// The WebSocket subscription's examples are JSON-RPC exchanges: params, result and each
/// notification against their own parts of the file.
fn subscription_examples(method: &common::spec::MethodSpec, examples: &[Value]) {
    let file = &method.path;
    let document = &method.document;
    for example in examples {
        let name = format!("{} example ({})", method.name, example["description"]);
        assert_eq!(example["request"]["method"], json!(method.name), "{name}");
        assert!(
            method.request.is_valid(&example["request"]["params"]),
            "{name}: params"
        );
        assert!(
            method.response.is_valid(&example["response"]["result"]),
            "{name}: result"
        );
        let notifications = example["notifications"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for note in notifications {
            let params = &note["params"];
            let (part, value) = match params.get("result") {
                Some(event) => (&document["notification"]["result"], event),
                None => (&document["closing"], &params["error"]),
            };
            let validator = compile(part, file, "notification");
            assert!(validator.is_valid(value), "{name}: notification {note}");
        }
    }
}

#[test]
fn examples_validate_against_their_own_schema() {
    let spec = spec();
    for method in spec.methods.values() {
        let examples = method.document["examples"]
            .as_array()
            .expect("examples array");
        assert!(!examples.is_empty(), "{} has no examples", method.name);
        assert!(
            examples.iter().any(|e| e["http_status"] == 200),
            "{} has no success example",
            method.name
        );
        if SUBSCRIPTION_METHODS.contains(&method.name.as_str()) {
            subscription_examples(method, examples);
            continue;
        }
        for (i, example) in examples.iter().enumerate() {
            let name = format!("{} example {i} ({})", method.name, example["description"]);
            let request = &example["request"];
            assert_eq!(
                request["method"],
                json!(method.name),
                "{name}: request names another method"
            );
            let request_check = check_request(&spec, request);
            if example["request_is_invalid"] == json!(true) {
                assert!(
                    request_check.is_err(),
                    "{name}: request_is_invalid, but the request validates"
                );
            } else if let Err(e) = request_check {
                panic!("{name}: {e}");
            }
            let status = example["http_status"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or_else(|| panic!("{name}: no http_status"));
            if let Err(e) = check_response(&spec, request, status, &example["response"]) {
                panic!("{name}: {e}");
            }
        }
    }
}

/// The checks must be able to fail: each of these responses breaks the spec in one way.
#[test]
fn spec_rejects_bad_responses() {
    let spec = spec();
    let request = json!({"mmrpc": "2.0", "userpass": "x", "method": "lightning::payments::get_payment_details",
        "params": {"coin": "tBTC-lightning", "payment_hash": "00".repeat(32)}, "id": 7});
    let hash = "ab".repeat(32);
    let payment = json!({"payment_hash": hash, "payment_type": {"type": "Inbound Payment"}, "description": "",
        "status": "pending", "created_at": 1, "last_updated": 1});
    let good = json!({"mmrpc": "2.0", "result": {"payment_details": payment}, "id": 7});
    check_response(&spec, &request, 200, &good).expect("the baseline response is valid");

    let mut upper_hash = good.clone();
    upper_hash["result"]["payment_details"]["payment_hash"] = json!(hash.to_uppercase());
    let mut extra_field = good.clone();
    extra_field["result"]["payment_details"]["surprise"] = json!(1);
    let mut wrong_id = good.clone();
    wrong_id["id"] = json!(8);
    let error = |error_type: &str, data: Option<Value>| {
        let mut body = json!({"mmrpc": "2.0", "error": "e", "error_path": "get_payment_details",
            "error_trace": "get_payment_details:1]", "error_type": error_type, "id": 7});
        if let Some(data) = data {
            body["error_data"] = data;
        }
        body
    };
    let cases = [
        ("uppercase hex", 200, upper_hash),
        ("unknown field", 200, extra_field),
        ("id not echoed", 200, wrong_id),
        ("success with HTTP 500", 500, good.clone()),
        (
            "unlisted error type",
            500,
            error("Unheard", Some(json!("x"))),
        ),
        (
            "listed error, wrong status",
            500,
            error("NoSuchPayment", Some(json!(hash))),
        ),
        (
            "listed error, bad data",
            404,
            error("NoSuchPayment", Some(json!("zz"))),
        ),
        ("listed error, no data", 404, error("NoSuchPayment", None)),
        (
            "unit error with data",
            400,
            error("NoSuchMethod", Some(json!("x"))),
        ),
    ];
    for (what, status, body) in cases {
        assert!(
            check_response(&spec, &request, status, &body).is_err(),
            "the spec accepted a response with {what}: {body}"
        );
    }
    check_response(
        &spec,
        &request,
        404,
        &error("NoSuchPayment", Some(json!(hash))),
    )
    .expect("a listed error with the right status and data is valid");
}

#[test]
fn custom_formats_are_enforced() {
    let path = spec_dir().join("lightning/payments/send_payment.json");
    let pubkey = compile(
        &json!({"$ref": "../../common.json#/$defs/pubkey"}),
        &path,
        "test",
    );
    let good = format!("02{}", "ab".repeat(32));
    assert!(conforms(&pubkey, &json!(good), "pubkey", "test").is_ok());
    assert!(conforms(
        &pubkey,
        &json!(format!("04{}", "ab".repeat(32))),
        "pubkey",
        "test"
    )
    .is_err());
    let bolt11 = compile(
        &json!({"$ref": "../../common.json#/$defs/bolt11"}),
        &path,
        "test",
    );
    // Right alphabet and prefix, but not a bech32 invoice: only the format check catches it.
    assert!(conforms(&bolt11, &json!("lnbc1qqqqqqqq"), "bolt11", "test").is_err());
}

/// The real server, driven through the validating client: its envelope, auth errors and batch
/// replies obey `envelope/`.
#[tokio::test]
async fn live_server_obeys_the_envelope_spec() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The daemon needs a chain; the regtest chain stands in for Bitcoin Core.
    let chain = mmln::regtest::RegtestServer::start(mmln::regtest::RegtestConfig::ephemeral())
        .await
        .expect("start regtest chain");
    let config = mmln::config::Config {
        rpc_password: Some(PASSWORD.to_string()),
        rpcport: 0,
        data_dir: dir.path().to_path_buf(),
        p2p_listen: "127.0.0.1:0".parse().expect("p2p address"),
        bitcoind_rpc_url: Some(chain.url()),
        bitcoind_rpc_user: Some(chain.user().to_string()),
        bitcoind_rpc_password: Some(chain.password().to_string()),
        ..Default::default()
    };
    let app = mmln::app::start(config).await.expect("start mmln");
    let client = RpcClient::new(app.rpc_addr(), PASSWORD);

    let version = client.ok("version", Value::Null).await;
    assert_eq!(version["result"], env!("CARGO_PKG_VERSION"));
    client.ok("version", json!({})).await;

    client
        .expect_error("no::such::method", Value::Null, "NoSuchMethod", 400)
        .await;
    client
        .with_userpass(None)
        .expect_error("version", Value::Null, "UserpassIsNotSet", 403)
        .await;
    let invalid = client
        .with_userpass(Some("Wr0ng!Secret"))
        .expect_error("version", Value::Null, "UserpassIsInvalid", 403)
        .await;
    assert_eq!(invalid["error_data"]["error_type"], "NbAttemptsLeft");

    let replies = client
        .batch(&[("version", Value::Null), ("no::such::method", Value::Null)])
        .await;
    assert!(replies[0].get("result").is_some(), "{}", replies[0]);
    assert_eq!(replies[1]["error_type"], "NoSuchMethod");

    // Requests the spec forbids still get answers the spec describes.
    let spec = spec();
    for (body, error_type) in [
        (
            json!({"mmrpc": "1.0", "userpass": PASSWORD, "method": "version", "id": 1}),
            Some("InvalidMmRpcVersion"),
        ),
        (
            json!({"mmrpc": "2.0", "userpass": PASSWORD, "method": "version", "id": 2, "extra": 1}),
            Some("InvalidRequest"),
        ),
        // No `mmrpc` at all is served, in the 2.0 shape.
        (
            json!({"userpass": PASSWORD, "method": "version", "id": 3}),
            None,
        ),
    ] {
        let reply = client.send_body(&body).await;
        assert_eq!(reply.error_type(), error_type, "{body} -> {}", reply.body);
        if let Err(e) = check_response(&spec, &body, reply.status, &reply.body) {
            panic!("{body}: {e}");
        }
    }

    app.shutdown().await.expect("clean shutdown");
    chain.shutdown().await.expect("chain shutdown");
}
