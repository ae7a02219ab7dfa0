//! A server on an ephemeral port, a client, and checks of the reply shape.

use std::sync::Arc;
use std::time::Duration;

use mmln::config::Config;
use mmln::rpc::{Router, RpcContext};
use mmln::transport::{bind, serve, RpcServerState, TransportError};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "Rpc-Passw0rd!";

/// Bound for every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(20);

/// A config for tests: loopback, port 0, a password.
pub fn test_config() -> Config {
    Config {
        rpc_password: Some(PASSWORD.to_string()),
        rpcport: 0,
        ..Config::default()
    }
}

pub struct TestServer {
    pub url: String,
    pub port: u16,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), TransportError>>>,
}

impl TestServer {
    /// The daemon's own server (product methods), bound as `cfg` says.
    pub async fn start(cfg: Config) -> TestServer {
        let listener = bind(&cfg).await.expect("bind");
        let state = RpcServerState::from_config(Arc::new(cfg)).expect("server state");
        TestServer::start_state(listener, state)
    }

    /// A server routing with `router`, bound as `cfg` says.
    pub async fn start_with(cfg: Config, router: Router) -> TestServer {
        let listener = bind(&cfg).await.expect("bind");
        let ctx = RpcContext::new(Arc::new(cfg));
        let state = RpcServerState::new(ctx, router).expect("server state");
        TestServer::start_state(listener, state)
    }

    fn start_state(listener: tokio::net::TcpListener, state: RpcServerState) -> TestServer {
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, Arc::new(state), async {
            let _ = stopped.await;
        }));
        TestServer {
            url: format!("http://{addr}/"),
            port: addr.port(),
            client: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// POSTs `body` (raw text); returns the status and the parsed JSON reply, after checking
    /// the content type and the mmrpc shape.
    pub async fn post_raw(&self, body: impl Into<String>) -> (StatusCode, Value) {
        let fut = self.client.post(&self.url).body(body.into()).send();
        let resp = tokio::time::timeout(WAIT, fut)
            .await
            .expect("reply within the wait bound")
            .expect("HTTP exchange");
        read_reply(resp).await
    }

    pub async fn post(&self, body: &Value) -> (StatusCode, Value) {
        self.post_raw(body.to_string()).await
    }

    /// Stops the server and waits until `serve` returned.
    pub async fn stop(mut self) -> Result<(), TransportError> {
        self.stop_signal();
        self.join().await
    }

    pub fn stop_signal(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub async fn join(&mut self) -> Result<(), TransportError> {
        let task = self.task.take().expect("server task");
        tokio::time::timeout(WAIT, task)
            .await
            .expect("server stops within the wait bound")
            .expect("server task did not panic")
    }
}

/// Checks the content type and parses the body; panics with the raw text when not JSON.
pub async fn read_reply(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("").to_string());
    assert_eq!(ctype.as_deref(), Some("application/json"), "content type");
    let text = resp.text().await.expect("body");
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    match &value {
        Value::Array(items) => items.iter().for_each(check_reply_shape),
        single => check_reply_shape(single),
    }
    (status, value)
}

/// A request body with the right password.
pub fn request(method: &str, params: Value, id: u64) -> Value {
    serde_json::json!({
        "mmrpc": "2.0", "userpass": PASSWORD, "method": method, "params": params, "id": id
    })
}

/// Asserts a single well-formed mmrpc reply: version, id, and either a result or a complete
/// error with a well-formed path and trace.
pub fn check_reply_shape(reply: &Value) {
    let obj = reply
        .as_object()
        .unwrap_or_else(|| panic!("reply not an object: {reply}"));
    assert_eq!(obj.get("mmrpc"), Some(&Value::from("2.0")), "{reply}");
    let id = obj.get("id").unwrap_or_else(|| panic!("no id: {reply}"));
    assert!(id.is_null() || id.is_u64(), "{reply}");
    if obj.contains_key("result") {
        assert_eq!(obj.len(), 3, "{reply}");
        return;
    }
    for key in ["error", "error_path", "error_trace", "error_type"] {
        assert!(
            obj.get(key).is_some_and(Value::is_string),
            "{key} in {reply}"
        );
    }
    let extra = obj.len() - 6;
    assert!(
        extra == 0 || (extra == 1 && obj.contains_key("error_data")),
        "{reply}"
    );
    let trace = obj["error_trace"].as_str().unwrap_or_default();
    let path = obj["error_path"].as_str().unwrap_or_default();
    assert!(is_trace(trace), "bad error_trace {trace:?}");
    assert_eq!(
        path,
        path_of_trace(trace),
        "error_path {path:?} vs trace {trace:?}"
    );
    assert!(
        !obj["error"].as_str().unwrap_or_default().is_empty(),
        "{reply}"
    );
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `^(\w+:\d+\] ?)+$` with single spaces between entries.
pub fn is_trace(trace: &str) -> bool {
    !trace.is_empty()
        && trace.split(' ').all(|entry| {
            entry
                .strip_suffix(']')
                .and_then(|e| e.split_once(':'))
                .is_some_and(|(name, line)| {
                    is_word(name) && !line.is_empty() && line.chars().all(|c| c.is_ascii_digit())
                })
        })
}

/// The names of a trace, consecutive repeats collapsed, joined by `.`.
pub fn path_of_trace(trace: &str) -> String {
    let mut names: Vec<&str> = Vec::new();
    for entry in trace.split(' ') {
        let name = entry.split(':').next().unwrap_or_default();
        if names.last() != Some(&name) {
            names.push(name);
        }
    }
    names.join(".")
}

/// Asserts an error reply's status, type and id.
pub fn assert_error(status: StatusCode, reply: &Value, want_status: u16, want_type: &str) {
    assert_eq!(reply["error_type"], want_type, "{reply}");
    assert_eq!(status.as_u16(), want_status, "{reply}");
}
