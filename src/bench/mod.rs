//! `mmln bench`: the benchmark program (never run by `cargo test`; tests check behaviour, this
//! measures). It builds what it measures in this process and drives it through the public RPC
//! over HTTP, printing one JSON report on stdout and progress lines on stderr.
//!
//! - `invoice`: W workers; each asks the receiver for an invoice and the sender to pay it;
//! - `keysend`: the same with keysend and a ~200-byte bLIP-10 record;
//! - `ledger`: a ledger of N payments, every filter and paging option timed, direct and RPC.
//!
//! ```text
//! cargo run --release -- bench invoice --workers 100 --payments 10000
//! ```

pub mod client;
pub mod ledger_mode;
pub mod load;
pub mod network;
pub mod payments;
pub mod report;
pub mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;

use self::network::{BenchNetwork, NetworkOptions};
use self::payments::{Completion, PaymentKind, PaymentLoad};
use self::report::{progress, Durability, ProcessUsage, UsageDelta};
use self::stats::{rate_per_sec, round3, LatencyStats};

/// Targets of the payment modes, reported (never asserted).
pub const TARGET_PAYMENTS_PER_SEC: f64 = 150.0;
pub const TARGET_P50_MS: f64 = 250.0;

/// Why a benchmark could not produce figures.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("setting up the benchmark failed: {0}")]
    SetupFailed(String),
    #[error("the benchmark run failed: {0}")]
    RunFailed(String),
    #[error("could not write the report: {0}")]
    ReportFailed(#[from] std::io::Error),
}

