//! Three daemons A -> B -> C with real channels; every payment goes through mmrpc.

use serde_json::{json, Value};

use mmln::app::App;

use crate::common::RpcClient;
use crate::harness::{daemon_config, mine_until, wait_until, Chain, Daemon, COIN, PASSWORD, WAIT};

const INVOICE: &str = "lightning::payments::generate_invoice";
const SEND: &str = "lightning::payments::send_payment";
const DETAILS: &str = "lightning::payments::get_payment_details";
const LIST: &str = "lightning::payments::list_payments_by_filter";

async fn usable(d: &Daemon, uuid: &str) -> bool {
    d.open_channel(uuid)
        .await
        .is_some_and(|c| c["is_usable"] == true)
}

async fn details(d: &Daemon, hash: &Value) -> Value {
    d.ok(DETAILS, json!({ "payment_hash": hash })).await["payment_details"].clone()
}

async fn invoice(d: &Daemon, description: &str, amount: Option<u64>) -> Value {
    let mut params = json!({ "description": description });
    if let Some(a) = amount {
        params["amount_in_msat"] = json!(a);
    }
    d.ok(INVOICE, params).await
}

/// Waits until `d` records the payment with a final status, and returns it.
async fn final_details(d: &Daemon, hash: &Value) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let row = details(d, hash).await;
        if row["status"] == "succeeded" || row["status"] == "failed" {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for payment {hash} to be final: {row}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// An even custom record key outside the default claim allow-list that B is configured to accept.
const B_EXTRA_EVEN_KEY: u64 = 65_540;

/// B: a daemon whose claim allow-list (`keysend_accepted_even_tlvs`) also holds
/// [`B_EXTRA_EVEN_KEY`].
async fn start_b(chain: &Chain, dir: std::path::PathBuf) -> Daemon {
    let mut config = daemon_config(chain, &dir);
    config.keysend_accepted_even_tlvs.push(B_EXTRA_EVEN_KEY);
    let app = App::start(config).await.expect("B starts");
    let rpc = RpcClient::new(app.rpc_addr(), PASSWORD);
    Daemon { app, rpc, dir }
}

/// Whether `d` holds a committed inbound HTLC for `hash` (hex) on any channel.
fn holds_inbound_htlc(d: &Daemon, hash: &Value) -> bool {
    d.app
        .node()
        .channel_manager()
        .list_channels()
        .iter()
        .flat_map(|c| c.pending_inbound_htlcs.iter())
        .any(|h| {
            json!(hex::encode(h.payment_hash.0)) == *hash
                && h.state == Some(lightning::ln::channel_state::InboundHTLCStateDetails::Committed)
        })
}

/// Whether `d` has an outbound HTLC for `hash` (hex) on any channel.
fn holds_outbound_htlc(d: &Daemon, hash: &Value) -> bool {
    d.app
        .node()
        .channel_manager()
        .list_channels()
        .iter()
        .flat_map(|c| c.pending_outbound_htlcs.iter())
        .any(|h| json!(hex::encode(h.payment_hash.0)) == *hash)
}

/// The HTLC sets `d` refused for `hash` (hex), from its ledger.
fn refused_sets(d: &Daemon, hash: &Value) -> Vec<mmln::ledger::RefusedHtlcSet> {
    let hash: [u8; 32] = hex::decode(hash.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    d.app.ledger().refused_htlc_sets(&hash).unwrap()
}

/// Sends a keysend with a chosen preimage from `from` to `to` through LDK directly, bypassing
/// `from`'s ledger (which would refuse a second payment of a settled hash).
fn resend_keysend(from: &Daemon, to: &Daemon, preimage: [u8; 32], amount_msat: u64) {
    use lightning::ln::channelmanager::RecipientOnionFields;
    use lightning::ln::channelmanager::{PaymentId, Retry};
    use lightning::routing::router::{PaymentParameters, RouteParameters};
    use lightning::types::payment::PaymentPreimage;
    let payee = to.app.node().channel_manager().get_our_node_id();
    let params = RouteParameters::from_payment_params_and_value(
        PaymentParameters::for_keysend(payee, 40, false),
        amount_msat,
    );
    from.app
        .node()
        .channel_manager()
        .send_spontaneous_payment(
            Some(PaymentPreimage(preimage)),
            RecipientOnionFields::spontaneous_empty(),
            PaymentId([0xaa; 32]),
            params,
            Retry::Attempts(0),
        )
        .expect("the second keysend leaves");
}

/// A, B, C funded and connected, channels A->B and B->C usable; B charges 1000 msat base fee.
/// Both channels are unannounced (the default): A reaches C through the route hint in C's
/// invoices, and B forwards onto B->C because mmln nodes accept forwards to private channels.
pub(crate) async fn network(
    chain: &Chain,
    dirs: &[tempfile::TempDir; 3],
) -> (Daemon, Daemon, Daemon) {
    let a = Daemon::start(chain, dirs[0].path().to_path_buf()).await;
    let b = start_b(chain, dirs[1].path().to_path_buf()).await;
    let c = Daemon::start(chain, dirs[2].path().to_path_buf()).await;
    a.fund(chain, 1).await;
    b.fund(chain, 1).await;
    chain.mine(100).await;
    for d in [&a, &b] {
        wait_until("the coinbase matures", WAIT, || async {
            d.spendable_sats().await > 0
        })
        .await;
    }
    let ab = a
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.005} }),
        )
        .await;
    let bc = b
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": c.node_address(), "amount": {"type": "Exact", "value": 0.004},
                    "channel_options": {"base_fee_msat": 1000, "proportional_fee_in_millionths_sats": 100} }),
        )
        .await;
    let (ab, bc) = (
        ab["uuid"].as_str().unwrap().to_string(),
        bc["uuid"].as_str().unwrap().to_string(),
    );
    mine_until(chain, "A->B and B->C are usable", WAIT, || async {
        usable(&a, &ab).await && usable(&b, &bc).await
    })
    .await;
    (a, b, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_across_three_daemons() {
    let chain = Chain::start().await;
    let dirs = [
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    ];
    let (a, b, c) = network(&chain, &dirs).await;

    // --- Invoice A -> C through B, waiting for the outcome.
    let inv = invoice(&c, "Coffee for 2, 100% arabica", Some(50_000)).await;
    let c_row = details(&c, &inv["payment_hash"]).await;
    assert_eq!(c_row["status"], "pending", "recorded at creation: {c_row}");
    assert_eq!(c_row["payment_type"], json!({"type": "Inbound Payment"}));
    let sent = a
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": inv["invoice"], "metadata": {"order": 7}},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(sent["payment_hash"], inv["payment_hash"]);
    assert_eq!(sent["status"], "succeeded", "{sent}");
    let fee = sent["fee_paid_msat"].as_u64().expect("fee known");
    assert!(fee >= 1000, "B's base fee is paid: {sent}");
    let a_row = details(&a, &inv["payment_hash"]).await;
    assert_eq!(a_row["payment_type"]["type"], "Outbound Payment");
    assert_eq!(a_row["payment_type"]["destination"], c.node_id());
    assert_eq!(a_row["description"], "Coffee for 2, 100% arabica");
    assert_eq!(a_row["amount_in_msat"], 50_000);
    assert_eq!(a_row["fee_paid_msat"], fee);
    assert_eq!(a_row["preimage"], sent["payment_preimage"]);
    assert_eq!(a_row["metadata"], json!({"order": 7}));
    let c_row = final_details(&c, &inv["payment_hash"]).await;
    assert_eq!(c_row["status"], "succeeded");
    assert_eq!(c_row["amount_in_msat"], 50_000);
    assert_eq!(c_row["description"], a_row["description"]);
    assert_eq!(c_row["preimage"], a_row["preimage"]);

    // Paying it again is refused with the earlier result.
    let again = a
        .error(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": inv["invoice"]} }),
            "AlreadyPaid",
            409,
        )
        .await;
    assert_eq!(again["error_data"]["payment_preimage"], a_row["preimage"]);
    assert_eq!(again["error_data"]["fee_paid_msat"], fee);

    // --- Another payer paying the settled invoice again is failed back at once (never left to
    // time out, which would force-close C's channel), and C notes it without counting it.
    let twice_paid = b
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": inv["invoice"]}, "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(twice_paid["status"], "failed", "{twice_paid}");
    assert!(!holds_inbound_htlc(&c, &inv["payment_hash"]));
    let c_row = details(&c, &inv["payment_hash"]).await;
    assert_eq!(
        (c_row["status"].clone(), c_row["amount_in_msat"].clone()),
        (json!("succeeded"), json!(50_000)),
        "{c_row}"
    );
    let notes = refused_sets(&c, &inv["payment_hash"]);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].reason.contains("already settled"), "{notes:?}");

    // --- Amountless invoice: refused without an amount, paid with one.
    let open = invoice(&c, "tip jar", None).await;
    let refused = a
        .error(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": open["invoice"]} }),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("amount_in_msat"),
        "{refused}"
    );
    let paid = a
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": open["invoice"], "amount_in_msat": 12_345},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(paid["status"], "succeeded", "{paid}");
    let c_tip = final_details(&c, &open["payment_hash"]).await;
    assert_eq!(
        (c_tip["status"].clone(), c_tip["amount_in_msat"].clone()),
        (json!("succeeded"), json!(12_345))
    );

    // --- Fee limit too low: refused, recorded failed with a reason; a retry reuses the row.
    let pricey = invoice(&c, "needs a hop", Some(30_000)).await;
    let low = a
        .error(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": pricey["invoice"], "fee_limit_msat": 0} }),
            "PaymentError",
            500,
        )
        .await;
    let message = low["error"].as_str().unwrap();
    assert!(message.starts_with("Payment error: no route"), "{low}");
    assert!(
        !message.contains('{'),
        "readable, not a Debug dump: {message}"
    );
    let failed = details(&a, &pricey["payment_hash"]).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["failure_reason"]
            .as_str()
            .unwrap()
            .contains("fee limit"),
        "{failed}"
    );
    let retried = a
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": pricey["invoice"]}, "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(retried["status"], "succeeded", "{retried}");
    let row = details(&a, &pricey["payment_hash"]).await;
    assert_eq!(
        row["created_index"], failed["created_index"],
        "the same row"
    );
    assert!(row["updated_index"].as_u64() > failed["updated_index"].as_u64());

    // --- A repeat while pending sends nothing twice.
    let twice = invoice(&c, "twice", Some(20_000)).await;
    let first = a
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": twice["invoice"]} }),
        )
        .await;
    let second = a
        .rpc
        .call(
            SEND,
            json!({ "coin": COIN, "payment": {"type": "invoice", "invoice": twice["invoice"]} }),
        )
        .await;
    match second.status {
        200 => assert_eq!(second.result()["payment_hash"], first["payment_hash"]),
        _ => {
            second.assert_error("AlreadyPaid", 409);
        }
    }
    let c_twice = final_details(&c, &twice["payment_hash"]).await;
    assert_eq!(c_twice["amount_in_msat"], 20_000, "received once");

    // --- Keysend A -> B with custom records.
    let blip10 = json!({"action": "boost", "podcast": "Podcasting 2.0", "message": "great show", "ts": 2157});
    let keysend = a
        .ok(
            SEND,
            json!({ "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": 21_000,
                                "expiry": 40,
                                "custom_records": {"7629169": {"json": blip10}, "7629171": "LNPayTesting",
                                                    "112111100": "wal_JReJMmtQCxsFx3"}},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(keysend["status"], "succeeded", "{keysend}");
    let a_ks = details(&a, &keysend["payment_hash"]).await;
    assert_eq!(a_ks["description"], "");
    let b_ks = final_details(&b, &keysend["payment_hash"]).await;
    assert_eq!(b_ks["status"], "succeeded");
    assert_eq!(b_ks["description"], "keysend");
    assert_eq!(b_ks["payment_type"], json!({"type": "Inbound Payment"}));
    assert_eq!(b_ks["amount_in_msat"], 21_000);
    let records = b_ks["custom_records"].as_array().expect("records kept");
    let by_key = |k: u64| {
        records
            .iter()
            .find(|r| r["key"] == k)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_key(7_629_169)["name"], "podcast_metadata");
    assert_eq!(by_key(7_629_169)["decoded"]["action"], "boost");
    assert_eq!(by_key(7_629_169)["decoded"]["message"], "great show");
    assert_eq!(by_key(7_629_171)["value_utf8"], "LNPayTesting");
    assert_eq!(by_key(112_111_100)["value_utf8"], "wal_JReJMmtQCxsFx3");
    assert_eq!(by_key(112_111_100)["name"], "lnpay_wallet_id");

    // The same keysend preimage sent again (straight through A's engine, as a replaying payer
    // would) is failed back by B at once, noted, and not counted.
    let preimage: [u8; 32] = hex::decode(a_ks["preimage"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    resend_keysend(&a, &b, preimage, 21_000);
    wait_until("B fails the second keysend back", WAIT, || async {
        refused_sets(&b, &keysend["payment_hash"]).len() == 1
            && !holds_outbound_htlc(&a, &keysend["payment_hash"])
    })
    .await;
    let b_again = details(&b, &keysend["payment_hash"]).await;
    assert_eq!(
        (b_again["status"].clone(), b_again["amount_in_msat"].clone()),
        (json!("succeeded"), json!(21_000)),
        "{b_again}"
    );

    // An unknown even record is refused by the receiver; the sender sees why.
    let refused = a
        .ok(
            SEND,
            json!({ "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": 5_000,
                                "custom_records": {"65538": {"hex": "00ff"}}},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(refused["status"], "failed", "{refused}");
    assert!(
        refused["failure_reason"]
            .as_str()
            .unwrap()
            .contains("rejected"),
        "{refused}"
    );
    let b_refused = final_details(&b, &refused["payment_hash"]).await;
    assert_eq!(b_refused["status"], "failed");
    assert!(
        b_refused["failure_reason"]
            .as_str()
            .unwrap()
            .contains("65538"),
        "{b_refused}"
    );

    // B's configured allow-list lets it claim an even key outside the default list.
    let allowed = a
        .ok(
            SEND,
            json!({ "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": 6_000,
                                "custom_records": {B_EXTRA_EVEN_KEY.to_string(): "allowed here"}},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(allowed["status"], "succeeded", "{allowed}");
    let b_allowed = final_details(&b, &allowed["payment_hash"]).await;
    assert_eq!(b_allowed["status"], "succeeded", "{b_allowed}");
    assert_eq!(
        b_allowed["custom_records"][0]["value_utf8"], "allowed here",
        "{b_allowed}"
    );

    // --- No route: a node nobody knows.
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let stranger = bitcoin::secp256k1::SecretKey::from_slice(&[9; 32])
        .unwrap()
        .public_key(&secp)
        .to_string();
    let no_route = a
        .error(
            SEND,
            json!({ "payment": {"type": "keysend", "destination": stranger, "amount_in_msat": 1000, "expiry": 24} }),
            "PaymentError",
            500,
        )
        .await;
    assert!(
        no_route["error_data"]
            .as_str()
            .unwrap()
            .starts_with("no route"),
        "{no_route}"
    );

    // --- Lists on A: outbound only, with and without destination.
    let outbound = a
        .ok(
            LIST,
            json!({ "filter": {"payment_type": {"type": "Outbound Payment"}}, "limit": 100 }),
        )
        .await;
    let to_c = a
        .ok(
            LIST,
            json!({ "filter": {"payment_type": {"type": "Outbound Payment", "destination": c.node_id()}}, "limit": 100 }),
        )
        .await;
    assert!(
        outbound["total"].as_u64() > to_c["total"].as_u64(),
        "{outbound}"
    );
    assert!(to_c["payments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["destination"] == c.node_id()));
    let inbound_on_a = a
        .ok(
            LIST,
            json!({ "filter": {"payment_type": {"type": "Inbound Payment"}} }),
        )
        .await;
    assert_eq!(inbound_on_a["total"], 0);

    // --- Bad input.
    let bad = a.rpc.without_validation();
    let malformed = bad
        .call(DETAILS, json!({ "coin": COIN, "payment_hash": "xyz" }))
        .await;
    malformed.assert_error("InvalidRequest", 400);
    let unknown = "ab".repeat(32);
    let missing = a
        .error(
            DETAILS,
            json!({ "payment_hash": unknown }),
            "NoSuchPayment",
            404,
        )
        .await;
    assert_eq!(
        missing["error"],
        format!("Payment with hash: {unknown} is not found")
    );
    assert_eq!(missing["error_data"], unknown);
    bad.call(
        SEND,
        json!({ "coin": COIN, "payment": {"type": "invoice", "invoice": "lnbcrt1notaninvoice"} }),
    )
    .await
    .assert_error("InvalidRequest", 400);
    let low_key = a
        .error(
            SEND,
            json!({ "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": 1000,
                                "custom_records": {"1000": "x"}} }),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        low_key["error"].as_str().unwrap().contains("65536"),
        "{low_key}"
    );
    let big = "x".repeat(5000);
    a.error(
        INVOICE,
        json!({ "description": "m", "metadata": {"blob": big} }),
        "InvalidRequest",
        400,
    )
    .await;
    bad.call(
        SEND,
        json!({ "coin": COIN, "payment": {"type": "keysend", "destination": b.node_id(), "amount_in_msat": 1000, "expiry": 23} }),
    )
    .await
    .assert_error("InvalidRequest", 400);
    // Our own invoice.
    let own = invoice(&a, "mine", Some(1000)).await;
    let own_err = a
        .error(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": own["invoice"]} }),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        own_err["error"].as_str().unwrap().contains("this node"),
        "{own_err}"
    );

    // --- A restart with a payment in flight: final after the restart, never pending forever.
    // C's ledger is held busy by another writer, so C records nothing and so claims nothing:
    // the HTLC stays committed A -> B -> C until the lock goes, whatever the timing.
    // (C's failed write answers ReplayEvent, so LDK keeps the event for later.)
    let late = invoice(&c, "in flight at restart", None).await;
    let ledger_lock =
        rusqlite::Connection::open(c.dir.join("mmln.sqlite")).expect("open C's ledger");
    ledger_lock
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take C's ledger write lock");
    let late_send = json!({ "payment": {"type": "invoice", "invoice": late["invoice"], "amount_in_msat": 15_000} });
    a.ok(SEND, late_send.clone()).await;
    wait_until("C holds the HTLC", WAIT, || async {
        holds_inbound_htlc(&c, &late["payment_hash"])
    })
    .await;
    // While it is in flight, the same send again is the same payment, with no second HTLC...
    let again = a.ok(SEND, late_send).await;
    assert_eq!(again["payment_hash"], late["payment_hash"]);
    // ...but the amountless invoice cannot be sent again for another amount.
    a.error(
        SEND,
        json!({ "payment": {"type": "invoice", "invoice": late["invoice"], "amount_in_msat": 16_000} }),
        "InvalidRequest",
        400,
    )
    .await;
    let a = a.restart(&chain).await;
    let at_restart = details(&a, &late["payment_hash"]).await;
    assert_eq!(
        at_restart["status"], "pending",
        "in flight at restart: {at_restart}"
    );
    assert!(
        holds_outbound_htlc(&a, &late["payment_hash"]),
        "A's channel still carries the HTLC after the restart"
    );
    // C stops too before it could record (and so claim) the payment: after its restart LDK must
    // hand it the claimable payment again (event replay across a restart).
    let c_row = details(&c, &late["payment_hash"]).await;
    assert_eq!(
        c_row["status"], "pending",
        "C recorded nothing yet: {c_row}"
    );
    let c_dir = c.dir.clone();
    c.app.shutdown().await.expect("C stops cleanly");
    ledger_lock
        .execute_batch("ROLLBACK")
        .expect("release C's ledger");
    drop(ledger_lock);
    let c = Daemon::start(&chain, c_dir).await;
    // C listens on a new ephemeral port now; B, which opened the channel, dials it there.
    b.ok(
        "lightning::nodes::connect_to_node",
        json!({ "node_address": c.node_address() }),
    )
    .await;
    let after = final_details(&a, &late["payment_hash"]).await;
    assert_eq!(after["status"], "succeeded", "{after}");
    assert_eq!(
        final_details(&c, &late["payment_hash"]).await["status"],
        "succeeded"
    );

    for d in [a, b, c] {
        d.app.shutdown().await.expect("clean shutdown");
    }
}
