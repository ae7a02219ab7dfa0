//! Ledger mode: a ledger of N synthetic payments (1,000,000 by default), then every filter kind,
//! every paging option and `get_payment_details` timed twice:
//! - direct: the library's own query path (`ledger::bench`), no HTTP;
//! - rpc: the same kinds of query through a daemon started on that ledger file, over HTTP,
//!   one call at a time (latency, not throughput).
//!
//! The ledger lives in a directory kept between runs (filling a million rows takes a while);
//! `--fresh` starts over.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::ledger::bench::{
    synthetic_destination, synthetic_hash, Rng, APPS, DESTINATIONS, EPOCH, PODCASTS, SPAN_SECS,
    WALLETS, WORDS,
};
use crate::ledger::Synchronous;

use super::client::{is_unknown_method, RpcClient};
use super::network::{daemon_config, random_password, start_chain, start_daemon};
use super::report::progress;
use super::stats::{round3, LatencyStats};
use super::BenchError;

/// Where the daemon keeps its ledger, relative to its data directory.
const LEDGER_FILE: &str = "mmln.sqlite";
/// Page size of every list query (the wire default).
const LIMIT: u64 = 10;

/// What ledger mode needs.
pub struct LedgerLoad {
    pub rows: u64,
    pub samples: usize,
    pub dir: PathBuf,
    pub fresh: bool,
    pub skip_rpc: bool,
}

/// One query kind's figures.
#[derive(Debug, Serialize)]
pub struct QueryFigures {
    pub query: String,
    pub samples: usize,
    pub p50_ms: f64,
    /// The direct run's figures have no p95.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub meets_p99_target: bool,
}

/// Ledger mode's report section.
#[derive(Debug, Serialize)]
pub struct LedgerFigures {
    pub rows: u64,
    pub samples_per_query: usize,
    pub fill_secs: Option<f64>,
    pub target_p99_ms: f64,
    pub direct: Vec<QueryFigures>,
    /// `None` with `rpc_skipped` saying why when the RPC half was not run.
    pub rpc: Option<Vec<QueryFigures>>,
    pub rpc_skipped: Option<String>,
    pub worst_p99_ms: f64,
}

/// Target: every query's p99 at or under this at 1,000,000 rows (the persistence issue's figure).
pub const TARGET_P99_MS: f64 = 10.0;

pub async fn run(load: LedgerLoad) -> Result<LedgerFigures, BenchError> {
    if load.fresh && load.dir.exists() {
        std::fs::remove_dir_all(&load.dir).map_err(|e| {
            BenchError::SetupFailed(format!("removing {}: {e}", load.dir.display()))
        })?;
    }
    let node_dir = load.dir.join("node");
    std::fs::create_dir_all(&node_dir)
        .map_err(|e| BenchError::SetupFailed(format!("creating {}: {e}", node_dir.display())))?;
    let path = node_dir.join(LEDGER_FILE);
    progress(&format!(
        "ledger {}: filling to {} rows (reused when already there) and timing direct queries",
        path.display(),
        load.rows
    ));
    let (rows, samples) = (load.rows, load.samples);
    let direct_path = path.clone();
    let report = tokio::task::spawn_blocking(move || {
        crate::ledger::bench::run(&direct_path, rows, samples, Synchronous::Full)
    })
    .await
    .map_err(|e| BenchError::RunFailed(format!("the direct ledger run ended abnormally: {e}")))?
    .map_err(|e| BenchError::RunFailed(format!("direct ledger run: {e}")))?;
    if let Some(fill) = report.fill {
        progress(&format!("filled in {:.1} s", fill.as_secs_f64()));
    }
    let direct: Vec<QueryFigures> = report
        .timings
        .iter()
        .map(|t| {
            let us = |v: u64| round3(v as f64 / 1000.0);
            QueryFigures {
                query: t.name.to_string(),
                samples: t.samples,
                p50_ms: us(t.p50_us),
                p95_ms: None,
                p99_ms: us(t.p99_us),
                max_ms: us(t.max_us),
                meets_p99_target: us(t.p99_us) <= TARGET_P99_MS,
            }
        })
        .collect();

    let (rpc, rpc_skipped) = if load.skip_rpc {
        (None, Some("--skip-rpc given".to_string()))
    } else {
        progress("starting a daemon on the filled ledger to time the RPC");
        match time_rpc(&load.dir, rows, samples).await? {
            Ok(figures) => (Some(figures), None),
            Err(reason) => (None, Some(reason)),
        }
    };
    let worst_p99_ms = direct
        .iter()
        .chain(rpc.iter().flatten())
        .map(|q| q.p99_ms)
        .fold(0.0, f64::max);
    Ok(LedgerFigures {
        rows,
        samples_per_query: samples,
        fill_secs: report.fill.map(|d| round3(d.as_secs_f64())),
        target_p99_ms: TARGET_P99_MS,
        direct,
        rpc,
        rpc_skipped,
        worst_p99_ms,
    })
}

