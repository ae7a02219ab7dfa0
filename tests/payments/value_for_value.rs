//! Value for value on three daemons A -> B -> C: idempotency keys on keysends (a repeat, a
//! different request, 20 concurrent calls, a client that hangs up mid-call), a value block
//! split over five recipients with one unreachable, wallet routing, bLIP-10 search and export.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::common::{wait_until, Chain, Daemon, COIN, PASSWORD, WAIT};
use crate::network::network;

const SEND: &str = "lightning::payments::send_payment";
const SPLIT: &str = "lightning::payments::send_value_split";
const LIST: &str = "lightning::payments::list_payments_by_filter";
const TOTALS: &str = "lightning::payments::wallet_totals";
const EXPORT: &str = "lightning::payments::export";

/// The payments of `d` matching `filter` (one page of up to 1000).
async fn list(d: &Daemon, filter: Value) -> Vec<Value> {
    d.ok(LIST, json!({ "filter": filter, "limit": 1000 })).await["payments"]
        .as_array()
        .expect("payments")
        .clone()
}

/// `d`'s inbound payments of exactly `amount` msat.
async fn received(d: &Daemon, amount: u64) -> Vec<Value> {
    list(
        d,
        json!({ "payment_type": {"type": "Inbound Payment"},
                "from_amount_msat": amount, "to_amount_msat": amount }),
    )
    .await
}

async fn sent(d: &Daemon, amount: u64) -> Vec<Value> {
    list(
        d,
        json!({ "payment_type": {"type": "Outbound Payment"},
                "from_amount_msat": amount, "to_amount_msat": amount }),
    )
    .await
}

fn keysend(to: &Daemon, amount: u64, key: &str) -> Value {
    json!({ "payment": {"type": "keysend", "destination": to.node_id(), "amount_in_msat": amount},
            "idempotency_key": key, "wait_timeout_secs": 60 })
}

