//! `subscribe_events` over the WebSocket: a subscriber that stops reading is closed with where
//! to resume (its memory stays bounded) and resumes without a gap through a replay far longer
//! than the read-ahead buffer; refused params, an expired
//! cursor, `unsubscribe_events`, and the surfaces that cannot carry a subscription.

use std::time::Duration;

use serde_json::{json, Value};

use mmln::app::App;
use mmln::ledger::NewInboundInvoice;

use crate::common::subscription::{EventSubscription, Notification};
use crate::common::{daemon_config, Chain, JsonRpcClient, Surface, PASSWORD};

/// Events appended while the slow subscriber reads nothing: far more than its queue, the
/// daemon's per-connection buffer and a 4 KiB TCP window hold together.
const APPENDED: u64 = 6000;
/// The queue bound the daemon runs with in this test.
const BUFFER: usize = 16;
/// How long the daemon lets a subscriber take nothing before closing it, in this test.
const STALL_SECS: u64 = 2;

fn invoice(n: u64) -> NewInboundInvoice {
    let mut hash = [0u8; 32];
    hash[..8].copy_from_slice(&n.to_be_bytes());
    NewInboundInvoice {
        payment_hash: hash,
        description: format!("subscriber load {n}"),
        amount_msat: Some(1000),
        payment_secret: None,
        preimage: None,
        invoice: "lnbcrt1...".into(),
        expires_at: None,
        metadata: None,
    }
}

fn index(event: &Value) -> u64 {
    event["event_index"].as_u64().expect("event_index")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_is_closed_with_where_to_resume_and_resumes_without_a_gap() {
    let chain = Chain::start().await;
    // tmpfs: thousands of ledger commits, each fsynced, in a second or two.
    let dir = tempfile::tempdir_in("/dev/shm").unwrap_or_else(|_| tempfile::tempdir().unwrap());
    let mut config = daemon_config(&chain, dir.path());
    config.event_subscription_buffer = BUFFER;
    config.event_subscription_stall_secs = STALL_SECS;
    let app = App::start(config).await.expect("daemon starts");
    let addr = app.rpc_addr();
    let bearer = format!("Bearer {PASSWORD}");
    let ledger = app.ledger().clone();

    // A subscriber that never reads while the log grows.
    let mut slow = EventSubscription::open_small_window(addr, &bearer, json!({"from_index": 0}))
        .await
        .expect("subscribed");
    let first = ledger.last_event_index().expect("last index") + 1;
    let appender = ledger.clone();
    tokio::task::spawn_blocking(move || {
        for n in 0..APPENDED {
            appender
                .insert_inbound_invoice(&invoice(n))
                .expect("insert");
        }
    })
    .await
    .expect("appender");
    let last = ledger.last_event_index().expect("last index");
    assert!(last >= first + APPENDED - 1);
    // Long enough for the daemon to see the stall.
    tokio::time::sleep(Duration::from_secs(STALL_SECS + 2)).await;

    // Now it reads: a dense prefix of the log, then the close with where to resume.
    let mut seen: Vec<u64> = Vec::new();
    let closed = loop {
        match slow.next_within(Duration::from_secs(30)).await {
            Some(Notification::Event(e)) => seen.push(index(&e)),
            Some(Notification::Closed(c)) => break c,
            None => panic!("neither closed nor more events after {} events", seen.len()),
        }
    };
    assert_eq!(closed["error_type"], "SubscriberStalled", "{closed}");
    assert!(closed["error"].as_str().unwrap().contains("resubscribe"));
    let expected: Vec<u64> = (1..=seen.len() as u64).collect();
    assert_eq!(
        seen, expected,
        "the events before the close are the log from 1, dense"
    );
    let resume_from = closed["resume_from"].as_u64().expect("resume_from");
    assert_eq!(resume_from, seen.len() as u64 + 1);
    assert!(
        (seen.len() as u64) < last,
        "the daemon stopped queueing for the subscriber ({} of {last} events queued)",
        seen.len()
    );
    assert_eq!(slow.next_within(Duration::from_secs(1)).await, None);

    // Resuming from there: exactly the rest, then live events.
    let mut resumed = EventSubscription::open(addr, &bearer, json!({"from_index": resume_from}))
        .await
        .expect("resubscribed");
    let mut rest = Vec::new();
    while (rest.len() as u64) < last + 1 - resume_from {
        match resumed.next_within(Duration::from_secs(30)).await {
            Some(Notification::Event(e)) => rest.push(index(&e)),
            other => panic!("expected an event, got {other:?}"),
        }
    }
    assert_eq!(rest, (resume_from..=last).collect::<Vec<u64>>());
    ledger
        .insert_inbound_invoice(&invoice(APPENDED + 1))
        .expect("insert");
    match resumed.next_within(Duration::from_secs(30)).await {
        Some(Notification::Event(e)) => {
            assert_eq!(index(&e), last + 1);
            assert_eq!(e["kind"], "payment_created");
        }
        other => panic!("expected the live event, got {other:?}"),
    }
    assert_eq!(resumed.unsubscribe().await, json!(true));

    refusals(addr, &bearer, &app).await;
    app.shutdown().await.expect("clean shutdown");
}

/// Bad params and an expired cursor are refused with the mmrpc fields in `data`; HTTP and the
/// unix socket cannot carry a subscription.
async fn refusals(addr: std::net::SocketAddr, bearer: &str, app: &mmln::app::AppHandle) {
    let refused = EventSubscription::open(addr, bearer, json!({"kinds": ["payments"]}))
        .await
        .err()
        .expect("an unknown kind is refused");
    assert_eq!(refused["code"], -32602, "{refused}");
    assert_eq!(refused["data"]["error_type"], "InvalidRequest", "{refused}");
    let refused = EventSubscription::open(addr, bearer, json!({"from_index": 1, "limit": 3}))
        .await
        .err()
        .expect("an unknown field is refused");
    assert_eq!(refused["data"]["error_type"], "InvalidRequest", "{refused}");
    let refused = EventSubscription::open(addr, bearer, json!({"coin": "KMD"}))
        .await
        .err()
        .expect("another coin is refused");
    assert_eq!(refused["data"]["error_type"], "NoSuchCoin", "{refused}");

    let far_future = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 100 * 86_400;
    let pruned = app.ledger().prune_events(far_future).expect("prune");
    assert!(pruned > 0);
    let refused = EventSubscription::open(addr, bearer, json!({"from_index": 1}))
        .await
        .err()
        .expect("a pruned cursor is refused");
    assert_eq!(refused["data"]["error_type"], "CursorExpired", "{refused}");
    assert_eq!(refused["data"]["error_data"]["oldest_index"], pruned + 1);

    let client = JsonRpcClient::new(addr, PASSWORD, None);
    let request = client.request("subscribe_events", json!({}));
    let answer = client
        .exchange(Surface::Http, &request)
        .await
        .expect("an answer over HTTP");
    assert!(answer.get("error").is_some(), "{answer}");
}