/// `mmln bench <mode>`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub mode: BenchMode,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchMode {
    /// W workers: generate_invoice on the receiver, send_payment on the sender, wait.
    Invoice(PaymentArgs),
    /// W workers: keysend with a ~200-byte bLIP-10 (7629169) record, wait.
    Keysend(PaymentArgs),
    /// Fill a ledger, time every filter and paging option and get_payment_details.
    Ledger(LedgerArgs),
    /// N concurrent clients (keep-alive HTTP, WebSocket, slow trickling bodies) on one daemon:
    /// mixed reads and payments; throughput, error classes, p99, peak RSS.
    Load(load::LoadArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct PaymentArgs {
    /// Concurrent workers.
    #[arg(long, default_value_t = 100)]
    pub workers: usize,
    /// Payments in all.
    #[arg(long, default_value_t = 10_000)]
    pub payments: u64,
    /// Amount of each payment.
    #[arg(long, default_value_t = 10_000)]
    pub amount_msat: u64,
    /// Channels from sender to receiver.
    #[arg(long, default_value_t = 1)]
    pub channels: u32,
    /// Size of each channel.
    #[arg(long, default_value_t = 10_000_000)]
    pub channel_sat: u64,
    /// How workers learn outcomes: send_payment's wait, polling, or auto (wait if supported).
    #[arg(long, value_enum, default_value_t = CompletionArg::Auto)]
    pub completion: CompletionArg,
    /// Interval between get_payment_details polls.
    #[arg(long, default_value_t = 20)]
    pub poll_ms: u64,
    /// Where the chain and nodes live during the run (removed afterwards). Default: a fresh
    /// directory under the system temp dir.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompletionArg {
    Auto,
    Wait,
    Poll,
}

#[derive(Debug, Clone, clap::Args)]
pub struct LedgerArgs {
    /// Payments in the ledger.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Timed calls per query kind.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Directory of the ledger, kept between runs. Default: <temp>/mmln-bench-ledger-<rows>.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Delete the directory first and fill again.
    #[arg(long)]
    pub fresh: bool,
    /// Time only the direct queries, not the RPC.
    #[arg(long)]
    pub skip_rpc: bool,
}

/// Runs the benchmark; the exit code is non-zero when it could not run or a payment failed.
pub fn run(args: BenchArgs) -> ExitCode {
    // Quiet by default: a log line per payment would be part of what is measured. RUST_LOG
    // turns logs on for a profile of one run (e.g. `RUST_LOG=ldk=debug`).
    let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_string());
    crate::app::init_tracing(Some(&level));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match args.mode {
            BenchMode::Invoice(a) => run_payments(PaymentKind::Invoice, a).await,
            BenchMode::Keysend(a) => run_payments(PaymentKind::Keysend, a).await,
            BenchMode::Ledger(a) => run_ledger(a).await,
            BenchMode::Load(a) => load::run(a).await,
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The payment modes' report.
#[derive(Debug, Serialize)]
struct PaymentReport {
    mode: &'static str,
    workers: usize,
    payments: u64,
    amount_msat: u64,
    channels: u32,
    channel_sat: u64,
    completion: &'static str,
    setup_secs: f64,
    duration_secs: f64,
    payments_per_sec: f64,
    succeeded: usize,
    failures: u64,
    first_failures: Vec<String>,
    latency_ms: LatencyStats,
    /// CPU and peak RSS during the payment phase.
    nodes: UsageDelta,
    durability: Durability,
    /// LDK store commits (fsync groups) on both nodes during the payment phase.
    ldk_store: StoreFigures,
    /// Sizes of the LDK state each commit rewrites, at the end of the run.
    ldk_state_bytes: StateSizes,
    /// Each node's ledger: writes and the commits (fsyncs) they shared, payment phase.
    ledger: NodePair<LedgerFigures>,
    /// Each node's persistence loop during the payment phase (see `FlushFigures`).
    flushes: NodePair<FlushFigures>,
    /// Each node's LDK event handling during the payment phase (see `EventFigures`).
    events: NodePair<EventFigures>,
    targets: PaymentTargets,
}

#[derive(Debug, Serialize)]
struct StoreFigures {
    commits: u64,
    writes: u64,
    commits_per_payment: f64,
    max_writes_per_commit: u64,
    /// Value bytes written per commit, on average: mostly the ChannelManager's encoding.
    bytes_per_commit: u64,
}

#[derive(Debug, Serialize)]
struct NodePair<T> {
    sender: T,
    receiver: T,
}

fn flush_stats(network: &BenchNetwork) -> NodePair<crate::node::durable::FlushStats> {
    NodePair {
        sender: network.sender.node().flush_stats(),
        receiver: network.receiver.node().flush_stats(),
    }
}

fn ledger_stats(network: &BenchNetwork) -> NodePair<crate::ledger::WriterStats> {
    NodePair {
        sender: network.sender.ledger().writer_stats(),
        receiver: network.receiver.ledger().writer_stats(),
    }
}

/// One node's ledger writes and the commits that made them durable (group commit: many writes
/// share one fsync, see ledger/writer.rs).
#[derive(Debug, Serialize)]
struct LedgerFigures {
    writes: u64,
    commits: u64,
    writes_per_commit: f64,
}

impl LedgerFigures {
    fn between(before: &crate::ledger::WriterStats, after: &crate::ledger::WriterStats) -> Self {
        let writes = after.writes - before.writes;
        let commits = after.commits - before.commits;
        LedgerFigures {
            writes,
            commits,
            writes_per_commit: round3(writes as f64 / commits.max(1) as f64),
        }
    }
}

fn event_stats(network: &BenchNetwork) -> NodePair<crate::node::events::EventStats> {
    NodePair {
        sender: network.sender.node().event_stats(),
        receiver: network.receiver.node().event_stats(),
    }
}

/// One node's event handling: LDK hands events over one at a time, and a payment's ledger
/// writes happen there, so `busy` near 1 means this serial stage bounds the throughput.
#[derive(Debug, Serialize)]
struct EventFigures {
    events: u64,
    handling_ms_mean: f64,
    /// Fraction of the run's wall time spent handling events.
    busy: f64,
}

impl EventFigures {
    fn between(
        before: &crate::node::events::EventStats,
        after: &crate::node::events::EventStats,
        elapsed: Duration,
    ) -> EventFigures {
        let events = after.events - before.events;
        let us = after.handling_us - before.handling_us;
        EventFigures {
            events,
            handling_ms_mean: round3(us as f64 / 1000.0 / events.max(1) as f64),
            busy: round3(us as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9)),
        }
    }
}

/// One node's flushes (ChannelManager + the monitor writes it releases, one commit each):
/// how many, how many staged entries each took, and the share of the run spent encoding the
/// manager (under its write lock, which stops every channel), committing, and releasing.
#[derive(Debug, Serialize)]
struct FlushFigures {
    flushes: u64,
    /// Flushes that wrote the manager and no monitor change.
    manager_only: u64,
    entries_per_flush: f64,
    encode_ms_mean: f64,
    /// Committing the ledger's deferred event writes first (durable.rs, step 5).
    ledger_commit_ms_mean: f64,
    commit_ms_mean: f64,
    release_ms_mean: f64,
    /// Fraction of the run's wall time the loop spent in flushes.
    busy: f64,
}

impl FlushFigures {
    fn between(
        before: &crate::node::durable::FlushStats,
        after: &crate::node::durable::FlushStats,
        elapsed: Duration,
    ) -> FlushFigures {
        let flushes = after.flushes - before.flushes;
        let per = |us: u64| round3(us as f64 / 1000.0 / flushes.max(1) as f64);
        let barrier = after.barrier_us - before.barrier_us;
        let (encode, commit, release) = (
            after.encode_us - before.encode_us,
            after.commit_us - before.commit_us,
            after.release_us - before.release_us,
        );
        FlushFigures {
            flushes,
            manager_only: after.manager_only - before.manager_only,
            entries_per_flush: round3(
                (after.entries - before.entries) as f64 / flushes.max(1) as f64,
            ),
            encode_ms_mean: per(encode),
            ledger_commit_ms_mean: per(barrier),
            commit_ms_mean: per(commit),
            release_ms_mean: per(release),
            busy: round3(
                (encode + barrier + commit + release) as f64
                    / 1e6
                    / elapsed.as_secs_f64().max(1e-9),
            ),
        }
    }
}

#[derive(Debug, Serialize)]
struct StateSizes {
    sender: NodeStateSize,
    receiver: NodeStateSize,
}

/// The stored ChannelManager and ChannelMonitors of one node: what a flush encodes and writes
/// whole, so their growth during a run is what slows each flush.
#[derive(Debug, Serialize)]
struct NodeStateSize {
    channel_manager: u64,
    channel_monitors: u64,
}

impl NodeStateSize {
    fn of(app: &crate::app::AppHandle) -> NodeStateSize {
        use crate::kvstore::KvKey;
        use lightning::util::persist::{
            CHANNEL_MANAGER_PERSISTENCE_KEY, CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
            CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
            CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE,
            CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE,
        };
        let kv = app.node().store().kv();
        let size = |key: KvKey| kv.get(&key).ok().flatten().map_or(0, |v| v.len() as u64);
        let channel_manager = size(KvKey::new(
            CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
            CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
            CHANNEL_MANAGER_PERSISTENCE_KEY,
        ));
        let channel_monitors = kv
            .list(
                CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE,
                CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE,
            )
            .unwrap_or_default()
            .into_iter()
            .map(|name| {
                size(KvKey::new(
                    CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE,
                    CHANNEL_MONITOR_PERSISTENCE_SECONDARY_NAMESPACE,
                    &name,
                ))
            })
            .sum();
        NodeStateSize {
            channel_manager,
            channel_monitors,
        }
    }
}

/// Store counters of both nodes, summed (max batch: the larger).
fn store_stats(network: &BenchNetwork) -> crate::kvstore::KvStats {
    let (s, r) = (
        network.sender.node().store().kv().stats(),
        network.receiver.node().store().kv().stats(),
    );
    crate::kvstore::KvStats {
        commits: s.commits + r.commits,
        requests: s.requests + r.requests,
        ops: s.ops + r.ops,
        max_batch: s.max_batch.max(r.max_batch),
        bytes: s.bytes + r.bytes,
    }
}

#[derive(Debug, Serialize)]
struct PaymentTargets {
    payments_per_sec: f64,
    p50_ms: f64,
    failures: u64,
    met: bool,
}

async fn run_payments(kind: PaymentKind, args: PaymentArgs) -> Result<bool, BenchError> {
    let setup_started = Instant::now();
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("mmln-bench-{:016x}", rand::random::<u64>()))
    });
    let network = BenchNetwork::start(&NetworkOptions {
        dir,
        channels: args.channels.max(1),
        channel_sat: args.channel_sat,
        sender_rpc: None,
    })
    .await?;
    let setup = setup_started.elapsed();
    progress(&format!(
        "network ready in {:.1} s; {} mode: {} payments of {} msat by {} workers",
        setup.as_secs_f64(),
        kind.name(),
        args.payments,
        args.amount_msat,
        args.workers
    ));
    let clients = (
        client::RpcClient::new(network.sender.rpc_addr(), &network.rpc_password),
        client::RpcClient::new(network.receiver.rpc_addr(), &network.rpc_password),
    );
    let (sender, receiver) = match clients {
        (Ok(s), Ok(r)) => (s, r),
        (Err(e), _) | (_, Err(e)) => {
            network.shutdown().await;
            return Err(BenchError::SetupFailed(e.to_string()));
        }
    };
    let load = PaymentLoad {
        kind,
        workers: args.workers,
        payments: args.payments,
        amount_msat: args.amount_msat,
        completion: match args.completion {
            CompletionArg::Auto => Completion::Auto,
            CompletionArg::Wait => Completion::Wait,
            CompletionArg::Poll => Completion::Poll,
        },
        poll_interval: Duration::from_millis(args.poll_ms.max(1)),
        coin: network.sender.config().coin_ticker(),
        receiver_id: network.receiver.node().node_id().to_string(),
    };
    let before = ProcessUsage::now();
    let store_before = store_stats(&network);
    let flushes_before = flush_stats(&network);
    let events_before = event_stats(&network);
    let ledger_before = ledger_stats(&network);
    let outcome = payments::run(load, sender, receiver).await;
    let after = ProcessUsage::now();
    let store_after = store_stats(&network);
    let flushes_after = flush_stats(&network);
    let events_after = event_stats(&network);
    let ledger_after = ledger_stats(&network);
    let state_sizes = StateSizes {
        sender: NodeStateSize::of(&network.sender),
        receiver: NodeStateSize::of(&network.receiver),
    };
    network.shutdown().await;
    let commits = store_after.commits - store_before.commits;

    let latency = LatencyStats::from_samples(&outcome.latencies);
    let rate = rate_per_sec(outcome.latencies.len() as u64, outcome.elapsed);
    let report = PaymentReport {
        mode: kind.name(),
        workers: args.workers,
        payments: args.payments,
        amount_msat: args.amount_msat,
        channels: args.channels.max(1),
        channel_sat: args.channel_sat,
        completion: outcome.completion,
        setup_secs: round3(setup.as_secs_f64()),
        duration_secs: round3(outcome.elapsed.as_secs_f64()),
        payments_per_sec: rate,
        succeeded: outcome.latencies.len(),
        failures: outcome.failures,
        first_failures: outcome.first_failures,
        latency_ms: latency,
        nodes: UsageDelta::between(before, after, outcome.elapsed.as_secs_f64()),
        durability: Durability::production(),
        ldk_store: StoreFigures {
            commits,
            writes: store_after.requests - store_before.requests,
            commits_per_payment: round3(commits as f64 / outcome.latencies.len().max(1) as f64),
            max_writes_per_commit: store_after.max_batch,
            bytes_per_commit: (store_after.bytes - store_before.bytes) / commits.max(1),
        },
        ldk_state_bytes: state_sizes,
        events: NodePair {
            sender: EventFigures::between(
                &events_before.sender,
                &events_after.sender,
                outcome.elapsed,
            ),
            receiver: EventFigures::between(
                &events_before.receiver,
                &events_after.receiver,
                outcome.elapsed,
            ),
        },
        ledger: NodePair {
            sender: LedgerFigures::between(&ledger_before.sender, &ledger_after.sender),
            receiver: LedgerFigures::between(&ledger_before.receiver, &ledger_after.receiver),
        },
        flushes: NodePair {
            sender: FlushFigures::between(
                &flushes_before.sender,
                &flushes_after.sender,
                outcome.elapsed,
            ),
            receiver: FlushFigures::between(
                &flushes_before.receiver,
                &flushes_after.receiver,
                outcome.elapsed,
            ),
        },
        targets: PaymentTargets {
            payments_per_sec: TARGET_PAYMENTS_PER_SEC,
            p50_ms: TARGET_P50_MS,
            failures: 0,
            met: rate >= TARGET_PAYMENTS_PER_SEC
                && latency.p50_ms < TARGET_P50_MS
                && outcome.failures == 0,
        },
    };
    report::print_json(&report)?;
    Ok(outcome.failures == 0)
}

/// Ledger mode's report.
#[derive(Debug, Serialize)]
struct LedgerReport {
    mode: &'static str,
    #[serde(flatten)]
    figures: ledger_mode::LedgerFigures,
    process: UsageDelta,
    durability: Durability,
}

async fn run_ledger(args: LedgerArgs) -> Result<bool, BenchError> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("mmln-bench-ledger-{}", args.rows)));
    let started = Instant::now();
    let before = ProcessUsage::now();
    let figures = ledger_mode::run(ledger_mode::LedgerLoad {
        rows: args.rows,
        samples: args.samples.max(1),
        dir,
        fresh: args.fresh,
        skip_rpc: args.skip_rpc,
    })
    .await?;
    let after = ProcessUsage::now();
    report::print_json(&LedgerReport {
        mode: "ledger",
        figures,
        process: UsageDelta::between(before, after, started.elapsed().as_secs_f64()),
        durability: Durability::production(),
    })?;
    Ok(true)
}
