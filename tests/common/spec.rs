//! `rpc-spec/` loaded and compiled: the envelope schemas, and per method the request and response
//! validators and the listed errors. References are resolved from disk; nothing is fetched.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jsonschema::{Draft, Retrieve, Uri, Validator};
use serde_json::Value;

/// The rpc-spec directory of this crate.
pub fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rpc-spec")
}

/// The loaded spec, shared by every client in the test binary (compiling it once).
pub fn spec() -> Arc<Spec> {
    static SPEC: OnceLock<Arc<Spec>> = OnceLock::new();
    SPEC.get_or_init(|| Arc::new(Spec::load(&spec_dir())))
        .clone()
}

/// One listed error: its HTTP status and the schema of its payload.
pub struct ErrorSpec {
    pub http_status: u16,
    /// The method's own JSON-RPC code (Core Lightning's methods), when the entry lists one.
    pub jsonrpc_code: Option<i64>,
    pub data: ErrorData,
}

/// What the `error_data` of an error must be.
pub enum ErrorData {
    /// A unit variant: no `error_data` key.
    Absent,
    /// The payload must validate.
    Schema(Validator),
    /// Not specified; not checked.
    Unchecked,
}

/// One method's schema file, compiled.
pub struct MethodSpec {
    pub name: String,
    pub path: PathBuf,
    pub request: Validator,
    pub response: Validator,
    pub errors: HashMap<String, ErrorSpec>,
    /// The file as JSON, for the examples.
    pub document: Value,
}

pub struct Spec {
    pub request: Validator,
    pub success: Validator,
    pub error: Validator,
    pub batch_request: Validator,
    pub batch_response: Validator,
    /// The JSON-RPC 2.0 surface's success and error responses.
    pub jsonrpc_success: Validator,
    pub jsonrpc_error: Validator,
    /// Errors any method can answer (envelope/error.json's `errors`).
    pub envelope_errors: HashMap<String, ErrorSpec>,
    /// Methods by wire name.
    pub methods: BTreeMap<String, MethodSpec>,
}

impl Spec {
    /// Loads and compiles every schema under `dir`. Panics with the file and reason on any
    /// problem: a broken spec must stop the tests, not be skipped.
    pub fn load(dir: &Path) -> Spec {
        let envelope = |name: &str| {
            let path = dir.join("envelope").join(name);
            let doc = read_json(&path);
            (compile(&doc, &path, "(whole file)"), doc)
        };
        let (request, _) = envelope("request.json");
        let (success, _) = envelope("success.json");
        let (error, error_doc) = envelope("error.json");
        let (batch_request, _) = envelope("batch_request.json");
        let (batch_response, _) = envelope("batch_response.json");
        let (jsonrpc_success, _) = envelope("jsonrpc_success.json");
        let (jsonrpc_error, _) = envelope("jsonrpc_error.json");
        let envelope_errors = compile_errors(&error_doc, &dir.join("envelope/error.json"));

        let mut methods = BTreeMap::new();
        for path in method_files(dir) {
            let method = compile_method(dir, &path);
            if let Some(other) = methods.insert(method.name.clone(), method) {
                panic!(
                    "rpc-spec: method {} is described twice ({})",
                    other.name,
                    path.display()
                );
            }
        }
        Spec {
            request,
            success,
            error,
            batch_request,
            batch_response,
            jsonrpc_success,
            jsonrpc_error,
            envelope_errors,
            methods,
        }
    }

    /// The method's spec; panics if the method has none.
    pub fn method(&self, name: &str) -> &MethodSpec {
        self.methods.get(name).unwrap_or_else(|| {
            panic!(
                "rpc-spec: no schema for method `{name}` (expected {})",
                method_path(&spec_dir(), name).display()
            )
        })
    }
}

/// `lightning::payments::send_payment` -> `<dir>/lightning/payments/send_payment.json`.
pub fn method_path(dir: &Path, method: &str) -> PathBuf {
    let mut path = dir.to_path_buf();
    for part in method.split("::") {
        path.push(part);
    }
    path.set_extension("json");
    path
}

