//! Claim decisions, and the idempotency of outbound outcomes over a real ledger.

use std::time::Duration;

use lightning::events::PaymentFailureReason;
use lightning::types::payment::PaymentPreimage;

use super::*;
use crate::ledger::{LedgerOptions, NewOutbound, OutboundIntent, PaymentKind, PaymentStatus};

const ALLOWED: [u64; 2] = [112_111_100, 818_818];

#[test]
fn odd_records_are_claimed_plainly() {
    let records = vec![(7_629_169, b"{}".to_vec()), (7_629_171, b"hi".to_vec())];
    assert_eq!(claim_decision(&records, &ALLOWED), ClaimDecision::Claim);
    assert_eq!(claim_decision(&[], &ALLOWED), ClaimDecision::Claim);
}

#[test]
fn allowed_even_records_need_the_known_tlv_claim() {
    let records = vec![(7_629_169, vec![]), (112_111_100, b"wal_x".to_vec())];
    assert_eq!(
        claim_decision(&records, &ALLOWED),
        ClaimDecision::ClaimWithKnownEvenRecords
    );
}

#[test]
fn an_unknown_even_record_is_rejected_by_name() {
    let records = vec![(112_111_100, vec![]), (65_538, vec![1])];
    match claim_decision(&records, &ALLOWED) {
        ClaimDecision::Reject { reason } => assert!(reason.contains("65538"), "{reason}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

// --- Outbound outcomes over a real ledger: replays change nothing, stale attempts are ignored,
// a busy ledger asks LDK to replay.

const HASH: [u8; 32] = [0x11; 32];
const PREIMAGE: [u8; 32] = [0x22; 32];

fn ledger(busy_timeout: Duration) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = LedgerOptions {
        busy_timeout,
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(dir.path().join("ledger.sqlite"), options).expect("ledger");
    (dir, ledger)
}

fn intent(ledger: &Ledger) -> OutboundIntent {
    ledger
        .insert_outbound_intent(&NewOutbound {
            payment_hash: HASH,
            kind: PaymentKind::Invoice,
            destination: [2; 33],
            description: "test".to_string(),
            amount_msat: Some(10_000),
            fee_limit_msat: Some(100),
            payment_secret: Some([3; 32]),
            preimage: None,
            invoice: None,
            expires_at: None,
            custom_records: Vec::new(),
            metadata: None,
        })
        .expect("intent")
}

fn sent() -> Event {
    Event::PaymentSent {
        payment_id: Some(payment_id_for(&HASH, 1)),
        payment_preimage: PaymentPreimage(PREIMAGE),
        payment_hash: PaymentHash(HASH),
        amount_msat: Some(10_000),
        fee_paid_msat: Some(42),
        bolt12_invoice: None,
    }
}

fn failed(attempt: u32) -> Event {
    Event::PaymentFailed {
        payment_id: payment_id_for(&HASH, attempt),
        payment_hash: Some(PaymentHash(HASH)),
        reason: Some(PaymentFailureReason::RetriesExhausted),
    }
}

fn row(ledger: &Ledger) -> crate::ledger::Payment {
    ledger.get_payment(&HASH).expect("read").expect("row")
}

#[tokio::test]
async fn a_replayed_payment_sent_changes_nothing_and_a_late_failure_keeps_the_success() {
    let (_dir, ledger) = ledger(Duration::from_secs(5));
    intent(&ledger);
    let notifier = PaymentNotifier::new();
    let mut waiter = notifier.subscribe(HASH);

    apply_outbound_outcome(&ledger, &notifier, sent())
        .await
        .expect("recorded");
    let first = row(&ledger);
    assert_eq!(first.status, PaymentStatus::Succeeded);
    assert_eq!(first.preimage, Some(PREIMAGE));
    assert_eq!(first.fee_paid_msat, Some(42));
    tokio::time::timeout(Duration::from_secs(5), waiter.changed())
        .await
        .expect("the waiter is woken after the commit");

    apply_outbound_outcome(&ledger, &notifier, sent())
        .await
        .expect("replay accepted");
    apply_outbound_outcome(&ledger, &notifier, failed(1))
        .await
        .expect("late failure accepted");
    let after = row(&ledger);
    assert_eq!(after.status, PaymentStatus::Succeeded);
    assert_eq!(
        after.updated_index, first.updated_index,
        "nothing rewritten"
    );
}

#[tokio::test]
async fn a_failure_of_a_superseded_attempt_does_not_fail_the_retry() {
    let (_dir, ledger) = ledger(Duration::from_secs(5));
    let notifier = PaymentNotifier::new();
    intent(&ledger);
    apply_outbound_outcome(&ledger, &notifier, failed(1))
        .await
        .expect("first attempt failed");
    assert_eq!(row(&ledger).status, PaymentStatus::Failed);
    assert!(matches!(intent(&ledger), OutboundIntent::Retrying(p) if p.attempts == 2));

    // LDK hands the first attempt's failure again (a replay after a restart).
    apply_outbound_outcome(&ledger, &notifier, failed(1))
        .await
        .expect("stale failure accepted");
    assert_eq!(
        row(&ledger).status,
        PaymentStatus::Pending,
        "the retry is in flight"
    );

    apply_outbound_outcome(&ledger, &notifier, failed(2))
        .await
        .expect("retry failed");
    let failed_row = row(&ledger);
    assert_eq!(failed_row.status, PaymentStatus::Failed);
    let reason = failed_row.failure.expect("a reason").reason;
    assert!(reason.contains("retries exhausted"), "{reason}");
}

#[tokio::test]
async fn a_busy_ledger_asks_for_a_replay_and_the_replay_records_it() {
    let (dir, ledger) = ledger(Duration::from_millis(50));
    intent(&ledger);
    let notifier = PaymentNotifier::new();
    let other_writer =
        rusqlite::Connection::open(dir.path().join("ledger.sqlite")).expect("second connection");
    other_writer
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");

    let result = apply_outbound_outcome(&ledger, &notifier, sent()).await;
    assert!(
        result.is_err(),
        "a busy ledger must make LDK replay the event"
    );
    assert_eq!(row(&ledger).status, PaymentStatus::Pending);

    other_writer.execute_batch("ROLLBACK").expect("release");
    apply_outbound_outcome(&ledger, &notifier, sent())
        .await
        .expect("the replay is recorded");
    assert_eq!(row(&ledger).status, PaymentStatus::Succeeded);
}

#[tokio::test]
async fn an_outcome_for_a_payment_we_never_recorded_is_not_replayed_forever() {
    let (_dir, ledger) = ledger(Duration::from_secs(5));
    let notifier = PaymentNotifier::new();
    apply_outbound_outcome(&ledger, &notifier, sent())
        .await
        .expect("an unknown hash is logged, not replayed");
    assert!(ledger.get_payment(&HASH).expect("read").is_none());
}
