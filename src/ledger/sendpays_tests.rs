//! `Ledger::sendpay_begin`'s idempotency table and the settling of parts, on a real SQLite file.

use super::*;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
    (dir, ledger)
}

fn part(hash: u8, partid: u64, amount: u64, total: u64, route: &str) -> NewSendpayPart {
    NewSendpayPart {
        payment_hash: [hash; 32],
        groupid: None,
        partid,
        amount_msat: amount,
        total_msat: total,
        amount_sent_msat: amount + 10,
        destination: [2; 33],
        label: None,
        bolt11: None,
        description: None,
        payment_secret: Some([5; 32]),
        route: route.to_string(),
        route_key: route.to_string(),
    }
}

fn new_part(begun: SendpayBegin) -> (SendpayPart, Vec<SendpayPart>) {
    match begun {
        SendpayBegin::New { part, ready } => (part, ready),
        other => panic!("expected a new part, got {other:?}"),
    }
}

#[test]
fn the_idempotency_table_row_by_row() {
    let (_dir, l) = ledger();
    let first = part(1, 0, 1000, 1000, "1x1x1");
    let (p, ready) = new_part(l.sendpay_begin(&first).unwrap());
    assert_eq!(
        (p.groupid, p.partid, p.status),
        (1, 0, SendpayStatus::Pending)
    );
    assert_eq!(ready.len(), 1, "a lone part is sent at once");
    let row = l.get_payment(&[1; 32]).unwrap().unwrap();
    assert_eq!(row.kind, PaymentKind::Route);
    assert_eq!(p.created_index, row.created_index, "shares the row's index");
    assert_eq!(p.updated_index, None, "unchanged since creation");

    // Identical retry while pending: the pending record.
    match l.sendpay_begin(&first).unwrap() {
        SendpayBegin::AlreadyPending(again) => assert_eq!(again.id, p.id),
        other => panic!("{other:?}"),
    }
    // Another group while pending: in progress.
    let mut other_group = first.clone();
    other_group.groupid = Some(9);
    assert!(matches!(
        l.sendpay_begin(&other_group).unwrap(),
        SendpayBegin::InProgress(_)
    ));

    // Success completes the part, with the row's new index.
    l.mark_succeeded(&[1; 32], &[7; 32], Some(10), None)
        .unwrap();
    let done = l.sendpay_parts(&[1; 32]).unwrap().remove(0);
    assert_eq!(done.status, SendpayStatus::Complete);
    assert_eq!(done.preimage, Some([7; 32]));
    let row = l.get_payment(&[1; 32]).unwrap().unwrap();
    assert_eq!(done.updated_index, Some(row.updated_index));

    // Identical retry after success (another route even): complete at once.
    match l.sendpay_begin(&part(1, 0, 1000, 1000, "2x2x2")).unwrap() {
        SendpayBegin::AlreadyComplete { part, .. } => assert_eq!(part.unwrap().id, p.id),
        other => panic!("{other:?}"),
    }
    // Another amount after success: 201.
    assert!(matches!(
        l.sendpay_begin(&part(1, 0, 2000, 2000, "1x1x1")).unwrap(),
        SendpayBegin::PaidDifferently(_)
    ));
    // Another destination after success: 201.
    let mut elsewhere = first.clone();
    elsewhere.destination = [3; 33];
    assert!(matches!(
        l.sendpay_begin(&elsewhere).unwrap(),
        SendpayBegin::PaidDifferently(_)
    ));
}

#[test]
fn a_failed_payment_is_retried_in_a_new_group_and_keeps_the_failure() {
    let (_dir, l) = ledger();
    let (p, _) = new_part(l.sendpay_begin(&part(2, 0, 1000, 1000, "1x1x1")).unwrap());
    let failure = PartFailure {
        code: Some(204),
        message: "channel 1x1x1 failed".to_string(),
        erring_index: Some(1),
        erring_channel: Some("1x1x1".to_string()),
        ..PartFailure::default()
    };
    assert!(l.sendpay_path_failed(&[2; 32], "1x1x1", &failure).unwrap());
    assert!(
        !l.sendpay_path_failed(&[2; 32], "9x9x9", &failure).unwrap(),
        "no such route"
    );
    l.mark_failed(&[2; 32], FailureCode::RetriesExhausted, "gave up")
        .unwrap();
    let failed = l.sendpay_parts(&[2; 32]).unwrap().remove(0);
    assert_eq!(failed.status, SendpayStatus::Failed);
    assert_eq!(failed.failure, Some(failure), "the path's details win");
    let (retry, ready) = new_part(l.sendpay_begin(&part(2, 0, 1000, 1000, "2x2x2")).unwrap());
    assert_eq!(retry.groupid, p.groupid + 1);
    assert_eq!(ready.len(), 1);
    assert_eq!(retry.attempt, 2, "a new engine attempt");
    assert_eq!(l.sendpay_parts(&[2; 32]).unwrap().len(), 2, "history kept");
}

