//! Invoice and keysend modes: W workers, N payments in all, each through the public RPC.
//!
//! A worker's cycle (its latency sample runs from the first call to the `succeeded` status):
//! - invoice: `generate_invoice` on the receiver, `send_payment` of it on the sender;
//! - keysend: `send_payment` of a keysend carrying a ~200-byte bLIP-10 record (7629169);
//!
//! then the outcome: through `send_payment`'s own wait (`wait_timeout_secs`) when the daemon
//! has it, else by polling `get_payment_details` on the sender.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::client::{is_unknown_method, CallError, RpcClient};
use super::report::progress;

/// How long one payment may take before it counts as failed.
pub const PAYMENT_TIMEOUT: Duration = Duration::from_secs(120);
/// `wait_timeout_secs` asked of `send_payment`.
const WAIT_SECS: u64 = 120;
/// Failure reasons kept for the report.
const KEPT_FAILURES: usize = 10;
/// The bLIP-10 (podcasting 2.0 "boostagram") TLV type.
pub const BLIP10_TLV: u64 = 7_629_169;
/// Keysend final CLTV delta, in blocks.
const KEYSEND_EXPIRY: u32 = 144;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    Invoice,
    Keysend,
}

impl PaymentKind {
    pub fn name(self) -> &'static str {
        match self {
            PaymentKind::Invoice => "invoice",
            PaymentKind::Keysend => "keysend",
        }
    }
}

/// How a worker learns a payment's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Try `send_payment`'s wait; fall back to polling if the daemon refuses the param.
    Auto,
    Wait,
    Poll,
}

/// What one payment run needs.
pub struct PaymentLoad {
    pub kind: PaymentKind,
    pub workers: usize,
    pub payments: u64,
    pub amount_msat: u64,
    pub completion: Completion,
    pub poll_interval: Duration,
    pub coin: String,
    pub receiver_id: String,
}

/// What one payment run measured.
pub struct PaymentOutcome {
    pub latencies: Vec<Duration>,
    pub failures: u64,
    pub first_failures: Vec<String>,
    pub elapsed: Duration,
    /// How outcomes were learned in the end ("wait" or "poll").
    pub completion: &'static str,
}

struct Shared {
    load: PaymentLoad,
    sender: RpcClient,
    receiver: RpcClient,
    next: AtomicU64,
    done: AtomicU64,
    use_wait: AtomicBool,
    /// Set when a method is not routed at all: every further payment would fail the same way.
    abort: AtomicBool,
    latencies: Mutex<Vec<Duration>>,
    failures: Mutex<(u64, Vec<String>)>,
}

/// The bLIP-10 record of payment `n`: a realistic boostagram, about 200 bytes of JSON.
pub fn blip10_record(n: u64, amount_msat: u64) -> Value {
    json!({
        "action": "stream",
        "app_name": "mmln-bench",
        "podcast": "Podcasting 2.0",
        "episode": format!("Episode {}", n % 500),
        "feedID": 920_666,
        "ts": n % 3600,
        "value_msat": amount_msat,
        "value_msat_total": amount_msat * 10,
        "sender_name": "benchmark worker",
        "message": "boost",
    })
}

