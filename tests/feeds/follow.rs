//! Two daemons A -> B; B's feeds are followed while A pays it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use mmln::app::App;
use mmln::service::feeds::signature::verify;

use crate::common::subscription::{EventSubscription, Notification};
use crate::common::RpcClient;
use crate::common::{daemon_config, mine_until, wait_until, Chain, Daemon, PASSWORD, WAIT};
use crate::receiver::{Behaviour, Receiver};

const SEND: &str = "lightning::payments::send_payment";
const INVOICE: &str = "lightning::payments::generate_invoice";
const LIST: &str = "lightning::events::list";
const WAIT_EVENTS: &str = "lightning::events::wait";
const DELIVERIES: &str = "lightning::events::list_webhook_deliveries";
const SECRET: &str = "feeds-test-secret";
/// Payments A makes to B while B's feeds are followed: `MMLN_TEST_FEED_PAYMENTS`, else 240
/// (CI's short form; `scripts/feeds-follow.sh` runs 1,000). A multiple of [`SENDERS`].
fn payments() -> usize {
    let asked = std::env::var("MMLN_TEST_FEED_PAYMENTS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(240);
    asked.div_ceil(SENDERS).max(1) * SENDERS
}
/// Concurrent senders.
const SENDERS: usize = 8;

/// B: webhooks of every event go to `all`; retries start after 50 ms.
async fn start_b(chain: &Chain, dir: std::path::PathBuf, all: &Receiver) -> Daemon {
    let mut config = daemon_config(chain, &dir);
    config.webhook_urls = vec![mmln::config::WebhookUrl {
        url: all.url(),
        kinds: None,
    }];
    config.webhook_secret = Some(SECRET.to_string());
    config.webhook_retry_base_ms = 50;
    let app = App::start(config).await.expect("B starts");
    let rpc = RpcClient::new(app.rpc_addr(), PASSWORD);
    Daemon { app, rpc, dir }
}

/// Every event from `from` on, through `lightning::events::list` pages.
async fn list_all(d: &Daemon, from: u64) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor = from;
    loop {
        let page = d
            .ok(LIST, json!({ "from_index": cursor, "limit": 77 }))
            .await;
        let batch = page["events"].as_array().expect("events").clone();
        cursor = page["next_index"].as_u64().expect("next_index");
        if batch.is_empty() {
            return events;
        }
        events.extend(batch);
    }
}

fn index(e: &Value) -> u64 {
    e["event_index"].as_u64().expect("event_index")
}

/// Follows B with `wait` until `stop` is set and nothing more comes; returns what it saw.
async fn follow_with_wait(b: RpcClient, stop: Arc<AtomicBool>) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let page = b
            .ok(
                WAIT_EVENTS,
                json!({ "coin": crate::common::COIN, "from_index": cursor, "timeout_secs": 2, "limit": 50 }),
            )
            .await;
        let batch = page["events"].as_array().expect("events").clone();
        cursor = page["next_index"].as_u64().expect("next_index");
        if batch.is_empty() && stop.load(Ordering::SeqCst) {
            return seen;
        }
        seen.extend(batch);
    }
}

