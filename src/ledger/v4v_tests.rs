//! Unit tests of migration 9: idempotency keys, value splits, bLIP-10 search, wallets.

use super::*;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
    (dir, ledger)
}

fn keysend(hash: u8, amount: u64, records: &[(u64, &str)]) -> NewOutbound {
    NewOutbound {
        payment_hash: [hash; 32],
        kind: PaymentKind::Keysend,
        destination: [3; 33],
        description: String::new(),
        amount_msat: Some(amount),
        fee_limit_msat: Some(50),
        payment_secret: None,
        preimage: Some([hash ^ 0xff; 32]),
        invoice: None,
        expires_at: None,
        custom_records: records
            .iter()
            .map(|(key, value)| CustomRecord {
                key: *key,
                value: value.as_bytes().to_vec(),
            })
            .collect(),
        metadata: None,
    }
}

fn key(text: &str, fingerprint: u8) -> IdempotencyKey {
    IdempotencyKey {
        key: text.into(),
        fingerprint: [fingerprint; 32],
    }
}

fn received(hash: u8, records: &[(u64, &str)]) -> InboundClaimable {
    InboundClaimable {
        payment_hash: [hash; 32],
        amount_msat: 21_000,
        preimage: Some([hash ^ 0xff; 32]),
        custom_records: records
            .iter()
            .map(|(key, value)| CustomRecord {
                key: *key,
                value: value.as_bytes().to_vec(),
            })
            .collect(),
        htlc_set: Some([hash; 32]),
        claim_deadline_height: None,
    }
}

fn hashes(ledger: &Ledger, filter: PaymentFilter) -> Vec<u8> {
    let page = ledger
        .list_payments(&filter, 100, Paging::PageNumber(1))
        .unwrap();
    assert_eq!(page.total, page.payments.len() as u64);
    let listed: Vec<u8> = page.payments.iter().map(|p| p.payment_hash[0]).collect();
    // `list_payments` picks one way to write the page; every way must give the same rows in
    // the same order.
    for access in [filter::RangeAccess::Indexed, filter::RangeAccess::RowCheck] {
        let c = filter::conditions_for(&filter, access);
        let mut params = c.params.clone();
        params.extend([
            rusqlite::types::Value::Integer(100),
            rusqlite::types::Value::Integer(0),
        ]);
        let rows = ledger
            .read(|tx| {
                row::query_payments(
                    tx,
                    &query::list_sql(&c).page_by_offset,
                    rusqlite::params_from_iter(params),
                )
            })
            .unwrap();
        let written: Vec<u8> = rows.iter().map(|p| p.payment_hash[0]).collect();
        assert_eq!(written, listed, "{access:?} {filter:?}");
    }
    let mut found = listed;
    found.sort_unstable();
    found
}

#[test]
fn a_key_replays_its_payment_and_refuses_another_request() {
    let (_dir, ledger) = ledger();
    let first = ledger
        .insert_outbound_intent_keyed(&keysend(1, 1000, &[]), None, Some(&key("k", 1)), None)
        .unwrap();
    let KeyedIntent::Intent(OutboundIntent::Created(created)) = first else {
        panic!("{first:?}")
    };
    // A retried keysend has a new random hash; the key still finds the first payment.
    let again = ledger
        .insert_outbound_intent_keyed(&keysend(2, 1000, &[]), None, Some(&key("k", 1)), None)
        .unwrap();
    assert_eq!(again, KeyedIntent::Replay(created.clone()));
    assert!(ledger.get_payment(&[2; 32]).unwrap().is_none());
    // A final payment is replayed as it stands.
    ledger
        .mark_failed(&[1; 32], FailureCode::RouteNotFound, "no route")
        .unwrap();
    let KeyedIntent::Replay(failed) = ledger
        .insert_outbound_intent_keyed(&keysend(3, 1000, &[]), None, Some(&key("k", 1)), None)
        .unwrap()
    else {
        panic!("not a replay")
    };
    assert_eq!(failed.status, PaymentStatus::Failed);
    let reused =
        ledger.insert_outbound_intent_keyed(&keysend(4, 2000, &[]), None, Some(&key("k", 2)), None);
    assert!(matches!(reused, Err(LedgerError::IdempotencyKeyReused(k)) if k == "k"));
    // Without a key nothing changes.
    assert!(matches!(
        ledger.insert_outbound_intent_keyed(&keysend(5, 1000, &[]), None, None, None),
        Ok(KeyedIntent::Intent(OutboundIntent::Created(_)))
    ));
}

