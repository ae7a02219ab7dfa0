//! The ledger against a real SQLite file: hundreds of mixed payments from a seeded generator,
//! every filter alone and combined, both paging options, and concurrent use. Expectations are
//! computed independently in Rust from a mirror of what the generator wrote.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mmln::ledger::bench::Rng;
use mmln::ledger::*;

const START: u64 = 1_683_000_000;
const DESCRIPTIONS: [&str; 10] = [
    "Say \"hi\" there",
    "Café crème",
    "For the burger on Tuesday",
    "100% organic spinach",
    "snake_case tip",
    "Pressin' The Flesh and Kissin' Babies",
    "back\\slash",
    "BURGER deluxe",
    "1 Blokaccino",
    "",
];

/// What the test believes a row holds, maintained without the ledger's help.
#[derive(Debug, Clone)]
struct Mirror {
    id: i64,
    hash: [u8; 32],
    outbound: bool,
    destination: Option<[u8; 33]>,
    description: String,
    amount: Option<u64>,
    fee: Option<u64>,
    status: PaymentStatus,
    created_at: u64,
    last_updated: u64,
}

struct World {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    clock: Arc<AtomicU64>,
    rows: Vec<Mirror>,
}

fn dest(n: u64) -> [u8; 33] {
    let mut d = [2u8; 33];
    d[1] = n as u8;
    d
}

fn hash_of(i: u64) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_be_bytes());
    h[31] = 0xaa;
    h
}

fn open(clock: &Arc<AtomicU64>) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let source = clock.clone();
    let options = LedgerOptions {
        clock: Some(Arc::new(move || source.load(Ordering::SeqCst))),
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(dir.path().join("mmln.sqlite"), options).unwrap();
    (dir, ledger)
}