/// Starts a chain and a daemon on `dir` (chain state kept next to the ledger, so the node
/// finds the chain it synced to on the previous run) and times every query over HTTP.
/// `Ok(Err(reason))` when the daemon does not route the payment methods.
async fn time_rpc(
    dir: &std::path::Path,
    rows: u64,
    samples: usize,
) -> Result<Result<Vec<QueryFigures>, String>, BenchError> {
    let chain = start_chain(Some(&dir.join("chain"))).await?;
    let password = random_password();
    let app = match start_daemon("ledger", daemon_config(dir.join("node"), &password, &chain)).await
    {
        Ok(app) => app,
        Err(e) => {
            let _ = chain.shutdown().await;
            return Err(e);
        }
    };
    let coin = app.config().coin_ticker();
    let result = match RpcClient::new(app.rpc_addr(), &password) {
        Ok(client) => time_rpc_queries(&client, &coin, rows, samples).await,
        Err(e) => Err(BenchError::SetupFailed(e.to_string())),
    };
    if let Err(e) = app.shutdown().await {
        progress(&format!("warning: stopping the daemon: {e}"));
    }
    if let Err(e) = chain.shutdown().await {
        progress(&format!("warning: stopping the chain: {e}"));
    }
    result
}

async fn time_rpc_queries(
    client: &RpcClient,
    coin: &str,
    rows: u64,
    samples: usize,
) -> Result<Result<Vec<QueryFigures>, String>, BenchError> {
    let mut rng = Rng::new(0x5eed_1ed9);
    let mut figures = Vec::new();
    let mut cases: Vec<(&str, CallDraw)> = vec![(
        "get_payment_details",
        Box::new(move |r: &mut Rng| {
            let hash = hex::encode(synthetic_hash(1 + r.below(rows)));
            (
                "lightning::payments::get_payment_details",
                json!({"coin": coin, "payment_hash": hash}),
            )
        }),
    )];
    for (name, draw) in list_cases(rows) {
        cases.push((
            name,
            Box::new(move |r: &mut Rng| {
                let (filter, paging) = draw(r);
                let mut params = json!({"coin": coin, "limit": LIMIT, "paging_options": paging});
                if let Some(filter) = filter {
                    params["filter"] = filter;
                }
                ("lightning::payments::list_payments_by_filter", params)
            }),
        ));
    }
    for (name, draw) in cases {
        let mut measured = Vec::with_capacity(samples);
        for _ in 0..samples {
            let (method, params) = draw(&mut rng);
            let started = Instant::now();
            match client.call(method, params).await {
                Ok(_) => {}
                Err(e) if is_unknown_method(&e) => {
                    return Ok(Err(format!("the daemon does not route {method} yet")));
                }
                // A random FromId anchor may be outside the filtered set: still a full query.
                Err(e) if e.error_type() == Some("NoSuchPayment") => {}
                Err(e) => return Err(BenchError::RunFailed(format!("{name}: {e}"))),
            }
            measured.push(started.elapsed());
        }
        figures.push(figures_of(name, &measured));
        progress(&format!("rpc {name}: done"));
    }
    Ok(Ok(figures))
}

fn figures_of(name: &str, measured: &[Duration]) -> QueryFigures {
    let stats = LatencyStats::from_samples(measured);
    QueryFigures {
        query: name.to_string(),
        samples: stats.samples,
        p50_ms: stats.p50_ms,
        p95_ms: Some(stats.p95_ms),
        p99_ms: stats.p99_ms,
        max_ms: stats.max_ms,
        meets_p99_target: stats.p99_ms <= TARGET_P99_MS,
    }
}

/// Draws one call: its method and params.
type CallDraw<'a> = Box<dyn Fn(&mut Rng) -> (&'static str, Value) + 'a>;

type ListCase = (
    &'static str,
    Box<dyn Fn(&mut Rng) -> (Option<Value>, Value)>,
);

