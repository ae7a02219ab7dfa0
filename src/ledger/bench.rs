//! Ledger-mode benchmark: fill the ledger with N synthetic payments, then time every filter
//! kind, every paging option and `get_payment`. Called by the benchmark program, never by
//! `cargo test` (tests check behaviour; the benchmark measures).

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::params;
use rusqlite::types::Value;

use crate::ledger::error::LedgerError;
use crate::ledger::model::{IndexKind, Paging, PaymentFilter, PaymentStatus, PaymentTypeFilter};
use crate::ledger::query::{conditions_for, list_sql, RangeAccess};
use crate::ledger::row::to_db_u64;
use crate::ledger::{Ledger, LedgerOptions, Synchronous};

/// Rows inserted per transaction while filling.
const FILL_BATCH: u64 = 50_000;
/// Distinct destinations in the synthetic data.
const DESTINATIONS: u64 = 50;
/// Words descriptions are made of.
const WORDS: [&str; 12] = [
    "burger", "coffee", "boost", "stream", "podcast", "invoice", "rent", "pizza", "tip", "spinach",
    "almanac", "delorean",
];
/// The synthetic data's clock starts here and spans a year.
const EPOCH: u64 = 1_700_000_000;
const SPAN_SECS: u64 = 365 * 24 * 3600;

/// A small deterministic generator (splitmix64), so runs are comparable.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The hash of synthetic row `i` (unique per `i`).
pub fn synthetic_hash(i: u64) -> [u8; 32] {
    let mut rng = Rng::new(i);
    let mut hash = [0u8; 32];
    hash[..8].copy_from_slice(&i.to_be_bytes());
    for chunk in hash[8..].chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_be_bytes()[..chunk.len()]);
    }
    hash
}

/// The destination node id number `n` of the synthetic data.
pub fn synthetic_destination(n: u64) -> [u8; 33] {
    let mut key = [0u8; 33];
    key[0] = 2;
    key[1..9].copy_from_slice(&n.to_be_bytes());
    key
}

