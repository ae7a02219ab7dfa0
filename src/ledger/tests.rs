//! Unit tests of the write rules: transitions, idempotency under replay, counters.

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

impl Fixture {
    fn tick(&self) -> u64 {
        self.clock.fetch_add(10, Ordering::SeqCst) + 10
    }
}

fn outbound(hash: u8) -> NewOutbound {
    NewOutbound {
        payment_hash: [hash; 32],
        kind: PaymentKind::Keysend,
        destination: [3; 33],
        description: String::new(),
        amount_msat: Some(1000),
        fee_limit_msat: Some(50),
        payment_secret: None,
        preimage: Some([hash ^ 0xff; 32]),
        invoice: None,
        expires_at: None,
        custom_records: vec![CustomRecord {
            key: 7629169,
            value: b"{\"action\":\"stream\"}".to_vec(),
        }],
        metadata: Some(r#"{"ticket":42}"#.into()),
    }
}

fn invoice(hash: u8, amount: Option<u64>) -> NewInboundInvoice {
    NewInboundInvoice {
        payment_hash: [hash; 32],
        description: "For the burger on Tuesday".into(),
        amount_msat: amount,
        payment_secret: Some([7; 32]),
        preimage: Some([hash ^ 0xff; 32]),
        invoice: "lntb100n1...".into(),
        expires_at: Some(1_700_003_600),
        metadata: None,
    }
}

#[test]
fn transitions_follow_the_lifecycle() {
    use Direction::*;
    use PaymentStatus::*;
    assert!(Pending.can_become(Claimable, Inbound));
    assert!(!Pending.can_become(Claimable, Outbound));
    assert!(Failed.can_become(Pending, Outbound));
    assert!(!Failed.can_become(Pending, Inbound));
    assert!(Failed.can_become(Succeeded, Outbound));
    for to in [Pending, Claimable, Succeeded, Failed] {
        for dir in [Inbound, Outbound] {
            assert!(!Succeeded.can_become(to, dir), "succeeded must be final");
            assert!(!to.can_become(to, dir), "same state is not a transition");
        }
    }
}

#[test]
fn outbound_intent_is_idempotent_and_retries_reuse_the_row() {
    let f = fixture();
    let new = outbound(1);
    let OutboundIntent::Created(created) = f.ledger.insert_outbound_intent(&new).unwrap() else {
        panic!("first intent must create");
    };
    assert_eq!(created.status, PaymentStatus::Pending);
    assert_eq!(
        (
            created.created_index,
            created.updated_index,
            created.attempts
        ),
        (1, 1, 1)
    );
    assert_eq!(created.custom_records, new.custom_records);
    assert_eq!(created.metadata.as_deref(), Some(r#"{"ticket":42}"#));

    f.tick();
    match f.ledger.insert_outbound_intent(&new).unwrap() {
        OutboundIntent::AlreadyPending(p) => assert_eq!(p, created),
        other => panic!("replay while pending: {other:?}"),
    }

    let failed = f
        .ledger
        .mark_failed(&[1; 32], FailureCode::RouteNotFound, "no route")
        .unwrap();
    assert!(failed.changed);
    assert_eq!(
        failed.payment.failure.as_ref().map(|x| x.code),
        Some(FailureCode::RouteNotFound)
    );

    let t = f.tick();
    let mut again = outbound(1);
    again.amount_msat = Some(2000);
    again.custom_records.clear();
    let OutboundIntent::Retrying(retry) = f.ledger.insert_outbound_intent(&again).unwrap() else {
        panic!("a failed payment must be retried");
    };
    assert_eq!(
        (retry.id, retry.created_at),
        (created.id, created.created_at)
    );
    assert_eq!(
        (retry.status, retry.attempts, retry.amount_msat),
        (PaymentStatus::Pending, 2, Some(2000))
    );
    assert_eq!((retry.failure.clone(), retry.last_updated), (None, t));
    assert!(retry.custom_records.is_empty());
    assert!(retry.updated_index > failed.payment.updated_index);

    f.ledger
        .mark_succeeded(&[1; 32], &[0xfe; 32], Some(3), None)
        .unwrap();
    match f.ledger.insert_outbound_intent(&again).unwrap() {
        OutboundIntent::AlreadySucceeded(p) => assert_eq!(p.status, PaymentStatus::Succeeded),
        other => panic!("intent after success: {other:?}"),
    }
    let history: Vec<_> = f
        .ledger
        .payment_history(&[1; 32])
        .unwrap()
        .into_iter()
        .map(|c| c.status)
        .collect();
    use PaymentStatus::*;
    assert_eq!(history, vec![Pending, Failed, Pending, Succeeded]);
}

#[test]
fn mark_succeeded_replay_is_a_true_no_op() {
    let f = fixture();
    f.ledger.insert_outbound_intent(&outbound(2)).unwrap();
    f.tick();
    let wrong = f
        .ledger
        .mark_succeeded(&[2; 32], &[9; 32], Some(12), Some(1000))
        .unwrap_err();
    assert!(matches!(wrong, LedgerError::PreimageMismatch(_)), "{wrong}");
    let first = f
        .ledger
        .mark_succeeded(&[2; 32], &[0xfd; 32], Some(12), Some(1000))
        .unwrap();
    assert!(first.changed);
    assert_eq!(first.payment.fee_paid_msat, Some(12));
    f.tick();
    let replay = f
        .ledger
        .mark_succeeded(&[2; 32], &[0xfd; 32], Some(12), Some(1000))
        .unwrap();
    assert!(!replay.changed);
    assert_eq!(replay.payment, first.payment);
    let other = f
        .ledger
        .mark_succeeded(&[2; 32], &[8; 32], None, None)
        .unwrap_err();
    assert!(matches!(other, LedgerError::PreimageMismatch(_)), "{other}");
}

#[test]
fn mark_succeeded_fills_unknown_fields_once() {
    let f = fixture();
    f.ledger.insert_inbound_invoice(&invoice(3, None)).unwrap();
    let first = f
        .ledger
        .mark_succeeded(&[3; 32], &[0xfc; 32], None, None)
        .unwrap();
    assert_eq!(first.payment.amount_msat, None);
    let filled = f
        .ledger
        .mark_succeeded(&[3; 32], &[0xfc; 32], None, Some(5000))
        .unwrap();
    assert!(filled.changed);
    assert_eq!(filled.payment.amount_msat, Some(5000));
    assert!(filled.payment.updated_index > first.payment.updated_index);
    let replay = f
        .ledger
        .mark_succeeded(&[3; 32], &[0xfc; 32], None, Some(5000))
        .unwrap();
    assert!(!replay.changed);
}

#[test]
fn mark_failed_never_overwrites_success_and_keeps_the_first_reason() {
    let f = fixture();
    f.ledger.insert_outbound_intent(&outbound(4)).unwrap();
    f.ledger
        .mark_succeeded(&[4; 32], &[4 ^ 0xff; 32], Some(1), None)
        .unwrap();
    let after = f
        .ledger
        .mark_failed(&[4; 32], FailureCode::RetriesExhausted, "late")
        .unwrap();
    assert!(!after.changed);
    assert_eq!(after.payment.status, PaymentStatus::Succeeded);
    assert_eq!(after.payment.failure, None);

    f.ledger.insert_outbound_intent(&outbound(5)).unwrap();
    let first = f
        .ledger
        .mark_failed(&[5; 32], FailureCode::RouteNotFound, "first")
        .unwrap();
    let replay = f
        .ledger
        .mark_failed(&[5; 32], FailureCode::Other, "second")
        .unwrap();
    assert!(!replay.changed);
    assert_eq!(replay.payment, first.payment);

    let missing = f
        .ledger
        .mark_failed(&[6; 32], FailureCode::Other, "x")
        .unwrap_err();
    assert!(matches!(missing, LedgerError::NoSuchPayment(h) if h == [6; 32]));
}

#[test]
fn inbound_invoice_and_claimable_are_idempotent() {
    let f = fixture();
    let inv = invoice(7, None);
    let created = f.ledger.insert_inbound_invoice(&inv).unwrap();
    assert!(created.changed);
    assert_eq!(
        (created.payment.direction, created.payment.kind),
        (Direction::Inbound, PaymentKind::Invoice)
    );
    let replay = f.ledger.insert_inbound_invoice(&inv).unwrap();
    assert!(!replay.changed);
    assert_eq!(replay.payment, created.payment);

    let claim = InboundClaimable {
        payment_hash: [7; 32],
        amount_msat: 4242,
        preimage: None,
        custom_records: vec![CustomRecord {
            key: 696969,
            value: b"wal_x".to_vec(),
        }],
        htlc_set: Some([0x51; 32]),
    };
    let claimable = to_claim(f.ledger.record_inbound_claimable(&claim).unwrap());
    assert!(claimable.changed);
    assert_eq!(claimable.payment.status, PaymentStatus::Claimable);
    assert_eq!(claimable.payment.amount_msat, Some(4242));
    assert_eq!(
        claimable.payment.preimage, inv.preimage,
        "the stored preimage is kept"
    );
    assert_eq!(claimable.payment.custom_records, claim.custom_records);
    let replay = to_claim(f.ledger.record_inbound_claimable(&claim).unwrap());
    assert!(!replay.changed);
    assert_eq!(replay.payment, claimable.payment);

    let claimed = f
        .ledger
        .mark_succeeded(&[7; 32], &[7 ^ 0xff; 32], None, Some(4242))
        .unwrap();
    assert!(claimed.changed);
    assert!(matches!(
        f.ledger.record_inbound_claimable(&claim).unwrap(),
        ClaimableOutcome::AlreadyClaimed(_)
    ));
    assert!(f.ledger.refused_htlc_sets(&[7; 32]).unwrap().is_empty());
}

fn to_claim(outcome: ClaimableOutcome) -> Applied {
    match outcome {
        ClaimableOutcome::Claim(applied) => applied,
        other => panic!("expected a claim, got {other:?}"),
    }
}

fn refusal(outcome: ClaimableOutcome) -> String {
    match outcome {
        ClaimableOutcome::Refuse { reason, .. } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_second_set_for_a_settled_hash_is_refused_with_a_note() {
    let f = fixture();
    let inv = invoice(12, Some(5_000));
    f.ledger.insert_inbound_invoice(&inv).unwrap();
    let first = InboundClaimable {
        payment_hash: [12; 32],
        amount_msat: 5_000,
        preimage: inv.preimage,
        custom_records: vec![],
        htlc_set: Some([1; 32]),
    };
    to_claim(f.ledger.record_inbound_claimable(&first).unwrap());
    f.ledger
        .mark_succeeded(&[12; 32], &inv.preimage.unwrap(), None, Some(5_000))
        .unwrap();
    let before = f.ledger.get_payment(&[12; 32]).unwrap().unwrap();

    let second = InboundClaimable {
        htlc_set: Some([2; 32]),
        ..first.clone()
    };
    let reason = refusal(f.ledger.record_inbound_claimable(&second).unwrap());
    assert!(reason.contains("already settled"), "{reason}");
    // A replayed refusal is noted once; an unknown set id is never taken for a replay.
    refusal(f.ledger.record_inbound_claimable(&second).unwrap());
    let unknown = InboundClaimable {
        htlc_set: None,
        ..first.clone()
    };
    refusal(f.ledger.record_inbound_claimable(&unknown).unwrap());

    let notes = f.ledger.refused_htlc_sets(&[12; 32]).unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(
        (notes[0].htlc_set, notes[0].amount_msat),
        (Some([2; 32]), 5_000)
    );
    assert_eq!(
        f.ledger.get_payment(&[12; 32]).unwrap().unwrap(),
        before,
        "a refusal leaves the payment untouched"
    );
}

#[test]
fn an_underpaid_invoice_is_refused_and_stays_payable() {
    let f = fixture();
    let inv = invoice(13, Some(9_000));
    f.ledger.insert_inbound_invoice(&inv).unwrap();
    let short = InboundClaimable {
        payment_hash: [13; 32],
        amount_msat: 8_999,
        preimage: inv.preimage,
        custom_records: vec![],
        htlc_set: Some([3; 32]),
    };
    let reason = refusal(f.ledger.record_inbound_claimable(&short).unwrap());
    assert!(reason.contains("8999 msat arrived"), "{reason}");
    assert_eq!(
        f.ledger.get_payment(&[13; 32]).unwrap().unwrap().status,
        PaymentStatus::Pending
    );
    let full = InboundClaimable {
        amount_msat: 9_000,
        htlc_set: Some([4; 32]),
        ..short
    };
    to_claim(f.ledger.record_inbound_claimable(&full).unwrap());
}

#[test]
fn a_new_set_replaces_one_that_was_never_claimed() {
    let f = fixture();
    let claim = InboundClaimable {
        payment_hash: [14; 32],
        amount_msat: 1_000,
        preimage: Some([0x41; 32]),
        custom_records: vec![],
        htlc_set: Some([5; 32]),
    };
    to_claim(f.ledger.record_inbound_claimable(&claim).unwrap());
    let next = InboundClaimable {
        htlc_set: Some([6; 32]),
        ..claim
    };
    assert!(to_claim(f.ledger.record_inbound_claimable(&next).unwrap()).changed);
    f.ledger
        .mark_succeeded(&[14; 32], &[0x41; 32], None, None)
        .unwrap();
    assert!(matches!(
        f.ledger.record_inbound_claimable(&next).unwrap(),
        ClaimableOutcome::AlreadyClaimed(_)
    ));
}

#[test]
fn an_unknown_claimable_hash_is_a_keysend() {
    let f = fixture();
    let claim = InboundClaimable {
        htlc_set: Some([0x88; 32]),
        payment_hash: [8; 32],
        amount_msat: 18_000,
        preimage: Some([0x87; 32]),
        custom_records: vec![
            CustomRecord {
                key: 7629171,
                value: b"LNPayTesting".to_vec(),
            },
            CustomRecord {
                key: 112111100,
                value: b"wal_JReJMmtQCxsFx3".to_vec(),
            },
        ],
    };
    let p = to_claim(f.ledger.record_inbound_claimable(&claim).unwrap()).payment;
    assert_eq!(
        (p.kind, p.description.as_str()),
        (PaymentKind::Keysend, "keysend")
    );
    assert_eq!(
        (p.status, p.preimage),
        (PaymentStatus::Claimable, Some([0x87; 32]))
    );
    assert_eq!(p.custom_records, claim.custom_records);
    assert_eq!(f.ledger.get_payment(&[8; 32]).unwrap(), Some(p));
}

#[test]
fn directions_never_share_a_hash() {
    let f = fixture();
    f.ledger
        .insert_inbound_invoice(&invoice(9, Some(1)))
        .unwrap();
    let err = f.ledger.insert_outbound_intent(&outbound(9)).unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::DirectionConflict {
                existing: "inbound",
                ..
            }
        ),
        "{err}"
    );
    f.ledger.insert_outbound_intent(&outbound(10)).unwrap();
    let claim = InboundClaimable {
        payment_hash: [10; 32],
        amount_msat: 1,
        preimage: None,
        custom_records: vec![],
        htlc_set: None,
    };
    let err = f.ledger.record_inbound_claimable(&claim).unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::DirectionConflict {
                existing: "outbound",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn bad_metadata_and_huge_amounts_are_refused_without_writing() {
    let f = fixture();
    let mut new = outbound(11);
    new.metadata = Some("{not json".into());
    assert!(matches!(
        f.ledger.insert_outbound_intent(&new),
        Err(LedgerError::InvalidMetadata(_))
    ));
    let mut new = outbound(11);
    new.amount_msat = Some(u64::MAX);
    assert!(matches!(
        f.ledger.insert_outbound_intent(&new),
        Err(LedgerError::InvalidAmount(_))
    ));
    assert_eq!(f.ledger.get_payment(&[11; 32]).unwrap(), None);
    // The failed transaction consumed no counter values.
    let OutboundIntent::Created(p) = f.ledger.insert_outbound_intent(&outbound(11)).unwrap() else {
        panic!("expected a new row");
    };
    assert_eq!((p.created_index, p.updated_index), (1, 1));
}

#[test]
fn indexes_are_monotonic_and_feeds_follow_them() {
    let f = fixture();
    for h in 20..25 {
        f.ledger.insert_outbound_intent(&outbound(h)).unwrap();
    }
    f.ledger
        .mark_succeeded(&[21; 32], &[21 ^ 0xff; 32], None, None)
        .unwrap();
    let created = f.ledger.list_by_index(IndexKind::Created, 2, 3).unwrap();
    let hashes: Vec<u8> = created.iter().map(|p| p.payment_hash[0]).collect();
    assert_eq!(hashes, vec![21, 22, 23]);
    let updated = f.ledger.list_by_index(IndexKind::Updated, 5, 10).unwrap();
    let seen: Vec<(u8, u64)> = updated
        .iter()
        .map(|p| (p.payment_hash[0], p.updated_index))
        .collect();
    assert_eq!(seen, vec![(24, 5), (21, 6)]);
    assert!(f
        .ledger
        .list_by_index(IndexKind::Updated, 7, 10)
        .unwrap()
        .is_empty());
}

#[test]
fn reopening_keeps_data_and_refuses_a_newer_schema() {
    let f = fixture();
    f.ledger.insert_outbound_intent(&outbound(30)).unwrap();
    let path = f.ledger.path().to_path_buf();
    let reopened = Ledger::open(&path).unwrap();
    assert!(reopened.get_payment(&[30; 32]).unwrap().is_some());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = Ledger::open(&path)
        .err()
        .expect("a newer schema must be refused");
    assert!(matches!(err, LedgerError::NewerSchema { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_async_workers_share_the_ledger() {
    let f = fixture();
    let mut tasks = Vec::new();
    for i in 0..100u8 {
        let ledger = f.ledger.clone();
        tasks.push(tokio::spawn(async move {
            let new = outbound(i);
            ledger
                .blocking(move |l| l.insert_outbound_intent(&new))
                .await?;
            ledger
                .blocking(move |l| l.mark_succeeded(&[i; 32], &[i ^ 0xff; 32], Some(1), None))
                .await?;
            ledger
                .blocking(|l| l.list_payments(&PaymentFilter::default(), 10, Paging::PageNumber(1)))
                .await
        }));
    }
    for task in tasks {
        let page = tokio::time::timeout(std::time::Duration::from_secs(60), task)
            .await
            .expect("a worker did not finish within 60 s")
            .expect("a worker panicked")
            .expect("a worker's ledger call failed");
        assert!(page.total >= 1);
    }
    let filter = PaymentFilter {
        status: Some(PaymentStatus::Succeeded),
        ..Default::default()
    };
    let page = f
        .ledger
        .list_payments(&filter, 10, Paging::PageNumber(1))
        .unwrap();
    assert_eq!(page.total, 100);
}
