//! Hold invoices between two daemons A -> B: held, settled, canceled, held across a restart of
//! the payee, canceled automatically before the claim deadline, and the bad inputs.

use std::time::{Duration, Instant};

use bitcoin::hashes::{sha256, Hash};
use serde_json::{json, Value};

use crate::common::RpcClient;
use crate::common::{mine_until, wait_until, Chain, Daemon, COIN, WAIT};

const INVOICE: &str = "lightning::payments::generate_invoice";
const SEND: &str = "lightning::payments::send_payment";
const DETAILS: &str = "lightning::payments::get_payment_details";
const LIST: &str = "lightning::payments::list_payments_by_filter";
const SETTLE: &str = "lightning::payments::settle_invoice";
const CANCEL: &str = "lightning::payments::cancel_invoice";

/// A fresh preimage and its payment hash, both hex. Distinct per `seed` within a run.
fn secret(seed: u8) -> (String, String) {
    let mut preimage = [seed; 32];
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_le_bytes();
    preimage[..16].copy_from_slice(&nanos);
    let hash = sha256::Hash::hash(&preimage).to_byte_array();
    (hex::encode(preimage), hex::encode(hash))
}

async fn details(d: &Daemon, hash: &str) -> Value {
    d.ok(DETAILS, json!({ "payment_hash": hash })).await["payment_details"].clone()
}

/// Waits until `d`'s row for `hash` has `status`, and returns it.
async fn wait_status(d: &Daemon, hash: &str, status: &str) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let row = details(d, hash).await;
        if row["status"] == status {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {hash} to be {status}: {row}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn hold_invoice(d: &Daemon, hash: &str, amount: u64, extra: Value) -> Value {
    let mut params = json!({
        "description": "swap leg",
        "amount_in_msat": amount,
        "payment_hash": hash,
    });
    if let Value::Object(map) = extra {
        for (k, v) in map {
            params[k] = v;
        }
    }
    d.ok(INVOICE, params).await
}

/// Pays `invoice` from `from` without waiting: a hold invoice's payment stays pending.
async fn pay(from: &Daemon, invoice: &Value) -> Value {
    from.ok(
        SEND,
        json!({ "payment": {"type": "invoice", "invoice": invoice} }),
    )
    .await
}

/// Whether `d` has an HTLC for `hash` (hex) on any channel.
fn has_htlc(d: &Daemon, hash: &str) -> bool {
    d.app
        .node()
        .channel_manager()
        .list_channels()
        .iter()
        .any(|c| {
            c.pending_outbound_htlcs
                .iter()
                .map(|h| h.payment_hash)
                .chain(c.pending_inbound_htlcs.iter().map(|h| h.payment_hash))
                .any(|h| hex::encode(h.0) == hash)
        })
}

/// Pays `invoice` from `from` through LDK directly, bypassing `from`'s ledger.
fn repay_through_ldk(from: &Daemon, invoice: &Value) {
    use lightning::ln::channelmanager::{PaymentId, Retry};
    use lightning::routing::router::RouteParametersConfig;
    let invoice: lightning_invoice::Bolt11Invoice = invoice.as_str().unwrap().parse().unwrap();
    from.app
        .node()
        .channel_manager()
        .pay_for_bolt11_invoice(
            &invoice,
            PaymentId([0xbb; 32]),
            None,
            RouteParametersConfig::default(),
            Retry::Attempts(0),
        )
        .expect("the second payment leaves");
}

fn refused_sets(d: &Daemon, hash: &str) -> usize {
    let hash: [u8; 32] = hex::decode(hash).unwrap().try_into().unwrap();
    d.app.ledger().refused_htlc_sets(&hash).unwrap().len()
}

async fn usable_channels(d: &Daemon) -> usize {
    d.open_channels(json!({}))
        .await
        .iter()
        .filter(|c| c["is_usable"] == true)
        .count()
}

/// A and B, a usable channel A -> B.
async fn pair(chain: &Chain, dirs: &[tempfile::TempDir; 2]) -> (Daemon, Daemon) {
    let a = Daemon::start(chain, dirs[0].path().to_path_buf()).await;
    let b = Daemon::start(chain, dirs[1].path().to_path_buf()).await;
    a.fund(chain, 1).await;
    chain.mine(100).await;
    wait_until("A's coinbase matures", WAIT, || async {
        a.spendable_sats().await > 0
    })
    .await;
    a.ok(
        "lightning::channels::open_channel",
        json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.005} }),
    )
    .await;
    mine_until(chain, "A->B is usable", WAIT, || async {
        usable_channels(&a).await == 1 && usable_channels(&b).await == 1
    })
    .await;
    (a, b)
}

