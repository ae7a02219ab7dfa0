//! `mmln bench load`: many concurrent clients on one daemon's RPC, to show it answers every
//! request or refuses it with a documented error, never hangs, and keeps its memory bounded.
//!
//! Three kinds of client, each on its own connection for the whole run:
//! - keep-alive HTTP (mmrpc): reads (`get_info`, `list_payments_by_filter`, `my_balance`) and,
//!   every `--payment-every`th call, a keysend to the other daemon;
//! - WebSocket on `/jsonrpc`: the same mix over JSON-RPC 2.0;
//! - slow: sends the head of a 100 kB POST and then one byte a second, until the daemon
//!   answers (`BodyReadTimeout`, 408) or closes; then again.
//!
//! Every answer is classed (`ok`, its `error_type`, or `transport` when none came); the report
//! gives throughput, latency percentiles of the answered HTTP and WebSocket calls, the classes,
//! the slow clients' outcomes and the peak RSS (VmHWM) of this process, which holds the chain,
//! both daemons and the clients. The exit status is non-zero when any HTTP or WebSocket call
//! went unanswered.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncReadCompatExt;

use super::client::{CallError, RpcClient};
use super::network::{BenchNetwork, NetworkOptions, RpcLimits};
use super::report::{progress, ProcessUsage};
use super::stats::{rate_per_sec, round3, LatencyStats};
use super::BenchError;

/// The body a slow client announces and never finishes.
const SLOW_BODY_BYTES: usize = 100_000;
/// Longest wait for one answer before it counts as unanswered.
const ANSWER_BOUND: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Concurrent client connections in all.
    #[arg(long, default_value_t = 1_000)]
    pub clients: usize,
    /// How long the load runs.
    #[arg(long, default_value_t = 30)]
    pub secs: u64,
    /// Percent of the clients on WebSocket.
    #[arg(long, default_value_t = 30)]
    pub ws_percent: usize,
    /// Percent of the clients that trickle a body.
    #[arg(long, default_value_t = 10)]
    pub slow_percent: usize,
    /// Every Nth call of a client is a keysend (the rest are reads).
    #[arg(long, default_value_t = 10)]
    pub payment_every: u64,
    /// The daemon's `rpc_body_read_timeout_secs` for the run (its default is 30).
    #[arg(long, default_value_t = 30)]
    pub body_timeout_secs: u64,
    /// Where the chain and nodes live during the run (removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// What every client adds its outcomes to.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    classes: BTreeMap<String, u64>,
    slow: BTreeMap<String, u64>,
    payments_accepted: u64,
}

type Shared = Arc<Mutex<Tally>>;

fn note(tally: &Shared, class: &str, latency: Option<Duration>, payment: bool) {
    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
    *t.classes.entry(class.to_string()).or_default() += 1;
    if let Some(latency) = latency {
        t.latencies.push(latency);
    }
    if payment && class == "ok" {
        t.payments_accepted += 1;
    }
}

#[derive(Debug, Serialize)]
struct LoadReport {
    mode: &'static str,
    clients: ClientCounts,
    duration_secs: f64,
    requests: u64,
    requests_per_sec: f64,
    /// `ok`, an `error_type` (or JSON-RPC code), or `transport` (no answer).
    classes: BTreeMap<String, u64>,
    unanswered: u64,
    payments_accepted: u64,
    latency_ms: LatencyStats,
    /// How each slow client's attempt ended.
    slow_clients: BTreeMap<String, u64>,
    /// VmHWM of this process: the chain, both daemons and every client.
    process_peak_rss_mib: f64,
    body_timeout_secs: u64,
}

#[derive(Debug, Serialize)]
struct ClientCounts {
    http: usize,
    websocket: usize,
    slow: usize,
}

