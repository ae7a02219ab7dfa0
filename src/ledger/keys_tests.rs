//! Budget reservations: the limit holds under many intents, failures give back, successes keep
//! amount plus fee paid, the rolling window lets old spending go; hashes only in the file.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    clock: Arc<AtomicU64>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicU64::new(1_700_000_000));
    let source = clock.clone();
    let options = LedgerOptions {
        clock: Some(Arc::new(move || source.load(Ordering::SeqCst))),
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(dir.path().join("mmln.sqlite"), options).unwrap();
    Fixture {
        _dir: dir,
        ledger,
        clock,
    }
}

fn key(ledger: &Ledger, hash: u8) -> AccessKeyRow {
    ledger
        .insert_access_key(&NewAccessKey {
            token_hash: [hash; 32],
            token_hint: "mmln_key_abcd".into(),
            label: "podcast".into(),
            scope: "methods".into(),
            methods: Some(vec!["lightning::payments::send_payment".into()]),
            max_payment_msat: Some(2_000),
            budget_msat: Some(10_000),
            budget_period: Some("day".into()),
            expires_at: None,
        })
        .unwrap()
}

fn charge(id: u64) -> KeyCharge {
    KeyCharge {
        key_id: id,
        max_payment_msat: Some(2_000),
        budget: Some(KeyBudget {
            budget_msat: 10_000,
            window_secs: 86_400,
        }),
    }
}

/// A keysend of 900 msat with a 100 msat fee limit: 1000 msat reserved.
fn send(hash: u8) -> NewOutbound {
    NewOutbound {
        payment_hash: [hash; 32],
        kind: PaymentKind::Keysend,
        destination: [3; 33],
        description: String::new(),
        amount_msat: Some(900),
        fee_limit_msat: Some(100),
        payment_secret: None,
        preimage: Some([hash ^ 0xff; 32]),
        invoice: None,
        expires_at: None,
        custom_records: Vec::new(),
        metadata: None,
    }
}

fn refused(result: Result<OutboundIntent, LedgerError>) -> BudgetRefusal {
    match result {
        Err(LedgerError::BudgetExceeded(refusal)) => refusal,
        other => panic!("expected BudgetExceeded, got {other:?}"),
    }
}

#[test]
fn a_budget_admits_exactly_what_fits_and_refusals_record_nothing() {
    let f = fixture();
    let id = key(&f.ledger, 1).id;
    let c = charge(id);
    for hash in 1..=10 {
        f.ledger
            .insert_outbound_intent_charged(&send(hash), None, Some(&c))
            .unwrap();
    }
    let refusal = refused(
        f.ledger
            .insert_outbound_intent_charged(&send(11), None, Some(&c)),
    );
    assert_eq!(refusal.remaining_msat, Some(0));
    assert_eq!(refusal.requested_msat, 1_000);
    // The refused intent left no row.
    assert!(f.ledger.get_payment(&[11; 32]).unwrap().is_none());
    let usage = f.ledger.access_key_usage(id, Some(86_400)).unwrap();
    assert_eq!(usage.reserved_msat, 10_000);
    assert_eq!(usage.payments_pending, 10);
}

#[test]
fn concurrent_intents_cannot_overshoot() {
    let f = fixture();
    let id = key(&f.ledger, 1).id;
    let c = charge(id);
    let threads: Vec<_> = (1..=50u8)
        .map(|hash| {
            let ledger = f.ledger.clone();
            std::thread::spawn(move || {
                ledger
                    .insert_outbound_intent_charged(&send(hash), None, Some(&c))
                    .is_ok()
            })
        })
        .collect();
    let admitted = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(admitted, 10);
    let usage = f.ledger.access_key_usage(id, Some(86_400)).unwrap();
    assert_eq!(usage.reserved_msat, 10_000);
}

#[test]
fn failures_give_back_and_successes_keep_amount_plus_fee() {
    let f = fixture();
    let id = key(&f.ledger, 1).id;
    let c = charge(id);
    for hash in 1..=10 {
        f.ledger
            .insert_outbound_intent_charged(&send(hash), None, Some(&c))
            .unwrap();
    }
    f.ledger
        .mark_failed(&[1; 32], FailureCode::RouteNotFound, "no route")
        .unwrap();
    f.ledger
        .mark_succeeded(&[2; 32], &[2 ^ 0xff; 32], Some(40), None)
        .unwrap();
    let usage = f.ledger.access_key_usage(id, Some(86_400)).unwrap();
    assert_eq!(usage.spent_msat, 940);
    assert_eq!(usage.reserved_msat, 8_000);
    assert_eq!(usage.payments_made, 1);
    // 1000 given back by the failure and 60 by the success's unused fee limit.
    assert_eq!(10_000 - 940 - 8_000, 1_060);
    f.ledger
        .insert_outbound_intent_charged(&send(11), None, Some(&c))
        .unwrap();
    // The failed hash retried with the key: charged again, as attempt 2.
    let retry = f
        .ledger
        .insert_outbound_intent_charged(&send(1), None, Some(&c));
    assert_eq!(refused(retry).remaining_msat, Some(60));
    // Every row made with the key records it.
    let paid = f.ledger.get_payment(&[2; 32]).unwrap().unwrap();
    assert_eq!(paid.key_id, Some(id));
}

#[test]
fn the_window_rolls_and_the_per_payment_cap_holds() {
    let f = fixture();
    let id = key(&f.ledger, 1).id;
    let c = charge(id);
    for hash in 1..=10 {
        f.ledger
            .insert_outbound_intent_charged(&send(hash), None, Some(&c))
            .unwrap();
        f.ledger
            .mark_succeeded(&[hash; 32], &[hash ^ 0xff; 32], Some(100), None)
            .unwrap();
    }
    refused(
        f.ledger
            .insert_outbound_intent_charged(&send(11), None, Some(&c)),
    );
    f.clock.fetch_add(86_400, Ordering::SeqCst);
    f.ledger
        .insert_outbound_intent_charged(&send(11), None, Some(&c))
        .unwrap();
    let usage = f.ledger.access_key_usage(id, Some(86_400)).unwrap();
    assert_eq!((usage.spent_msat, usage.reserved_msat), (0, 1_000));
    assert_eq!(usage.payments_made, 10);
    let mut big = send(12);
    big.amount_msat = Some(1_950);
    let refusal = refused(
        f.ledger
            .insert_outbound_intent_charged(&big, None, Some(&c)),
    );
    assert_eq!(refusal.max_payment_msat, Some(2_000));
    assert!(refusal
        .to_string()
        .contains("at most 2000 msat per payment"));
}

#[test]
fn keys_list_revoke_and_store_no_secret() {
    let f = fixture();
    let first = key(&f.ledger, 0xab);
    assert_eq!(f.ledger.access_keys().unwrap(), vec![first.clone()]);
    f.clock.fetch_add(5, Ordering::SeqCst);
    let revoked = f.ledger.revoke_access_key(first.id).unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(1_700_000_005));
    f.clock.fetch_add(5, Ordering::SeqCst);
    let again = f.ledger.revoke_access_key(first.id).unwrap().unwrap();
    assert_eq!(again.revoked_at, Some(1_700_000_005));
    assert!(f.ledger.revoke_access_key(99).unwrap().is_none());
    f.ledger
        .note_access_key_used(first.id, 1_700_000_100)
        .unwrap();
    f.ledger
        .note_access_key_used(first.id, 1_700_000_050)
        .unwrap();
    let listed = f.ledger.access_keys().unwrap();
    assert_eq!(listed[0].last_used_at, Some(1_700_000_100));
}
