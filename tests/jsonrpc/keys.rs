//! Access keys on two real daemons (A pays B over one channel), over mmrpc and JSON-RPC:
//! the scope matrix, hashes only in the database file, budgets under 50 concurrent sends, a
//! failed payment giving its reservation back, revocation mid-session (an open WebSocket
//! subscription and connection included) and expiry. The rolling period is covered by the
//! ledger's unit tests, which move the ledger's clock.

use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::hashes::{sha256, Hash};
use serde_json::{json, Value};

use crate::common::jsonrpc::ws_connect;
use crate::common::subscription::{EventSubscription, Notification};
use crate::common::{
    mine_until, wait_until, Chain, Daemon, JsonRpcClient, RpcClient, Surface, COIN, WAIT,
};

const CREATE: &str = "lightning::keys::create";
const USAGE: &str = "lightning::keys::usage";
const SEND: &str = "lightning::payments::send_payment";
const DETAILS: &str = "lightning::payments::get_payment_details";
const LIST: &str = "lightning::payments::list_payments_by_filter";

/// The methods a `readonly` key may call, written out from the rule (every get, list
/// and info method, waits, the event feed) so that a method misclassified in the registry
/// fails here.
const READ: &[&str] = &[
    "version",
    "task::enable_lightning::status",
    "lightning::nodes::get_info",
    "lightning::nodes::list_trusted_nodes",
    "lightning::channels::get_channel_details",
    "lightning::channels::list_open_channels_by_filter",
    "lightning::channels::list_closed_channels_by_filter",
    "lightning::channels::get_claimable_balances",
    "lightning::wallet::my_balance",
    "lightning::payments::get_payment_details",
    "lightning::payments::list_payments_by_filter",
    "lightning::payments::estimate_fee",
    "lightning::payments::wallet_totals",
    "lightning::payments::export",
    "lightning::offers::list_offers",
    "lightning::events::list",
    "lightning::events::wait",
    "lightning::events::list_webhook_deliveries",
    "wait",
    "getroute",
    "waitsendpay",
    "listsendpays",
];
/// What an `invoice` key may call besides.
const INVOICE: &[&str] = &[
    "lightning::payments::generate_invoice",
    "lightning::offers::create_offer",
    "lightning::offers::request_refund_payment",
];

struct Key {
    id: u64,
    token: String,
}

