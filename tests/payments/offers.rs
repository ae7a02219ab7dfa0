//! BOLT 12 offers and refunds between three daemons A -> B -> C over announced channels (as
//! in the sandbox): blinded paths and onion-message replies need the nodes in each other's
//! graph. Everything goes through mmrpc with the schema-validating client.

use serde_json::{json, Value};

use crate::common::{mine_until, wait_until, Chain, Daemon, COIN, WAIT};

const SEND: &str = "lightning::payments::send_payment";
const DETAILS: &str = "lightning::payments::get_payment_details";
const LIST: &str = "lightning::payments::list_payments_by_filter";
const CREATE: &str = "lightning::offers::create_offer";
const LIST_OFFERS: &str = "lightning::offers::list_offers";
const DISABLE: &str = "lightning::offers::disable_offer";
const CREATE_REFUND: &str = "lightning::offers::create_refund";
const REQUEST_REFUND: &str = "lightning::offers::request_refund_payment";

async fn usable(d: &Daemon, uuid: &str) -> bool {
    d.open_channel(uuid)
        .await
        .is_some_and(|c| c["is_usable"] == true)
}

fn graph_channels(d: &Daemon) -> usize {
    d.app.node().channels_routable_both_ways()
}

/// Nodes in `d`'s graph with a node announcement (features and address): onion messages to a
/// node that is not a peer are routed through them.
fn announced_nodes(d: &Daemon) -> usize {
    d.app
        .node()
        .network_graph()
        .read_only()
        .nodes()
        .unordered_iter()
        .filter(|(_, n)| n.announcement_info.is_some())
        .count()
}

