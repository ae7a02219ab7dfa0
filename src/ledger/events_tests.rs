//! Unit tests of the event log and the webhook outbox: written with the change, in order,
//! never by a no-op or a refused write; pruning and expired cursors; index feeds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::*;

fn open() -> (tempfile::TempDir, Ledger, Arc<AtomicU64>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicU64::new(1_700_000_000));
    let source = clock.clone();
    let options = LedgerOptions {
        clock: Some(Arc::new(move || source.load(Ordering::SeqCst))),
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(dir.path().join("mmln.sqlite"), options).unwrap();
    (dir, ledger, clock)
}

fn invoice(hash: u8) -> NewInboundInvoice {
    NewInboundInvoice {
        payment_hash: [hash; 32],
        description: "burger".into(),
        amount_msat: Some(1000),
        payment_secret: Some([7; 32]),
        preimage: Some([hash ^ 0xff; 32]),
        invoice: "lntb1...".into(),
        expires_at: None,
        metadata: Some(r#"{"order":1}"#.into()),
    }
}

fn claimable(hash: u8) -> InboundClaimable {
    InboundClaimable {
        payment_hash: [hash; 32],
        amount_msat: 1000,
        preimage: Some([hash ^ 0xff; 32]),
        custom_records: Vec::new(),
        htlc_set: Some([hash; 32]),
    }
}

fn kinds(page: &EventPage) -> Vec<(u64, &'static str)> {
    page.events
        .iter()
        .map(|e| (e.event_index, e.kind.as_str()))
        .collect()
}

#[test]
fn each_change_appends_one_event_and_a_no_op_appends_none() {
    let (_dir, ledger, _) = open();
    let mut watch = ledger.event_watch();
    assert_eq!(*watch.borrow_and_update(), 0);
    ledger.insert_inbound_invoice(&invoice(1)).unwrap();
    assert!(
        watch.has_changed().unwrap(),
        "a commit with events notifies"
    );
    assert_eq!(*watch.borrow_and_update(), 1);
    ledger.insert_inbound_invoice(&invoice(1)).unwrap(); // replay
    ledger.record_inbound_claimable(&claimable(1)).unwrap();
    ledger.record_inbound_claimable(&claimable(1)).unwrap(); // replay
    ledger
        .mark_succeeded(&[1; 32], &[1 ^ 0xff; 32], None, None)
        .unwrap();
    ledger
        .mark_succeeded(&[1; 32], &[1 ^ 0xff; 32], None, None)
        .unwrap(); // replay
                   // A refused write rolls back its event too.
    assert!(ledger
        .mark_succeeded(&[1; 32], &[9; 32], None, None)
        .is_err());
    let page = ledger.list_events(0, 100, &[]).unwrap();
    assert_eq!(
        kinds(&page),
        [
            (1, "payment_created"),
            (2, "payment_claimable"),
            (3, "payment_succeeded")
        ]
    );
    assert_eq!(page.next_index, 4);
    assert_eq!(*watch.borrow_and_update(), 3);
    let data: serde_json::Value = serde_json::from_str(&page.events[2].data).unwrap();
    assert_eq!(data["status"], "succeeded");
    assert_eq!(data["direction"], "inbound");
    assert_eq!(page.events[2].subject, hex::encode([1u8; 32]));
}

#[test]
fn a_kinds_filter_skips_what_it_does_not_want() {
    let (_dir, ledger, _) = open();
    for h in 1..=3 {
        ledger.insert_inbound_invoice(&invoice(h)).unwrap();
    }
    ledger.record_inbound_claimable(&claimable(2)).unwrap();
    let wanted = EventKind::matching("payment_claimable");
    let page = ledger.list_events(0, 100, &wanted).unwrap();
    assert_eq!(kinds(&page), [(4, "payment_claimable")]);
    assert_eq!(page.next_index, 5);
    let page = ledger.list_events(5, 100, &wanted).unwrap();
    assert!(page.events.is_empty());
    assert_eq!(page.next_index, 5);
    // A full page continues right after its last event.
    let page = ledger.list_events(0, 2, &[]).unwrap();
    assert_eq!(page.next_index, 3);
    assert!(matches!(
        ledger.list_events(0, 0, &[]),
        Err(LedgerError::InvalidLimit { .. })
    ));
}

#[test]
fn the_outbox_is_filled_by_route_kinds_and_per_payment_urls() {
    let (_dir, ledger, _) = open();
    ledger
        .set_webhook_routes(&[
            WebhookRoute {
                url: "http://127.0.0.1:1/all".into(),
                kinds: None,
            },
            WebhookRoute {
                url: "http://127.0.0.1:1/final".into(),
                kinds: Some(vec!["payment_succeeded".into(), "channel".into()]),
            },
        ])
        .unwrap();
    ledger
        .insert_inbound_invoice_with_webhook(&invoice(1), Some("http://127.0.0.1:1/mine"))
        .unwrap();
    ledger.insert_inbound_invoice(&invoice(2)).unwrap();
    ledger.record_inbound_claimable(&claimable(1)).unwrap();
    ledger
        .mark_succeeded(&[1; 32], &[1 ^ 0xff; 32], None, None)
        .unwrap();
    let owed: Vec<(u64, String)> = ledger
        .list_webhook_deliveries(0, 100)
        .unwrap()
        .into_iter()
        .map(|d| (d.event_index, d.url.rsplit('/').next().unwrap().to_string()))
        .collect();
    let expected: Vec<(u64, String)> = [
        (1, "all"),
        (1, "mine"),
        (2, "all"),
        (3, "all"),
        (3, "mine"),
        (4, "all"),
        (4, "final"),
        (4, "mine"),
    ]
    .iter()
    .map(|(i, u)| (*i, u.to_string()))
    .collect();
    let mut owed_sorted = owed.clone();
    owed_sorted.sort();
    assert_eq!(owed_sorted, expected);

    // Attempts: 500, then delivered.
    let now_ms = 1_700_000_000_000 + 5;
    let due = ledger.due_webhooks(now_ms, 100).unwrap();
    assert_eq!(due.len(), 8);
    let first = &due[0];
    ledger
        .record_webhook_attempt(
            first.id,
            now_ms,
            Some(500),
            None,
            DeliveryOutcome::RetryAt(now_ms + 1000),
        )
        .unwrap();
    assert_eq!(ledger.due_webhooks(now_ms, 100).unwrap().len(), 7);
    assert_eq!(
        ledger.next_webhook_due_ms().unwrap(),
        Some(1_700_000_000_000)
    );
    ledger
        .record_webhook_attempt(
            first.id,
            now_ms + 1000,
            Some(200),
            None,
            DeliveryOutcome::Delivered,
        )
        .unwrap();
    let d = ledger
        .list_webhook_deliveries(0, 100)
        .unwrap()
        .into_iter()
        .find(|d| d.id == first.id)
        .unwrap();
    assert_eq!(d.state, "delivered");
    let statuses: Vec<Option<u16>> = d.attempts.iter().map(|a| a.http_status).collect();
    assert_eq!(statuses, [Some(500), Some(200)]);
}

#[test]
fn pruning_removes_a_prefix_and_expires_older_cursors() {
    let (_dir, ledger, clock) = open();
    ledger.insert_inbound_invoice(&invoice(1)).unwrap();
    ledger.insert_inbound_invoice(&invoice(2)).unwrap();
    clock.fetch_add(100, Ordering::SeqCst);
    ledger.insert_inbound_invoice(&invoice(3)).unwrap();
    assert_eq!(ledger.prune_events(1_700_000_050).unwrap(), 2);
    let err = ledger.list_events(2, 10, &[]).unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::CursorExpired {
                from_index: 2,
                oldest_index: 3,
                next_index: 4
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("resync"));
    assert!(ledger.list_events(0, 10, &[]).is_err());
    assert_eq!(
        kinds(&ledger.list_events(3, 10, &[]).unwrap()),
        [(3, "payment_created")]
    );
    // Indexes are never reused after a prune.
    ledger.insert_inbound_invoice(&invoice(4)).unwrap();
    assert_eq!(ledger.last_event_index().unwrap(), 4);

    // An event a webhook still owes is kept, and so is everything after it.
    ledger
        .set_webhook_routes(&[WebhookRoute {
            url: "http://127.0.0.1:1/x".into(),
            kinds: None,
        }])
        .unwrap();
    ledger.insert_inbound_invoice(&invoice(5)).unwrap();
    assert_eq!(ledger.prune_events(u64::MAX / 2).unwrap(), 2);
    assert_eq!(
        kinds(&ledger.list_events(5, 10, &[]).unwrap()),
        [(5, "payment_created")]
    );
}

#[test]
fn channel_events_follow_the_states_forward_only() {
    let (_dir, ledger, _) = open();
    let mut seen = OpenChannelSighting {
        uuid: "u1".into(),
        channel_id: "aa".repeat(32),
        counterparty_node_id: "02".to_string() + &"11".repeat(32),
        funding_tx: None,
        funding_tx_output_index: None,
        funding_value_sats: 100_000,
        is_outbound: true,
        is_public: false,
        state: ChannelState::Opening,
    };
    ledger.record_open_channels(&[seen.clone()]).unwrap();
    ledger.record_open_channels(&[seen.clone()]).unwrap();
    seen.state = ChannelState::Usable;
    ledger.record_open_channels(&[seen.clone()]).unwrap();
    seen.state = ChannelState::Opening; // a stale sighting does not go back
    ledger.record_open_channels(&[seen.clone()]).unwrap();
    seen.state = ChannelState::Closing;
    ledger.record_open_channels(&[seen.clone()]).unwrap();
    let closure = ChannelClosure {
        uuid: "u1".into(),
        channel_id: "aa".repeat(32),
        counterparty_node_id: None,
        funding_tx: None,
        funding_tx_output_index: None,
        funding_value_sats: None,
        closure_reason: "cooperative".into(),
        last_local_balance_msat: None,
        closed_at: 1_700_000_100,
    };
    ledger.record_channel_closed(&closure).unwrap();
    ledger.record_channel_closed(&closure).unwrap();
    let page = ledger.list_events(0, 100, &[]).unwrap();
    assert_eq!(
        kinds(&page),
        [
            (1, "channel_opened"),
            (2, "channel_usable"),
            (3, "channel_closing"),
            (4, "channel_closed")
        ]
    );
    let data: serde_json::Value = serde_json::from_str(&page.events[3].data).unwrap();
    assert_eq!(data["state"], "closed");
    assert_eq!(data["is_outbound"], true);
}

#[test]
fn index_feeds_find_the_first_change_per_direction_and_page_by_index() {
    let (_dir, ledger, _) = open();
    ledger.insert_inbound_invoice(&invoice(1)).unwrap(); // created 1, updated 1
    ledger.insert_inbound_invoice(&invoice(2)).unwrap(); // created 2, updated 2
    ledger.record_inbound_claimable(&claimable(1)).unwrap(); // updated 3
    let change = ledger
        .first_change_at(Direction::Inbound, IndexKind::Updated, 3)
        .unwrap()
        .unwrap();
    assert_eq!(change.index, 3);
    assert_eq!(change.status, PaymentStatus::Claimable);
    assert_eq!(change.payment.payment_hash, [1; 32]);
    let first = ledger
        .first_change_at(Direction::Inbound, IndexKind::Updated, 1)
        .unwrap()
        .unwrap();
    assert_eq!(
        first.status,
        PaymentStatus::Pending,
        "the status that change set"
    );
    assert!(ledger
        .first_change_at(Direction::Outbound, IndexKind::Created, 1)
        .unwrap()
        .is_none());
    assert_eq!(
        ledger
            .last_index(Direction::Inbound, IndexKind::Created)
            .unwrap(),
        2
    );
    assert_eq!(
        ledger
            .last_index(Direction::Inbound, IndexKind::Updated)
            .unwrap(),
        3
    );

    let all = PaymentFilter::default();
    let page = ledger
        .list_payments_by_index(&all, IndexKind::Updated, 0, 10)
        .unwrap();
    let order: Vec<u8> = page.iter().map(|p| p.payment_hash[0]).collect();
    assert_eq!(order, [2, 1], "by updated_index: 2 (2), then 1 (3)");
    let claimable_only = PaymentFilter {
        status: Some(PaymentStatus::Claimable),
        ..PaymentFilter::default()
    };
    let page = ledger
        .list_payments_by_index(&claimable_only, IndexKind::Created, 0, 10)
        .unwrap();
    assert_eq!(page.len(), 1);
    let page = ledger
        .list_payments_by_index(&all, IndexKind::Created, 2, 10)
        .unwrap();
    assert_eq!(page.len(), 1);
}