/// Every method file: all `.json` files except `common.json` and `envelope/`.
pub fn method_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .unwrap_or_else(|e| panic!("rpc-spec: cannot list {}: {e}", current.display()));
        for entry in entries {
            let path = entry.expect("rpc-spec directory entry").path();
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

fn compile_method(dir: &Path, path: &Path) -> MethodSpec {
    let document = read_json(path);
    let name = document["method"]
        .as_str()
        .unwrap_or_else(|| panic!("rpc-spec: {} has no string `method`", path.display()))
        .to_string();
    assert_eq!(
        method_path(dir, &name),
        path,
        "rpc-spec: the file of method `{name}` is in the wrong place"
    );
    for key in ["request", "response", "errors", "examples"] {
        assert!(
            document.get(key).is_some(),
            "rpc-spec: {} has no `{key}`",
            path.display()
        );
    }
    MethodSpec {
        request: compile(&document["request"], path, "request"),
        response: compile(&document["response"], path, "response"),
        errors: compile_errors(&document, path),
        name,
        path: path.to_path_buf(),
        document,
    }
}

fn compile_errors(document: &Value, path: &Path) -> HashMap<String, ErrorSpec> {
    let list = document["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("rpc-spec: {} has no `errors` array", path.display()));
    let mut errors = HashMap::new();
    for entry in list {
        let error_type = entry["error_type"]
            .as_str()
            .unwrap_or_else(|| panic!("rpc-spec: {}: an error has no error_type", path.display()));
        let http_status = entry["http_status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or_else(|| {
                panic!(
                    "rpc-spec: {}: {error_type} has no http_status",
                    path.display()
                )
            });
        assert!(
            entry["description"].is_string(),
            "rpc-spec: {}: {error_type} has no description",
            path.display()
        );
        let data = match entry.get("error_data") {
            None => ErrorData::Unchecked,
            Some(Value::Bool(false)) => ErrorData::Absent,
            Some(schema) => ErrorData::Schema(compile(schema, path, error_type)),
        };
        let jsonrpc_code = entry.get("jsonrpc_code").map(|c| {
            c.as_i64().unwrap_or_else(|| {
                panic!(
                    "rpc-spec: {}: {error_type} has a non-integer jsonrpc_code",
                    path.display()
                )
            })
        });
        let spec = ErrorSpec {
            http_status,
            jsonrpc_code,
            data,
        };
        if errors.insert(error_type.to_string(), spec).is_some() {
            panic!("rpc-spec: {}: {error_type} is listed twice", path.display());
        }
    }
    errors
}

/// Compiles one schema (a whole file or a part of one), resolving relative `$ref`s against the
/// file it came from.
pub fn compile(schema: &Value, file: &Path, part: &str) -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_base_uri(file_uri(file))
        .with_retriever(FileRetriever)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .with_format("hex32", |s: &str| is_lower_hex(s, 64))
        .with_format("pubkey", |s: &str| {
            is_lower_hex(s, 66) && (s.starts_with("02") || s.starts_with("03"))
        })
        .with_format("bolt11", |s: &str| {
            s.parse::<lightning_invoice::SignedRawBolt11Invoice>()
                .is_ok()
        })
        .build(schema)
        .unwrap_or_else(|e| {
            panic!(
                "rpc-spec: {} ({part}) does not compile: {e}",
                file.display()
            )
        })
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("rpc-spec: cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("rpc-spec: {} is not valid JSON: {e}", path.display()))
}

/// Serves `file://` references from disk, and refuses everything else so no test reaches the
/// network.
struct FileRetriever;

impl Retrieve for FileRetriever {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.scheme().as_str() != "file" {
            return Err(format!("rpc-spec may only reference local files, not {uri}").into());
        }
        let path = uri.path().as_str();
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        Ok(serde_json::from_str(&text).map_err(|e| format!("{path} is not valid JSON: {e}"))?)
    }
}
