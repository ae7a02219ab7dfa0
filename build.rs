//! Generates the OpenRPC 1.3 document that `rpc.discover` serves, from `rpc-spec/`.
//!
//! - every method file becomes a method: its `request` properties become by-name params (`coin`
//!   is optional, since the JSON-RPC surface fills it in), its `response` the result, its
//!   `errors` OpenRPC errors with the codes of `src/transport/jsonrpc/codes.rs`;
//! - `common.json`'s `$defs` become `components/schemas`, and every `$ref` into them is
//!   rewritten to point there.
//!
//! A spec that does not read is a build failure with the file named: the daemon must not serve
//! a discovery document that differs from its schemas.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

#[path = "src/transport/jsonrpc/codes.rs"]
#[allow(dead_code)]
mod codes;

const SPEC_DIR: &str = "rpc-spec";
const OPENRPC_VERSION: &str = "1.3.2";

fn main() {
    println!("cargo:rerun-if-changed={SPEC_DIR}");
    println!("cargo:rerun-if-changed=src/transport/jsonrpc/codes.rs");
    let dir = Path::new(SPEC_DIR);
    let common = read_json(&dir.join("common.json"));
    let envelope_errors = read_json(&dir.join("envelope").join("error.json"));
    let mut methods: Vec<Value> = method_files(dir)
        .iter()
        .map(|path| {
            println!("cargo:rerun-if-changed={}", path.display());
            method(path, &read_json(path))
        })
        .collect();
    methods.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let mut schemas = common.get("$defs").cloned().unwrap_or_else(|| json!({}));
    rewrite_refs(&mut schemas);
    let document = json!({
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": "mmln",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "mmln's methods over JSON-RPC 2.0: the mmrpc 2.0 methods with the same names and params. `coin` may be left out and defaults to the configured lightning ticker. Errors carry mmrpc's error, error_path, error_trace, error_type and error_data in `data`. Errors any method can answer: ".to_string() + &envelope_error_list(&envelope_errors),
            "license": { "name": "MIT" }
        },
        "methods": methods,
        "components": { "schemas": schemas }
    });
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}")));
    let text = serde_json::to_string_pretty(&document)
        .unwrap_or_else(|e| panic!("writing the OpenRPC document: {e}"));
    std::fs::write(out.join("openrpc.json"), text)
        .unwrap_or_else(|e| panic!("writing openrpc.json: {e}"));
}

/// One OpenRPC method object from one rpc-spec method file.
fn method(path: &Path, spec: &Value) -> Value {
    let name = spec["method"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no string `method`", path.display()));
    let request = &spec["request"];
    let required: Vec<&str> = request["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut params = Vec::new();
    if let Some(properties) = request["properties"].as_object() {
        for (param, schema) in properties {
            let mut schema = schema.clone();
            rewrite_refs(&mut schema);
            let mut descriptor = json!({
                "name": param,
                "required": required.contains(&param.as_str()) && param != "coin",
                "schema": schema,
            });
            if let Some(description) = schema.get("description") {
                descriptor["description"] = description.clone();
            }
            params.push(descriptor);
        }
    }
    // Positional params (unsubscribe_events): each `prefixItems` schema names itself by `title`.
    let by_position = request["type"] == "array";
    if let Some(items) = request["prefixItems"].as_array().filter(|_| by_position) {
        for (position, schema) in items.iter().enumerate() {
            let mut schema = schema.clone();
            rewrite_refs(&mut schema);
            let name = schema["title"]
                .as_str()
                .map_or_else(|| format!("param{position}"), str::to_string);
            params.push(json!({ "name": name, "required": true, "schema": schema }));
        }
    }
    let mut result = spec["response"].clone();
    rewrite_refs(&mut result);
    let errors: Vec<Value> = spec["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| error(path, e)).collect())
        .unwrap_or_default();
    let mut method = json!({
        "name": name,
        "paramStructure": if by_position { "by-position" } else { "by-name" },
        "params": params,
        "result": { "name": "result", "schema": result },
        "errors": errors,
    });
    if let Some(description) = spec.get("description") {
        method["description"] = description.clone();
    }
    method
}

/// An OpenRPC error object: the code, the `error_type` as message, the rest in `data`.
fn error(path: &Path, spec: &Value) -> Value {
    let error_type = spec["error_type"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: an error has no error_type", path.display()));
    let status = spec["http_status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or_else(|| panic!("{}: {error_type} has no http_status", path.display()));
    // A method keeping another protocol's codes (Core Lightning's) lists them itself.
    let code = spec["jsonrpc_code"]
        .as_i64()
        .unwrap_or_else(|| i64::from(codes::code_for(error_type, status)));
    json!({
        "code": code,
        "message": error_type,
        "data": {
            "error_type": error_type,
            "mmrpc_http_status": status,
            "description": spec["description"],
        }
    })
}

/// `NoSuchMethod (-32601), InvalidRequest (-32602), ...` from envelope/error.json.
fn envelope_error_list(envelope: &Value) -> String {
    let listed: Vec<String> = envelope["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| {
                    let error_type = e["error_type"].as_str()?;
                    let status = u16::try_from(e["http_status"].as_u64()?).ok()?;
                    Some(format!(
                        "{error_type} ({})",
                        codes::code_for(error_type, status)
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    listed.join(", ")
}

/// Points every `$ref` into `common.json`'s `$defs` (`../../common.json#/$defs/x`, or
/// `#/$defs/x` inside common.json) at `#/components/schemas/x`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::String(reference)) = fields.get_mut("$ref") {
                if let Some((_, def)) = reference.split_once("#/$defs/") {
                    *reference = format!("#/components/schemas/{def}");
                }
            }
            fields.values_mut().for_each(rewrite_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// Every method file: all `.json` files except `common.json` and `envelope/`, sorted.
fn method_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", current.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("listing {}: {e}", current.display()))
                .path();
            if path.is_dir() {
                if path != dir.join("envelope") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "json")
                && path != dir.join("common.json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}
