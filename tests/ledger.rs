//! The ledger against a real SQLite file: hundreds of mixed payments from a seeded generator,
//! every filter alone and combined, both paging options, and concurrent use. Expectations are
//! computed independently in Rust from a mirror of what the generator wrote.

mod ledger {
    pub mod filters;
    pub mod world;
}

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use ledger::filters::filters;
use ledger::world::*;
use mmln::ledger::*;

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

/// Fuzzing the filter -> SQL path: random filters (descriptions full of LIKE and FTS
/// metacharacters, bounds at the edges of i64/u64) against the independent computation.
/// `PROPTEST_CASES` sets the case count (`scripts/fuzz.sh` runs it long).
mod fuzz_filters {
    use proptest::prelude::*;

    use super::*;

    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(48)
    }

    fn bound() -> impl Strategy<Value = Option<u64>> {
        prop_oneof![
            Just(None),
            (0u64..200_000).prop_map(Some),
            (START - 10..START + 2_000).prop_map(Some),
            Just(Some(i64::MAX as u64)),
            Just(Some(i64::MAX as u64 + 1)),
            Just(Some(u64::MAX)),
            any::<u64>().prop_map(Some),
        ]
    }

    fn description() -> impl Strategy<Value = Option<String>> {
        let pieces = prop_oneof![
            Just("%".to_string()),
            Just("_".to_string()),
            Just("\\".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just("*".to_string()),
            Just(" OR ".to_string()),
            Just("burger".to_string()),
            Just("BURGER".to_string()),
            Just("é".to_string()),
            Just("100% ".to_string()),
            Just("NEAR(".to_string()),
            "[a-z ]{0,4}".prop_map(String::from),
            any::<String>(),
        ];
        prop_oneof![
            Just(None),
            proptest::collection::vec(pieces, 0..4).prop_map(|p| Some(p.concat())),
        ]
    }

    fn filter() -> impl Strategy<Value = PaymentFilter> {
        let payment_type = prop_oneof![
            Just(None),
            Just(Some(PaymentTypeFilter::Inbound)),
            Just(Some(PaymentTypeFilter::Outbound { destination: None })),
            (0u64..6).prop_map(|n| Some(PaymentTypeFilter::Outbound {
                destination: Some(dest(n))
            })),
        ];
        let status = prop_oneof![
            Just(None),
            Just(Some(PaymentStatus::Pending)),
            Just(Some(PaymentStatus::Claimable)),
            Just(Some(PaymentStatus::Succeeded)),
            Just(Some(PaymentStatus::Failed)),
        ];
        (
            payment_type,
            description(),
            status,
            (bound(), bound()),
            (bound(), bound()),
            (bound(), bound()),
        )
            .prop_map(|(payment_type, description, status, amount, fee, time)| {
                PaymentFilter {
                    payment_type,
                    description,
                    status,
                    from_amount_msat: amount.0,
                    to_amount_msat: amount.1,
                    from_fee_paid_msat: fee.0,
                    to_fee_paid_msat: fee.1,
                    from_timestamp: time.0,
                    to_timestamp: time.1,
                    key_id: None,
                }
            })
    }

    #[test]
    fn fuzz_random_filters_match_the_independent_computation() {
        let w = build_world(11);
        let config = ProptestConfig {
            cases: cases(),
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        proptest!(config, |(f in filter(), limit in 1u32..50, page in 1u64..4)| {
            let want: Vec<[u8; 32]> = expected(&w, &f).iter().map(|m| m.hash).collect();
            let got = w.ledger.list_payments(&f, limit, Paging::PageNumber(page));
            let got = got.map_err(|e| TestCaseError::fail(format!("{f:?}: {e}")))?;
            let skip = ((page - 1) * u64::from(limit)) as usize;
            let rows: Vec<[u8; 32]> = want.iter().skip(skip).take(limit as usize).copied().collect();
            prop_assert_eq!(hashes(&got.payments), rows, "{:?}", f);
            prop_assert_eq!(got.total, want.len() as u64);
        });
    }
}
