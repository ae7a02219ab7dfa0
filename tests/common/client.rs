//! An mmrpc 2.0 client over HTTP that checks every request it sends and every response it gets
//! against `rpc-spec/`, and panics with a readable message on a violation.
//!
//! Negative tests that must send something the spec forbids use [`RpcClient::without_validation`]
//! (or [`RpcClient::call_unchecked`]) for that one call; [`RpcClient::send_body`] and
//! [`RpcClient::send_raw`] send arbitrary bodies and check nothing.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::check::{check_request, check_response, check_response_body, conforms};
use super::spec::{spec, Spec};

/// Bound on every HTTP exchange, so a hung daemon fails the test instead of hanging it.
const HTTP_TIMEOUT: Duration = Duration::from_secs(120);

/// One HTTP answer: its status and JSON body.
#[derive(Debug, Clone)]
pub struct RpcResponse {
    pub status: u16,
    pub body: Value,
}

impl RpcResponse {
    /// The `result`; panics (showing the body) if this is not a success.
    pub fn result(&self) -> &Value {
        assert_eq!(
            self.status, 200,
            "expected success, got HTTP {}: {}",
            self.status, self.body
        );
        self.body
            .get("result")
            .unwrap_or_else(|| panic!("expected a result, got: {}", self.body))
    }

    /// The `error_type`, if this is an error.
    pub fn error_type(&self) -> Option<&str> {
        self.body.get("error_type").and_then(Value::as_str)
    }

    /// Asserts this is the error `error_type` with HTTP `status`; returns the whole body.
    pub fn assert_error(&self, error_type: &str, status: u16) -> &Value {
        assert_eq!(
            self.error_type(),
            Some(error_type),
            "expected error {error_type}, got HTTP {}: {}",
            self.status,
            self.body
        );
        assert_eq!(
            self.status, status,
            "HTTP status of {error_type}: {}",
            self.body
        );
        &self.body
    }
}

/// A client for one daemon. Cheap to clone; clones share the request id counter.
#[derive(Clone)]
pub struct RpcClient {
    http: reqwest::Client,
    url: String,
    userpass: Option<String>,
    spec: Arc<Spec>,
    validate: bool,
    next_id: Arc<AtomicU64>,
}