#[test]
fn concurrent_calls_with_one_key_write_one_payment() {
    let (_dir, ledger) = ledger();
    let threads: Vec<_> = (0..20u8)
        .map(|i| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                ledger
                    .insert_outbound_intent_keyed(
                        &keysend(10 + i, 1000, &[]),
                        None,
                        Some(&key("minute-1", 7)),
                        None,
                    )
                    .unwrap()
            })
        })
        .collect();
    let outcomes: Vec<KeyedIntent> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, KeyedIntent::Intent(OutboundIntent::Created(_))))
        .count();
    assert_eq!(created, 1);
    assert_eq!(hashes(&ledger, PaymentFilter::default()).len(), 1);
}

#[test]
fn a_split_is_written_whole_and_its_key_returns_the_rows() {
    let (_dir, ledger) = ledger();
    let rows: Vec<NewSplitPayment> = (0..3u8)
        .map(|i| NewSplitPayment {
            index: u32::from(i),
            payment: keysend(20 + i, 1000 * u64::from(i + 1), &[]),
        })
        .collect();
    let SplitBegin::Created(created) = ledger
        .begin_value_split("split-a", Some(&key("s", 1)), &rows)
        .unwrap()
    else {
        panic!("not created")
    };
    assert_eq!(created.len(), 3);
    assert!(created
        .iter()
        .enumerate()
        .all(|(i, p)| p.split_id.as_deref() == Some("split-a") && p.split_index == Some(i as u32)));
    let again = ledger
        .begin_value_split("split-b", Some(&key("s", 1)), &rows)
        .unwrap();
    assert_eq!(
        again,
        SplitBegin::Existing {
            split_id: "split-a".into(),
            payments: created
        }
    );
    assert!(matches!(
        ledger.begin_value_split("split-c", Some(&key("s", 2)), &rows),
        Err(LedgerError::IdempotencyKeyReused(_))
    ));
    // One namespace: a split key is not a send key.
    assert!(matches!(
        ledger.insert_outbound_intent_keyed(&keysend(30, 1, &[]), None, Some(&key("s", 1)), None),
        Err(LedgerError::IdempotencyKeyReused(_))
    ));
    let filter = PaymentFilter {
        split_id: Some("split-a".into()),
        ..Default::default()
    };
    assert_eq!(hashes(&ledger, filter), vec![20, 21, 22]);
}