/// 400 payments created, then 400 random updates; the clock moves 0-2 s per step so that
/// `last_updated` ties are common and the `id` tie-breaker matters.
fn build_world(seed: u64) -> World {
    let clock = Arc::new(AtomicU64::new(START));
    let (dir, ledger) = open(&clock);
    let mut rng = Rng::new(seed);
    let mut rows: Vec<Mirror> = Vec::new();
    // Returns the time the ledger will read for the next write.
    let step = |rng: &mut Rng| {
        let d = rng.below(3);
        clock.fetch_add(d, Ordering::SeqCst) + d
    };
    for i in 0..400u64 {
        let now = step(&mut rng);
        let hash = hash_of(i);
        let description = DESCRIPTIONS[rng.below(DESCRIPTIONS.len() as u64) as usize].to_string();
        let amount = (rng.below(5) > 0).then(|| 1000 * (1 + rng.below(100)));
        let row = match rng.below(3) {
            0 => {
                let destination = dest(rng.below(4));
                let new = NewOutbound {
                    payment_hash: hash,
                    kind: PaymentKind::Invoice,
                    destination,
                    description: description.clone(),
                    amount_msat: amount,
                    fee_limit_msat: Some(5000),
                    payment_secret: Some([1; 32]),
                    preimage: None,
                    invoice: Some(format!("lnbcrt{i}")),
                    expires_at: Some(now + 3600),
                    custom_records: vec![],
                    metadata: Some(format!("{{\"n\":{i}}}")),
                };
                let OutboundIntent::Created(p) = ledger.insert_outbound_intent(&new).unwrap()
                else {
                    panic!("fresh hash must create");
                };
                Mirror {
                    id: p.id,
                    hash,
                    outbound: true,
                    destination: Some(destination),
                    description,
                    amount,
                    fee: None,
                    status: PaymentStatus::Pending,
                    created_at: now,
                    last_updated: now,
                }
            }
            1 => {
                let new = NewInboundInvoice {
                    payment_hash: hash,
                    description: description.clone(),
                    amount_msat: amount,
                    payment_secret: Some([2; 32]),
                    preimage: Some([5; 32]),
                    invoice: format!("lnbcrt-in{i}"),
                    expires_at: Some(now + 3600),
                    metadata: None,
                };
                let p = ledger.insert_inbound_invoice(&new).unwrap().payment;
                Mirror {
                    id: p.id,
                    hash,
                    outbound: false,
                    destination: None,
                    description,
                    amount,
                    fee: None,
                    status: PaymentStatus::Pending,
                    created_at: now,
                    last_updated: now,
                }
            }
            _ => {
                let amount = 1000 * (1 + rng.below(100));
                let claim = InboundClaimable {
                    payment_hash: hash,
                    amount_msat: amount,
                    preimage: Some([5; 32]),
                    custom_records: vec![CustomRecord {
                        key: 7629169,
                        value: b"{}".to_vec(),
                    }],
                };
                let p = ledger.record_inbound_claimable(&claim).unwrap().payment;
                Mirror {
                    id: p.id,
                    hash,
                    outbound: false,
                    destination: None,
                    description: "keysend".into(),
                    amount: Some(amount),
                    fee: None,
                    status: PaymentStatus::Claimable,
                    created_at: now,
                    last_updated: now,
                }
            }
        };
        rows.push(row);
    }
    for _ in 0..400 {
        let now = step(&mut rng);
        let m = &mut rows[rng.below(400) as usize];
        match (m.status, rng.below(2)) {
            (PaymentStatus::Pending | PaymentStatus::Claimable, 0) => {
                let fee = m.outbound.then(|| rng.below(2000));
                let amount = m.amount.is_none().then_some(777_000);
                assert!(
                    ledger
                        .mark_succeeded(&m.hash, &[5; 32], fee, amount)
                        .unwrap()
                        .changed
                );
                m.status = PaymentStatus::Succeeded;
                m.fee = fee;
                m.amount = m.amount.or(amount);
                m.last_updated = now;
            }
            (PaymentStatus::Pending | PaymentStatus::Claimable, _) => {
                assert!(
                    ledger
                        .mark_failed(&m.hash, FailureCode::RouteNotFound, "no route")
                        .unwrap()
                        .changed
                );
                m.status = PaymentStatus::Failed;
                m.last_updated = now;
            }
            (PaymentStatus::Failed, _) if m.outbound => {
                let p = ledger.get_payment(&m.hash).unwrap().unwrap();
                let retry = NewOutbound {
                    payment_hash: m.hash,
                    kind: p.kind,
                    destination: p.destination.unwrap(),
                    description: p.description,
                    amount_msat: p.amount_msat,
                    fee_limit_msat: p.fee_limit_msat,
                    payment_secret: p.payment_secret,
                    preimage: p.preimage,
                    invoice: p.invoice,
                    expires_at: p.expires_at,
                    custom_records: vec![],
                    metadata: p.metadata,
                };
                assert!(matches!(
                    ledger.insert_outbound_intent(&retry).unwrap(),
                    OutboundIntent::Retrying(_)
                ));
                m.status = PaymentStatus::Pending;
                m.last_updated = now;
            }
            // Replays must change nothing.
            (PaymentStatus::Succeeded, _) => {
                assert!(
                    !ledger
                        .mark_failed(&m.hash, FailureCode::Other, "late")
                        .unwrap()
                        .changed
                );
            }
            _ => {
                assert!(
                    !ledger
                        .mark_failed(&m.hash, FailureCode::Other, "again")
                        .unwrap()
                        .changed
                );
            }
        }
    }
    World {
        _dir: dir,
        ledger,
        clock,
        rows,
    }
}

fn matches(m: &Mirror, f: &PaymentFilter) -> bool {
    let in_range = |v: Option<u64>, from: Option<u64>, to: Option<u64>| {
        (from.is_none() && to.is_none())
            || v.is_some_and(|v| from.is_none_or(|f| v >= f) && to.is_none_or(|t| v <= t))
    };
    let type_ok = match &f.payment_type {
        None => true,
        Some(PaymentTypeFilter::Inbound) => !m.outbound,
        Some(PaymentTypeFilter::Outbound { destination }) => {
            m.outbound && destination.is_none_or(|d| m.destination == Some(d))
        }
    };
    type_ok
        && f.status.is_none_or(|s| m.status == s)
        && f.description.as_ref().is_none_or(|d| {
            m.description
                .to_ascii_lowercase()
                .contains(&d.to_ascii_lowercase())
        })
        && in_range(m.amount, f.from_amount_msat, f.to_amount_msat)
        && in_range(m.fee, f.from_fee_paid_msat, f.to_fee_paid_msat)
        && in_range(Some(m.created_at), f.from_timestamp, f.to_timestamp)
}

/// The filtered rows in list order, computed over the mirror.
fn expected(w: &World, f: &PaymentFilter) -> Vec<Mirror> {
    let mut rows: Vec<Mirror> = w.rows.iter().filter(|m| matches(m, f)).cloned().collect();
    rows.sort_by_key(|m| std::cmp::Reverse((m.last_updated, m.id)));
    rows
}

