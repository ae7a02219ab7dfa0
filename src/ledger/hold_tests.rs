//! Unit tests of the hold-invoice rules: held, replayed, replaced, settled, canceled, refused.

use super::*;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
    (dir, ledger)
}

fn hold(ledger: &Ledger, hash: u8) {
    ledger
        .insert_hold_invoice(
            &NewInboundInvoice {
                payment_hash: [hash; 32],
                description: "swap leg".into(),
                amount_msat: Some(10_000),
                payment_secret: Some([7; 32]),
                preimage: None,
                invoice: "lnbcrt100n1...".into(),
                expires_at: None,
                metadata: None,
            },
            None,
        )
        .unwrap();
}

fn set(hash: u8, id: u8, amount_msat: u64, deadline: u32) -> InboundClaimable {
    InboundClaimable {
        payment_hash: [hash; 32],
        amount_msat,
        preimage: None,
        custom_records: vec![],
        htlc_set: Some([id; 32]),
        claim_deadline_height: Some(deadline),
    }
}

fn held(outcome: ClaimableOutcome) -> Applied {
    match outcome {
        ClaimableOutcome::Hold(applied) => applied,
        other => panic!("expected a hold, got {other:?}"),
    }
}

#[test]
fn a_hold_invoice_is_held_replayed_replaced_then_settled() {
    let (_dir, l) = ledger();
    hold(&l, 1);
    assert!(matches!(
        l.insert_hold_invoice(
            &NewInboundInvoice {
                payment_hash: [1; 32],
                description: String::new(),
                amount_msat: None,
                payment_secret: None,
                preimage: None,
                invoice: String::new(),
                expires_at: None,
                metadata: None,
            },
            None
        ),
        Err(LedgerError::HashInUse(_))
    ));
    let nothing = l.record_settle_preimage(&[1; 32], &[9; 32]).unwrap();
    assert!(matches!(nothing, SettleOutcome::NotHeld(ref p) if p.status == PaymentStatus::Pending));

    let first = held(l.record_inbound_claimable(&set(1, 1, 10_000, 500)).unwrap());
    assert!(first.changed);
    assert_eq!(first.payment.status, PaymentStatus::Held);
    assert_eq!(first.payment.claim_deadline_height, Some(500));
    assert!(first.payment.hold);
    let replay = held(l.record_inbound_claimable(&set(1, 1, 10_000, 500)).unwrap());
    assert!(!replay.changed);
    let replaced = held(l.record_inbound_claimable(&set(1, 2, 10_000, 520)).unwrap());
    assert!(replaced.changed);
    assert_eq!(replaced.payment.claim_deadline_height, Some(520));
    assert!(matches!(
        l.record_inbound_claimable(&set(1, 3, 9_000, 530)).unwrap(),
        ClaimableOutcome::Refuse { .. }
    ));
    assert_eq!(l.held_due(519).unwrap(), vec![]);
    assert_eq!(l.held_due(520).unwrap().len(), 1);

    // Settle: intent first; the row stays held (and out of the auto-cancel) until LDK confirms.
    let settle = l.record_settle_preimage(&[1; 32], &[9; 32]).unwrap();
    assert!(matches!(settle, SettleOutcome::Settle(ref p) if p.preimage == Some([9; 32])));
    assert!(l.held_due(1000).unwrap().is_empty());
    // A replayed set while settling is claimed; a cancel is too late.
    assert!(matches!(
        l.record_inbound_claimable(&set(1, 2, 10_000, 520)).unwrap(),
        ClaimableOutcome::Claim(_)
    ));
    assert!(matches!(
        l.cancel_hold_invoice(&[1; 32], "x").unwrap(),
        CancelOutcome::Settled(_)
    ));
    l.mark_succeeded(&[1; 32], &[9; 32], None, Some(10_000))
        .unwrap();
    assert!(matches!(
        l.record_settle_preimage(&[1; 32], &[9; 32]).unwrap(),
        SettleOutcome::AlreadySettled(_)
    ));
    assert!(matches!(
        l.record_inbound_claimable(&set(1, 2, 10_000, 520)).unwrap(),
        ClaimableOutcome::AlreadyClaimed(_)
    ));
    let second = l.record_inbound_claimable(&set(1, 4, 10_000, 600)).unwrap();
    assert!(
        matches!(second, ClaimableOutcome::Refuse { ref reason, .. } if reason.contains("already settled"))
    );
}

#[test]
fn a_canceled_hold_invoice_refuses_later_sets_and_settles() {
    let (_dir, l) = ledger();
    hold(&l, 2);
    held(l.record_inbound_claimable(&set(2, 1, 10_000, 500)).unwrap());
    let canceled = l
        .cancel_hold_invoice(&[2; 32], "canceled by the client")
        .unwrap();
    let CancelOutcome::Canceled(applied) = canceled else {
        panic!("{canceled:?}")
    };
    assert_eq!(applied.payment.status, PaymentStatus::Canceled);
    assert_eq!(
        applied.payment.failure.map(|f| (f.code, f.reason)),
        Some((FailureCode::Canceled, "canceled by the client".to_string()))
    );
    assert!(matches!(
        l.cancel_hold_invoice(&[2; 32], "again").unwrap(),
        CancelOutcome::AlreadyCanceled(_)
    ));
    assert!(matches!(
        l.record_settle_preimage(&[2; 32], &[9; 32]).unwrap(),
        SettleOutcome::NotHeld(ref p) if p.status == PaymentStatus::Canceled
    ));
    let later = l.record_inbound_claimable(&set(2, 2, 10_000, 600)).unwrap();
    assert!(
        matches!(later, ClaimableOutcome::Refuse { ref reason, .. } if reason.contains("canceled"))
    );
    assert_eq!(l.refused_htlc_sets(&[2; 32]).unwrap().len(), 1);
    let filter = PaymentFilter {
        status: Some(PaymentStatus::Canceled),
        ..PaymentFilter::default()
    };
    let page = l.list_payments(&filter, 10, Paging::PageNumber(1)).unwrap();
    assert_eq!(page.total, 1);
}

#[test]
fn only_hold_invoices_are_settled_or_canceled_here() {
    let (_dir, l) = ledger();
    l.insert_inbound_invoice(&NewInboundInvoice {
        payment_hash: [3; 32],
        description: "plain".into(),
        amount_msat: Some(1),
        payment_secret: None,
        preimage: Some([4; 32]),
        invoice: "lnbcrt...".into(),
        expires_at: None,
        metadata: None,
    })
    .unwrap();
    assert!(matches!(
        l.cancel_hold_invoice(&[3; 32], "x").unwrap(),
        CancelOutcome::NotHold(_)
    ));
    assert!(matches!(
        l.record_settle_preimage(&[3; 32], &[4; 32]).unwrap(),
        SettleOutcome::NotHeld(ref p) if !p.hold
    ));
    assert!(matches!(
        l.cancel_hold_invoice(&[5; 32], "x"),
        Err(LedgerError::NoSuchPayment(_))
    ));
}