/// Appends `rows` synthetic payments in large transactions, bypassing the per-payment write
/// path (which is measured by the payment benchmarks, not this one).
pub fn fill(ledger: &Ledger, rows: u64, seed: u64) -> Result<Duration, LedgerError> {
    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut done = 0;
    while done < rows {
        let batch = FILL_BATCH.min(rows - done);
        ledger.write(|tx| {
            let base: i64 = tx.query_row(
                "SELECT value FROM ledger_counters WHERE name = 'payments_created'",
                [],
                |row| row.get(0),
            )?;
            let updated_base: i64 = tx.query_row(
                "SELECT value FROM ledger_counters WHERE name = 'payments_updated'",
                [],
                |row| row.get(0),
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO payments (payment_hash, direction, kind, destination, description, \
                 amount_msat, fee_paid_msat, status, created_at, last_updated, created_index, \
                 updated_index, attempts) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut record = tx.prepare_cached(
                "INSERT INTO payment_custom_records (payment_id, key, value) VALUES (?1, ?2, ?3)",
            )?;
            for j in 0..batch {
                let n = base as u64 + j + 1;
                let outbound = rng.below(2) == 0;
                let keysend = rng.below(10) < 3;
                let status = match rng.below(100) {
                    0..=69 => PaymentStatus::Succeeded,
                    70..=84 => PaymentStatus::Failed,
                    85..=94 => PaymentStatus::Pending,
                    _ if outbound => PaymentStatus::Pending,
                    _ => PaymentStatus::Claimable,
                };
                let created_at = EPOCH + rng.below(SPAN_SECS);
                let last_updated = created_at + rng.below(600);
                let amount = 1000 * (1 + rng.below(1_000_000));
                let fee = (outbound && status == PaymentStatus::Succeeded)
                    .then(|| rng.below(amount / 100 + 1));
                let description = if keysend {
                    if outbound {
                        String::new()
                    } else {
                        "keysend".to_string()
                    }
                } else {
                    let w = rng.below(WORDS.len() as u64) as usize;
                    format!("{} #{}", WORDS[w], rng.below(10_000))
                };
                let destination = outbound.then(|| synthetic_destination(rng.below(DESTINATIONS)));
                insert.execute(params![
                    &synthetic_hash(n)[..],
                    if outbound { "outbound" } else { "inbound" },
                    if keysend { "keysend" } else { "invoice" },
                    destination.as_ref().map(|d| &d[..]),
                    description,
                    to_db_u64(amount)?,
                    fee.map(to_db_u64).transpose()?,
                    status.as_str(),
                    to_db_u64(created_at)?,
                    to_db_u64(last_updated)?,
                    n as i64,
                    updated_base + j as i64 + 1,
                    u32::from(outbound),
                ])?;
                if keysend && !outbound {
                    let value = format!(
                        "{{\"action\":\"stream\",\"podcast\":\"Podcasting 2.0\",\"feedID\":\"{}\",\
                         \"episode\":\"Episode {}\",\"ts\":{},\"value_msat_total\":{amount}}}",
                        rng.below(1_000_000),
                        rng.below(500),
                        rng.below(3600)
                    );
                    record.execute(params![
                        tx.last_insert_rowid(),
                        7629169i64,
                        value.as_bytes()
                    ])?;
                }
            }
            tx.execute(
                "UPDATE ledger_counters SET value = value + ?1 \
                 WHERE name IN ('payments_created', 'payments_updated')",
                [batch as i64],
            )?;
            Ok(())
        })?;
        done += batch;
    }
    ledger.write(|tx| Ok(tx.execute_batch("ANALYZE")?))?;
    Ok(started.elapsed())
}

/// Latency figures of one query kind, in microseconds.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    pub name: &'static str,
    pub samples: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// One query kind of the benchmark: a name, and how to draw its arguments.
type Case = (&'static str, fn(&mut Rng, u64) -> (PaymentFilter, Paging));

fn case_filters() -> Vec<Case> {
    fn page(rng: &mut Rng, rows: u64) -> Paging {
        Paging::PageNumber(1 + rng.below(rows / 10 / 4 + 1))
    }
    vec![
        ("no_filter_page_1", |_, _| {
            (PaymentFilter::default(), Paging::PageNumber(1))
        }),
        ("no_filter_deep_page", |r, n| {
            (PaymentFilter::default(), page(r, n))
        }),
        ("no_filter_from_id", |r, n| {
            (
                PaymentFilter::default(),
                Paging::FromId(synthetic_hash(1 + r.below(n))),
            )
        }),
        ("inbound", |_, _| {
            (
                PaymentFilter {
                    payment_type: Some(PaymentTypeFilter::Inbound),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("outbound", |_, _| {
            (
                PaymentFilter {
                    payment_type: Some(PaymentTypeFilter::Outbound { destination: None }),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("outbound_destination", |r, _| {
            (
                PaymentFilter {
                    payment_type: Some(PaymentTypeFilter::Outbound {
                        destination: Some(synthetic_destination(r.below(DESTINATIONS))),
                    }),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("status_pending", |_, _| {
            (
                PaymentFilter {
                    status: Some(PaymentStatus::Pending),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("description", |r, _| {
            (
                PaymentFilter {
                    description: Some(WORDS[r.below(WORDS.len() as u64) as usize].to_string()),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("description_rare", |r, _| {
            (
                PaymentFilter {
                    description: Some(format!("#{}", 1000 + r.below(9000))),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("amount_range", |r, _| {
            let from = 1000 * r.below(1_000_000);
            (
                PaymentFilter {
                    from_amount_msat: Some(from),
                    to_amount_msat: Some(from + 10_000_000),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("fee_range", |r, _| {
            let from = r.below(1_000_000);
            (
                PaymentFilter {
                    from_fee_paid_msat: Some(from),
                    to_fee_paid_msat: Some(from + 10_000),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("timestamp_day", |r, _| {
            let from = EPOCH + r.below(SPAN_SECS);
            (
                PaymentFilter {
                    from_timestamp: Some(from),
                    to_timestamp: Some(from + 86_400),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("combined", |r, _| {
            let from = 1000 * r.below(900_000);
            (
                PaymentFilter {
                    payment_type: Some(PaymentTypeFilter::Outbound { destination: None }),
                    status: Some(PaymentStatus::Succeeded),
                    from_amount_msat: Some(from),
                    to_amount_msat: Some(from + 100_000_000),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("status_deep_page", |r, n| {
            (
                PaymentFilter {
                    status: Some(PaymentStatus::Succeeded),
                    ..Default::default()
                },
                page(r, n / 2),
            )
        }),
    ]
}

fn percentile(sorted: &[Duration], p: f64) -> u64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(idx).map_or(0, |d| d.as_micros() as u64)
}

fn timing(name: &'static str, mut samples: Vec<Duration>) -> QueryTiming {
    samples.sort();
    QueryTiming {
        name,
        samples: samples.len(),
        p50_us: percentile(&samples, 0.50),
        p99_us: percentile(&samples, 0.99),
        max_us: samples.last().map_or(0, |d| d.as_micros() as u64),
    }
}

/// Times every query kind `samples` times over a ledger holding `rows` synthetic payments
/// (as filled by [`fill`]), with limit 10 (the wire default).
pub fn time_queries(
    ledger: &Ledger,
    rows: u64,
    samples: usize,
    seed: u64,
) -> Result<Vec<QueryTiming>, LedgerError> {
    let mut rng = Rng::new(seed);
    let mut timings = Vec::new();
    let mut measured = Vec::with_capacity(samples);
    for _ in 0..samples {
        let hash = synthetic_hash(1 + rng.below(rows));
        let start = Instant::now();
        ledger.get_payment(&hash)?;
        measured.push(start.elapsed());
    }
    timings.push(timing("get_payment", std::mem::take(&mut measured)));
    for (name, draw) in case_filters() {
        for _ in 0..samples {
            let (filter, paging) = draw(&mut rng, rows);
            let start = Instant::now();
            match ledger.list_payments(&filter, 10, paging) {
                // A random anchor may be absent from the filtered set; still a full query.
                Ok(_) | Err(LedgerError::NoSuchPayment(_)) => {}
                Err(e) => return Err(e),
            }
            measured.push(start.elapsed());
        }
        timings.push(timing(name, std::mem::take(&mut measured)));
    }
    for _ in 0..samples {
        let start = Instant::now();
        ledger.list_by_index(IndexKind::Updated, 1 + rng.below(rows), 100)?;
        measured.push(start.elapsed());
    }
    timings.push(timing("by_updated_index_100", measured));
    Ok(timings)
}

/// `EXPLAIN QUERY PLAN` of the count and page statements for each query kind.
pub fn query_plans(ledger: &Ledger, rows: u64) -> Result<Vec<(String, Vec<String>)>, LedgerError> {
    let mut rng = Rng::new(1);
    let mut plans = Vec::new();
    for (name, draw) in case_filters() {
        let (filter, paging) = draw(&mut rng, rows);
        // Both ways a page can be written; `list_payments` picks one per call.
        for (access, tag) in [
            (RangeAccess::Indexed, "indexed"),
            (RangeAccess::RowCheck, "walk"),
        ] {
            let c = conditions_for(&filter, access);
            let sql = list_sql(&c);
            let statements = match paging {
                Paging::PageNumber(_) => [("count", sql.count), ("page", sql.page_by_offset)],
                Paging::FromId(_) => [
                    ("skipped", sql.skipped_to_anchor),
                    ("page", sql.page_after_anchor),
                ],
            };
            for (label, statement) in statements {
                if access == RangeAccess::RowCheck && label != "page" {
                    continue;
                }
                // Placeholder values for the paging parameters that follow the filter's.
                let mut params = c.params.clone();
                params.extend([Value::Integer(0), Value::Integer(0), Value::Integer(10)]);
                let lines = ledger.read(|tx| {
                    let mut stmt = tx.prepare(&format!("EXPLAIN QUERY PLAN {statement}"))?;
                    params.truncate(stmt.parameter_count());
                    let rows = stmt
                        .query_map(rusqlite::params_from_iter(params.iter()), |row| {
                            row.get::<_, String>(3)
                        })?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })?;
                plans.push((format!("{name}/{label}/{tag}"), lines));
            }
        }
    }
    Ok(plans)
}

/// Everything one ledger benchmark run measured, with the durability setting it ran under.
#[derive(Debug, Clone)]
pub struct LedgerBenchReport {
    pub rows: u64,
    pub synchronous: Synchronous,
    /// `None` when the file already held the rows and the fill was skipped.
    pub fill: Option<Duration>,
    pub timings: Vec<QueryTiming>,
    pub plans: Vec<(String, Vec<String>)>,
}

/// Opens (or creates) the ledger at `path`, fills it to `rows` synthetic payments unless it
/// already holds them (so repeated runs reuse the file), and times every query kind.
pub fn run(
    path: &Path,
    rows: u64,
    samples: usize,
    synchronous: Synchronous,
) -> Result<LedgerBenchReport, LedgerError> {
    let options = LedgerOptions {
        synchronous,
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(path, options)?;
    let present = ledger.read(|tx| {
        Ok(tx.query_row("SELECT count(*) FROM payments", [], |row| {
            row.get::<_, i64>(0)
        })?)
    })?;
    let fill = if (present as u64) < rows {
        Some(self::fill(&ledger, rows - present as u64, 0x5eed)?)
    } else {
        None
    };
    Ok(LedgerBenchReport {
        rows,
        synchronous,
        fill,
        timings: time_queries(&ledger, rows, samples, 0xbe7c4)?,
        plans: query_plans(&ledger, rows)?,
    })
}
