//! Core Lightning's `getroute` -> `sendpay` -> `waitsendpay` / `listsendpays` on three real
//! daemons A -> B -> C: A has two private channels to B, B one announced channel to C (so A
//! learns it by gossip and `getroute` can route over it). Covers the idempotency table row by
//! row, failures along the route (204) and at the destination (203) with CLN's routing-failure
//! object, a two-part MPP over two routes, and an incomplete MPP set failing after its
//! gathering time. JSON-RPC codes are checked over `/jsonrpc` too.

use bitcoin::hashes::{sha256, Hash};
use serde_json::{json, Value};

use mmln::app::App;

use crate::common::{
    daemon_config, mine_until, wait_until, Chain, Daemon, JsonRpcClient, RpcClient, Surface,
    PASSWORD, WAIT,
};

const INVOICE: &str = "lightning::payments::generate_invoice";
const DETAILS: &str = "lightning::payments::get_payment_details";
const LIST: &str = "lightning::payments::list_payments_by_filter";

/// A's MPP gathering time: short, so the incomplete-set test does not wait a minute.
const A_MPP_TIMEOUT_SECS: u64 = 3;

async fn usable(d: &Daemon, uuid: &str) -> bool {
    d.open_channel(uuid)
        .await
        .is_some_and(|c| c["is_usable"] == true)
}

fn scid_of(d: &Daemon, uuid: &str) -> Option<String> {
    let id = uuid::Uuid::parse_str(uuid).ok()?;
    d.app
        .node()
        .channel_manager()
        .list_channels()
        .into_iter()
        .find(|c| c.user_channel_id == id.as_u128())
        .and_then(|c| c.short_channel_id)
        .map(|s| format!("{}x{}x{}", s >> 40, (s >> 16) & 0xff_ffff, s & 0xffff))
}

/// The final CLTV delta an invoice asks for (what `getroute`'s `cltv` must be).
fn cltv_of(bolt11: &Value) -> u64 {
    let invoice: lightning_invoice::Bolt11Invoice =
        bolt11.as_str().unwrap().parse().expect("a BOLT 11 invoice");
    invoice.min_final_cltv_expiry_delta()
}

fn secret_of(bolt11: &str) -> String {
    let invoice: lightning_invoice::Bolt11Invoice = bolt11.parse().expect("a BOLT 11 invoice");
    hex::encode(invoice.payment_secret().0)
}

/// A fresh preimage and its hash, both hex.
fn preimage_and_hash(tag: u8) -> (String, String) {
    let mut preimage = [tag; 32];
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        .to_le_bytes();
    preimage[..16].copy_from_slice(&nanos);
    (
        hex::encode(preimage),
        hex::encode(sha256::Hash::hash(&preimage).to_byte_array()),
    )
}

struct Net {
    a: Daemon,
    b: Daemon,
    c: Daemon,
    /// A's two channels to B, and B's channel to C, as BLOCKxTXxOUT.
    ab: [String; 2],
    bc: String,
}