/// The wire form of the direct run's query kinds (see `ledger::bench`), over the same data.
fn list_cases(rows: u64) -> Vec<ListCase> {
    let page_1 = || json!({"PageNumber": 1});
    let deep_page =
        move |r: &mut Rng, n: u64| json!({"PageNumber": 1 + r.below(n / LIMIT / 4 + 1)});
    let destination = |r: &mut Rng| hex::encode(synthetic_destination(r.below(DESTINATIONS)));
    let word = |r: &mut Rng| WORDS[r.below(WORDS.len() as u64) as usize].to_string();
    vec![
        ("no_filter_page_1", Box::new(move |_| (None, page_1()))),
        (
            "no_filter_deep_page",
            Box::new(move |r| (None, deep_page(r, rows))),
        ),
        (
            "no_filter_from_id",
            Box::new(move |r| {
                let anchor = hex::encode(synthetic_hash(1 + r.below(rows)));
                (None, json!({"FromId": anchor}))
            }),
        ),
        (
            "inbound",
            Box::new(move |_| {
                (
                    Some(json!({"payment_type": {"type": "Inbound Payment"}})),
                    page_1(),
                )
            }),
        ),
        (
            "outbound_destination",
            Box::new(move |r| {
                let filter = json!({"payment_type": {"type": "Outbound Payment",
                                                     "destination": destination(r)}});
                (Some(filter), page_1())
            }),
        ),
        (
            "status_pending",
            Box::new(move |_| (Some(json!({"status": "pending"})), page_1())),
        ),
        (
            "description",
            Box::new(move |r| (Some(json!({"description": word(r)})), page_1())),
        ),
        (
            "description_rare",
            Box::new(move |r| {
                let text = format!("#{}", 1000 + r.below(9000));
                (Some(json!({"description": text})), page_1())
            }),
        ),
        (
            "amount_range",
            Box::new(move |r| {
                let from = 1000 * r.below(1_000_000);
                let filter = json!({"from_amount_msat": from, "to_amount_msat": from + 10_000_000});
                (Some(filter), page_1())
            }),
        ),
        (
            "fee_range",
            Box::new(move |r| {
                let from = r.below(1_000_000);
                let filter = json!({"from_fee_paid_msat": from, "to_fee_paid_msat": from + 10_000});
                (Some(filter), page_1())
            }),
        ),
        (
            "timestamp_day",
            Box::new(move |r| {
                let from = EPOCH + r.below(SPAN_SECS);
                let filter = json!({"from_timestamp": from, "to_timestamp": from + 86_400});
                (Some(filter), page_1())
            }),
        ),
        (
            "combined",
            Box::new(move |r| {
                let from = 1000 * r.below(900_000);
                let filter = json!({"payment_type": {"type": "Inbound Payment"},
                                    "status": "succeeded",
                                    "from_amount_msat": from,
                                    "to_amount_msat": from + 100_000_000});
                (Some(filter), page_1())
            }),
        ),
        (
            "status_deep_page",
            Box::new(move |r| (Some(json!({"status": "succeeded"})), deep_page(r, rows / 2))),
        ),
        (
            "custom_record_key",
            Box::new(move |_| (Some(json!({"custom_record_key": 7_629_171})), page_1())),
        ),
        (
            "blip10_action_boost",
            Box::new(move |_| (Some(json!({"blip10.action": "boost"})), page_1())),
        ),
        (
            "blip10_podcast",
            Box::new(move |r| {
                let show = format!("Show {}", r.below(PODCASTS));
                (Some(json!({"blip10.podcast": show})), page_1())
            }),
        ),
        (
            "blip10_feed_id",
            Box::new(move |r| {
                let feed = (100_000 + r.below(PODCASTS)).to_string();
                (Some(json!({"blip10.feedID": feed})), page_1())
            }),
        ),
        (
            "blip10_app_name",
            Box::new(move |r| {
                let app = APPS[r.below(APPS.len() as u64) as usize];
                (Some(json!({"blip10.app_name": app})), page_1())
            }),
        ),
        (
            "has_message",
            Box::new(move |_| (Some(json!({"has_message": true})), page_1())),
        ),
        (
            "boostagrams_per_show",
            Box::new(move |r| {
                let show = format!("Show {}", r.below(PODCASTS));
                let filter = json!({"blip10.action": "boost", "blip10.podcast": show,
                                    "has_message": true});
                (Some(filter), page_1())
            }),
        ),
        (
            "wallet_id",
            Box::new(move |r| {
                let wallet = format!("wal_{}", r.below(WALLETS));
                (Some(json!({"wallet_id": wallet})), page_1())
            }),
        ),
        (
            "status_from_id",
            Box::new(move |r| {
                let anchor = hex::encode(synthetic_hash(1 + r.below(rows)));
                (
                    Some(json!({"status": "succeeded"})),
                    json!({"FromId": anchor}),
                )
            }),
        ),
    ]
}