/// Follows B over a `subscribe_events` WebSocket subscription from the start; disconnects once
/// mid-stream and resubscribes from the index after the last event it saw. Returns what it saw
/// once `stop` is set and nothing more comes.
async fn follow_with_subscription(addr: std::net::SocketAddr, stop: Arc<AtomicBool>) -> Vec<Value> {
    // Mid-stream: each payment makes two events on B.
    let reconnect_after = payments();
    let bearer = format!("Bearer {PASSWORD}");
    let subscribe = |from: u64| {
        let bearer = bearer.clone();
        async move {
            EventSubscription::open(addr, &bearer, json!({ "from_index": from }))
                .await
                .unwrap_or_else(|e| panic!("subscribe from {from}: {e}"))
        }
    };
    let mut seen: Vec<Value> = Vec::new();
    let mut subscription = subscribe(0).await;
    let mut reconnected = false;
    loop {
        match subscription
            .next_within(std::time::Duration::from_secs(2))
            .await
        {
            Some(Notification::Event(event)) => seen.push(event),
            Some(Notification::Closed(closed)) => panic!("the daemon closed the feed: {closed}"),
            None if stop.load(Ordering::SeqCst) => return seen,
            None => {}
        }
        if !reconnected && seen.len() == reconnect_after {
            reconnected = true;
            drop(subscription);
            let next = seen.last().map_or(0, |e| index(e) + 1);
            subscription = subscribe(next).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_reaches_wait_subscriptions_and_webhooks_once_in_order() {
    let chain = Chain::start().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let all = Receiver::start(Behaviour::Ok).await;
    let a = Daemon::start(&chain, dirs[0].path().to_path_buf()).await;
    let b = start_b(&chain, dirs[1].path().to_path_buf(), &all).await;

    // The follower starts before anything happens on B and runs throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let follower = tokio::spawn(follow_with_wait(b.rpc.clone(), Arc::clone(&stop)));
    let subscriber = tokio::spawn(follow_with_subscription(
        b.app.rpc_addr(),
        Arc::clone(&stop),
    ));

    a.fund(&chain, 1).await;
    chain.mine(100).await;
    wait_until("A's coinbase matures", WAIT, || async {
        a.spendable_sats().await > 0
    })
    .await;
    let opened = a
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.01} }),
        )
        .await;
    let uuid = opened["uuid"].as_str().unwrap().to_string();
    mine_until(&chain, "A->B is usable", WAIT, || async {
        a.open_channel(&uuid)
            .await
            .is_some_and(|c| c["is_usable"] == true)
    })
    .await;

    // payments() keysends A -> B from SENDERS concurrent tasks.
    let payments = payments();
    let b_id = b.node_id();
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let (rpc, b_id) = (a.rpc.clone(), b_id.clone());
        senders.push(tokio::spawn(async move {
            let mut hashes = Vec::new();
            for i in 0..payments / SENDERS {
                let sent = rpc
                    .ok(
                        SEND,
                        json!({ "coin": crate::common::COIN,
                                "payment": {"type": "keysend", "destination": b_id,
                                            "amount_in_msat": 1000 + (s * 1000 + i) as u64},
                                "wait_timeout_secs": 60 }),
                    )
                    .await;
                assert_eq!(sent["status"], "succeeded", "{sent}");
                hashes.push(sent["payment_hash"].as_str().unwrap().to_string());
            }
            hashes
        }));
    }
    let mut hashes = Vec::new();
    for s in senders {
        hashes.extend(s.await.expect("sender"));
    }
    assert_eq!(hashes.len(), payments);

    // B records the success after A learns of it; wait for the last one.
    wait_until("B has every payment succeeded", WAIT, || async {
        let page = b
            .ok(
                "lightning::payments::list_payments_by_filter",
                json!({ "filter": {"status": "succeeded"}, "limit": 1 }),
            )
            .await;
        page["total"].as_u64() == Some(payments as u64)
    })
    .await;
    wait_until("B saw its channel usable", WAIT, || async {
        list_all(&b, 0)
            .await
            .iter()
            .any(|e| e["kind"] == "channel_usable")
    })
    .await;

    // --- The log: dense, ordered, and complete.
    let log = list_all(&b, 0).await;
    let indexes: Vec<u64> = log.iter().map(index).collect();
    let dense: Vec<u64> = (1..=log.len() as u64).collect();
    assert_eq!(indexes, dense, "event indexes are 1, 2, 3, ... with no gap");
    let mut per_payment: HashMap<String, Vec<String>> = HashMap::new();
    for e in log
        .iter()
        .filter(|e| e["kind"].as_str().unwrap().starts_with("payment_"))
    {
        per_payment
            .entry(e["subject"].as_str().unwrap().to_string())
            .or_default()
            .push(e["kind"].as_str().unwrap().to_string());
    }
    for hash in &hashes {
        assert_eq!(
            per_payment.get(hash).map(Vec::as_slice),
            Some(
                &[
                    "payment_created".to_string(),
                    "payment_succeeded".to_string()
                ][..]
            ),
            "payment {hash}: created once, then succeeded once"
        );
    }
    // B knows the channel by its own uuid (each side picks one).
    let channel: Vec<&Value> = log
        .iter()
        .filter(|e| e["kind"].as_str().unwrap().starts_with("channel_"))
        .collect();
    let channel_kinds: Vec<&str> = channel
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        channel_kinds,
        ["channel_opened", "channel_usable"],
        "{channel:?}"
    );
    assert_eq!(channel[0]["subject"], channel[1]["subject"]);
    assert_eq!(channel[1]["data"]["state"], "usable");
    assert_eq!(
        channel[1]["data"]["counterparty_node_id"],
        a.node_id().as_str()
    );

    // --- The wait loop saw exactly the same sequence.
    stop.store(true, Ordering::SeqCst);
    let followed = follower.await.expect("follower");
    assert_eq!(
        followed.iter().map(index).collect::<Vec<_>>(),
        indexes,
        "the wait loop sees every event exactly once, in order"
    );
    assert_eq!(followed, log);

    // --- So did the WebSocket subscriber, across its reconnect.
    let subscribed = subscriber.await.expect("subscriber");
    assert!(subscribed.len() > payments, "it reconnected mid-stream");
    assert_eq!(
        subscribed.iter().map(index).collect::<Vec<_>>(),
        indexes,
        "the subscription sees every event exactly once, in order, across a reconnect"
    );
    assert_eq!(subscribed, log);

    // --- Resume from a cursor in the middle: exactly the rest.
    let middle = indexes[indexes.len() / 2];
    assert_eq!(
        list_all(&b, middle).await,
        log[(middle - 1) as usize..].to_vec()
    );
    // Filtered by kind, the cursor skips what it does not want.
    let page = b
        .ok(
            LIST,
            json!({ "from_index": 0, "kinds": ["channel"], "limit": 1000 }),
        )
        .await;
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_index"], log.len() as u64 + 1);
    b.error(
        LIST,
        json!({ "kinds": ["payments"] }),
        "InvalidRequest",
        400,
    )
    .await;

    // --- Webhooks: every event at least once, deduplicated by id, each signature valid.
    wait_until("the receiver has every event", WAIT, || async {
        all.delivered_events().len() >= log.len()
    })
    .await;
    for d in all.deliveries() {
        assert!(
            verify(SECRET.as_bytes(), &d.signature, &d.body).is_some(),
            "signature of {} verifies",
            d.id
        );
        assert!(verify(b"another secret", &d.signature, &d.body).is_none());
    }
    let delivered = all.delivered_events();
    assert_eq!(delivered.keys().copied().collect::<Vec<_>>(), indexes);
    for e in &log {
        assert_eq!(
            delivered[&index(e)]["event"],
            *e,
            "the body carries the event"
        );
    }
    let payment_body = &delivered[&index(
        log.iter()
            .find(|e| e["kind"] == "payment_succeeded")
            .unwrap(),
    )];
    assert!(
        payment_body["payment"]["custom_records"].is_array(),
        "{payment_body}"
    );

    // A's wallet: the coinbase that funded it was received and confirmed, in one block.
    let a_log = list_all(&a, 0).await;
    let received = a_log
        .iter()
        .find(|e| e["kind"] == "wallet_received")
        .expect("wallet_received on A");
    assert!(
        received["data"]["net_sat"].as_i64().unwrap() > 0,
        "{received}"
    );
    assert!(
        a_log
            .iter()
            .any(|e| e["kind"] == "wallet_confirmed" && e["subject"] == received["subject"]),
        "the received coinbase is confirmed too"
    );

    per_call_webhooks_and_retries(&a, &b).await;
    cln_wait_and_index_paging(&a, &b, &hashes).await;
    expired_cursor(&b).await;
}

