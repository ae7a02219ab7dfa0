//! Synthetic payments for the ledger benchmark: a seeded generator and a bulk fill.

use std::time::{Duration, Instant};

use rusqlite::params;

use crate::ledger::error::LedgerError;
use crate::ledger::model::PaymentStatus;
use crate::ledger::row::to_db_u64;
use crate::ledger::Ledger;

/// Rows inserted per write while filling. Every write is a savepoint whose journal the writer
/// keeps in memory, and SQLite trims that journal after each statement by walking it from its
/// start, so a write's cost grows with the square of its rows: 50,000 rows per write took the
/// 1M-row fill from a quarter of an hour to hours.
const FILL_BATCH: u64 = 2_000;
/// A progress line every this many rows: a million-row fill takes minutes.
const PROGRESS_EVERY: u64 = 100_000;
/// Distinct destinations in the synthetic data.
pub(crate) const DESTINATIONS: u64 = 50;
/// Words descriptions are made of.
pub(crate) const WORDS: [&str; 12] = [
    "burger", "coffee", "boost", "stream", "podcast", "invoice", "rent", "pizza", "tip", "spinach",
    "almanac", "delorean",
];
/// Shows, apps and sub-wallets of the synthetic value-for-value keysends.
pub(crate) const PODCASTS: u64 = 1000;
pub(crate) const APPS: [&str; 8] = [
    "Fountain",
    "Podverse",
    "Breez",
    "Castamatic",
    "CurioCaster",
    "Podfriend",
    "LNBeats",
    "mmln",
];
pub(crate) const WALLETS: u64 = 200;

/// The synthetic data's clock starts here and spans a year.
pub(crate) const EPOCH: u64 = 1_700_000_000;
pub(crate) const SPAN_SECS: u64 = 365 * 24 * 3600;

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
                 updated_index, attempts, wallet_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?;
            let mut record = tx.prepare_cached(
                "INSERT INTO payment_custom_records (payment_id, key, value) VALUES (?1, ?2, ?3)",
            )?;
            for j in 0..batch {
                let n = base as u64 + j + 1;
                let outbound = rng.below(2) == 0;
                let keysend = rng.below(10) < 3;
                // The states a running daemon leaves behind: start-up reconciliation fails an
                // outbound payment LDK does not have, and a claimable set is claimed at once, so
                // only unpaid invoices stay pending (without an expiry here, so none lapses).
                // Rows a restart would change land at the top of the list order and skew every
                // query measured after the benchmark starts its daemon.
                let status = match rng.below(100) {
                    0..=69 => PaymentStatus::Succeeded,
                    70..=84 => PaymentStatus::Failed,
                    _ if outbound => PaymentStatus::Failed,
                    _ => PaymentStatus::Pending,
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
                // A fifth of received keysends are routed to a sub-wallet (LNPay, Alby: 696969).
                let wallet = (keysend && !outbound && rng.below(5) == 0)
                    .then(|| format!("wal_{}", rng.below(WALLETS)));
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
                    wallet.as_deref(),
                ])?;
                if keysend && !outbound {
                    let id = tx.last_insert_rowid();
                    // Podcasting 2.0 traffic: mostly streams, some boosts, two thirds of the
                    // boosts with a message (boostagrams), which also carry a tip note.
                    let action = match rng.below(100) {
                        0..=79 => "stream",
                        80..=94 => "boost",
                        _ => "auto",
                    };
                    let boostagram = action == "boost" && rng.below(3) < 2;
                    let show = rng.below(PODCASTS);
                    let message = if boostagram {
                        format!(",\"message\":\"great episode {}\"", rng.below(100))
                    } else {
                        String::new()
                    };
                    let value = format!(
                        "{{\"action\":\"{action}\",\"podcast\":\"Show {show}\",\"feedID\":\"{}\",\
                         \"app_name\":\"{}\",\"episode\":\"Episode {}\",\"ts\":{},\
                         \"value_msat_total\":{amount}{message}}}",
                        100_000 + show,
                        APPS[rng.below(APPS.len() as u64) as usize],
                        rng.below(500),
                        rng.below(3600)
                    );
                    record.execute(params![id, 7629169i64, value.as_bytes()])?;
                    if boostagram {
                        record.execute(params![id, 7629171i64, b"thanks".as_slice()])?;
                    }
                    if let Some(wallet) = &wallet {
                        record.execute(params![id, 696969i64, wallet.as_bytes()])?;
                    }
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
        if done % PROGRESS_EVERY == 0 || done == rows {
            eprintln!(
                "[bench] filled {done} of {rows} rows ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    // No ANALYZE: the daemon never runs it, so the planner here must pick its plans without
    // statistics, as it does on a production ledger.
    Ok(started.elapsed())
}