#[test]
fn blip10_fields_record_keys_and_messages_are_searchable() {
    let (_dir, ledger) = ledger();
    let boost = r#"{"action":" Boost ","podcast":"Podcasting 2.0","feedID":920666,"app_name":"Fountain","message":"great show"}"#;
    let stream =
        r#"{"action":"stream","podcast":"Podcasting 2.0","feedId":"920666","message":null}"#;
    let blank = r#"{"action":"boost","podcast":"Other","feed_id":"1","message":"  "}"#;
    ledger
        .insert_outbound_intent(&keysend(1, 1, &[(7_629_169, boost)]))
        .unwrap();
    ledger
        .record_inbound_claimable(&received(2, &[(7_629_169, stream), (7_629_171, "tip")]))
        .unwrap();
    ledger
        .record_inbound_claimable(&received(3, &[(7_629_169, blank)]))
        .unwrap();
    ledger
        .record_inbound_claimable(&received(4, &[(7_629_169, "not json")]))
        .unwrap();
    ledger
        .record_inbound_claimable(&received(5, &[(7_629_169, "[1,2]")]))
        .unwrap();
    // No message key at all.
    ledger
        .record_inbound_claimable(&received(6, &[(7_629_169, r#"{"action":"auto"}"#)]))
        .unwrap();
    let by = |f: PaymentFilter| hashes(&ledger, f);
    let blip = |b: Blip10Filter| PaymentFilter {
        blip10: b,
        ..Default::default()
    };
    assert_eq!(
        by(blip(Blip10Filter {
            action: Some("BOOST".into()),
            ..Default::default()
        })),
        vec![1, 3]
    );
    assert_eq!(
        by(blip(Blip10Filter {
            feed_id: Some("920666".into()),
            ..Default::default()
        })),
        vec![1, 2]
    );
    assert_eq!(
        by(blip(Blip10Filter {
            podcast: Some("Podcasting 2.0".into()),
            app_name: Some("Fountain".into()),
            ..Default::default()
        })),
        vec![1]
    );
    assert_eq!(
        by(PaymentFilter {
            has_message: Some(true),
            ..Default::default()
        }),
        vec![1]
    );
    assert_eq!(
        by(PaymentFilter {
            has_message: Some(false),
            ..Default::default()
        }),
        vec![2, 3, 4, 5, 6]
    );
    assert_eq!(
        by(PaymentFilter {
            custom_record_key: Some(7_629_171),
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        by(PaymentFilter {
            custom_record_key: Some(7_629_169),
            ..Default::default()
        }),
        vec![1, 2, 3, 4, 5, 6]
    );
    // A retried outbound payment's records are replaced, and its bLIP-10 row with them.
    ledger
        .mark_failed(&[1; 32], FailureCode::RouteNotFound, "x")
        .unwrap();
    ledger
        .insert_outbound_intent(&keysend(1, 1, &[(7_629_169, stream)]))
        .unwrap();
    assert_eq!(
        by(PaymentFilter {
            has_message: Some(true),
            ..Default::default()
        }),
        Vec::<u8>::new()
    );
}

#[test]
fn routed_keysends_are_tagged_and_summed_per_wallet() {
    let (_dir, ledger) = ledger();
    ledger
        .record_inbound_claimable_routed(&received(1, &[]), Some("wal_a"))
        .unwrap();
    ledger
        .record_inbound_claimable_routed(&received(2, &[]), Some("wal_a"))
        .unwrap();
    ledger
        .record_inbound_claimable_routed(&received(3, &[]), Some("wal_b"))
        .unwrap();
    ledger
        .mark_succeeded(&[1; 32], &[1 ^ 0xff; 32], None, None)
        .unwrap();
    let filter = PaymentFilter {
        wallet_id: Some("wal_a".into()),
        ..Default::default()
    };
    assert_eq!(hashes(&ledger, filter), vec![1, 2]);
    let totals = ledger.wallet_totals("wal_a", None, None).unwrap();
    assert_eq!(totals.received_msat, 21_000);
    assert_eq!(totals.received_count, 1);
    assert_eq!(totals.pending_received_msat, 21_000);
    assert_eq!(totals.sent_msat, 0);
    assert_eq!(
        ledger
            .wallet_totals("wal_a", Some(u64::MAX - 1), None)
            .unwrap(),
        WalletTotals::default()
    );
    assert_eq!(
        ledger.wallet_totals("nobody", None, None).unwrap(),
        WalletTotals::default()
    );
}

/// The daemon never runs ANALYZE, so the planner picks side-table indexes by shape alone: a
/// show's boostagrams must be read from the show's index, not from every record with a message.
#[test]
fn a_shows_boostagrams_are_read_from_the_show_index() {
    let (_dir, ledger) = ledger();
    let filter = PaymentFilter {
        blip10: Blip10Filter {
            action: Some("boost".into()),
            podcast: Some("Show 5".into()),
            ..Default::default()
        },
        has_message: Some(true),
        ..Default::default()
    };
    let (sql, params) = filter::side_table_count(&filter).unwrap();
    let plan = ledger
        .read(|tx| {
            let mut stmt = tx.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |row| {
                row.get::<_, String>(3)
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap()
        .join("\n");
    assert!(
        plan.contains("payment_blip10_by_podcast"),
        "plan does not use the show's index:\n{plan}"
    );
}