async fn create(a: &Daemon, params: Value) -> Key {
    let key = a.ok(CREATE, params).await;
    Key {
        id: key["id"].as_u64().expect("id"),
        token: key["token"].as_str().expect("token").to_string(),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Params that reach every method's parser without doing anything lasting: `coin` where the
/// method takes one, and a zero wait for the long-polls.
fn harmless_params(method: &str) -> Value {
    let mut params = json!({});
    if method.starts_with("lightning::") {
        params["coin"] = json!(COIN);
    }
    if method == "lightning::events::wait" {
        params["timeout_secs"] = json!(0);
    }
    params
}

fn permitted(scope: &str, method: &str) -> bool {
    match scope {
        "admin" => true,
        "invoice" => READ.contains(&method) || INVOICE.contains(&method),
        _ => READ.contains(&method),
    }
}

/// Every routed method with every built-in scope, over mmrpc and JSON-RPC over HTTP: refused
/// with `Forbidden` (403, -10403) exactly when the scope does not permit it, answered (by
/// the method itself, whatever it says about these params) otherwise.
async fn scope_matrix(a: &Daemon) {
    let addr = a.app.rpc_addr();
    for scope in ["readonly", "invoice", "admin"] {
        let key = create(
            a,
            json!({"label": format!("matrix {scope}"), "scope": scope}),
        )
        .await;
        let mmrpc = RpcClient::new(addr, &key.token);
        let jsonrpc = JsonRpcClient::new(addr, &key.token, None);
        for method in mmln::rpc::method_names() {
            let params = harmless_params(method);
            let forbidden = !permitted(scope, method);
            let answer = mmrpc.call_unchecked(method, params.clone()).await;
            assert_eq!(
                answer.error_type() == Some("Forbidden"),
                forbidden,
                "{scope} key, {method} over mmrpc: {}",
                answer.body
            );
            if forbidden {
                assert_eq!(answer.status, 403, "{}", answer.body);
            }
            let request = jsonrpc.request(method, params);
            let answer = jsonrpc
                .exchange(Surface::Http, &request)
                .await
                .expect("an answer");
            let refused = answer["error"]["data"]["error_type"] == "Forbidden";
            assert_eq!(
                refused, forbidden,
                "{scope} key, {method} over JSON-RPC: {answer}"
            );
            if forbidden {
                assert_eq!(answer["error"]["code"], -10403, "{answer}");
            }
        }
    }
}

/// The database (and its write-ahead log) holds every token's SHA-256 and no token.
fn assert_only_hashes_stored(a: &Daemon, tokens: &[&str]) {
    let mut bytes = Vec::new();
    for name in ["mmln.sqlite", "mmln.sqlite-wal"] {
        if let Ok(data) = std::fs::read(a.dir.join(name)) {
            bytes.extend(data);
        }
    }
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for token in tokens {
        assert!(
            !contains(token.as_bytes()),
            "a token is in the database file"
        );
        // The random part alone neither, in hex or as bytes.
        let random = &token[token.len() - 64..];
        assert!(
            !contains(random.as_bytes()),
            "a token's secret is in the file"
        );
        assert!(
            !contains(&hex::decode(random).unwrap()),
            "a token's bytes are in the file"
        );
        let digest = sha256::Hash::hash(token.as_bytes()).to_byte_array();
        assert!(contains(&digest), "the token's hash is stored");
    }
}

async fn usable(d: &Daemon, uuid: &str) -> bool {
    d.open_channel(uuid)
        .await
        .is_some_and(|c| c["is_usable"] == true)
}

fn keysend(to: &str, amount_msat: u64) -> Value {
    json!({"coin": COIN, "payment": {"type": "keysend", "destination": to,
           "amount_in_msat": amount_msat, "fee_limit_msat": 0}, "wait_timeout_secs": 120})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_keys_scopes_budgets_revocation_and_expiry() {
    let chain = Chain::start().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = Daemon::start(&chain, dirs[0].path().to_path_buf()).await;
    let b = Daemon::start(&chain, dirs[1].path().to_path_buf()).await;
    let addr = a.app.rpc_addr();

    // --- Scopes, on both surfaces.
    scope_matrix(&a).await;

    // --- A shop's invoice key makes invoices over JSON-RPC and reads, nothing else.
    let shop = create(&a, json!({"label": "shop", "scope": "invoice"})).await;
    let shop_rpc = JsonRpcClient::new(addr, &shop.token, None);
    let invoice = shop_rpc
        .ok(
            Surface::Http,
            "lightning::payments::generate_invoice",
            json!({"description": "coffee", "amount_in_msat": 5_000}),
        )
        .await;
    assert!(invoice["invoice"].is_string(), "{invoice}");
    // The shop lists what its key made.
    let made = shop_rpc
        .ok(
            Surface::Http,
            LIST,
            json!({"filter": {"key_id": shop.id}, "limit": 10}),
        )
        .await;
    assert_eq!(made["total"], 1, "{made}");
    assert_eq!(made["payments"][0]["key_id"], shop.id, "{made}");
    assert_eq!(made["payments"][0]["payment_hash"], invoice["payment_hash"]);

    // --- The channel A -> B.
    a.fund(&chain, 1).await;
    chain.mine(100).await;
    wait_until("A's coinbase matures", WAIT, || async {
        a.spendable_sats().await > 0
    })
    .await;
    let uuid = a
        .ok(
            "lightning::channels::open_channel",
            json!({"node_address": b.node_address(), "amount": {"type": "Exact", "value": 0.005}}),
        )
        .await["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    mine_until(&chain, "A->B is usable", WAIT, || async {
        usable(&a, &uuid).await
    })
    .await;

    // --- A podcast app's key: 50 concurrent keysends against a budget that fits 10.
    let pod = create(
        &a,
        json!({"label": "podcast app", "methods": [SEND, DETAILS, LIST],
               "max_payment_msat": 50_000, "budget_msat": 200_000, "budget_period": "day"}),
    )
    .await;
    let pod_rpc = RpcClient::new(addr, &pod.token);
    let b_id = b.node_id();
    let sends: Vec<_> = (0..50)
        .map(|_| {
            let client = pod_rpc.clone();
            let params = keysend(&b_id, 20_000);
            tokio::spawn(async move { client.call(SEND, params).await })
        })
        .collect();
    let (mut succeeded, mut refused) = (0, 0);
    for send in sends {
        let answer = send.await.expect("the send task");
        if answer.status == 200 {
            assert_eq!(answer.result()["status"], "succeeded", "{}", answer.body);
            succeeded += 1;
        } else {
            let body = answer.assert_error("BudgetExceeded", 403);
            assert_eq!(body["error_data"]["key_id"], pod.id, "{body}");
            refused += 1;
        }
    }
    assert_eq!((succeeded, refused), (10, 40));
    let usage = a.ok(USAGE, json!({"id": pod.id})).await;
    assert_eq!(usage["spent_msat"], 200_000, "{usage}");
    assert_eq!(usage["reserved_msat"], 0, "{usage}");
    assert_eq!(usage["remaining_msat"], 0, "{usage}");
    assert_eq!(usage["payments_made"], 10, "{usage}");
    let mine = a
        .ok(LIST, json!({"filter": {"key_id": pod.id}, "limit": 100}))
        .await;
    assert_eq!(mine["total"], 10, "{mine}");
    let payments = mine["payments"].as_array().unwrap();
    assert!(payments.iter().all(|p| p["key_id"] == pod.id), "{mine}");
    let refusal = pod_rpc
        .expect_error(SEND, keysend(&b_id, 1_000), "BudgetExceeded", 403)
        .await;
    assert_eq!(refusal["error_data"]["remaining_msat"], 0, "{refusal}");
    // Funds move outside a budget only through send_payment.
    let limited_admin = create(
        &a,
        json!({"label": "limited admin", "scope": "admin", "budget_msat": 1, "budget_period": "hour"}),
    )
    .await;
    RpcClient::new(addr, &limited_admin.token)
        .call_unchecked(
            "lightning::wallet::send_to_address",
            json!({"coin": COIN, "address": "x", "amount": {"type": "Max"}}),
        )
        .await
        .assert_error("Forbidden", 403);

    // --- A failed payment gives its reservation back.
    let one = create(
        &a,
        json!({"label": "one payment", "methods": [SEND], "budget_msat": 20_000, "budget_period": "hour"}),
    )
    .await;
    let one_rpc = RpcClient::new(addr, &one.token);
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let stranger = bitcoin::secp256k1::SecretKey::from_slice(&[9; 32])
        .unwrap()
        .public_key(&secp)
        .to_string();
    one_rpc
        .expect_error(SEND, keysend(&stranger, 20_000), "PaymentError", 500)
        .await;
    let usage = a.ok(USAGE, json!({"id": one.id})).await;
    assert_eq!(usage["remaining_msat"], 20_000, "{usage}");
    let paid = one_rpc.ok(SEND, keysend(&b_id, 20_000)).await;
    assert_eq!(paid["status"], "succeeded", "{paid}");
    one_rpc
        .expect_error(SEND, keysend(&b_id, 1), "BudgetExceeded", 403)
        .await;

    // --- Revocation mid-session: an open subscription is closed, an open connection refused.
    let reader = create(&a, json!({"label": "dashboard", "scope": "readonly"})).await;
    let bearer = format!("Bearer {}", reader.token);
    let mut subscription = EventSubscription::open(addr, &bearer, json!({"from_index": 0}))
        .await
        .expect("a readonly key may subscribe");
    let mut ws = ws_connect(addr, Some(&bearer)).await.expect("WebSocket");
    let get_info = json!({"jsonrpc": "2.0", "id": 7, "method": "lightning::nodes::get_info"});
    ws.send(&get_info.to_string()).await;
    assert!(ws.receive().await.get("result").is_some());
    let reader_rpc = RpcClient::new(addr, &reader.token);
    reader_rpc.ok("version", Value::Null).await;

    let revoked = a
        .ok("lightning::keys::revoke", json!({"id": reader.id}))
        .await;
    assert_eq!(revoked["status"], "revoked", "{revoked}");
    let closed = loop {
        match subscription.next_within(WAIT).await {
            Some(Notification::Event(_)) => continue,
            Some(Notification::Closed(closed)) => break closed,
            None => panic!("the subscription of a revoked key stays open"),
        }
    };
    assert_eq!(closed["error_type"], "Forbidden", "{closed}");
    ws.send(&get_info.to_string()).await;
    let answer = ws.receive().await;
    assert_eq!(
        answer["error"]["data"]["error_type"], "Forbidden",
        "{answer}"
    );
    // A revoked key is refused, and is not counted as a guess.
    let first = reader_rpc
        .expect_error("version", Value::Null, "UserpassIsInvalid", 403)
        .await;
    let second = reader_rpc
        .expect_error("version", Value::Null, "UserpassIsInvalid", 403)
        .await;
    assert_eq!(first["error_data"], second["error_data"]);
    assert_eq!(
        ws_connect(addr, Some(&bearer)).await.err(),
        Some(401),
        "a revoked key cannot open a WebSocket"
    );

    // --- Expiry.
    let brief = create(
        &a,
        json!({"label": "brief", "scope": "readonly", "expires_at": now() + 2}),
    )
    .await;
    let brief_rpc = RpcClient::new(addr, &brief.token);
    wait_until("the key expires", WAIT, || async {
        brief_rpc
            .call_unchecked("version", Value::Null)
            .await
            .status
            == 403
    })
    .await;
    brief_rpc
        .expect_error("version", Value::Null, "UserpassIsInvalid", 403)
        .await;

    // --- The list shows states and never a token; the file holds hashes only.
    let list = a.ok("lightning::keys::list", json!({})).await;
    let text = list.to_string();
    let tokens = [
        shop.token.as_str(),
        pod.token.as_str(),
        reader.token.as_str(),
        brief.token.as_str(),
    ];
    for token in tokens {
        assert!(
            !text.contains(&token[token.len() - 64..]),
            "a token is listed"
        );
    }
    let status_of = |id: u64| {
        list["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .map(|k| k["status"].clone())
    };
    assert_eq!(status_of(shop.id), Some(json!("active")));
    let shop_listed = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == shop.id)
        .cloned()
        .unwrap();
    assert!(shop_listed["last_used_at"].is_u64(), "{shop_listed}");
    assert_eq!(status_of(reader.id), Some(json!("revoked")));
    assert_eq!(status_of(brief.id), Some(json!("expired")));
    assert_only_hashes_stored(&a, &tokens);

    // Keys survive a restart (the ring is loaded from the ledger).
    let a = a.restart(&chain).await;
    let pod_rpc = RpcClient::new(a.app.rpc_addr(), &pod.token);
    pod_rpc
        .expect_error(SEND, keysend(&b_id, 1_000), "BudgetExceeded", 403)
        .await;
    let reader_rpc = RpcClient::new(a.app.rpc_addr(), &reader.token);
    reader_rpc
        .expect_error("version", Value::Null, "UserpassIsInvalid", 403)
        .await;

    for d in [a, b] {
        d.app.shutdown().await.expect("clean shutdown");
    }
}