pub async fn run(args: LoadArgs) -> Result<bool, BenchError> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("mmln-bench-load-{:016x}", rand::random::<u64>()))
    });
    let network = BenchNetwork::start(&NetworkOptions {
        dir,
        channels: 1,
        channel_sat: 10_000_000,
        sender_rpc: Some(RpcLimits {
            max_connections: args.clients + 64,
            body_read_timeout_secs: args.body_timeout_secs.max(1),
        }),
    })
    .await?;
    let addr = network.sender.rpc_addr();
    let coin = network.sender.config().coin_ticker().to_string();
    let receiver = network.receiver.node().node_id().to_string();
    let password = network.rpc_password.clone();

    let slow = args.clients * args.slow_percent.min(100) / 100;
    let ws = args.clients * args.ws_percent.min(100 - args.slow_percent.min(100)) / 100;
    let http = args.clients - slow - ws;
    progress(&format!(
        "load: {http} HTTP, {ws} WebSocket and {slow} slow clients for {} s",
        args.secs
    ));
    let tally: Shared = Arc::default();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.secs);
    let mut tasks = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let mix = Mix {
            coin: coin.clone(),
            receiver: receiver.clone(),
            payment_every: args.payment_every.max(1),
            amount_base: 1_000 + i as u64,
        };
        let tally = Arc::clone(&tally);
        let password = password.clone();
        tasks.push(if i < slow {
            tokio::spawn(slow_client(addr, deadline, tally))
        } else if i < slow + ws {
            tokio::spawn(ws_client(addr, password, mix, deadline, tally))
        } else {
            tokio::spawn(http_client(addr, password, mix, deadline, tally))
        });
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed();
    let usage = ProcessUsage::now();
    network.shutdown().await;

    let t = std::mem::take(&mut *tally.lock().unwrap_or_else(|p| p.into_inner()));
    let requests: u64 = t.classes.values().sum();
    let unanswered = t.classes.get("transport").copied().unwrap_or(0);
    let report = LoadReport {
        mode: "load",
        clients: ClientCounts {
            http,
            websocket: ws,
            slow,
        },
        duration_secs: round3(elapsed.as_secs_f64()),
        requests,
        requests_per_sec: rate_per_sec(requests, elapsed),
        classes: t.classes,
        unanswered,
        payments_accepted: t.payments_accepted,
        latency_ms: LatencyStats::from_samples(&t.latencies),
        slow_clients: t.slow,
        process_peak_rss_mib: round3(usage.peak_rss_kib as f64 / 1024.0),
        body_timeout_secs: args.body_timeout_secs,
    };
    super::report::print_json(&report)?;
    Ok(unanswered == 0)
}

/// One client's sequence of calls: reads in turn, every `payment_every`th a keysend of a
/// couple of sats (small enough that a thousand in flight stay within the channel's limits).
struct Mix {
    coin: String,
    receiver: String,
    payment_every: u64,
    amount_base: u64,
}

impl Mix {
    /// The `n`th call: method, params, and whether it is a payment.
    fn call(&self, n: u64) -> (&'static str, Value, bool) {
        if n % self.payment_every == self.payment_every - 1 {
            let payment = json!({"type": "keysend", "destination": self.receiver,
                                 "amount_in_msat": self.amount_base + n});
            return (
                "lightning::payments::send_payment",
                json!({"coin": self.coin, "payment": payment}),
                true,
            );
        }
        match n % 3 {
            0 => (
                "lightning::nodes::get_info",
                json!({"coin": self.coin}),
                false,
            ),
            1 => (
                "lightning::payments::list_payments_by_filter",
                json!({"coin": self.coin, "limit": 10}),
                false,
            ),
            _ => (
                "lightning::wallet::my_balance",
                json!({"coin": self.coin}),
                false,
            ),
        }
    }
}

