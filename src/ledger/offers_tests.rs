//! Unit tests of the BOLT 12 writes: offers, intents and their idempotency, the invoice
//! arrival against the timeout, inbound rows and disabled offers.

use super::*;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
    (dir, ledger)
}

fn offer(id: u8, created_at: u64) -> OfferRecord {
    OfferRecord {
        offer_id: [id; 32],
        offer: format!("lno1offer{id}"),
        description: "Coffee".to_string(),
        amount_msat: Some(20_000),
        quantity_max: None,
        expires_at: None,
        issuer: None,
        created_at,
        disabled_at: None,
    }
}

fn intent(id: u8, key: Option<(&str, u8)>) -> NewBolt12Intent {
    NewBolt12Intent {
        payment_id: [id; 32],
        kind: Bolt12Kind::Offer,
        bolt12: "lno1offer1".to_string(),
        offer_id: Some([1; 32]),
        description: "Coffee".to_string(),
        amount_msat: 20_000,
        quantity: Some(2),
        payer_note: Some("no sugar".to_string()),
        fee_limit_msat: 5_000,
        metadata: None,
        webhook_url: None,
        idempotency: key.map(|(key, f)| IdempotencyKey {
            key: key.to_string(),
            fingerprint: [f; 32],
        }),
    }
}

fn invoice(hash: u8, amount_msat: u64) -> ArrivedInvoice {
    ArrivedInvoice {
        payment_hash: [hash; 32],
        destination: [2; 33],
        amount_msat,
        expires_at: Some(1_800_000_000),
    }
}

#[test]
fn offers_are_listed_newest_first_and_disabled_once() {
    let (_dir, l) = ledger();
    l.insert_offer(&offer(1, 100)).unwrap();
    l.insert_offer(&offer(2, 200)).unwrap();
    // Idempotent on the id.
    assert_eq!(l.insert_offer(&offer(1, 999)).unwrap().created_at, 100);
    let ids: Vec<u8> = l
        .list_offers(false)
        .unwrap()
        .iter()
        .map(|o| o.offer_id[0])
        .collect();
    assert_eq!(ids, vec![2, 1]);
    let first = l.disable_offer(&[1; 32]).unwrap();
    assert!(first.disabled_at.is_some());
    assert_eq!(
        l.disable_offer(&[1; 32]).unwrap().disabled_at,
        first.disabled_at
    );
    assert_eq!(l.list_offers(false).unwrap().len(), 1);
    assert_eq!(l.list_offers(true).unwrap().len(), 2);
    assert!(matches!(
        l.disable_offer(&[9; 32]),
        Err(LedgerError::NoSuchOffer(_))
    ));
}

#[test]
fn a_keyed_intent_replays_and_refuses_another_request() {
    let (_dir, l) = ledger();
    let first = l.insert_bolt12_intent(&intent(1, Some(("k", 7)))).unwrap();
    assert!(matches!(first, Bolt12IntentInsert::Created(_)));
    let again = l.insert_bolt12_intent(&intent(1, Some(("k", 7)))).unwrap();
    assert!(
        matches!(again, Bolt12IntentInsert::Replay(ref i) if i.status == Bolt12IntentStatus::AwaitingInvoice)
    );
    assert!(matches!(
        l.insert_bolt12_intent(&intent(1, Some(("k", 8)))),
        Err(LedgerError::IdempotencyKeyReused(_))
    ));
    // One namespace: a keysend under an offer payment's key is refused too.
    let keysend = NewOutbound {
        payment_hash: [9; 32],
        kind: PaymentKind::Keysend,
        destination: [3; 33],
        description: String::new(),
        amount_msat: Some(1_000),
        fee_limit_msat: Some(5_000),
        payment_secret: None,
        preimage: Some([8; 32]),
        invoice: None,
        expires_at: None,
        custom_records: Vec::new(),
        metadata: None,
    };
    let key = IdempotencyKey {
        key: "k".to_string(),
        fingerprint: [7; 32],
    };
    assert!(matches!(
        l.insert_outbound_intent_keyed(&keysend, None, Some(&key), None),
        Err(LedgerError::IdempotencyKeyReused(_))
    ));
}