impl RpcClient {
    /// A validating client for the daemon at `addr`.
    pub fn new(addr: SocketAddr, userpass: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("reqwest client");
        RpcClient {
            http,
            url: format!("http://{addr}/"),
            userpass: Some(userpass.to_string()),
            spec: spec(),
            validate: true,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The same client sending another userpass, or none.
    pub fn with_userpass(&self, userpass: Option<&str>) -> Self {
        RpcClient {
            userpass: userpass.map(str::to_string),
            ..self.clone()
        }
    }

    /// The same client with validation switched off, for a negative test's one call.
    pub fn without_validation(&self) -> Self {
        RpcClient {
            validate: false,
            ..self.clone()
        }
    }

    /// The request body [`RpcClient::call`] sends. `params` of `null` leaves `params` out.
    pub fn request_body(&self, method: &str, params: Value) -> Value {
        let mut body = json!({ "mmrpc": "2.0", "method": method });
        if let Some(userpass) = &self.userpass {
            body["userpass"] = json!(userpass);
        }
        if !params.is_null() {
            body["params"] = params;
        }
        body["id"] = json!(self.next_id.fetch_add(1, Ordering::Relaxed));
        body
    }

    /// Calls `method`, validating the request and the response unless validation is off.
    pub async fn call(&self, method: &str, params: Value) -> RpcResponse {
        let body = self.request_body(method, params);
        if self.validate {
            check_request(&self.spec, &body).unwrap_or_else(|e| panic!("{e}"));
        }
        let response = self.post(&body).await;
        if self.validate {
            check_response(&self.spec, &body, response.status, &response.body)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        response
    }

    /// [`RpcClient::call`] without validation of this one call.
    pub async fn call_unchecked(&self, method: &str, params: Value) -> RpcResponse {
        self.without_validation().call(method, params).await
    }

    /// Calls `method` and returns its `result`; panics unless it succeeded.
    pub async fn ok(&self, method: &str, params: Value) -> Value {
        let response = self.call(method, params).await;
        if response.status != 200 {
            panic!(
                "{method} failed with HTTP {}: {}",
                response.status, response.body
            );
        }
        response.result().clone()
    }

    /// Calls `method` and asserts it fails with `error_type` and HTTP `status`; returns the
    /// error body.
    pub async fn expect_error(
        &self,
        method: &str,
        params: Value,
        error_type: &str,
        status: u16,
    ) -> Value {
        let response = self.call(method, params).await;
        response.assert_error(error_type, status).clone()
    }

    /// Sends a batch of calls and returns the element bodies, validating each element and the
    /// batch shape unless validation is off.
    pub async fn batch(&self, calls: &[(&str, Value)]) -> Vec<Value> {
        let requests: Vec<Value> = calls
            .iter()
            .map(|(method, params)| self.request_body(method, params.clone()))
            .collect();
        let batch = Value::Array(requests.clone());
        if self.validate {
            let checked = conforms(
                &self.spec.batch_request,
                &batch,
                "batch request",
                "envelope/batch_request.json",
            )
            .and_then(|()| {
                requests
                    .iter()
                    .try_for_each(|request| check_request(&self.spec, request))
            });
            checked.unwrap_or_else(|e| panic!("{e}"));
        }
        let response = self.post(&batch).await;
        assert_eq!(
            response.status, 200,
            "a batch is answered with HTTP 200: {}",
            response.body
        );
        let elements = response
            .body
            .as_array()
            .unwrap_or_else(|| panic!("a batch is answered with an array, got {}", response.body))
            .clone();
        assert_eq!(
            elements.len(),
            requests.len(),
            "one answer per batch element"
        );
        if self.validate {
            let checked = conforms(
                &self.spec.batch_response,
                &response.body,
                "batch response",
                "envelope/batch_response.json",
            )
            .and_then(|()| {
                // Inside a batch each element carries no HTTP status of its own.
                requests
                    .iter()
                    .zip(&elements)
                    .try_for_each(|(request, element)| {
                        check_response_body(&self.spec, request, None, element)
                    })
            });
            checked.unwrap_or_else(|e| panic!("{e}"));
        }
        elements
    }

    /// POSTs any JSON body and checks nothing about it.
    pub async fn send_body(&self, body: &Value) -> RpcResponse {
        self.post(body).await
    }

    /// POSTs raw text (e.g. malformed JSON) and returns the status and body text.
    pub async fn send_raw(&self, text: &str) -> (u16, String) {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(text.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {} failed: {e}", self.url));
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading the body: {e}"));
        (status, text)
    }

    /// [`RpcClient::call`], but a daemon that is down or dies mid-call is an `Err` (with the
    /// transport error), not a panic: for tests that kill daemons on purpose.
    pub async fn try_call(&self, method: &str, params: Value) -> Result<RpcResponse, String> {
        let body = self.request_body(method, params);
        if self.validate {
            check_request(&self.spec, &body).unwrap_or_else(|e| panic!("{e}"));
        }
        let response = self.try_post(&body).await?;
        if self.validate {
            check_response(&self.spec, &body, response.status, &response.body)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Ok(response)
    }

    async fn post(&self, body: &Value) -> RpcResponse {
        self.try_post(body)
            .await
            .unwrap_or_else(|e| panic!("POST {} failed: {e}", self.url))
    }

    async fn try_post(&self, body: &Value) -> Result<RpcResponse, String> {
        let response = self
            .http
            .post(&self.url)
            .json(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if self.validate {
            assert!(
                content_type.starts_with("application/json"),
                "rpc-spec violation: reply has Content-Type {content_type:?}, expected application/json"
            );
        }
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("reply (HTTP {status}) is not JSON ({e}): {text}"));
        Ok(RpcResponse { status, body })
    }
}