fn hashes(payments: &[Payment]) -> Vec<[u8; 32]> {
    payments.iter().map(|p| p.payment_hash).collect()
}

/// Checks every page by number and every FromId anchor of one filter, at several limits.
fn check_filter(w: &World, name: &str, f: &PaymentFilter) -> usize {
    let want = expected(w, f);
    let total = want.len() as u64;
    for limit in [1u32, 7, 10, 1000] {
        let pages = total.div_ceil(u64::from(limit));
        for n in 1..=pages + 1 {
            let page = w
                .ledger
                .list_payments(f, limit, Paging::PageNumber(n))
                .unwrap();
            let skip = ((n - 1) * u64::from(limit)) as usize;
            let rows: Vec<[u8; 32]> = want
                .iter()
                .skip(skip)
                .take(limit as usize)
                .map(|m| m.hash)
                .collect();
            assert_eq!(
                hashes(&page.payments),
                rows,
                "{name}: page {n} limit {limit}"
            );
            assert_eq!(
                (page.total, page.total_pages, page.skipped, page.limit),
                (total, pages, skip as u64, limit),
                "{name}: counts of page {n} limit {limit}"
            );
        }
        let step = if limit == 1 { 1 } else { 3 };
        for (pos, anchor) in want.iter().enumerate().step_by(step) {
            let page = w
                .ledger
                .list_payments(f, limit, Paging::FromId(anchor.hash))
                .unwrap();
            let rows: Vec<[u8; 32]> = want
                .iter()
                .skip(pos + 1)
                .take(limit as usize)
                .map(|m| m.hash)
                .collect();
            assert_eq!(
                hashes(&page.payments),
                rows,
                "{name}: after #{pos} limit {limit}"
            );
            assert_eq!(
                (page.total, page.skipped),
                (total, pos as u64 + 1),
                "{name}: counts after #{pos}"
            );
        }
    }
    // An anchor outside the filtered set is refused, not silently resolved over all rows.
    if let Some(outside) = w.rows.iter().find(|m| !matches(m, f)) {
        let err = w
            .ledger
            .list_payments(f, 10, Paging::FromId(outside.hash))
            .unwrap_err();
        assert!(
            matches!(err, LedgerError::NoSuchPayment(h) if h == outside.hash),
            "{name}: {err}"
        );
    }
    want.len()
}

