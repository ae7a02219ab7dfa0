//! The one raw Bitcoin Core JSON-RPC client of the tests, independent of the code under test
//! (the daemon's own client is `mmln::chain::CoreRpc`). It talks to the regtest chain a test
//! started, or to any Core-compatible endpoint. Suites that need only this client include the
//! file alone (`#[path = "common/core_rpc.rs"] mod core_rpc;`).

// Each test binary uses a different part of it.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{json, Value};

/// Generous bound for one call (mining hundreds of blocks included).
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct CoreClient {
    pub url: String,
    pub user: String,
    pub password: String,
    http: reqwest::Client,
}

impl CoreClient {
    pub fn new(url: &str, user: &str, password: &str) -> Self {
        CoreClient {
            url: url.to_string(),
            user: user.to_string(),
            password: password.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// A client for a regtest chain started by the test.
    pub fn for_chain(chain: &mmln::regtest::RegtestHandle) -> Self {
        CoreClient::new(&chain.url(), chain.user(), chain.password())
    }

    /// Posts a raw body with our credentials; returns the HTTP status and the JSON body.
    pub async fn post(&self, body: Value) -> (u16, Value) {
        self.post_as(&self.user, &self.password, body).await
    }

    /// Posts a raw body with these credentials; returns the HTTP status and the JSON body
    /// (`null` for an empty body).
    pub async fn post_as(&self, user: &str, password: &str, body: Value) -> (u16, Value) {
        let request = self
            .http
            .post(&self.url)
            .basic_auth(user, Some(password))
            .json(&body)
            .send();
        let response = tokio::time::timeout(CALL_TIMEOUT, request)
            .await
            .unwrap_or_else(|_| panic!("RPC {body} got no answer within {CALL_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("RPC {body} failed at the HTTP level: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.expect("read RPC body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("JSON body")
        };
        (status, json)
    }

    /// A 1.0-style call; `Err` carries Core's error object.
    pub async fn try_call(&self, method: &str, params: Value) -> Result<Value, Value> {
        let (_, answer) = self
            .post(json!({"jsonrpc": "1.0", "id": "t", "method": method, "params": params}))
            .await;
        if answer["error"].is_null() {
            Ok(answer["result"].clone())
        } else {
            Err(answer["error"].clone())
        }
    }

    /// A 1.0-style call that must succeed.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.try_call(method, params)
            .await
            .unwrap_or_else(|e| panic!("{method} failed: {e}"))
    }
}