#[test]
fn the_invoice_writes_the_row_once_and_a_timeout_after_it_changes_nothing() {
    let (_dir, l) = ledger();
    l.insert_bolt12_intent(&intent(1, None)).unwrap();
    let InvoiceArrival::Pay(row) = l
        .bolt12_invoice_arrived(&[1; 32], &invoice(5, 20_000))
        .unwrap()
    else {
        panic!("the first invoice is paid");
    };
    assert_eq!(row.status, PaymentStatus::Pending);
    assert_eq!(row.direction, Direction::Outbound);
    let info = row.bolt12.expect("BOLT 12 facts");
    assert_eq!(info.kind, Bolt12Kind::Offer);
    assert_eq!(info.offer_id, Some([1; 32]));
    assert_eq!(info.payer_note.as_deref(), Some("no sugar"));
    assert_eq!(info.quantity, Some(2));
    // A replayed event does not write again; the timeout lost the race.
    assert!(matches!(
        l.bolt12_invoice_arrived(&[1; 32], &invoice(5, 20_000)).unwrap(),
        InvoiceArrival::NotAwaiting(ref i) if i.payment_hash == Some([5; 32])
    ));
    assert_eq!(l.fail_bolt12_intent(&[1; 32], "timeout").unwrap(), None);
    let filter = PaymentFilter {
        offer_id: Some([1; 32]),
        ..PaymentFilter::default()
    };
    let page = l.list_payments(&filter, 10, Paging::PageNumber(1)).unwrap();
    assert_eq!(page.total, 1);
    // The row's created event carries its BOLT 12 facts too.
    let created = l.event(1).unwrap().expect("the created event");
    let data: serde_json::Value = serde_json::from_str(&created.data).unwrap();
    assert_eq!(data["bolt12"], "offer");
    assert_eq!(data["offer_id"], hex::encode([1u8; 32]));
    assert_eq!(data["payer_note"], "no sugar");
    assert_eq!(data["quantity"], 2);
    assert_eq!(data["status"], "pending");
}

#[test]
fn an_invoice_asking_more_is_refused_and_a_late_one_after_a_timeout_is_not_paid() {
    let (_dir, l) = ledger();
    l.insert_bolt12_intent(&intent(1, None)).unwrap();
    assert!(matches!(
        l.bolt12_invoice_arrived(&[1; 32], &invoice(5, 20_001)).unwrap(),
        InvoiceArrival::Refused(ref reason) if reason.contains("more than the 20000 msat agreed")
    ));
    assert!(
        l.get_payment(&[5; 32]).unwrap().is_none(),
        "no row for a refused invoice"
    );

    l.insert_bolt12_intent(&intent(2, None)).unwrap();
    let failed = l
        .fail_bolt12_intent(&[2; 32], "no invoice")
        .unwrap()
        .expect("was waiting");
    assert_eq!(failed.status, Bolt12IntentStatus::Failed);
    assert!(matches!(
        l.bolt12_invoice_arrived(&[2; 32], &invoice(6, 20_000))
            .unwrap(),
        InvoiceArrival::NotAwaiting(_)
    ));
    assert!(l.get_payment(&[6; 32]).unwrap().is_none());
    assert!(matches!(
        l.bolt12_invoice_arrived(&[3; 32], &invoice(7, 1)).unwrap(),
        InvoiceArrival::Unknown
    ));
}

#[test]
fn inbound_offer_payments_are_recorded_and_a_disabled_offer_refuses_them() {
    let (_dir, l) = ledger();
    l.insert_offer(&offer(1, 100)).unwrap();
    let inbound = |hash: u8| InboundBolt12 {
        payment_hash: [hash; 32],
        kind: Bolt12Kind::Offer,
        offer_id: Some([1; 32]),
        payer_note: Some("hi".to_string()),
        quantity: None,
        amount_msat: 20_000,
        preimage: Some([hash + 100; 32]),
    };
    assert_eq!(
        l.record_inbound_bolt12(&inbound(5)).unwrap(),
        InboundBolt12Outcome::Recorded
    );
    // A replay keeps the one row.
    l.record_inbound_bolt12(&inbound(5)).unwrap();
    let row = l.get_payment(&[5; 32]).unwrap().unwrap();
    assert_eq!(row.status, PaymentStatus::Pending);
    assert_eq!(row.description, "Coffee");
    assert_eq!(row.bolt12.unwrap().payer_note.as_deref(), Some("hi"));

    l.disable_offer(&[1; 32]).unwrap();
    let InboundBolt12Outcome::OfferDisabled(reason) = l.record_inbound_bolt12(&inbound(6)).unwrap()
    else {
        panic!("a disabled offer refuses");
    };
    assert!(reason.contains("disabled"));
    let row = l.get_payment(&[6; 32]).unwrap().unwrap();
    assert_eq!(row.status, PaymentStatus::Failed);
    assert_eq!(row.failure.unwrap().reason, reason);
}
