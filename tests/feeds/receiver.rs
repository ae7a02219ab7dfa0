//! A webhook receiver for the tests: a real HTTP server on loopback that records every
//! delivery (headers and body) and answers as told.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

/// How the receiver answers.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    Ok,
    /// 500 for the first `n` attempts of each delivery id, then 200.
    FailFirst(u32),
    /// Never answers (the sender times out or is killed meanwhile).
    Hang,
}

#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: String,
    pub signature: String,
    pub body: Vec<u8>,
    pub status: u16,
}

impl Delivery {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    deliveries: Vec<Delivery>,
    seen: HashMap<String, u32>,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let id = header("Mmln-Webhook-Id");
    let behaviour = *r.behaviour.lock().unwrap();
    if let Behaviour::Hang = behaviour {
        std::future::pending::<()>().await;
    }
    let mut inner = r.inner.lock().unwrap();
    let n = inner.seen.entry(id.clone()).or_insert(0);
    *n += 1;
    let status = match behaviour {
        Behaviour::FailFirst(k) if *n <= k => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::OK,
    };
    inner.deliveries.push(Delivery {
        id,
        signature: header("Mmln-Signature"),
        body: body.to_vec(),
        status: status.as_u16(),
    });
    status
}

impl Receiver {
    pub async fn start(behaviour: Behaviour) -> Receiver {
        Receiver::start_on("127.0.0.1:0".parse().unwrap(), behaviour).await
    }

    pub async fn start_on(addr: SocketAddr, behaviour: Behaviour) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().unwrap();
        let receiver = Receiver {
            addr,
            inner: Arc::default(),
            behaviour: Arc::new(Mutex::new(behaviour)),
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(receiver.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        receiver
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    /// Every request answered, in arrival order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.lock().unwrap().deliveries.clone()
    }

    /// The bodies answered 200, deduplicated by id (first copy kept), keyed by event index.
    pub fn delivered_events(&self) -> std::collections::BTreeMap<u64, Value> {
        let mut events = std::collections::BTreeMap::new();
        for d in self.deliveries().iter().filter(|d| d.status == 200) {
            let body = d.json();
            let index = body["event"]["event_index"].as_u64().expect("event_index");
            assert_eq!(
                d.id,
                format!("evt_{index}"),
                "the id header names the event"
            );
            events.entry(index).or_insert(body);
        }
        events
    }
}
