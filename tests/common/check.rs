//! Checking requests and responses against `rpc-spec/`. Each check returns every violation as
//! one readable message; the client turns it into a panic, `tests/rpc_spec.rs` also asserts on
//! failures.

use serde_json::Value;

use super::spec::{ErrorData, ErrorSpec, MethodSpec, Spec};

/// Checks a single request: the envelope and, when the method has a schema, its params.
pub fn check_request(spec: &Spec, body: &Value) -> Result<(), String> {
    conforms(
        &spec.request,
        body,
        "request envelope",
        "envelope/request.json",
    )?;
    let method = body["method"].as_str().unwrap_or_default();
    if let Some(method_spec) = spec.methods.get(method) {
        let params = body.get("params").cloned().unwrap_or(Value::Null);
        let what = format!("params of `{method}`");
        conforms(
            &method_spec.request,
            &params,
            &what,
            &schema_ref(method_spec, "request"),
        )?;
    }
    Ok(())
}

/// Checks a response to `request` answered with HTTP `status`.
pub fn check_response(
    spec: &Spec,
    request: &Value,
    status: u16,
    body: &Value,
) -> Result<(), String> {
    check_response_body(spec, request, Some(status), body)
}

/// Checks a response body; `status` is `None` for a batch element.
pub fn check_response_body(
    spec: &Spec,
    request: &Value,
    status: Option<u16>,
    body: &Value,
) -> Result<(), String> {
    let method = request["method"].as_str().unwrap_or_default();
    let method_spec = spec.methods.get(method);
    let expected_id = request.get("id").cloned().unwrap_or(Value::Null);
    if body.get("id") != Some(&expected_id) {
        return Err(format!(
            "rpc-spec violation: the response to `{method}` does not echo the request id {expected_id}: {body}"
        ));
    }
    if body.get("result").is_some() {
        conforms(
            &spec.success,
            body,
            "success envelope",
            "envelope/success.json",
        )?;
        if let Some(status) = status.filter(|s| *s != 200) {
            return Err(format!(
                "rpc-spec violation: a success of `{method}` answered with HTTP {status}"
            ));
        }
        let method_spec = method_spec.ok_or_else(|| {
            format!("rpc-spec violation: `{method}` has no schema but succeeded: {body}")
        })?;
        let what = format!("result of `{method}`");
        return conforms(
            &method_spec.response,
            &body["result"],
            &what,
            &schema_ref(method_spec, "response"),
        );
    }
    conforms(&spec.error, body, "error envelope", "envelope/error.json")?;
    let error_type = body["error_type"].as_str().unwrap_or_default();
    let listed = method_spec
        .and_then(|m| m.errors.get(error_type))
        .or_else(|| spec.envelope_errors.get(error_type))
        .ok_or_else(|| {
            format!(
                "rpc-spec violation: `{method}` answered error {error_type}, which neither its \
                 schema nor envelope/error.json lists: {body}"
            )
        })?;
    check_listed_error(method, error_type, listed, status, body)
}

pub fn check_listed_error(
    method: &str,
    error_type: &str,
    listed: &ErrorSpec,
    status: Option<u16>,
    body: &Value,
) -> Result<(), String> {
    if let Some(status) = status.filter(|s| *s != listed.http_status) {
        return Err(format!(
            "rpc-spec violation: `{method}` answered {error_type} with HTTP {status}, the spec says {}: {body}",
            listed.http_status
        ));
    }
    match (&listed.data, body.get("error_data")) {
        (ErrorData::Absent, Some(data)) => Err(format!(
            "rpc-spec violation: {error_type} is a unit error but has error_data {data}"
        )),
        (ErrorData::Schema(_), None) => Err(format!(
            "rpc-spec violation: {error_type} has no error_data: {body}"
        )),
        (ErrorData::Schema(validator), Some(data)) => conforms(
            validator,
            data,
            &format!("error_data of {error_type}"),
            method,
        ),
        _ => Ok(()),
    }
}

fn schema_ref(method: &MethodSpec, part: &str) -> String {
    format!("{}#/{part}", method.path.display())
}

/// Every violation of `validator` by `instance`, as one message.
pub fn conforms(
    validator: &jsonschema::Validator,
    instance: &Value,
    what: &str,
    schema: &str,
) -> Result<(), String> {
    let problems: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("  at `{}`: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "rpc-spec violation: {what} does not match {schema}:\n{}\nvalue: {instance}",
        problems.join("\n")
    ))
}