fn filters() -> Vec<(&'static str, PaymentFilter)> {
    let f = PaymentFilter::default;
    let outbound = |destination| Some(PaymentTypeFilter::Outbound { destination });
    vec![
        ("none", f()),
        (
            "inbound",
            PaymentFilter {
                payment_type: Some(PaymentTypeFilter::Inbound),
                ..f()
            },
        ),
        (
            "outbound",
            PaymentFilter {
                payment_type: outbound(None),
                ..f()
            },
        ),
        (
            "outbound to 1",
            PaymentFilter {
                payment_type: outbound(Some(dest(1))),
                ..f()
            },
        ),
        (
            "pending",
            PaymentFilter {
                status: Some(PaymentStatus::Pending),
                ..f()
            },
        ),
        (
            "claimable",
            PaymentFilter {
                status: Some(PaymentStatus::Claimable),
                ..f()
            },
        ),
        (
            "succeeded",
            PaymentFilter {
                status: Some(PaymentStatus::Succeeded),
                ..f()
            },
        ),
        (
            "failed",
            PaymentFilter {
                status: Some(PaymentStatus::Failed),
                ..f()
            },
        ),
        (
            "burger (any case)",
            PaymentFilter {
                description: Some("burger".into()),
                ..f()
            },
        ),
        (
            "percent",
            PaymentFilter {
                description: Some("100%".into()),
                ..f()
            },
        ),
        (
            "lone percent",
            PaymentFilter {
                description: Some("%".into()),
                ..f()
            },
        ),
        (
            "underscore",
            PaymentFilter {
                description: Some("e_c".into()),
                ..f()
            },
        ),
        (
            "lone underscore",
            PaymentFilter {
                description: Some("_".into()),
                ..f()
            },
        ),
        (
            "quote",
            PaymentFilter {
                description: Some("n' T".into()),
                ..f()
            },
        ),
        (
            "backslash",
            PaymentFilter {
                description: Some("k\\s".into()),
                ..f()
            },
        ),
        (
            "double quotes",
            PaymentFilter {
                description: Some("\"HI\" T".into()),
                ..f()
            },
        ),
        (
            "non-ascii",
            PaymentFilter {
                description: Some("CAFé".into()),
                ..f()
            },
        ),
        // LIKE folds ASCII only, so this matches nothing even though the index folds it.
        (
            "non-ascii case",
            PaymentFilter {
                description: Some("CAFÉ".into()),
                ..f()
            },
        ),
        (
            "keysend",
            PaymentFilter {
                description: Some("keysend".into()),
                ..f()
            },
        ),
        (
            "amount from",
            PaymentFilter {
                from_amount_msat: Some(50_000),
                ..f()
            },
        ),
        (
            "amount to",
            PaymentFilter {
                to_amount_msat: Some(20_000),
                ..f()
            },
        ),
        (
            "amount between",
            PaymentFilter {
                from_amount_msat: Some(10_000),
                to_amount_msat: Some(40_000),
                ..f()
            },
        ),
        (
            "amount exact",
            PaymentFilter {
                from_amount_msat: Some(10_000),
                to_amount_msat: Some(10_000),
                ..f()
            },
        ),
        (
            "fee from",
            PaymentFilter {
                from_fee_paid_msat: Some(1000),
                ..f()
            },
        ),
        (
            "fee between",
            PaymentFilter {
                from_fee_paid_msat: Some(0),
                to_fee_paid_msat: Some(500),
                ..f()
            },
        ),
        (
            "time from",
            PaymentFilter {
                from_timestamp: Some(START + 200),
                ..f()
            },
        ),
        (
            "time between",
            PaymentFilter {
                from_timestamp: Some(START + 100),
                to_timestamp: Some(START + 300),
                ..f()
            },
        ),
        (
            "huge bounds",
            PaymentFilter {
                to_amount_msat: Some(u64::MAX),
                to_timestamp: Some(u64::MAX),
                ..f()
            },
        ),
        (
            "inverted range",
            PaymentFilter {
                from_amount_msat: Some(50_000),
                to_amount_msat: Some(10_000),
                ..f()
            },
        ),
        (
            "kdf example",
            PaymentFilter {
                status: Some(PaymentStatus::Pending),
                from_amount_msat: Some(10_000),
                to_amount_msat: Some(40_000),
                ..f()
            },
        ),
        (
            "outbound succeeded with fee",
            PaymentFilter {
                payment_type: outbound(None),
                status: Some(PaymentStatus::Succeeded),
                from_fee_paid_msat: Some(100),
                ..f()
            },
        ),
        (
            "inbound burger in time",
            PaymentFilter {
                payment_type: Some(PaymentTypeFilter::Inbound),
                description: Some("BURGER".into()),
                from_timestamp: Some(START + 50),
                to_timestamp: Some(START + 500),
                ..f()
            },
        ),
        (
            "dest 2 failed cheap",
            PaymentFilter {
                payment_type: outbound(Some(dest(2))),
                status: Some(PaymentStatus::Failed),
                to_amount_msat: Some(60_000),
                ..f()
            },
        ),
        (
            "nothing",
            PaymentFilter {
                description: Some("no such text".into()),
                ..f()
            },
        ),
    ]
}

#[test]
fn every_filter_and_paging_option_matches_an_independent_computation() {
    let w = build_world(42);
    // Stored rows agree with the mirror field by field.
    for m in &w.rows {
        let p = w.ledger.get_payment(&m.hash).unwrap().unwrap();
        assert_eq!(
            (p.id, p.status, p.amount_msat, p.fee_paid_msat),
            (m.id, m.status, m.amount, m.fee)
        );
        assert_eq!(
            (p.created_at, p.last_updated, p.description.as_str()),
            (m.created_at, m.last_updated, m.description.as_str())
        );
    }
    let mut sizes = Vec::new();
    for (name, filter) in filters() {
        sizes.push((name, check_filter(&w, name, &filter)));
    }
    eprintln!("rows per filter: {sizes:?}");
    // The data must exercise the filters: most match something, none matches everything.
    let nonempty = sizes.iter().filter(|(_, n)| *n > 0).count();
    assert!(
        nonempty >= sizes.len() - 4,
        "too many empty filters: {sizes:?}"
    );
    let all = sizes[0].1;
    assert_eq!(all, 400);
    assert!(sizes[1..].iter().all(|(_, n)| *n < all), "{sizes:?}");
}

