//! `rpc.discover`: an OpenRPC 1.3 document of exactly the routed methods, valid against the
//! OpenRPC meta-schema (vendored from the npm package `@open-rpc/meta-schema`, with the JSON
//! Schema meta-schema it references from `@json-schema-tools/meta-schema`; see
//! `tests/openrpc/README.md`).

use std::path::Path;

use jsonschema::{Draft, Retrieve, Uri};
use mmln::transport::jsonrpc::codes::code_for;
use serde_json::Value;

use crate::common::spec::{read_json, spec};
use crate::common::Surface;
use crate::server::TestDaemon;
use crate::test_methods::test_router;

/// The JSON Schema meta-schema the OpenRPC meta-schema points at, served from the vendored file.
struct VendoredMetaSchemas;

impl Retrieve for VendoredMetaSchemas {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str().starts_with("https://meta.json-schema.tools") {
            return Ok(read_json(
                &openrpc_dir().join("json-schema-tools-meta-schema.json"),
            ));
        }
        Err(format!("only the vendored meta-schemas are available, not {uri}").into())
    }
}

fn openrpc_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openrpc")
}

#[tokio::test]
async fn rpc_discover_is_valid_openrpc_listing_every_routed_method() {
    let daemon = TestDaemon::start().await;
    let request = daemon.jsonrpc.request("rpc.discover", Value::Null);
    let answer = daemon
        .jsonrpc
        .exchange(Surface::Http, &request)
        .await
        .expect("answer");
    let document = &answer["result"];
    assert_eq!(document["openrpc"], "1.3.2");

    let meta = read_json(&openrpc_dir().join("meta-schema.json"));
    let validator = jsonschema::options()
        .with_draft(Draft::Draft7)
        .with_retriever(VendoredMetaSchemas)
        .build(&meta)
        .expect("the OpenRPC meta-schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "not valid OpenRPC:\n{}",
        problems.join("\n")
    );

    // Exactly the methods the router serves that have a schema (the test methods have none),
    // and the WebSocket subscription's.
    let spec = spec();
    let mut expected: Vec<&str> = test_router()
        .method_names()
        .into_iter()
        .filter(|name| spec.methods.contains_key(*name))
        .chain(mmln::rpc::lightning::events::subscribe::SUBSCRIPTION_METHODS)
        .collect();
    expected.sort_unstable();
    let listed: Vec<&str> = document["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .map(|m| m["name"].as_str().expect("name"))
        .collect();
    assert_eq!(listed, expected);
    assert!(!listed.contains(&"sandbox::mine"), "not routed here");

    // Each method's errors carry the codes of the one table.
    for method in document["methods"].as_array().unwrap() {
        let name = method["name"].as_str().unwrap();
        for error in method["errors"].as_array().unwrap() {
            let error_type = error["message"].as_str().unwrap();
            let listed = &spec.method(name).errors[error_type];
            let expected = listed
                .jsonrpc_code
                .unwrap_or_else(|| i64::from(code_for(error_type, listed.http_status)));
            assert_eq!(error["code"], expected, "{name} {error_type}");
        }
        let coin = method["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "coin");
        if let Some(coin) = coin {
            assert_eq!(coin["required"], false, "{name}: coin defaults on JSON-RPC");
        }
    }
    daemon.stop().await;
}