async fn details(d: &Daemon, hash: &Value) -> Value {
    d.ok(DETAILS, json!({ "payment_hash": hash })).await["payment_details"].clone()
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

/// A, B, C with public channels A->B and B->C, announced in every node's graph.
async fn announced_network(
    chain: &Chain,
    dirs: &[tempfile::TempDir; 3],
) -> (Daemon, Daemon, Daemon) {
    let a = Daemon::start(chain, dirs[0].path().to_path_buf()).await;
    let b = Daemon::start(chain, dirs[1].path().to_path_buf()).await;
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
            json!({ "node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.005},
                    "channel_options": {"announced_channel": true} }),
        )
        .await;
    let bc = b
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": c.node_address(), "amount": {"type": "Exact", "value": 0.004},
                    "channel_options": {"announced_channel": true, "base_fee_msat": 1000} }),
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
    mine_until(
        chain,
        "both channels, both directions, are in every graph",
        WAIT,
        || async { [&a, &b, &c].iter().all(|d| graph_channels(d) >= 2) },
    )
    .await;
    wait_until(
        "every node announcement is in every graph",
        WAIT,
        || async { [&a, &b, &c].iter().all(|d| announced_nodes(d) >= 3) },
    )
    .await;
    (a, b, c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_and_refunds_between_daemons() {
    let chain = Chain::start().await;
    let dirs = [
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    ];
    let (a, b, c) = announced_network(&chain, &dirs).await;

    // --- An offer with an amount, paid over one hop (B -> C) and over two (A -> B -> C).
    let coffee = c
        .ok(
            CREATE,
            json!({ "description": "Coffee", "amount_msat": 20_000, "issuer": "C's cafe" }),
        )
        .await;
    assert_eq!(coffee["active"], true, "{coffee}");
    assert!(coffee["offer"].as_str().unwrap().starts_with("lno1"));
    let one_hop = b
        .ok(
            SEND,
            json!({ "payment": {"type": "offer", "offer": coffee["offer"], "payer_note": "from B"},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(one_hop["status"], "succeeded", "{one_hop}");
    assert_eq!(one_hop["amount_in_msat"], 20_000);
    let b_row = details(&b, &one_hop["payment_hash"]).await;
    assert_eq!(b_row["payment_type"]["type"], "Outbound Payment");
    assert_eq!(b_row["bolt12"], "offer");
    assert_eq!(b_row["offer_id"], coffee["offer_id"]);
    assert_eq!(b_row["payer_note"], "from B");
    assert_eq!(b_row["description"], "Coffee");
    let c_row = final_details(&c, &one_hop["payment_hash"]).await;
    assert_eq!(c_row["status"], "succeeded", "{c_row}");
    assert_eq!(c_row["payment_type"]["type"], "Inbound Payment");
    assert_eq!(c_row["offer_id"], coffee["offer_id"]);
    assert_eq!(c_row["payer_note"], "from B");
    assert_eq!(c_row["amount_in_msat"], 20_000);
    assert_eq!(c_row["description"], "Coffee");
    // The event log (and so webhooks and subscriptions) carries the offer's facts.
    let events = c
        .ok(
            "lightning::events::list",
            json!({ "from_index": 0, "limit": 100 }),
        )
        .await;
    let of_payment: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject"] == one_hop["payment_hash"])
        .collect();
    assert!(!of_payment.is_empty(), "{events}");
    for event in of_payment {
        assert_eq!(event["data"]["offer_id"], coffee["offer_id"], "{event}");
        assert_eq!(event["data"]["payer_note"], "from B", "{event}");
    }

    // Two hops, with an idempotency key: the repeat returns the same payment, sends nothing.
    let keyed = json!({ "payment": {"type": "offer", "offer": coffee["offer"]},
                        "wait_timeout_secs": 60, "idempotency_key": "coffee-order-1" });
    let two_hops = a.ok(SEND, keyed.clone()).await;
    assert_eq!(two_hops["status"], "succeeded", "{two_hops}");
    assert!(
        two_hops["fee_paid_msat"].as_u64().unwrap() >= 1000,
        "B's fee: {two_hops}"
    );
    let again = a.ok(SEND, keyed).await;
    assert_eq!(again["payment_hash"], two_hops["payment_hash"]);
    assert_eq!(again["status"], "succeeded");
    let reused = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": coffee["offer"], "amount_in_msat": 25_000},
                    "idempotency_key": "coffee-order-1" }),
            "IdempotencyKeyReused",
            409,
        )
        .await;
    assert_eq!(reused["error_data"]["idempotency_key"], "coffee-order-1");
    final_details(&c, &two_hops["payment_hash"]).await;
    let by_offer = c
        .ok(
            LIST,
            json!({ "filter": {"offer_id": coffee["offer_id"]}, "limit": 10 }),
        )
        .await;
    assert_eq!(
        by_offer["total"], 2,
        "one payment per send, none for the repeat: {by_offer}"
    );

    // --- An offer without an amount, and one sold by quantity.
    let tips = c.ok(CREATE, json!({ "description": "Tip jar" })).await;
    let missing = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": tips["offer"]}}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        missing["error"]
            .as_str()
            .unwrap()
            .contains("amount_in_msat is required"),
        "{missing}"
    );
    let tip = a
        .ok(
            SEND,
            json!({ "payment": {"type": "offer", "offer": tips["offer"], "amount_in_msat": 7_000},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(tip["status"], "succeeded", "{tip}");
    assert_eq!(
        final_details(&c, &tip["payment_hash"]).await["amount_in_msat"],
        7_000
    );

    let stickers = c
        .ok(
            CREATE,
            json!({ "description": "Stickers", "amount_msat": 1_000, "quantity_max": 5 }),
        )
        .await;
    assert_eq!(stickers["quantity_max"], 5);
    let three = a
        .ok(
            SEND,
            json!({ "payment": {"type": "offer", "offer": stickers["offer"], "quantity": 3,
                                "payer_note": "three please"},
                    "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(three["status"], "succeeded", "{three}");
    assert_eq!(three["amount_in_msat"], 3_000);
    let c_row = final_details(&c, &three["payment_hash"]).await;
    assert_eq!(c_row["quantity"], 3);
    assert_eq!(c_row["payer_note"], "three please");
    assert_eq!(c_row["amount_in_msat"], 3_000);
    a.error(
        SEND,
        json!({ "payment": {"type": "offer", "offer": stickers["offer"], "quantity": 6}}),
        "InvalidRequest",
        400,
    )
    .await;
    a.error(
        SEND,
        json!({ "payment": {"type": "offer", "offer": stickers["offer"]}}),
        "InvalidRequest",
        400,
    )
    .await;

    // --- Bad input: garbage, an amount below the offer's, another network, an expired offer.
    let garbage = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": "lno1qqqqgarbage"}}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        garbage["error"].as_str().unwrap().contains("invalid offer"),
        "{garbage}"
    );
    let below = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": coffee["offer"], "amount_in_msat": 19_999}}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        below["error"]
            .as_str()
            .unwrap()
            .contains("below the offer's amount"),
        "{below}"
    );
    let mainnet = mainnet_offer();
    let wrong = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": mainnet}}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        wrong["error"].as_str().unwrap().contains("another network"),
        "{wrong}"
    );
    let brief = c
        .ok(
            CREATE,
            json!({ "description": "Flash sale", "amount_msat": 1_000, "expiry": 1 }),
        )
        .await;
    wait_until("the flash sale offer expires", WAIT, || async {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            > brief["expires_at"].as_u64().unwrap()
    })
    .await;
    let expired = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": brief["offer"]}}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        expired["error"].as_str().unwrap().contains("expired"),
        "{expired}"
    );
    // Outside the schema too (minimum 1): the daemon still answers it in words.
    let zero = c
        .rpc
        .without_validation()
        .expect_error(
            CREATE,
            json!({ "coin": COIN, "description": "x", "amount_msat": 0 }),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        zero["error"].as_str().unwrap().contains("at least 1"),
        "{zero}"
    );

    // --- A disabled offer stops being paid.
    let disabled = c.ok(DISABLE, json!({ "offer_id": tips["offer_id"] })).await;
    assert_eq!(disabled["active"], false);
    let repeat = c.ok(DISABLE, json!({ "offer_id": tips["offer_id"] })).await;
    assert_eq!(repeat["disabled_at"], disabled["disabled_at"], "idempotent");
    c.error(
        DISABLE,
        json!({ "offer_id": "00".repeat(32) }),
        "NoSuchOffer",
        404,
    )
    .await;
    // C answers its invoice requests with an error, so A gives up at once and pays nothing
    // (a payment that got past this would be failed back: see the ledger's unit tests).
    let refused = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": tips["offer"], "amount_in_msat": 2_000},
                    "wait_timeout_secs": 60 }),
            "PaymentError",
            500,
        )
        .await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("invoice request was rejected"),
        "{refused}"
    );
    let active = c.ok(LIST_OFFERS, json!({})).await["offers"].clone();
    assert!(active
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["offer_id"] != tips["offer_id"]));
    let all = c.ok(LIST_OFFERS, json!({ "include_disabled": true })).await["offers"].clone();
    assert_eq!(all.as_array().unwrap().len(), 4, "{all}");

    // --- A refund: A offers 15 sat back, C asks for it (two hops).
    let refund = a
        .ok(
            CREATE_REFUND,
            json!({ "amount_msat": 15_000, "description": "Refund for order 7" }),
        )
        .await;
    assert!(
        refund["refund"].as_str().unwrap().starts_with("lnr1"),
        "{refund}"
    );
    let asked = c
        .ok(REQUEST_REFUND, json!({ "refund": refund["refund"] }))
        .await;
    assert_eq!(asked["amount_in_msat"], 15_000);
    let c_row = final_details(&c, &asked["payment_hash"]).await;
    assert_eq!(c_row["status"], "succeeded", "{c_row}");
    assert_eq!(c_row["bolt12"], "refund");
    let a_row = final_details(&a, &asked["payment_hash"]).await;
    assert_eq!(a_row["status"], "succeeded", "{a_row}");
    assert_eq!(a_row["bolt12"], "refund");
    assert_eq!(a_row["payment_type"]["type"], "Outbound Payment");
    c.error(
        REQUEST_REFUND,
        json!({ "refund": "lnr1garbage" }),
        "InvalidRequest",
        400,
    )
    .await;

    // --- After C restarts, its disabled offer is still refused and its others still paid.
    let c = c.restart(&chain).await;
    // C listens on a new port now: it dials B.
    c.ok(
        "lightning::nodes::connect_to_node",
        json!({ "node_address": b.node_address() }),
    )
    .await;
    wait_until("B->C is usable again after C's restart", WAIT, || async {
        c.open_channels(json!({}))
            .await
            .iter()
            .any(|ch| ch["is_usable"] == true)
    })
    .await;
    // Payers dial an offer's issuer at its announced address: wait for C's new one to reach A.
    let c_id = lightning::routing::gossip::NodeId::from_pubkey(&c.app.node().node_id());
    let c_addr = c.app.node().listening_addresses()[0];
    wait_until("A's graph has C's new address", WAIT, || async {
        a.app
            .node()
            .network_graph()
            .read_only()
            .node(&c_id)
            .and_then(|n| n.announcement_info.as_ref())
            .is_some_and(|i| {
                i.addresses()
                    .iter()
                    .any(|x| x.to_string() == c_addr.to_string())
            })
    })
    .await;
    let still = a
        .error(
            SEND,
            json!({ "payment": {"type": "offer", "offer": tips["offer"], "amount_in_msat": 2_000}}),
            "PaymentError",
            500,
        )
        .await;
    assert!(
        still["error"]
            .as_str()
            .unwrap()
            .contains("invoice request was rejected"),
        "{still}"
    );
    let after = a
        .ok(
            SEND,
            json!({ "payment": {"type": "offer", "offer": coffee["offer"]}, "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(after["status"], "succeeded", "{after}");
}

/// An offer for Bitcoin mainnet (the default chain of an offer without `chains`).
fn mainnet_offer() -> String {
    use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
    use lightning::offers::offer::OfferBuilder;
    let secp = Secp256k1::new();
    let key = SecretKey::from_slice(&[7; 32]).unwrap();
    OfferBuilder::new(PublicKey::from_secret_key(&secp, &key))
        .description("mainnet".to_string())
        .build()
        .unwrap()
        .to_string()
}