#[test]
fn bad_paging_arguments_get_typed_errors_and_past_the_end_is_empty() {
    let w = build_world(7);
    let all = PaymentFilter::default();
    assert!(matches!(
        w.ledger.list_payments(&all, 10, Paging::PageNumber(0)),
        Err(LedgerError::InvalidPageNumber)
    ));
    assert!(matches!(
        w.ledger.list_payments(&all, 0, Paging::PageNumber(1)),
        Err(LedgerError::InvalidLimit { .. })
    ));
    assert!(matches!(
        w.ledger
            .list_payments(&all, MAX_LIMIT + 1, Paging::PageNumber(1)),
        Err(LedgerError::InvalidLimit { .. })
    ));
    let absent = [0xee; 32];
    assert!(
        matches!(w.ledger.list_payments(&all, 10, Paging::FromId(absent)), Err(LedgerError::NoSuchPayment(h)) if h == absent)
    );
    for n in [41, 1000, u64::MAX] {
        let page = w
            .ledger
            .list_payments(&all, 10, Paging::PageNumber(n))
            .unwrap();
        assert!(page.payments.is_empty());
        assert_eq!((page.total, page.total_pages), (400, 40));
    }
    let last = expected(&w, &all).last().unwrap().hash;
    let page = w
        .ledger
        .list_payments(&all, 10, Paging::FromId(last))
        .unwrap();
    assert!(page.payments.is_empty());
    assert_eq!(page.skipped, 400);
    assert_eq!(w.ledger.get_payment(&absent).unwrap(), None);
}

#[test]
fn the_updated_feed_sees_every_change_once_in_order() {
    let w = build_world(9);
    let mut seen = Vec::new();
    let mut next = 1;
    loop {
        let batch = w
            .ledger
            .list_by_index(IndexKind::Updated, next, 37)
            .unwrap();
        let Some(last) = batch.last() else { break };
        next = last.updated_index + 1;
        seen.extend(batch.iter().map(|p| p.updated_index));
    }
    assert_eq!(
        seen.len(),
        400,
        "each row appears once, at its latest change"
    );
    assert!(seen.windows(2).all(|p| p[0] < p[1]));
    let created: Vec<u64> = w
        .ledger
        .list_by_index(IndexKind::Created, 1, 1000)
        .unwrap()
        .iter()
        .map(|p| p.created_index)
        .collect();
    assert_eq!(created, (1..=400).collect::<Vec<_>>());
    let _ = &w.clock;
}

#[test]
fn concurrent_writers_and_readers_from_threads_and_a_second_connection() {
    let clock = Arc::new(AtomicU64::new(START));
    let (dir, ledger) = open(&clock);
    // A second handle on the same file stands for another connection (the wallet's).
    let other = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
    let mut handles = Vec::new();
    for t in 0..8u64 {
        let ledger = if t % 4 == 3 {
            other.clone()
        } else {
            ledger.clone()
        };
        handles.push(std::thread::spawn(move || {
            for i in 0..50u64 {
                let hash = hash_of(t * 1000 + i);
                let new = NewOutbound {
                    payment_hash: hash,
                    kind: PaymentKind::Keysend,
                    destination: dest(t),
                    description: String::new(),
                    amount_msat: Some(1000),
                    fee_limit_msat: None,
                    payment_secret: None,
                    preimage: Some([9; 32]),
                    invoice: None,
                    expires_at: None,
                    custom_records: vec![],
                    metadata: None,
                };
                ledger.insert_outbound_intent(&new).unwrap();
                ledger
                    .mark_succeeded(&hash, &[9; 32], Some(1), None)
                    .unwrap();
            }
        }));
    }
    for _ in 0..4 {
        let ledger = ledger.clone();
        handles.push(std::thread::spawn(move || {
            for _ in 0..50 {
                let page = ledger
                    .list_payments(&PaymentFilter::default(), 20, Paging::PageNumber(1))
                    .unwrap();
                assert!(page.payments.len() as u64 <= page.total.min(20));
                ledger.list_by_index(IndexKind::Updated, 1, 100).unwrap();
            }
        }));
    }
    for h in handles {
        h.join().expect("a worker thread failed");
    }
    let all = ledger
        .list_payments(&PaymentFilter::default(), 1000, Paging::PageNumber(1))
        .unwrap();
    assert_eq!(all.total, 400);
    assert!(all
        .payments
        .iter()
        .all(|p| p.status == PaymentStatus::Succeeded));
    let top = ledger.list_by_index(IndexKind::Updated, 1, 1000).unwrap();
    assert_eq!(
        top.last().unwrap().updated_index,
        800,
        "one index per change, none lost or reused"
    );
}