/// Bad input: each gets a clear error in the mmrpc shape.
async fn bad_inputs(b: &Daemon) {
    let raw: RpcClient = b.rpc.without_validation();
    let (_, hash) = secret(1);
    let short = raw
        .expect_error(
            INVOICE,
            json!({"coin": COIN, "description": "x", "payment_hash": "abcd"}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        short["error"].as_str().unwrap().contains("hash string"),
        "{short}"
    );
    let both = raw
        .expect_error(
            INVOICE,
            json!({"coin": COIN, "description": "x", "description_hash": hash, "payment_hash": hash}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        both["error"]
            .as_str()
            .unwrap()
            .contains("exactly one of description and description_hash"),
        "{both}"
    );
    let low = b
        .error(
            INVOICE,
            json!({"description": "x", "payment_hash": hash, "min_final_cltv_expiry_delta": 20}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        low["error"].as_str().unwrap().contains("at least 42"),
        "{low}"
    );
    let (preimage, unknown) = secret(2);
    let settle = b
        .error(SETTLE, json!({"preimage": preimage}), "NoSuchPayment", 404)
        .await;
    assert_eq!(
        settle["error_data"],
        json!(unknown),
        "names sha256(preimage)"
    );
    raw.expect_error(
        SETTLE,
        json!({"coin": COIN, "preimage": "00"}),
        "InvalidRequest",
        400,
    )
    .await;
    b.error(
        CANCEL,
        json!({"payment_hash": unknown}),
        "NoSuchPayment",
        404,
    )
    .await;
    // An ordinary invoice is not held: it cannot be canceled (or settled).
    let plain = b
        .ok(
            INVOICE,
            json!({"description": "plain", "amount_in_msat": 1000}),
        )
        .await;
    b.error(
        CANCEL,
        json!({"payment_hash": plain["payment_hash"]}),
        "NotAHoldInvoice",
        400,
    )
    .await;
    // A description hash instead of a description; stored as its hex.
    let (_, dh) = secret(3);
    let (_, h) = secret(4);
    let inv = b
        .ok(INVOICE, json!({"description_hash": dh, "payment_hash": h}))
        .await;
    let row = details(b, &h).await;
    assert_eq!(row["description"], json!(dh), "{row}");
    assert_eq!(row["status"], "pending");
    assert!(inv["invoice"].as_str().unwrap().starts_with("lnbcrt"));
    // The same hash again is refused.
    b.error(
        INVOICE,
        json!({"description": "again", "payment_hash": h}),
        "InvalidRequest",
        400,
    )
    .await;
    // Canceled before anything arrived.
    let canceled = b.ok(CANCEL, json!({"payment_hash": h})).await;
    assert_eq!(canceled["payment_details"]["status"], "canceled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_invoices_between_two_daemons() {
    let chain = Chain::start().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (a, b) = pair(&chain, &dirs).await;
    bad_inputs(&b).await;

    // --- Held, then settled: both sides succeed and A learns the preimage.
    let (p1, h1) = secret(10);
    let inv = hold_invoice(&b, &h1, 100_000, json!({})).await;
    assert_eq!(inv["payment_hash"], json!(h1));
    b.error(SETTLE, json!({"preimage": p1}), "NothingHeld", 409)
        .await;
    pay(&a, &inv["invoice"]).await;
    let held = wait_status(&b, &h1, "held").await;
    assert_eq!(held["amount_in_msat"], 100_000);
    let deadline = held["claim_deadline_height"].as_u64().expect("deadline");
    assert_eq!(held["htlc_expiry_height"].as_u64(), Some(deadline + 39));
    let height = u64::from(b.app.node().best_block().height);
    assert!(
        deadline >= height + 144 + 3 - 39,
        "the default hold CLTV delta is 144: {held} at {height}"
    );
    assert_eq!(details(&a, &h1).await["status"], "pending");
    let listed = b.ok(LIST, json!({"filter": {"status": "held"}})).await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["payments"][0]["payment_hash"], json!(h1));
    let (wrong, _) = secret(11);
    b.error(SETTLE, json!({"preimage": wrong}), "NoSuchPayment", 404)
        .await;
    b.ok(SETTLE, json!({"preimage": p1})).await;
    let settled = wait_status(&b, &h1, "succeeded").await;
    assert_eq!(settled["preimage"], json!(p1));
    let paid = wait_status(&a, &h1, "succeeded").await;
    assert_eq!(paid["preimage"], json!(p1), "A learns the preimage");
    let again = b.ok(SETTLE, json!({"preimage": p1})).await;
    assert_eq!(
        again["payment_details"]["status"], "succeeded",
        "idempotent"
    );
    b.error(CANCEL, json!({"payment_hash": h1}), "AlreadySettled", 409)
        .await;
    // A second payment of the settled hash (sent through LDK directly: A's ledger would refuse
    // it) is failed back at once and noted; the settled row is unchanged.
    repay_through_ldk(&a, &inv["invoice"]);
    wait_until(
        "B refuses the second payment of a settled hash",
        WAIT,
        || async { refused_sets(&b, &h1) == 1 },
    )
    .await;
    wait_until("the second payment's HTLC is failed back", WAIT, || async {
        !has_htlc(&a, &h1) && !has_htlc(&b, &h1)
    })
    .await;
    assert_eq!(details(&b, &h1).await["status"], "succeeded");

    // --- Held, then canceled: A fails with a reason, B is canceled.
    let (p2, h2) = secret(20);
    let inv = hold_invoice(&b, &h2, 50_000, json!({})).await;
    pay(&a, &inv["invoice"]).await;
    wait_status(&b, &h2, "held").await;
    let canceled = b.ok(CANCEL, json!({"payment_hash": h2})).await;
    assert_eq!(canceled["payment_details"]["status"], "canceled");
    let failed = wait_status(&a, &h2, "failed").await;
    assert!(
        failed["failure_reason"]
            .as_str()
            .unwrap()
            .contains("rejected the payment"),
        "{failed}"
    );
    let row = details(&b, &h2).await;
    assert_eq!(row["status"], "canceled");
    assert!(
        row["failure_reason"]
            .as_str()
            .unwrap()
            .contains("canceled by the client"),
        "{row}"
    );
    assert!(row.get("claim_deadline_height").is_none(), "{row}");
    // The event log reports the hold and the cancel, in that order.
    let feed = b
        .ok(
            "lightning::events::list",
            json!({"from_index": 1, "limit": 1000, "kinds": ["payment_held", "payment_canceled"]}),
        )
        .await;
    let kinds_for_h2: Vec<&str> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject"] == h2)
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds_for_h2, ["payment_held", "payment_canceled"], "{feed}");
    b.ok(CANCEL, json!({"payment_hash": h2})).await;
    let refused = b
        .error(SETTLE, json!({"preimage": p2}), "InvoiceCanceled", 409)
        .await;
    assert_eq!(refused["error_data"], json!({"payment_hash": h2}));
    // A second payment of the canceled hash is failed back at once.
    let retry = a
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": inv["invoice"]}, "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(retry["status"], "failed", "{retry}");
    assert_eq!(refused_sets(&b, &h2), 1);
    assert_eq!(details(&b, &h2).await["status"], "canceled");

    // --- Held across a restart of the payee, then settled.
    let (p3, h3) = secret(30);
    let inv = hold_invoice(&b, &h3, 70_000, json!({})).await;
    pay(&a, &inv["invoice"]).await;
    wait_status(&b, &h3, "held").await;
    let b = b.restart(&chain).await;
    assert_eq!(details(&b, &h3).await["status"], "held");
    // B listens on a new port now: it dials A.
    b.ok(
        "lightning::nodes::connect_to_node",
        json!({ "node_address": a.node_address() }),
    )
    .await;
    wait_until("A->B is usable again after B's restart", WAIT, || async {
        usable_channels(&a).await == 1
    })
    .await;
    b.ok(SETTLE, json!({"preimage": p3})).await;
    wait_status(&b, &h3, "succeeded").await;
    assert_eq!(
        wait_status(&a, &h3, "succeeded").await["preimage"],
        json!(p3)
    );

    // --- Auto-cancel: mined to `claim_deadline - 18`, the HTLCs go back and no channel closes.
    let (_, h4) = secret(40);
    let inv = hold_invoice(&b, &h4, 30_000, json!({"min_final_cltv_expiry_delta": 80})).await;
    pay(&a, &inv["invoice"]).await;
    let held = wait_status(&b, &h4, "held").await;
    let deadline = held["claim_deadline_height"].as_u64().unwrap() as u32;
    let due = deadline - 18;
    let height = b.app.node().best_block().height;
    assert!(due > height, "held {held} at height {height}");
    // One block short of the threshold: still held.
    chain.mine(due - 1 - height).await;
    wait_until("B sees the block before the threshold", WAIT, || async {
        b.app.node().best_block().height == due - 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(details(&b, &h4).await["status"], "held");
    chain.mine(1).await;
    let row = wait_status(&b, &h4, "canceled").await;
    assert_eq!(
        row["failure_reason"],
        json!(format!(
            "auto-canceled 18 blocks before the claim deadline at height {deadline}"
        ))
    );
    wait_status(&a, &h4, "failed").await;
    wait_until("the HTLC is gone from both sides", WAIT, || async {
        !has_htlc(&a, &h4) && !has_htlc(&b, &h4)
    })
    .await;
    assert_eq!(usable_channels(&a).await, 1, "no channel closed");
    let closed = a
        .ok(
            "lightning::channels::list_closed_channels_by_filter",
            json!({}),
        )
        .await;
    assert_eq!(closed["closed_channels"], json!([]), "{closed}");
    // The channel still carries payments.
    let plain = b
        .ok(
            INVOICE,
            json!({"description": "after", "amount_in_msat": 5000}),
        )
        .await;
    let sent = a
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": plain["invoice"]}, "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(sent["status"], "succeeded", "{sent}");

    for d in [a, b] {
        d.app.shutdown().await.expect("clean shutdown");
    }
}