#[test]
fn parts_gather_until_they_add_up() {
    let (_dir, l) = ledger();
    let mut one = part(3, 1, 600, 1000, "1x1x1");
    one.groupid = Some(4);
    let (_, ready) = new_part(l.sendpay_begin(&one).unwrap());
    assert!(ready.is_empty(), "600 of 1000");
    let mut wrong_total = part(3, 2, 400, 2000, "2x2x2");
    wrong_total.groupid = Some(4);
    assert!(matches!(
        l.sendpay_begin(&wrong_total).unwrap(),
        SendpayBegin::InProgress(_)
    ));
    let mut two = part(3, 2, 400, 1000, "2x2x2");
    two.groupid = Some(4);
    let (_, ready) = new_part(l.sendpay_begin(&two).unwrap());
    assert_eq!(ready.len(), 2, "the whole group goes at once");
    let mut late = part(3, 3, 100, 1000, "3x3x3");
    late.groupid = Some(4);
    assert!(matches!(
        l.sendpay_begin(&late).unwrap(),
        SendpayBegin::InProgress(_)
    ));
    assert!(
        !l.sendpay_fail_incomplete_group(&[3; 32], 4, "late")
            .unwrap(),
        "sent already"
    );

    let mut lone = part(4, 1, 500, 1000, "1x1x1");
    lone.groupid = Some(1);
    l.sendpay_begin(&lone).unwrap();
    assert!(l
        .sendpay_fail_incomplete_group(&[4; 32], 1, "did not add up")
        .unwrap());
    let failed = l.sendpay_parts(&[4; 32]).unwrap().remove(0);
    assert_eq!(failed.status, SendpayStatus::Failed);
    assert!(failed.updated_index.is_some());
    let row = l.get_payment(&[4; 32]).unwrap().unwrap();
    assert_eq!(row.status, PaymentStatus::Failed);

    // A group being gathered when its payment row fails (start-up reconciliation) fails too.
    let mut gathering = part(5, 1, 500, 1000, "1x1x1");
    gathering.groupid = Some(1);
    l.sendpay_begin(&gathering).unwrap();
    l.mark_failed(&[5; 32], FailureCode::Other, "not in flight after restart")
        .unwrap();
    let stale = l.sendpay_parts(&[5; 32]).unwrap().remove(0);
    assert_eq!(stale.status, SendpayStatus::Failed);
    let listed = l
        .list_sendpays(
            &SendpayListFilter {
                status: Some(SendpayStatus::Failed),
                ..Default::default()
            },
            true,
            0,
            10,
        )
        .unwrap();
    assert_eq!(listed.len(), 2);
}

#[test]
fn other_outbound_payments_are_listed_as_part_zero_of_group_zero() {
    let (_dir, l) = ledger();
    l.sendpay_begin(&part(6, 0, 1000, 1000, "1x1x1")).unwrap();
    let paid = NewOutbound {
        payment_hash: [8; 32],
        kind: PaymentKind::Invoice,
        destination: [3; 33],
        description: "coffee".to_string(),
        amount_msat: Some(5000),
        fee_limit_msat: None,
        payment_secret: None,
        preimage: None,
        invoice: Some("lnbcrt1".to_string()),
        expires_at: None,
        custom_records: Vec::new(),
        metadata: None,
    };
    l.insert_outbound_intent(&paid).unwrap();
    l.mark_succeeded(&[8; 32], &[9; 32], Some(7), None).unwrap();
    let all = l
        .list_sendpays(&SendpayListFilter::default(), false, 0, 10)
        .unwrap();
    assert_eq!(all.len(), 2);
    let other = &all[1];
    assert_eq!(other.payment_hash, [8; 32]);
    assert_eq!((other.groupid, other.partid), (0, 0));
    assert_eq!(other.status, SendpayStatus::Complete);
    assert_eq!(other.amount_sent_msat, 5007);
    assert_eq!(other.preimage, Some([9; 32]));
    assert_eq!(other.description.as_deref(), Some("coffee"));
    let by_bolt11 = l
        .list_sendpays(
            &SendpayListFilter {
                bolt11: Some("lnbcrt1".to_string()),
                ..Default::default()
            },
            true,
            0,
            10,
        )
        .unwrap();
    assert_eq!(by_bolt11.len(), 1);
}

#[test]
fn a_keyed_sendpay_repeat_answers_the_first_part_and_another_request_is_refused() {
    let (_dir, l) = ledger();
    let key = |fingerprint: u8| IdempotencyKey {
        key: "route-1".into(),
        fingerprint: [fingerprint; 32],
    };
    let (first, _) = new_part(
        l.sendpay_begin_keyed(&part(1, 0, 1000, 1000, "1x1x1"), Some(&key(1)))
            .unwrap(),
    );
    // The same request under the key (a client retrying after a timeout, with a fresh hash):
    // the first payment's part, and nothing recorded for the new hash.
    match l
        .sendpay_begin_keyed(&part(2, 0, 1000, 1000, "1x1x1"), Some(&key(1)))
        .unwrap()
    {
        SendpayBegin::Replay(again) => assert_eq!(again.id, first.id),
        other => panic!("{other:?}"),
    }
    assert!(l.get_payment(&[2; 32]).unwrap().is_none());
    // Another request under the same key is refused, and records nothing either.
    assert!(matches!(
        l.sendpay_begin_keyed(&part(3, 0, 2000, 2000, "1x1x1"), Some(&key(2))),
        Err(LedgerError::IdempotencyKeyReused(k)) if k == "route-1"
    ));
    assert!(l.get_payment(&[3; 32]).unwrap().is_none());
}