/// Per-invoice and per-payment URLs: refused outside webhook_allowed_hosts; a receiver that
/// answers 500 three times gets the event on the fourth try with the same id.
async fn per_call_webhooks_and_retries(a: &Daemon, b: &Daemon) {
    b.error(
        INVOICE,
        json!({ "description": "x", "amount_in_msat": 1000, "webhook_url": "http://example.com/hook" }),
        "InvalidRequest",
        400,
    )
    .await;
    a.error(
        SEND,
        json!({ "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": 1000},
                "webhook_url": "http://10.0.0.1:80/hook" }),
        "InvalidRequest",
        400,
    )
    .await;

    let flaky = Receiver::start(Behaviour::FailFirst(3)).await;
    let inv = b
        .ok(
            INVOICE,
            json!({ "description": "webhook order", "amount_in_msat": 7000,
                    "metadata": {"order": 9}, "webhook_url": flaky.url() }),
        )
        .await;
    let hash = inv["payment_hash"].as_str().unwrap().to_string();
    let outgoing = Receiver::start(Behaviour::Ok).await;
    let sent = a
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": inv["invoice"]},
                    "wait_timeout_secs": 60, "webhook_url": outgoing.url() }),
        )
        .await;
    assert_eq!(sent["status"], "succeeded", "{sent}");

    wait_until(
        "the flaky receiver has the invoice's success",
        WAIT,
        || async {
            flaky
                .delivered_events()
                .values()
                .any(|b| b["event"]["kind"] == "payment_succeeded")
        },
    )
    .await;
    let events = flaky.delivered_events();
    let kinds: Vec<&str> = events
        .values()
        .map(|b| b["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"payment_created"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"payment_succeeded"), "{kinds:?}");
    for body in events.values() {
        assert_eq!(body["event"]["subject"], hash.as_str());
        assert_eq!(body["payment"]["metadata"], json!({"order": 9}));
    }
    let created = *events.keys().next().unwrap();
    let tries: Vec<(String, u16)> = flaky
        .deliveries()
        .into_iter()
        .filter(|d| d.id == format!("evt_{created}"))
        .map(|d| (d.id, d.status))
        .collect();
    let id = format!("evt_{created}");
    assert_eq!(
        tries,
        vec![
            (id.clone(), 500),
            (id.clone(), 500),
            (id.clone(), 500),
            (id.clone(), 200)
        ],
        "three 500s, then delivered on the fourth try with the same id"
    );
    let listed = b
        .ok(
            DELIVERIES,
            json!({ "from_event_index": created, "limit": 1000 }),
        )
        .await;
    let delivery = listed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["url"] == flaky.url().as_str() && d["event_index"] == created)
        .cloned()
        .expect("the flaky delivery is listed");
    assert_eq!(delivery["state"], "delivered", "{delivery}");
    let statuses: Vec<u64> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["http_status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 500, 200]);

    // The sender's own URL got its outgoing payment's events.
    wait_until("the sender's receiver has the success", WAIT, || async {
        outgoing.delivered_events().values().any(|b| {
            b["event"]["kind"] == "payment_succeeded" && b["event"]["subject"] == hash.as_str()
        })
    })
    .await;
}

/// CLN `wait` on both subsystems, and `index`/`start` paging that stays exact while invoices
/// are created concurrently.
async fn cln_wait_and_index_paging(a: &Daemon, b: &Daemon, hashes: &[String]) {
    let now = b
        .rpc
        .ok(
            "wait",
            json!({ "subsystem": "invoices", "indexname": "created", "nextvalue": 0 }),
        )
        .await;
    let current = now["created"].as_u64().expect("created");
    assert!(current >= payments() as u64, "{now}");
    assert!(now.get("details").is_none());
    // A waiter for the next creation, started before the invoice exists.
    let rpc = b.rpc.clone();
    let waiter = tokio::spawn(async move {
        rpc.ok(
            "wait",
            json!({ "subsystem": "invoices", "indexname": "created", "nextvalue": current + 1,
                    "timeout_secs": 60 }),
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let inv = b
        .ok(
            INVOICE,
            json!({ "description": "cln waiter", "amount_in_msat": 5000 }),
        )
        .await;
    let reached = waiter.await.expect("waiter");
    assert!(reached["created"].as_u64().unwrap() > current, "{reached}");
    assert_eq!(reached["subsystem"], "invoices");
    assert_eq!(reached["details"]["status"], "unpaid");
    assert_eq!(reached["details"]["bolt11"], inv["invoice"]);
    assert_eq!(reached["invoices"], reached["details"]);
    let sendpays = a
        .rpc
        .ok(
            "wait",
            json!({ "subsystem": "sendpays", "indexname": "updated", "nextvalue": 1 }),
        )
        .await;
    // A's first change is the first send's intent.
    assert_eq!(sendpays["updated"], 1, "{sendpays}");
    assert_eq!(sendpays["details"]["status"], "pending", "{sendpays}");
    assert!(sendpays["details"]["payment_hash"].is_string());
    a.rpc
        .expect_error(
            "wait",
            json!({ "subsystem": "sendpays", "indexname": "deleted", "nextvalue": 1, "timeout_secs": 0 }),
            "Timeout",
            408,
        )
        .await;

    // Index paging while invoices are being created.
    let rpc = b.rpc.clone();
    let creator = tokio::spawn(async move {
        for i in 0..20 {
            rpc.ok(
                INVOICE,
                json!({ "coin": crate::common::COIN, "description": format!("during paging {i}"),
                        "amount_in_msat": 1000 }),
            )
            .await;
        }
    });
    let mut listed = 0usize;
    let mut found: HashSet<String> = HashSet::new();
    let mut start = 0;
    loop {
        let page = b
            .ok(
                "lightning::payments::list_payments_by_filter",
                json!({ "index": "created", "start": start, "limit": 37 }),
            )
            .await;
        let payments = page["payments"].as_array().unwrap().clone();
        start = page["next_start"].as_u64().unwrap();
        if payments.is_empty() {
            if creator.is_finished() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        }
        for p in payments {
            found.insert(p["payment_hash"].as_str().unwrap().to_string());
            listed += 1;
        }
    }
    creator.await.expect("creator");
    // One last page after the creator finished.
    let tail = b
        .ok(
            "lightning::payments::list_payments_by_filter",
            json!({ "index": "created", "start": start, "limit": 1000 }),
        )
        .await;
    for p in tail["payments"].as_array().unwrap() {
        found.insert(p["payment_hash"].as_str().unwrap().to_string());
        listed += 1;
    }
    assert_eq!(listed, found.len(), "no payment is listed twice");
    let total = b
        .ok(
            "lightning::payments::list_payments_by_filter",
            json!({ "limit": 1 }),
        )
        .await["total"]
        .as_u64()
        .unwrap();
    assert_eq!(
        found.len() as u64,
        total,
        "index paging sees every payment once"
    );
    assert!(hashes.iter().all(|h| found.contains(h)));
    b.error(
        "lightning::payments::list_payments_by_filter",
        json!({ "index": "created", "paging_options": {"PageNumber": 1} }),
        "InvalidRequest",
        400,
    )
    .await;
    b.error(
        "lightning::payments::list_payments_by_filter",
        json!({ "start": 3 }),
        "InvalidRequest",
        400,
    )
    .await;
}

/// Retention: after pruning, an old cursor is CursorExpired and a current one still works.
async fn expired_cursor(b: &Daemon) {
    wait_until("no webhook is pending", WAIT, || async {
        let listed = b.ok(DELIVERIES, json!({ "limit": 1000 })).await;
        listed["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] != "pending")
    })
    .await;
    let last = list_all(b, 0).await.len() as u64;
    // As if event_retention_days had passed for every event so far.
    let far_future = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 100 * 86_400;
    let pruned = b.app.ledger().prune_events(far_future).expect("prune");
    assert_eq!(pruned, last);
    let expired = b
        .error(LIST, json!({ "from_index": 5 }), "CursorExpired", 410)
        .await;
    assert_eq!(expired["error_data"]["oldest_index"], last + 1, "{expired}");
    assert_eq!(expired["error_data"]["next_index"], last + 1);
    assert!(expired["error"].as_str().unwrap().contains("resync"));
    b.error(
        WAIT_EVENTS,
        json!({ "from_index": 0, "timeout_secs": 0 }),
        "CursorExpired",
        410,
    )
    .await;
    let page = b
        .ok(
            WAIT_EVENTS,
            json!({ "from_index": last + 1, "timeout_secs": 0 }),
        )
        .await;
    assert_eq!(page["events"], json!([]));
    assert_eq!(page["next_index"], last + 1);
}
