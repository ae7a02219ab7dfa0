//! A `subscribe_events` client over the WebSocket `/jsonrpc`, checking every notification
//! against `rpc-spec/subscribe_events.json`: events against the shared event schema, the
//! closing error against `closing`.

use std::net::SocketAddr;
use std::time::Duration;

use jsonschema::Validator;
use serde_json::{json, Value};

use super::jsonrpc::{ws_connect, ws_connect_small_window, WsConnection};
use super::spec::{compile, spec, spec_dir};

/// What one notification carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    Event(Value),
    /// The daemon ended the subscription: `{error_type, error, resume_from}`.
    Closed(Value),
}

/// One subscription on its own WebSocket.
pub struct EventSubscription {
    ws: WsConnection,
    id: Value,
    event: Validator,
    closing: Validator,
}

impl EventSubscription {
    /// Subscribes with `params`; the error object when the daemon refuses.
    pub async fn open(addr: SocketAddr, bearer: &str, params: Value) -> Result<Self, Value> {
        let ws = ws_connect(addr, Some(bearer)).await.expect("WebSocket");
        Self::on(ws, params).await
    }

    /// [`EventSubscription::open`] on a connection with a 4 KiB receive window, for a
    /// subscriber that stops reading.
    pub async fn open_small_window(
        addr: SocketAddr,
        bearer: &str,
        params: Value,
    ) -> Result<Self, Value> {
        let ws = ws_connect_small_window(addr, Some(bearer))
            .await
            .expect("WebSocket");
        Self::on(ws, params).await
    }

    async fn on(mut ws: WsConnection, params: Value) -> Result<Self, Value> {
        let request =
            json!({"jsonrpc": "2.0", "id": 1, "method": "subscribe_events", "params": params});
        ws.send(&request.to_string()).await;
        let answer = ws.receive().await;
        assert_eq!(answer["id"], 1, "{answer}");
        if let Some(error) = answer.get("error") {
            return Err(error.clone());
        }
        let id = answer["result"].clone();
        assert!(id.is_u64() || id.is_string(), "a subscription id: {answer}");
        let file = spec_dir().join("subscribe_events.json");
        let spec = spec();
        let document = &spec.method("subscribe_events").document;
        Ok(EventSubscription {
            ws,
            id,
            event: compile(&document["notification"]["result"], &file, "notification"),
            closing: compile(&document["closing"], &file, "closing"),
        })
    }

    /// The next notification, or `None` when none comes within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Notification> {
        let message = self.ws.receive_within(wait).await?;
        assert_eq!(message["method"], "event", "{message}");
        assert!(
            message.get("id").is_none(),
            "a notification has no id: {message}"
        );
        let params = &message["params"];
        assert_eq!(params["subscription"], self.id, "{message}");
        if let Some(event) = params.get("result") {
            check(&self.event, event, "event");
            return Some(Notification::Event(event.clone()));
        }
        let closed = &params["error"];
        check(&self.closing, closed, "closing");
        Some(Notification::Closed(closed.clone()))
    }

    /// Ends the subscription; the answer's `result`.
    pub async fn unsubscribe(&mut self) -> Value {
        let request =
            json!({"jsonrpc": "2.0", "id": 2, "method": "unsubscribe_events", "params": [self.id]});
        self.ws.send(&request.to_string()).await;
        // Notifications already on their way may come first.
        loop {
            let message = self.ws.receive().await;
            if message["id"] == 2 {
                return message["result"].clone();
            }
        }
    }
}

fn check(validator: &Validator, value: &Value, what: &str) {
    let problems: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(
        problems.is_empty(),
        "{what} breaks rpc-spec: {problems:?}\n{value}"
    );
}
