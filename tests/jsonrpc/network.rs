//! Every routed method, on a real sandbox network (three LDK nodes with channels, on our
//! regtest chain), answers over mmrpc and over JSON-RPC on HTTP, WebSocket and the unix socket;
//! every answer is validated against rpc-spec by the clients. Methods that only read answer
//! exactly the same on all four; idempotent writes too; writes that create something new each
//! time (an invoice, an address, a payment, a channel) are made once per surface.
//!
//! The test lists every method it drives and fails if the router serves one it does not, so a
//! new method cannot skip the JSON-RPC surface.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use mmln::sandbox::{Role, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{json, Value};

use crate::common::{JsonRpcClient, RpcClient, Surface};

const PASSWORD: &str = "Netw0rk:JsonRpc";
const COIN: &str = "tBTC-lightning";
const WAIT: Duration = Duration::from_secs(90);

struct Clients {
    mmrpc: RpcClient,
    jsonrpc: JsonRpcClient,
    covered: BTreeSet<String>,
}

impl Clients {
    /// `params` over JSON-RPC: on the WebSocket without `coin`, which must default to the
    /// configured ticker; elsewhere as given.
    fn params_for(surface: Surface, params: &Value) -> Value {
        let mut params = params.clone();
        if surface == Surface::WebSocket {
            if let Some(fields) = params.as_object_mut() {
                fields.remove("coin");
            }
        }
        params
    }

