//! Ledger-mode benchmark: fill the ledger with N synthetic payments, then time every filter
//! kind, every paging option and `get_payment`. Called by the benchmark program, never by
//! `cargo test` (tests check behaviour; the benchmark measures).

mod fill;

pub use fill::{fill, synthetic_destination, synthetic_hash, Rng};

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::types::Value;

use crate::ledger::error::LedgerError;
use crate::ledger::filter::{conditions_for, RangeAccess};
use crate::ledger::model::{
    Blip10Filter, IndexKind, Paging, PaymentFilter, PaymentStatus, PaymentTypeFilter,
};
use crate::ledger::query::list_sql;
use crate::ledger::{Ledger, LedgerOptions, Synchronous};
pub(crate) use fill::{APPS, DESTINATIONS, EPOCH, PODCASTS, SPAN_SECS, WALLETS, WORDS};

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
        // Value for value (migration 9): record keys, bLIP-10 fields, boostagrams, wallets.
        ("custom_record_key", |_, _| {
            (
                PaymentFilter {
                    custom_record_key: Some(7_629_171),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("blip10_action_boost", |_, _| {
            (
                PaymentFilter {
                    blip10: Blip10Filter {
                        action: Some("boost".into()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("blip10_podcast", |r, _| {
            (
                PaymentFilter {
                    blip10: Blip10Filter {
                        podcast: Some(format!("Show {}", r.below(PODCASTS))),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("blip10_feed_id", |r, _| {
            (
                PaymentFilter {
                    blip10: Blip10Filter {
                        feed_id: Some((100_000 + r.below(PODCASTS)).to_string()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("blip10_app_name", |r, _| {
            (
                PaymentFilter {
                    blip10: Blip10Filter {
                        app_name: Some(APPS[r.below(APPS.len() as u64) as usize].into()),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("has_message", |_, _| {
            (
                PaymentFilter {
                    has_message: Some(true),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("boostagrams_per_show", |r, _| {
            (
                PaymentFilter {
                    blip10: Blip10Filter {
                        action: Some("boost".into()),
                        podcast: Some(format!("Show {}", r.below(PODCASTS))),
                        ..Default::default()
                    },
                    has_message: Some(true),
                    ..Default::default()
                },
                Paging::PageNumber(1),
            )
        }),
        ("wallet_id", |r, _| {
            (
                PaymentFilter {
                    wallet_id: Some(format!("wal_{}", r.below(WALLETS))),
                    ..Default::default()
                },
                Paging::PageNumber(1),
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