/// The bLIP-10 view of a payment's record 7629169.
fn blip10(payment: &Value) -> Value {
    payment["custom_records"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["key"] == 7_629_169)
        .map(|r| r["decoded"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn value_for_value_across_three_daemons() {
    let chain = Chain::start().await;
    let dirs = [
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    ];
    let (a, b, c) = network(&chain, &dirs).await;

    idempotent_keysends(&a, &b).await;
    value_block_split(&a, &b).await;
    drop(c);
    wallet_routing_search_and_export(&a, &b).await;
}

async fn idempotent_keysends(a: &Daemon, b: &Daemon) {
    // --- A repeat with the same key and request returns the first payment, sends nothing.
    let first = a.ok(SEND, keysend(b, 11_000, "minute-1")).await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let again = a.ok(SEND, keysend(b, 11_000, "minute-1")).await;
    assert_eq!(again["payment_hash"], first["payment_hash"]);
    assert_eq!(again["status"], "succeeded");
    assert_eq!(received(b, 11_000).await.len(), 1);
    assert_eq!(sent(a, 11_000).await.len(), 1);

    // --- The same key with another amount is refused.
    let reused = a
        .error(
            SEND,
            keysend(b, 12_000, "minute-1"),
            "IdempotencyKeyReused",
            409,
        )
        .await;
    assert_eq!(reused["error_data"]["idempotency_key"], "minute-1");
    assert!(sent(a, 12_000).await.is_empty());
    // An empty key breaks the schema on purpose: the daemon refuses it too.
    let mut empty = keysend(b, 12_000, "");
    empty["coin"] = json!(COIN);
    a.rpc
        .without_validation()
        .expect_error(SEND, empty, "InvalidRequest", 400)
        .await;

    // --- 20 concurrent calls with one key: one payment.
    let calls = (0..20).map(|_| {
        let rpc = a.rpc.clone();
        let mut params = keysend(b, 13_000, "minute-2");
        params["coin"] = json!(COIN);
        async move { rpc.ok(SEND, params).await }
    });
    let answers = futures_util::future::join_all(calls).await;
    let hashes: HashSet<String> = answers
        .iter()
        .map(|r| r["payment_hash"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(hashes.len(), 1, "{answers:?}");
    assert_eq!(sent(a, 13_000).await.len(), 1);
    wait_until("B receives the one payment", WAIT, || async {
        received(b, 13_000)
            .await
            .iter()
            .any(|p| p["status"] == "succeeded")
    })
    .await;
    assert_eq!(received(b, 13_000).await.len(), 1);

    // --- The client hangs up mid-call (before any answer), then retries with the same key.
    let mut body = json!({ "mmrpc": "2.0", "userpass": PASSWORD, "method": SEND, "id": 1,
                           "params": keysend(b, 14_000, "minute-3") });
    body["params"]["coin"] = json!(COIN);
    let text = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        a.app.rpc_addr(),
        text.len(),
        text
    );
    let mut stream = tokio::net::TcpStream::connect(a.app.rpc_addr())
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.flush().await.expect("flush");
    // The request is on the wire; hang up without reading the answer.
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(stream);
    let retried = a.ok(SEND, keysend(b, 14_000, "minute-3")).await;
    assert_eq!(retried["status"], "succeeded", "{retried}");
    wait_until("B settles the keysend", WAIT, || async {
        received(b, 14_000)
            .await
            .iter()
            .any(|p| p["status"] == "succeeded")
    })
    .await;
    assert_eq!(sent(a, 14_000).await.len(), 1, "sent once");
    assert_eq!(received(b, 14_000).await.len(), 1, "received once");
}

async fn value_block_split(a: &Daemon, b: &Daemon) {
    // A node nobody can route to: its payment fails, the others are paid. The reachable
    // recipients are all B: C sits behind B's unannounced channel, which a keysend (unlike an
    // invoice with its route hint) cannot find.
    let gone = "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619";
    let block = json!({
        "total_msat": 100_000,
        "recipients": [
            {"name": "Host", "destination": b.node_id(), "split": 50},
            {"name": "Cohost", "destination": b.node_id(), "split": 30},
            {"name": "Producer", "destination": b.node_id(), "split": 10},
            {"name": "Gone", "destination": gone, "split": 10},
            {"name": "App", "destination": b.node_id(), "split": 5, "fee": true}
        ],
        "custom_records": {"7629169": {"json": {"action": "stream", "podcast": "Podcasting 2.0",
                                                 "feedID": 920666, "app_name": "mmln-test"}}},
        "idempotency_key": "split-minute-1",
        "wait_timeout_secs": 60
    });
    let first = a.ok(SPLIT, block.clone()).await;
    assert_eq!(first["repeated"], false);
    let recipients = first["recipients"].as_array().unwrap();
    // 5% off the top (5000), then 95000 by 50/30/10/10.
    let amounts: Vec<u64> = recipients
        .iter()
        .map(|r| r["amount_msat"].as_u64().unwrap())
        .collect();
    assert_eq!(amounts, vec![47_500, 28_500, 9_500, 9_500, 5_000]);
    assert_eq!(amounts.iter().sum::<u64>(), 100_000);
    let statuses: Vec<&str> = recipients
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        vec!["succeeded", "succeeded", "succeeded", "failed", "succeeded"],
        "{first}"
    );
    assert!(recipients[3]["failure_reason"].is_string(), "{first}");
    // Each receiver decodes its own share from its own record.
    for (i, r) in recipients.iter().enumerate() {
        if i == 3 {
            continue;
        }
        let receiver = b;
        let row = receiver
            .ok(
                "lightning::payments::get_payment_details",
                json!({ "payment_hash": r["payment_hash"] }),
            )
            .await["payment_details"]
            .clone();
        let view = blip10(&row);
        assert_eq!(view["value_msat"], r["amount_msat"], "{row}");
        assert_eq!(view["value_msat_total"], 100_000);
        assert_eq!(view["name"], r["name"]);
        assert_eq!(view["podcast"], "Podcasting 2.0");
    }
    let split_id = first["split_id"].clone();
    let group = list(a, json!({ "split_id": split_id })).await;
    assert_eq!(group.len(), 5, "one row per paid recipient");

    // A repeat re-sends only the failed recipient (it fails again); the paid ones stay paid.
    let b_before = list(b, json!({ "payment_type": {"type": "Inbound Payment"} }))
        .await
        .len();
    let repeat = a.ok(SPLIT, block.clone()).await;
    assert_eq!(repeat["repeated"], true);
    assert_eq!(repeat["split_id"], split_id);
    let attempts: Vec<Value> = repeat["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attempts"].clone())
        .collect();
    assert_eq!(
        attempts,
        vec![json!(1), json!(1), json!(1), json!(2), json!(1)]
    );
    assert_eq!(repeat["recipients"][3]["status"], "failed");
    let b_after = list(b, json!({ "payment_type": {"type": "Inbound Payment"} }))
        .await
        .len();
    assert_eq!(b_before, b_after, "nothing paid twice");
    let mut changed = block.clone();
    changed["total_msat"] = json!(200_000);
    a.error(SPLIT, changed, "IdempotencyKeyReused", 409).await;
}

async fn wallet_routing_search_and_export(a: &Daemon, b: &Daemon) {
    let one = "wal_JReJMmtQCxsFx3";
    let two = "alby_wallet_2";
    let boost = json!({"action": "boost", "podcast": "Show X", "feedID": "42",
                       "app_name": "Fountain", "message": "great show, thanks!"});
    let cases = [
        ("112111100", json!(one), 31_000),
        ("112111100", json!(hex::encode(one)), 32_000),
        ("696969", json!(two), 33_000),
        ("696969", json!(hex::encode(two)), 34_000),
    ];
    for (key, value, amount) in cases {
        let mut records = json!({ "7629169": {"json": boost} });
        records[key] = value;
        let paid = a
            .ok(
                SEND,
                json!({ "payment": {"type": "keysend", "destination": b.node_id(),
                                    "amount_in_msat": amount, "custom_records": records},
                        "wait_timeout_secs": 60 }),
            )
            .await;
        assert_eq!(paid["status"], "succeeded", "{paid}");
    }
    wait_until("B settles the routed keysends", WAIT, || async {
        list(b, json!({ "wallet_id": one, "status": "succeeded" }))
            .await
            .len()
            == 2
            && list(b, json!({ "wallet_id": two, "status": "succeeded" }))
                .await
                .len()
                == 2
    })
    .await;
    let routed = list(b, json!({ "wallet_id": one })).await;
    assert!(routed.iter().all(|p| p["wallet_id"] == one), "{routed:?}");
    let totals = b.ok(TOTALS, json!({ "wallet_id": one })).await;
    assert_eq!(totals["received_msat"], 63_000, "{totals}");
    assert_eq!(totals["received_count"], 2);
    let none = b
        .ok(TOTALS, json!({ "wallet_id": one, "to_timestamp": 1 }))
        .await;
    assert_eq!(none["received_msat"], 0);

    // An unknown even key is still refused (BOLT 1), routing or not.
    let refused = a
        .ok(
            SEND,
            json!({ "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": 35_000,
                                "custom_records": {"65542": "x", "696969": "wal_z"}},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(refused["status"], "failed", "{refused}");
    assert!(
        list(b, json!({ "wallet_id": "wal_z", "status": "succeeded" }))
            .await
            .is_empty()
    );

    // Boostagrams per show, by record key, and the export.
    let boosts = list(
        b,
        json!({ "blip10.action": "boost", "blip10.podcast": "Show X", "has_message": true }),
    )
    .await;
    assert_eq!(boosts.len(), 4, "{boosts:?}");
    assert_eq!(
        list(
            b,
            json!({ "blip10.feedID": "42", "blip10.app_name": "Fountain" })
        )
        .await
        .len(),
        4
    );
    assert_eq!(
        list(b, json!({ "custom_record_key": 112_111_100 }))
            .await
            .len(),
        2
    );
    let streams = list(b, json!({ "blip10.action": "stream" })).await;
    assert!(streams.iter().all(|p| blip10(p)["action"] == "stream"));
    let export = b
        .ok(
            EXPORT,
            json!({ "filter": {"wallet_id": two}, "format": "csv" }),
        )
        .await;
    assert_eq!(export["rows"], 2);
    let csv = export["csv"].as_str().unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("payment_hash,direction,"));
    assert!(lines[1].contains(",alby_wallet_2,"), "{csv}");
    assert!(lines[1].contains(",boost,Show X,42,"), "{csv}");
    assert!(lines[1].contains("\"great show, thanks!\""), "{csv}");
}