/// Runs the load; every call goes over HTTP to `sender` and `receiver`.
pub async fn run(load: PaymentLoad, sender: RpcClient, receiver: RpcClient) -> PaymentOutcome {
    let workers = load.workers.max(1);
    let use_wait = load.completion != Completion::Poll;
    let shared = Arc::new(Shared {
        latencies: Mutex::new(Vec::with_capacity(load.payments as usize)),
        load,
        sender,
        receiver,
        next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        use_wait: AtomicBool::new(use_wait),
        abort: AtomicBool::new(false),
        failures: Mutex::new((0, Vec::new())),
    });
    let started = Instant::now();
    let reporter = tokio::spawn(report_progress(Arc::clone(&shared), started));
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        tasks.push(tokio::spawn(worker(Arc::clone(&shared))));
    }
    for task in tasks {
        if let Err(e) = task.await {
            record_failure(&shared, format!("worker task ended abnormally: {e}"));
        }
    }
    let elapsed = started.elapsed();
    reporter.abort();
    let latencies = std::mem::take(&mut *lock(&shared.latencies));
    let (failures, first_failures) = std::mem::take(&mut *lock(&shared.failures));
    PaymentOutcome {
        latencies,
        failures,
        first_failures,
        elapsed,
        completion: if shared.use_wait.load(Ordering::Relaxed) {
            "send_payment wait_timeout_secs"
        } else {
            "polling get_payment_details"
        },
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another worker panicked; its data is still a valid Vec.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn record_failure(shared: &Shared, reason: String) {
    let mut failures = lock(&shared.failures);
    failures.0 += 1;
    if failures.1.len() < KEPT_FAILURES {
        failures.1.push(reason);
    }
}

async fn report_progress(shared: Arc<Shared>, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    loop {
        tick.tick().await;
        let done = shared.done.load(Ordering::Relaxed);
        let failed = lock(&shared.failures).0;
        progress(&format!(
            "{done}/{} payments done ({failed} failed), {:.1}/s so far",
            shared.load.payments,
            done as f64 / started.elapsed().as_secs_f64()
        ));
    }
}

async fn worker(shared: Arc<Shared>) {
    loop {
        let n = shared.next.fetch_add(1, Ordering::Relaxed);
        if n >= shared.load.payments || shared.abort.load(Ordering::Relaxed) {
            return;
        }
        let started = Instant::now();
        match tokio::time::timeout(PAYMENT_TIMEOUT, pay_one(&shared, n)).await {
            Ok(Ok(())) => lock(&shared.latencies).push(started.elapsed()),
            Ok(Err(PayError::Stop(reason))) => {
                shared.abort.store(true, Ordering::Relaxed);
                record_failure(&shared, format!("payment {n}: {reason}; run stopped"));
            }
            Ok(Err(PayError::Failed(reason))) => {
                record_failure(&shared, format!("payment {n}: {reason}"))
            }
            Err(_) => record_failure(
                &shared,
                format!("payment {n}: not final after {PAYMENT_TIMEOUT:?}"),
            ),
        }
        shared.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why a payment did not succeed.
enum PayError {
    Failed(String),
    /// The daemon does not route a method the mode needs: no point going on.
    Stop(String),
}

impl From<String> for PayError {
    fn from(reason: String) -> Self {
        PayError::Failed(reason)
    }
}

impl From<CallError> for PayError {
    fn from(error: CallError) -> Self {
        if is_unknown_method(&error) {
            PayError::Stop(error.to_string())
        } else {
            PayError::Failed(error.to_string())
        }
    }
}

/// One payment from its first call until it is seen `succeeded`.
async fn pay_one(shared: &Shared, n: u64) -> Result<(), PayError> {
    let load = &shared.load;
    let payment = match load.kind {
        PaymentKind::Invoice => {
            let invoice = shared
                .receiver
                .call(
                    "lightning::payments::generate_invoice",
                    json!({
                        "coin": load.coin,
                        "description": format!("bench payment {n}"),
                        "amount_in_msat": load.amount_msat,
                    }),
                )
                .await?;
            let Some(invoice) = invoice.get("invoice").and_then(Value::as_str) else {
                return Err(PayError::Failed(
                    "generate_invoice returned no invoice".into(),
                ));
            };
            json!({"type": "invoice", "invoice": invoice})
        }
        PaymentKind::Keysend => json!({
            "type": "keysend",
            "destination": load.receiver_id,
            "amount_in_msat": load.amount_msat,
            "expiry": KEYSEND_EXPIRY,
            "custom_records": {
                BLIP10_TLV.to_string(): {"json": blip10_record(n, load.amount_msat)}
            },
        }),
    };
    let mut params = json!({"coin": load.coin, "payment": payment});
    let waited = shared.use_wait.load(Ordering::Relaxed);
    if waited {
        params["wait_timeout_secs"] = json!(WAIT_SECS);
    }
    let sent = match shared
        .sender
        .call("lightning::payments::send_payment", params.clone())
        .await
    {
        Ok(sent) => sent,
        Err(e) if waited && load.completion == Completion::Auto && refuses_wait(&e) => {
            // This daemon has no wait option: poll from now on (nothing was sent).
            if shared.use_wait.swap(false, Ordering::Relaxed) {
                progress("send_payment has no wait_timeout_secs here; polling instead");
            }
            if let Some(map) = params.as_object_mut() {
                map.remove("wait_timeout_secs");
            }
            shared
                .sender
                .call("lightning::payments::send_payment", params)
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let Some(hash) = sent.get("payment_hash").and_then(Value::as_str) else {
        return Err(PayError::Failed(
            "send_payment returned no payment_hash".into(),
        ));
    };
    if let Some(done) = status_in(&sent).and_then(final_outcome) {
        return done.map_err(
            |e| match sent.get("failure_reason").and_then(Value::as_str) {
                Some(reason) => PayError::Failed(format!("{e}: {reason}")),
                None => PayError::Failed(e),
            },
        );
    }
    poll_until_final(shared, hash).await
}

/// Whether the daemon refused the request because of the wait param.
fn refuses_wait(error: &CallError) -> bool {
    error.to_string().contains("wait_timeout_secs")
}

/// The payment status in a `send_payment` or `get_payment_details` result, wherever it sits.
pub fn status_in(result: &Value) -> Option<&str> {
    result
        .get("status")
        .or_else(|| result.get("payment_details").and_then(|p| p.get("status")))
        .or_else(|| result.get("payment").and_then(|p| p.get("status")))
        .and_then(Value::as_str)
}

/// `Some` once a status is final: succeeded is success, anything else final is a failure.
pub fn final_outcome(status: &str) -> Option<Result<(), String>> {
    match status {
        "succeeded" => Some(Ok(())),
        "failed" | "expired" | "abandoned" => Some(Err(format!("payment ended {status}"))),
        _ => None,
    }
}

async fn poll_until_final(shared: &Shared, hash: &str) -> Result<(), PayError> {
    loop {
        let details = shared
            .sender
            .call(
                "lightning::payments::get_payment_details",
                json!({"coin": shared.load.coin, "payment_hash": hash}),
            )
            .await?;
        if let Some(done) = status_in(&details).and_then(final_outcome) {
            return Ok(done?);
        }
        tokio::time::sleep(shared.load.poll_interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blip10_record_is_about_200_bytes() {
        let size = serde_json::to_string(&blip10_record(1234, 10_000))
            .map(|s| s.len())
            .unwrap_or(0);
        assert!((150..=260).contains(&size), "record is {size} bytes");
    }

    #[test]
    fn status_is_found_where_the_daemon_puts_it() {
        assert_eq!(status_in(&json!({"status": "pending"})), Some("pending"));
        assert_eq!(
            status_in(&json!({"payment_details": {"status": "succeeded"}})),
            Some("succeeded")
        );
        assert_eq!(status_in(&json!({"payment_hash": "00"})), None);
    }

    #[test]
    fn only_final_statuses_end_a_payment() {
        assert_eq!(final_outcome("succeeded"), Some(Ok(())));
        assert!(matches!(final_outcome("failed"), Some(Err(_))));
        assert_eq!(final_outcome("pending"), None);
    }
}