    /// Calls `method` on all four surfaces and asserts the same result everywhere. The chain
    /// does not stop for the test (the sandbox mines whatever enters the mempool), so a round
    /// whose answers differ is tried again, a few times, before the difference fails the test.
    async fn same_everywhere(&mut self, method: &str, params: Value) -> Value {
        self.covered.insert(method.to_string());
        let mut attempts = 0;
        loop {
            attempts += 1;
            let expected = self.mmrpc.ok(method, params.clone()).await;
            let mut differing = None;
            for surface in Surface::ALL {
                let got = self
                    .jsonrpc
                    .ok(surface, method, Self::params_for(surface, &params))
                    .await;
                if got != expected {
                    differing = Some((surface, got));
                    break;
                }
            }
            match differing {
                None => return expected,
                Some((surface, got)) if attempts >= 5 => {
                    panic!("{method} over {surface:?} differs from mmrpc:\n{got}\n{expected}")
                }
                Some(_) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }

    /// Calls `method` once per surface with params from `make` (fresh each time); returns the
    /// four results, mmrpc first.
    async fn once_per_surface<F, Fut>(&mut self, method: &str, mut make: F) -> Vec<Value>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Value>,
    {
        self.covered.insert(method.to_string());
        let mut results = vec![self.mmrpc.ok(method, make().await).await];
        for surface in Surface::ALL {
            let params = Self::params_for(surface, &make().await);
            results.push(self.jsonrpc.ok(surface, method, params).await);
        }
        results
    }
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn chain_call(sandbox: &SandboxHandle, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "1.0", "id": "t", "method": method, "params": params});
    let chain = sandbox.chain();
    let answer: Value = reqwest::Client::new()
        .post(chain.url())
        .basic_auth(chain.user(), Some(chain.password()))
        .json(&body)
        .send()
        .await
        .expect("chain answers")
        .json()
        .await
        .expect("chain JSON");
    assert!(answer["error"].is_null(), "{method}: {}", answer["error"]);
    answer["result"].clone()
}

/// Gives the user's wallet a mature coinbase, so it can open four channels and send four
/// times.
async fn fund_user(sandbox: &SandboxHandle, user: &RpcClient) {
    let address = user
        .ok("lightning::wallet::get_new_address", json!({"coin": COIN}))
        .await;
    let address = address["address"].as_str().expect("address").to_string();
    chain_call(sandbox, "generatetoaddress", json!([1, address])).await;
    user.ok("sandbox::mine", json!({"blocks": 100})).await;
    wait_until("the coinbase is spendable", || async {
        let balance = user
            .ok("lightning::wallet::my_balance", json!({"coin": COIN}))
            .await;
        balance["spendable_sats"].as_u64().unwrap_or(0) > 1_000_000_000
    })
    .await;
}

async fn invoice_from(peer: &RpcClient) -> Value {
    peer.ok(
        "lightning::payments::generate_invoice",
        json!({"coin": COIN, "description": "json-rpc", "amount_in_msat": 21_000}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_routed_method_answers_the_same_on_every_surface() {
    let sandbox = Sandbox::start(SandboxConfig {
        rpc_password: Some(PASSWORD.to_string()),
        ..SandboxConfig::ephemeral()
    })
    .await
    .expect("the sandbox starts");
    let user = sandbox.daemon(Role::User);
    let socket = user.rpc_socket_path().expect("a socket").to_path_buf();
    assert_eq!(socket, user.config().data_dir.join("lightning-rpc"));
    let mode = std::fs::metadata(&socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let peer1 = RpcClient::new(sandbox.rpc_addr(Role::Peer1), PASSWORD);
    let peer2 = RpcClient::new(sandbox.rpc_addr(Role::Peer2), PASSWORD);
    let mut c = Clients {
        mmrpc: RpcClient::new(user.rpc_addr(), PASSWORD),
        jsonrpc: JsonRpcClient::new(user.rpc_addr(), PASSWORD, Some(socket.clone())),
        covered: BTreeSet::new(),
    };
    fund_user(&sandbox, &c.mmrpc).await;
    // A payment to look up and list.
    let invoice = invoice_from(&peer1).await;
    c.mmrpc
        .ok(
            "lightning::payments::send_payment",
            json!({"coin": COIN, "payment": {"type": "invoice", "invoice": invoice["invoice"]}}),
        )
        .await;
    let hash = invoice["payment_hash"].clone();
    wait_until("the payment succeeded", || async {
        let details = c
            .mmrpc
            .ok(
                "lightning::payments::get_payment_details",
                json!({"coin": COIN, "payment_hash": hash}),
            )
            .await;
        details["payment_details"]["status"] == "succeeded"
    })
    .await;
    let channels = c
        .mmrpc
        .ok(
            "lightning::channels::list_open_channels_by_filter",
            json!({"coin": COIN}),
        )
        .await;
    let uuid = channels["open_channels"][0]["uuid"].clone();
    assert!(uuid.is_string(), "an open channel: {channels}");

    // Reads: the same everywhere.
    c.same_everywhere("version", Value::Null).await;
    for method in [
        "lightning::nodes::get_info",
        "lightning::nodes::list_trusted_nodes",
        "lightning::channels::list_open_channels_by_filter",
        "lightning::channels::list_closed_channels_by_filter",
        "lightning::wallet::my_balance",
        "lightning::payments::list_payments_by_filter",
    ] {
        c.same_everywhere(method, json!({"coin": COIN})).await;
    }
    let by_uuid = json!({"coin": COIN, "uuid": uuid});
    c.same_everywhere("lightning::channels::get_channel_details", by_uuid.clone())
        .await;
    c.same_everywhere(
        "lightning::channels::get_claimable_balances",
        json!({"coin": COIN, "include_open_channels_balances": true}),
    )
    .await;
    c.same_everywhere(
        "lightning::payments::get_payment_details",
        json!({"coin": COIN, "payment_hash": hash}),
    )
    .await;

    // Idempotent writes: the same answer every time.
    let peer1_id = sandbox.node_id(Role::Peer1).to_string();
    let peer1_p2p = sandbox.p2p_addr(Role::Peer1).expect("peer1 listens");
    c.same_everywhere(
        "lightning::nodes::connect_to_node",
        json!({"coin": COIN, "node_address": format!("{peer1_id}@{peer1_p2p}")}),
    )
    .await;
    c.same_everywhere(
        "lightning::nodes::add_trusted_node",
        json!({"coin": COIN, "node_id": peer1_id}),
    )
    .await;
    c.same_everywhere(
        "lightning::nodes::remove_trusted_node",
        json!({"coin": COIN, "node_id": peer1_id}),
    )
    .await;
    let mut update = by_uuid.clone();
    update["channel_options"] =
        json!({"base_fee_msat": 1500, "proportional_fee_in_millionths_sats": 300});
    c.same_everywhere("lightning::channels::update_channel", update)
        .await;

    // Writes that make something new each time.
    let ticker = json!({"ticker": COIN, "activation_params": {"name": "json-rpc"}});
    let tasks = c
        .once_per_surface("task::enable_lightning::init", || {
            let ticker = ticker.clone();
            async move { ticker }
        })
        .await;
    let mut task_ids = tasks.iter().map(|t| t["task_id"].clone());
    let statuses = c
        .once_per_surface("task::enable_lightning::status", || {
            let id = task_ids.next().expect("a task per surface");
            async move { json!({"task_id": id}) }
        })
        .await;
    assert!(statuses.iter().all(|s| s["status"] == "Ok"), "{statuses:?}");

    let invoices = c
        .once_per_surface("lightning::payments::generate_invoice", || async {
            json!({"coin": COIN, "description": "via every surface", "amount_in_msat": 5_000})
        })
        .await;
    assert_eq!(distinct(&invoices, "payment_hash"), 4);

    let payee = &peer1;
    let payments = c
        .once_per_surface("lightning::payments::send_payment", move || async move {
            let invoice = invoice_from(payee).await;
            json!({"coin": COIN, "payment": {"type": "invoice", "invoice": invoice["invoice"]}})
        })
        .await;
    assert_eq!(distinct(&payments, "payment_hash"), 4);

    // Core Lightning's route-level payments: a route, a send along it and its outcome per
    // surface; routes differ per call (LDK adds a random shadow CLTV offset).
    let peer1_node = sandbox.node_id(Role::Peer1).to_string();
    let quotes = c
        .once_per_surface("lightning::payments::estimate_fee", || {
            let destination = peer1_node.clone();
            async move { json!({"coin": COIN, "destination": destination, "amount_msat": 7_000}) }
        })
        .await;
    assert!(quotes.iter().all(|q| q["hops"] == 1), "{quotes:?}");
    let mut sendpay_invoices = Vec::new();
    for _ in 0..4 {
        sendpay_invoices.push(invoice_from(payee).await);
    }
    let routes = c
        .once_per_surface("getroute", || {
            let id = peer1_node.clone();
            async move { json!({"id": id, "amount_msat": 21_000, "riskfactor": 1, "cltv": 144}) }
        })
        .await;
    let mut to_send = sendpay_invoices.iter().zip(routes.iter());
    let sendpays = c
        .once_per_surface("sendpay", || {
            let (invoice, route) = to_send.next().expect("an invoice per surface");
            let bolt11: lightning_invoice::Bolt11Invoice = invoice["invoice"]
                .as_str()
                .expect("bolt11")
                .parse()
                .expect("an invoice");
            let params = json!({"route": route["route"], "payment_hash": invoice["payment_hash"],
                                "payment_secret": hex::encode(bolt11.payment_secret().0),
                                "bolt11": invoice["invoice"]});
            async move { params }
        })
        .await;
    assert_eq!(distinct(&sendpays, "payment_hash"), 4);
    let mut to_wait = sendpays.iter();
    let waited = c
        .once_per_surface("waitsendpay", || {
            let hash = to_wait.next().expect("a sendpay per surface")["payment_hash"].clone();
            async move { json!({"payment_hash": hash, "timeout": 60}) }
        })
        .await;
    assert!(
        waited.iter().all(|w| w["status"] == "complete"),
        "{waited:?}"
    );
    c.same_everywhere(
        "listsendpays",
        json!({"payment_hash": sendpays[0]["payment_hash"]}),
    )
    .await;

    let addresses = c
        .once_per_surface("lightning::wallet::get_new_address", || async {
            json!({"coin": COIN})
        })
        .await;
    assert_eq!(distinct(&addresses, "address"), 4);

    let recipient = &peer2;
    let sends = c
        .once_per_surface("lightning::wallet::send_to_address", move || async move {
            let to = recipient
                .ok("lightning::wallet::get_new_address", json!({"coin": COIN}))
                .await;
            json!({"coin": COIN, "address": to["address"], "amount": {"type": "Exact", "value": 0.0001}})
        })
        .await;
    assert_eq!(sends.len(), 4);

    let peer2_address = format!(
        "{}@{}",
        sandbox.node_id(Role::Peer2),
        sandbox.p2p_addr(Role::Peer2).expect("peer2 listens")
    );
    let opened = c
        .once_per_surface("lightning::channels::open_channel", || {
            let node_address = peer2_address.clone();
            async move {
                json!({"coin": COIN, "node_address": node_address, "amount": {"type": "Exact", "value": 0.001}})
            }
        })
        .await;
    let uuids: Vec<Value> = opened.iter().map(|o| o["uuid"].clone()).collect();
    c.mmrpc.ok("sandbox::mine", json!({"blocks": 6})).await;
    for uuid in &uuids {
        wait_until("the new channel is usable", || async {
            let details = c
                .mmrpc
                .ok(
                    "lightning::channels::get_channel_details",
                    json!({"coin": COIN, "uuid": uuid}),
                )
                .await;
            details["details"]["is_usable"] == true
        })
        .await;
    }
    let mut to_close = uuids.iter();
    c.once_per_surface("lightning::channels::close_channel", || {
        let uuid = to_close.next().expect("a channel per surface").clone();
        async move { json!({"coin": COIN, "uuid": uuid}) }
    })
    .await;

    // Hold invoices: one held payment settled per surface, one open hold invoice canceled.
    let mut preimages = Vec::new();
    let mut open_holds = Vec::new();
    for i in 0..8u8 {
        let mut preimage = [0u8; 32];
        preimage[0] = i;
        preimage[9..17].copy_from_slice(
            &std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
                .to_le_bytes()[..8],
        );
        let hash = {
            use bitcoin::hashes::{sha256, Hash};
            hex::encode(sha256::Hash::hash(&preimage).to_byte_array())
        };
        let hold = c
            .mmrpc
            .ok(
                "lightning::payments::generate_invoice",
                json!({"coin": COIN, "description": "hold", "amount_in_msat": 3_000, "payment_hash": hash}),
            )
            .await;
        if i < 4 {
            peer1
                .ok(
                    "lightning::payments::send_payment",
                    json!({"coin": COIN, "payment": {"type": "invoice", "invoice": hold["invoice"]}}),
                )
                .await;
            wait_until("the hold payment is held", || async {
                let details = c
                    .mmrpc
                    .ok(
                        "lightning::payments::get_payment_details",
                        json!({"coin": COIN, "payment_hash": hash}),
                    )
                    .await;
                details["payment_details"]["status"] == "held"
            })
            .await;
            preimages.push(hex::encode(preimage));
        } else {
            open_holds.push(hash);
        }
    }
    let mut to_settle = preimages.iter();
    let settled = c
        .once_per_surface("lightning::payments::settle_invoice", || {
            let preimage = to_settle
                .next()
                .expect("a held payment per surface")
                .clone();
            async move { json!({"coin": COIN, "preimage": preimage}) }
        })
        .await;
    // Settling answers once the claim completed, or after a bounded wait with the row as it is.
    assert!(
        settled.iter().all(|s| ["succeeded", "held"]
            .contains(&s["payment_details"]["status"].as_str().unwrap_or(""))),
        "{settled:?}"
    );
    let mut to_cancel = open_holds.iter();
    let canceled = c
        .once_per_surface("lightning::payments::cancel_invoice", || {
            let hash = to_cancel
                .next()
                .expect("a hold invoice per surface")
                .clone();
            async move { json!({"coin": COIN, "payment_hash": hash}) }
        })
        .await;
    assert!(
        canceled
            .iter()
            .all(|s| s["payment_details"]["status"] == "canceled"),
        "{canceled:?}"
    );

    // Feeds: a fixed window of the event log reads the same everywhere.
    c.same_everywhere(
        "lightning::events::list",
        json!({"coin": COIN, "from_index": 1, "limit": 3}),
    )
    .await;
    c.same_everywhere(
        "lightning::events::wait",
        json!({"coin": COIN, "from_index": 1, "limit": 3, "timeout_secs": 0}),
    )
    .await;
    // Value for value: a value block per surface (each its own key), then the same totals,
    // boost search and CSV everywhere.
    let peer1_split = sandbox.node_id(Role::Peer1).to_string();
    let mut split_round = 0;
    let splits = c
        .once_per_surface("lightning::payments::send_value_split", || {
            split_round += 1;
            let params = json!({"coin": COIN, "total_msat": 20_000,
                "recipients": [{"name": "Host", "destination": peer1_split.clone(), "split": 95},
                               {"name": "App", "destination": peer1_split.clone(), "split": 5, "fee": true}],
                "custom_records": {"7629169": {"json": {"action": "boost", "podcast": "Surfaces", "message": "hi"}}},
                "idempotency_key": format!("surface-split-{split_round}"), "wait_timeout_secs": 60});
            async move { params }
        })
        .await;
    assert_eq!(distinct(&splits, "split_id"), 4);
    assert!(
        splits
            .iter()
            .all(|s| s["recipients"][0]["status"] == "succeeded"),
        "{splits:?}"
    );
    c.same_everywhere(
        "lightning::payments::wallet_totals",
        json!({"coin": COIN, "wallet_id": "wal_nobody"}),
    )
    .await;
    c.same_everywhere(
        "lightning::payments::export",
        json!({"coin": COIN, "format": "csv",
               "filter": {"blip10.podcast": "Surfaces", "has_message": true, "status": "succeeded"}}),
    )
    .await;
    c.same_everywhere(
        "lightning::events::list_webhook_deliveries",
        json!({"coin": COIN, "from_event_index": 1, "limit": 10}),
    )
    .await;
    c.same_everywhere(
        "wait",
        json!({"subsystem": "invoices", "indexname": "created", "nextvalue": 1}),
    )
    .await;

    // Access keys: one created per surface (each answer shows its token once), the list and
    // a usage the same everywhere, one revoked per surface.
    let keys = c
        .once_per_surface("lightning::keys::create", || async {
            json!({"coin": COIN, "label": "network test", "scope": "readonly"})
        })
        .await;
    assert_eq!(distinct(&keys, "token"), 4, "{keys:?}");
    c.same_everywhere("lightning::keys::list", json!({"coin": COIN}))
        .await;
    c.same_everywhere(
        "lightning::keys::usage",
        json!({"coin": COIN, "id": keys[0]["id"]}),
    )
    .await;
    let mut ids = keys.iter().map(|k| k["id"].clone());
    let revoked = c
        .once_per_surface("lightning::keys::revoke", || {
            let id = ids.next().expect("a key per surface");
            async move { json!({"coin": COIN, "id": id}) }
        })
        .await;
    assert!(
        revoked.iter().all(|k| k["status"] == "revoked"),
        "{revoked:?}"
    );

    // BOLT 12 (the sandbox's channels are announced): an offer created and disabled per
    // surface, the list the same everywhere, peer1's offer paid per surface; a refund created
    // per surface (peer1 claims each) and one of peer1's claimed per surface.
    let offers = c
        .once_per_surface("lightning::offers::create_offer", || async {
            json!({"coin": COIN, "description": "every surface", "amount_msat": 3_000})
        })
        .await;
    assert_eq!(distinct(&offers, "offer_id"), 4, "{offers:?}");
    c.same_everywhere(
        "lightning::offers::list_offers",
        json!({"coin": COIN, "include_disabled": true}),
    )
    .await;
    let mut offer_ids = offers.iter().map(|o| o["offer_id"].clone());
    let disabled = c
        .once_per_surface("lightning::offers::disable_offer", || {
            let id = offer_ids.next().expect("an offer per surface");
            async move { json!({"coin": COIN, "offer_id": id}) }
        })
        .await;
    assert!(
        disabled.iter().all(|o| o["active"] == false),
        "{disabled:?}"
    );
    let tip_jar = peer1
        .ok(
            "lightning::offers::create_offer",
            json!({"coin": COIN, "description": "peer1's tip jar"}),
        )
        .await;
    let tip_offer = tip_jar["offer"].clone();
    let tips = c
        .once_per_surface("lightning::payments::send_payment", || {
            let offer = tip_offer.clone();
            async move {
                json!({"coin": COIN, "payment": {"type": "offer", "offer": offer, "amount_in_msat": 2_000},
                       "wait_timeout_secs": 60})
            }
        })
        .await;
    assert!(tips.iter().all(|p| p["status"] == "succeeded"), "{tips:?}");
    assert_eq!(distinct(&tips, "payment_hash"), 4);
    let refunds = c
        .once_per_surface("lightning::offers::create_refund", || async {
            json!({"coin": COIN, "amount_msat": 1_500, "description": "every surface"})
        })
        .await;
    for refund in &refunds {
        peer1
            .ok(
                "lightning::offers::request_refund_payment",
                json!({"coin": COIN, "refund": refund["refund"]}),
            )
            .await;
    }
    let mut owed = Vec::new();
    for _ in 0..4 {
        owed.push(
            peer1
                .ok(
                    "lightning::offers::create_refund",
                    json!({"coin": COIN, "amount_msat": 1_000, "description": "to the user"}),
                )
                .await["refund"]
                .clone(),
        );
    }
    let mut owed = owed.into_iter();
    let claimed = c
        .once_per_surface("lightning::offers::request_refund_payment", || {
            let refund = owed.next().expect("a refund per surface");
            async move { json!({"coin": COIN, "refund": refund}) }
        })
        .await;
    assert_eq!(distinct(&claimed, "payment_hash"), 4, "{claimed:?}");

    let routed: BTreeSet<String> = mmln::rpc::method_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = routed.difference(&c.covered).collect();
    assert!(
        missing.is_empty(),
        "methods not driven over JSON-RPC: {missing:?}"
    );

    sandbox.shutdown().await.expect("clean shutdown");
    assert!(
        !Path::new(&socket).exists(),
        "the socket is removed on shutdown"
    );
}

fn distinct(results: &[Value], field: &str) -> usize {
    results
        .iter()
        .map(|r| r[field].to_string())
        .collect::<BTreeSet<_>>()
        .len()
}