async fn http_client(
    addr: SocketAddr,
    password: String,
    mix: Mix,
    deadline: Instant,
    tally: Shared,
) {
    // One client per task: its own connection, kept alive between calls.
    let client = match RpcClient::new(addr, &password) {
        Ok(client) => client,
        Err(_) => return note(&tally, "transport", None, false),
    };
    let mut n = 0;
    while Instant::now() < deadline {
        let (method, params, payment) = mix.call(n);
        n += 1;
        let started = Instant::now();
        match client.call(method, params).await {
            Ok(_) => note(&tally, "ok", Some(started.elapsed()), payment),
            Err(CallError::Rpc { error_type, .. }) => {
                note(&tally, &error_type, Some(started.elapsed()), payment)
            }
            Err(_) => note(&tally, "transport", None, payment),
        }
    }
}

async fn ws_client(addr: SocketAddr, password: String, mix: Mix, deadline: Instant, tally: Shared) {
    let bearer = format!("Bearer {password}");
    let Some((mut sender, mut receiver)) = ws_connect(addr, &bearer).await else {
        return note(&tally, "transport", None, false);
    };
    let mut n = 0u64;
    let mut message = Vec::new();
    while Instant::now() < deadline {
        let (method, params, payment) = mix.call(n);
        n += 1;
        let request = json!({"jsonrpc": "2.0", "id": n, "method": method, "params": params});
        let started = Instant::now();
        if sender.send_text(request.to_string()).await.is_err() || sender.flush().await.is_err() {
            return note(&tally, "transport", None, payment);
        }
        message.clear();
        let received =
            tokio::time::timeout(ANSWER_BOUND, receiver.receive_data(&mut message)).await;
        if !matches!(received, Ok(Ok(_))) {
            return note(&tally, "transport", None, payment);
        }
        let answer: Value = serde_json::from_slice(&message).unwrap_or(Value::Null);
        let class = if answer.get("result").is_some() {
            "ok".to_string()
        } else if let Some(error) = answer.get("error") {
            error["data"]["error_type"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("jsonrpc {}", error["code"]))
        } else {
            "invalid_response".to_string()
        };
        note(&tally, &class, Some(started.elapsed()), payment);
    }
}

type WsSender = soketto::Sender<tokio_util::compat::Compat<TcpStream>>;
type WsReceiver = soketto::Receiver<tokio_util::compat::Compat<TcpStream>>;

async fn ws_connect(addr: SocketAddr, bearer: &str) -> Option<(WsSender, WsReceiver)> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let host = addr.to_string();
    let headers = [soketto::handshake::client::Header {
        name: "Authorization",
        value: bearer.as_bytes(),
    }];
    let mut client = soketto::handshake::Client::new(stream.compat(), &host, "/jsonrpc");
    client.set_headers(&headers);
    match tokio::time::timeout(ANSWER_BOUND, client.handshake()).await {
        Ok(Ok(soketto::handshake::ServerResponse::Accepted { .. })) => {}
        _ => return None,
    }
    Some(client.into_builder().finish())
}

/// Sends the head of a large POST, then a byte a second, until the daemon answers or closes
/// (or the run ends); records how each attempt ended.
async fn slow_client(addr: SocketAddr, deadline: Instant, tally: Shared) {
    while Instant::now() < deadline {
        let outcome = slow_attempt(addr, deadline).await;
        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
        *t.slow.entry(outcome).or_default() += 1;
    }
}

async fn slow_attempt(addr: SocketAddr, deadline: Instant) -> String {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return "connect_failed".to_string();
    };
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {SLOW_BODY_BYTES}\r\n\r\n{{"
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return "closed".to_string();
    }
    let mut buffer = [0u8; 512];
    loop {
        if Instant::now() >= deadline {
            return "run_ended".to_string();
        }
        // An answer (or a close) within the next second ends the attempt.
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return "closed".to_string(),
            Ok(Ok(n)) => {
                let text = String::from_utf8_lossy(&buffer[..n]);
                let status = text.split_whitespace().nth(1).unwrap_or("?").to_string();
                return format!("http {status}");
            }
            Err(_) => {
                if stream.write_all(b" ").await.is_err() {
                    return "closed".to_string();
                }
            }
        }
    }
}