async fn open(from: &Daemon, to: &Daemon, btc: f64, options: Value) -> String {
    from.ok(
        "lightning::channels::open_channel",
        json!({ "node_address": to.node_address(), "amount": {"type": "Exact", "value": btc},
                "channel_options": options }),
    )
    .await["uuid"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn network(chain: &Chain, dirs: &[tempfile::TempDir; 3]) -> Net {
    let mut config = daemon_config(chain, dirs[0].path());
    config.sendpay_mpp_timeout_secs = A_MPP_TIMEOUT_SECS;
    let app = App::start(config).await.expect("A starts");
    let a = Daemon {
        rpc: RpcClient::new(app.rpc_addr(), PASSWORD),
        app,
        dir: dirs[0].path().to_path_buf(),
    };
    let b = Daemon::start(chain, dirs[1].path().to_path_buf()).await;
    let c = Daemon::start(chain, dirs[2].path().to_path_buf()).await;
    a.fund(chain, 2).await;
    b.fund(chain, 1).await;
    chain.mine(100).await;
    for d in [&a, &b] {
        wait_until("the coinbase matures", WAIT, || async {
            d.spendable_sats().await > 0
        })
        .await;
    }
    let ab1 = open(&a, &b, 0.005, json!({})).await;
    chain.mine(1).await;
    let ab2 = open(&a, &b, 0.005, json!({})).await;
    let bc = open(
        &b,
        &c,
        0.004,
        json!({"base_fee_msat": 1000, "proportional_fee_in_millionths_sats": 100,
               "announced_channel": true}),
    )
    .await;
    mine_until(chain, "A->B twice and B->C are usable", WAIT, || async {
        usable(&a, &ab1).await && usable(&a, &ab2).await && usable(&b, &bc).await
    })
    .await;
    let ab = [
        scid_of(&a, &ab1).expect("A->B 1 has a short channel id"),
        scid_of(&a, &ab2).expect("A->B 2 has a short channel id"),
    ];
    let bc = scid_of(&b, &bc).expect("B->C has a short channel id");
    // B->C is announced after 6 confirmations; A learns it from B's gossip.
    let c_id = c.node_id();
    mine_until(chain, "A can route to C", WAIT, || async {
        a.rpc
            .call(
                "getroute",
                json!({"id": c_id, "amount_msat": 1000, "riskfactor": 1}),
            )
            .await
            .status
            == 200
    })
    .await;
    Net { a, b, c, ab, bc }
}

/// `route` with the first hop over `channel` instead.
fn via(route: &Value, channel: &str) -> Value {
    let mut route = route.clone();
    route[0]["channel"] = json!(channel);
    route
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sendpay_over_real_routes() {
    let chain = Chain::start().await;
    let dirs = [
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    ];
    let net = network(&chain, &dirs).await;
    let (a, b, c) = (&net.a, &net.b, &net.c);
    let socket = a.app.config().rpc_socket_path();
    let jsonrpc = JsonRpcClient::new(a.app.rpc_addr(), PASSWORD, socket);

    // --- getroute A -> B -> C, then sendpay, waitsendpay, listsendpays.
    let inv = c
        .ok(
            INVOICE,
            json!({"description": "sendpay", "amount_in_msat": 50_000}),
        )
        .await;
    let hash = inv["payment_hash"].as_str().unwrap().to_string();
    let route = a
        .rpc
        .ok(
            "getroute",
            json!({"id": c.node_id(), "amount_msat": "50000msat", "riskfactor": 10,
                   "cltv": cltv_of(&inv["invoice"])}),
        )
        .await["route"]
        .clone();
    assert_eq!(route.as_array().unwrap().len(), 2, "A -> B -> C: {route}");
    assert_eq!(route[0]["id"], b.node_id());
    assert_eq!(route[1]["id"], c.node_id());
    assert_eq!(route[1]["channel"], net.bc);
    assert!(net
        .ab
        .contains(&route[0]["channel"].as_str().unwrap().to_string()));
    assert_eq!(route[1]["amount_msat"], 50_000);
    assert_eq!(
        route[0]["amount_msat"],
        50_000 + 1000 + 5,
        "B's fee: {route}"
    );
    let sent = a
        .rpc
        .ok(
            "sendpay",
            json!({"route": route, "payment_hash": hash, "payment_secret": secret_of(inv["invoice"].as_str().unwrap()),
                   "bolt11": inv["invoice"], "label": "first", "amount_msat": "50sat"}),
        )
        .await;
    assert_eq!(sent["payment_hash"], hash.as_str());
    assert_eq!(sent["destination"], c.node_id());
    assert_eq!(sent["amount_msat"], 50_000);
    assert_eq!(sent["amount_sent_msat"], 51_005);
    assert_eq!(sent["label"], "first");
    assert_eq!(sent["groupid"], 1);
    assert_eq!(sent["id"], sent["created_index"]);
    let done = a
        .rpc
        .ok("waitsendpay", json!({"payment_hash": hash, "timeout": 60}))
        .await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["created_index"], sent["created_index"]);
    assert!(done["updated_index"].as_u64() > sent["created_index"].as_u64());
    let preimage = done["payment_preimage"].as_str().unwrap().to_string();
    let listed = a
        .rpc
        .ok("listsendpays", json!({"payment_hash": hash}))
        .await;
    assert_eq!(listed["payments"], json!([done]));
    let by_created = a
        .rpc
        .ok(
            "listsendpays",
            json!({"index": "created", "start": sent["created_index"], "limit": 1}),
        )
        .await;
    assert_eq!(by_created["payments"][0]["payment_hash"], hash.as_str());
    let by_updated = a
        .rpc
        .ok(
            "listsendpays",
            json!({"index": "updated", "start": done["updated_index"]}),
        )
        .await;
    assert_eq!(by_updated["payments"][0]["payment_hash"], hash.as_str());
    // CLN's wait on sendpays names the same part.
    let waited = a
        .rpc
        .ok(
            "wait",
            json!({"subsystem": "sendpays", "indexname": "created", "nextvalue": sent["created_index"]}),
        )
        .await;
    assert_eq!(waited["created"], sent["created_index"]);
    assert_eq!(
        waited["sendpays"],
        json!({"status": "complete", "partid": 0, "groupid": 1, "payment_hash": hash})
    );
    // An ordinary payment row too.
    let row = a.ok(DETAILS, json!({"payment_hash": hash})).await["payment_details"].clone();
    assert_eq!(row["status"], "succeeded");
    assert_eq!(row["preimage"], preimage.as_str());
    let c_row = c.ok(DETAILS, json!({"payment_hash": hash})).await["payment_details"].clone();
    assert_eq!(c_row["amount_in_msat"], 50_000);
    let all = a.ok(LIST, json!({})).await;
    assert!(all["payments"].to_string().contains(&hash), "{all}");

    // --- Idempotency after success: identical -> complete at once; other amount or
    // destination -> 201.
    let again = a
        .rpc
        .ok(
            "sendpay",
            json!({"route": via(&route, &net.ab[1]), "payment_hash": hash}),
        )
        .await;
    assert_eq!(again["status"], "complete");
    assert_eq!(again["payment_preimage"], preimage.as_str());
    let mut more = route.clone();
    more[0]["amount_msat"] = json!(61_006);
    more[1]["amount_msat"] = json!(60_000);
    let err = a
        .rpc
        .expect_error(
            "sendpay",
            json!({"route": more, "payment_hash": hash}),
            "AlreadyPaid",
            409,
        )
        .await;
    assert_eq!(err["error_data"]["code"], 201);
    let to_b =
        json!([{"id": b.node_id(), "channel": net.ab[0], "delay": 40, "amount_msat": 50_000}]);
    let err = jsonrpc
        .expect_error(
            Surface::Http,
            "sendpay",
            json!({"route": to_b, "payment_hash": hash}),
            201,
            Some("AlreadyPaid"),
        )
        .await;
    assert_eq!(
        err["data"]["payment_hash"],
        hash.as_str(),
        "CLN data at the top: {err}"
    );

    // --- Idempotency while pending: C holds the payment (a hold invoice).
    let (held_preimage, held_hash) = preimage_and_hash(1);
    let hold = c
        .ok(
            INVOICE,
            json!({"description": "held", "amount_in_msat": 20_000, "payment_hash": held_hash}),
        )
        .await;
    let hold_route = a
        .rpc
        .ok(
            "getroute",
            json!({"id": c.node_id(), "amount_msat": 20_000, "riskfactor": 1,
                   "cltv": cltv_of(&hold["invoice"])}),
        )
        .await["route"]
        .clone();
    let hold_send = json!({"route": hold_route, "payment_hash": held_hash,
                           "payment_secret": secret_of(hold["invoice"].as_str().unwrap())});
    let pending = a.rpc.ok("sendpay", hold_send.clone()).await;
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        pending["message"],
        "Monitor status with listpays or waitsendpay"
    );
    wait_until("C holds the payment", WAIT, || async {
        c.ok(DETAILS, json!({"payment_hash": held_hash})).await["payment_details"]["status"]
            == "held"
    })
    .await;
    let repeat = a.rpc.ok("sendpay", hold_send.clone()).await;
    assert_eq!(repeat["status"], "pending");
    assert_eq!(repeat["created_index"], pending["created_index"]);
    let mut other_group = hold_send.clone();
    other_group["groupid"] = json!(7);
    let err = a
        .rpc
        .expect_error("sendpay", other_group, "PaymentInProgress", 409)
        .await;
    assert_eq!(err["error_data"]["code"], 200);
    let polled = a
        .rpc
        .expect_error(
            "waitsendpay",
            json!({"payment_hash": held_hash, "timeout": 0}),
            "WaitTimeout",
            408,
        )
        .await;
    assert_eq!(polled["error_data"]["status"], "pending");
    jsonrpc
        .expect_error(
            Surface::Http,
            "waitsendpay",
            json!({"payment_hash": held_hash, "timeout": 0}),
            200,
            Some("WaitTimeout"),
        )
        .await;
    c.ok(
        "lightning::payments::settle_invoice",
        json!({"preimage": held_preimage}),
    )
    .await;
    let settled = a
        .rpc
        .ok(
            "waitsendpay",
            json!({"payment_hash": held_hash, "timeout": 60}),
        )
        .await;
    assert_eq!(settled["payment_preimage"], held_preimage.as_str());

    // Multi-part first: the failures below teach A's scorer that B->C carries little.
    // --- MPP: two parts over two routes (A's two channels to B).
    let mpp = c
        .ok(
            INVOICE,
            json!({"description": "two parts", "amount_in_msat": 80_000}),
        )
        .await;
    let mpp_hash = mpp["payment_hash"].as_str().unwrap().to_string();
    let secret = secret_of(mpp["invoice"].as_str().unwrap());
    let half = a
        .rpc
        .ok(
            "getroute",
            json!({"id": c.node_id(), "amount_msat": 40_000, "riskfactor": 1,
                   "cltv": cltv_of(&mpp["invoice"])}),
        )
        .await["route"]
        .clone();
    let mut first_part = Value::Null;
    for (partid, channel) in [(1, &net.ab[0]), (2, &net.ab[1])] {
        let part = a
            .rpc
            .ok(
                "sendpay",
                json!({"route": via(&half, channel), "payment_hash": mpp_hash, "payment_secret": secret,
                       "partid": partid, "groupid": 1, "amount_msat": 80_000}),
            )
            .await;
        assert_eq!(part["partid"], partid);
        assert_eq!(part["status"], "pending");
        if partid == 1 {
            first_part = part;
        }
    }
    for partid in [1, 2] {
        let part = a
            .rpc
            .ok(
                "waitsendpay",
                json!({"payment_hash": mpp_hash, "partid": partid, "groupid": 1, "timeout": 60}),
            )
            .await;
        assert_eq!(part["status"], "complete", "{part}");
        assert_eq!(part["amount_msat"], 40_000);
    }
    let c_row = c.ok(DETAILS, json!({"payment_hash": mpp_hash})).await["payment_details"].clone();
    assert_eq!(c_row["status"], "succeeded");
    assert_eq!(c_row["amount_in_msat"], 80_000);
    let parts = a
        .rpc
        .ok("listsendpays", json!({"payment_hash": mpp_hash}))
        .await;
    assert_eq!(parts["payments"].as_array().unwrap().len(), 2, "{parts}");
    let waited = a
        .rpc
        .ok(
            "wait",
            json!({"subsystem": "sendpays", "indexname": "created",
                   "nextvalue": first_part["created_index"]}),
        )
        .await;
    assert_eq!(waited["sendpays"]["partid"], 1, "{waited}");

    // --- MPP: an incomplete set fails after A's gathering time, its rows failed.
    let lone = c
        .ok(
            INVOICE,
            json!({"description": "half given", "amount_in_msat": 80_000}),
        )
        .await;
    let lone_hash = lone["payment_hash"].as_str().unwrap().to_string();
    a.rpc
        .ok(
            "sendpay",
            json!({"route": half, "payment_hash": lone_hash,
                   "payment_secret": secret_of(lone["invoice"].as_str().unwrap()),
                   "partid": 1, "amount_msat": 80_000}),
        )
        .await;
    let err = a
        .rpc
        .expect_error(
            "waitsendpay",
            json!({"payment_hash": lone_hash, "partid": 1, "timeout": 60}),
            "RouteFailure",
            502,
        )
        .await;
    assert!(
        err["error"].as_str().unwrap().contains("did not add up"),
        "{err}"
    );
    let rows = a
        .rpc
        .ok("listsendpays", json!({"payment_hash": lone_hash}))
        .await;
    assert_eq!(rows["payments"][0]["status"], "failed", "{rows}");
    let row = a.ok(DETAILS, json!({"payment_hash": lone_hash})).await["payment_details"].clone();
    assert_eq!(row["status"], "failed");

    // --- estimate_fee: the fee of A -> B -> C before paying.
    let quote = a
        .ok(
            "lightning::payments::estimate_fee",
            json!({"destination": c.node_id(), "amount_msat": 100_000}),
        )
        .await;
    assert_eq!(quote["hops"], 2, "{quote}");
    assert_eq!(quote["fee_msat"], 1010);
    let invoice_quote = a
        .ok(
            "lightning::payments::estimate_fee",
            json!({"invoice": lone["invoice"]}),
        )
        .await;
    assert_eq!(invoice_quote["amount_msat"], 80_000);
    assert_eq!(invoice_quote["hops"], 2);

    // --- Never attempted: 208.
    let (_, unknown) = preimage_and_hash(2);
    a.rpc
        .expect_error(
            "waitsendpay",
            json!({"payment_hash": unknown, "timeout": 1}),
            "NoSuchPayment",
            404,
        )
        .await;
    let err = jsonrpc
        .expect_error(
            Surface::Http,
            "waitsendpay",
            json!({"payment_hash": unknown}),
            208,
            Some("NoSuchPayment"),
        )
        .await;
    assert_eq!(err["data"]["payment_hash"], unknown.as_str());

    // --- The destination refuses (a hash C never issued): 203 at index 2.
    let small = a
        .rpc
        .ok(
            "getroute",
            json!({"id": c.node_id(), "amount_msat": 10_000, "riskfactor": 1, "cltv": 40}),
        )
        .await["route"]
        .clone();
    let failure = fail(a, &small, &unknown, "DestinationFailure").await;
    assert_eq!(failure["erring_index"], 2, "{failure}");
    assert_eq!(failure["erring_node"], c.node_id());
    assert_eq!(failure["erring_channel"], net.bc);
    assert_eq!(
        failure["failcode"], 0x400f,
        "incorrect_or_unknown_payment_details"
    );
    // The code over JSON-RPC, and the failed part in listsendpays.
    jsonrpc
        .expect_error(
            Surface::Http,
            "waitsendpay",
            json!({"payment_hash": unknown}),
            203,
            Some("DestinationFailure"),
        )
        .await;
    let failed = a
        .rpc
        .ok(
            "listsendpays",
            json!({"payment_hash": unknown, "status": "failed"}),
        )
        .await;
    assert_eq!(failed["payments"].as_array().unwrap().len(), 1, "{failed}");

    // --- A hop fails: B cannot forward more than B->C holds (204 at index 1 on B->C).
    let (_, big_hash) = preimage_and_hash(3);
    let big = 399_000_000u64;
    let mut too_big = small.clone();
    too_big[1]["amount_msat"] = json!(big);
    too_big[0]["amount_msat"] = json!(big + 1000 + big / 10_000);
    let failure = fail(a, &too_big, &big_hash, "RouteFailure").await;
    assert_eq!(failure["erring_index"], 1, "{failure}");
    assert_eq!(failure["erring_node"], b.node_id());
    assert_eq!(failure["erring_channel"], net.bc);
    assert!(failure["erring_direction"] == 0 || failure["erring_direction"] == 1);
    assert_eq!(failure["failcode"], 0x1007, "temporary_channel_failure");

    // --- A hop fails: an unknown channel after B (204 at index 1 on that channel).
    let (_, bogus_hash) = preimage_and_hash(4);
    let mut bogus = small.clone();
    bogus[1]["channel"] = json!("1x1x1");
    let failure = fail(a, &bogus, &bogus_hash, "RouteFailure").await;
    assert_eq!(failure["erring_index"], 1, "{failure}");
    assert_eq!(failure["erring_channel"], "1x1x1");
    assert_eq!(failure["failcode"], 0x400a, "unknown_next_peer");

    // --- A hop fails: no CLTV delta left for B (204 at index 1).
    let (_, cltv_hash) = preimage_and_hash(5);
    let mut no_delta = small.clone();
    no_delta[0]["delay"] = no_delta[1]["delay"].clone();
    let failure = fail(a, &no_delta, &cltv_hash, "RouteFailure").await;
    assert_eq!(failure["erring_index"], 1, "{failure}");
    assert_eq!(failure["erring_node"], b.node_id());
    assert_eq!(failure["failcode"], 0x100d, "incorrect_cltv_expiry");

    // --- Bad input gets clear errors.
    let err = a
        .rpc
        .expect_error(
            "sendpay",
            json!({"route": [{"id": c.node_id(), "channel": "103-1-0", "delay": 9, "amount_msat": 1}],
                   "payment_hash": unknown}),
            "InvalidRequest",
            400,
        )
        .await;
    assert!(
        err["error"].as_str().unwrap().contains("BLOCKxTXxOUT"),
        "{err}"
    );
    a.rpc
        .expect_error(
            "sendpay",
            json!({"route": small, "payment_hash": unknown, "localinvreqid": "00"}),
            "InvalidRequest",
            400,
        )
        .await;
    a.rpc
        .expect_error(
            "getroute",
            json!({"id": c.node_id(), "amount_msat": 10_000_000_000u64, "riskfactor": 1}),
            "RouteNotFound",
            404,
        )
        .await;
}

/// Sends `route` for `hash` (which C refuses or a hop fails), waits for the failure
/// `error_type`, and returns its CLN data.
async fn fail(a: &Daemon, route: &Value, hash: &str, error_type: &str) -> Value {
    let sent = a
        .rpc
        .ok(
            "sendpay",
            // A secret C never issued: without one C would refuse for the missing feature.
            json!({"route": route, "payment_hash": hash, "payment_secret": "11".repeat(32)}),
        )
        .await;
    assert_eq!(sent["status"], "pending", "{sent}");
    let err = a
        .rpc
        .expect_error(
            "waitsendpay",
            json!({"payment_hash": hash, "timeout": 60}),
            error_type,
            502,
        )
        .await;
    let data = err["error_data"].clone();
    let code = if error_type == "DestinationFailure" {
        203
    } else {
        204
    };
    assert_eq!(data["code"], code, "{err}");
    assert_eq!(data["status"], "failed");
    data
}
