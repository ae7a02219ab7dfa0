//! `mmln sandbox` as a library: the whole network starts in-process on ephemeral ports, its
//! daemons answer over HTTP (checked against rpc-spec/), blocks are mined for pending
//! transactions and on request, and a restart on the same data directory reuses wallets and
//! channels.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::RpcClient;
use mmln::node::SendAmount;
use mmln::sandbox::{Progress, Role, Sandbox, SandboxConfig, SandboxHandle, CHANNEL_PLAN};

const PASSWORD: &str = "Sandb0x:Secret";
const WAIT: Duration = Duration::from_secs(60);

fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A sandbox on ephemeral ports in `dir`, its progress lines collected in `lines`.
async fn start(dir: &std::path::Path, lines: &Arc<Mutex<Vec<String>>>) -> SandboxHandle {
    let sink = Arc::clone(lines);
    let config = SandboxConfig {
        data_dir: Some(dir.to_path_buf()),
        rpc_password: Some(PASSWORD.to_string()),
        progress: Progress::to(move |line| sink.lock().unwrap().push(line.to_string())),
        ..SandboxConfig::ephemeral()
    };
    Sandbox::start(config).await.expect("the sandbox starts")
}

fn client(sandbox: &SandboxHandle, role: Role) -> RpcClient {
    RpcClient::new(sandbox.rpc_addr(role), PASSWORD)
}

/// Every channel of the plan, as (opener, acceptor, channel id) seen by the opener.
fn channel_ids(sandbox: &SandboxHandle) -> BTreeSet<(&'static str, &'static str, String)> {
    let mut ids = BTreeSet::new();
    for (opener, acceptor) in CHANNEL_PLAN {
        let peer = sandbox.node_id(acceptor);
        for c in sandbox.daemon(opener).node().list_channels() {
            if c.counterparty == peer && c.is_outbound {
                assert!(
                    c.is_usable,
                    "{}->{} not usable: {c:?}",
                    opener.name(),
                    acceptor.name()
                );
                ids.insert((opener.name(), acceptor.name(), c.channel_id.to_string()));
            }
        }
    }
    ids
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {WAIT:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn chain_call(sandbox: &SandboxHandle, method: &str, params: Value) -> Value {
    common::CoreClient::for_chain(sandbox.chain())
        .call(method, params)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sandbox_starts_mines_and_restarts_on_its_data_dir() {
    init_logs();
    let dir = tempfile::tempdir().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sandbox = start(dir.path(), &lines).await;

    // Seven numbered steps, then every channel of the plan usable on the opener's side (the
    // sandbox also waited for the acceptor's side).
    let progress = lines.lock().unwrap().clone();
    for step in 1..=7 {
        assert!(
            progress
                .iter()
                .any(|l| l.starts_with(&format!("[{step}/7]"))),
            "step {step} missing from {progress:?}"
        );
    }
    let channels = channel_ids(&sandbox);
    assert_eq!(channels.len(), CHANNEL_PLAN.len(), "{channels:?}");
    // The channels are public: every node's graph learns all three.
    wait_until("every graph holds the three public channels", || async {
        Role::ALL.iter().all(|r| {
            sandbox
                .daemon(*r)
                .node()
                .network_graph()
                .read_only()
                .channels()
                .len()
                == CHANNEL_PLAN.len()
        })
    })
    .await;

    // The daemons answer over HTTP with the sandbox's coin and password.
    let user = client(&sandbox, Role::User);
    for role in Role::ALL {
        client(&sandbox, role).ok("version", json!(null)).await;
        assert_eq!(
            sandbox.daemon(role).config().coin_ticker(),
            "tBTC-lightning"
        );
    }

    // sandbox::mine, on request.
    let before = sandbox.chain().height() as u64;
    let mined = user.ok("sandbox::mine", json!({"blocks": 3})).await;
    assert_eq!(mined["blocks_mined"], 3);
    assert!(mined["height"].as_u64().unwrap() >= before + 3, "{mined}");
    assert_eq!(
        mined["tip"],
        chain_call(&sandbox, "getblockhash", json!([mined["height"]])).await
    );
    let one = user.ok("sandbox::mine", json!(null)).await;
    assert_eq!(one["blocks_mined"], 1);
    user.without_validation()
        .expect_error("sandbox::mine", json!({"blocks": 0}), "InvalidBlocks", 400)
        .await;
    user.without_validation()
        .expect_error(
            "sandbox::mine",
            json!({"blocks": 1001}),
            "InvalidBlocks",
            400,
        )
        .await;

    pay_an_invoice_across_the_sandbox(&sandbox).await;

    // The block timer: an on-chain send leaves the mempool without anyone mining by hand.
    let target = sandbox.daemon(Role::Peer1).node().new_address().unwrap();
    let txid = sandbox
        .daemon(Role::User)
        .node()
        .send_to_address(&target.to_string(), SendAmount::Sats(50_000), None)
        .await
        .expect("on-chain send");
    wait_until("the block timer mines the send", || async {
        let tx = chain_call(
            &sandbox,
            "getrawtransaction",
            json!([txid.to_string(), true]),
        )
        .await;
        tx["confirmations"].as_u64().unwrap_or(0) >= 1
    })
    .await;

    let user_balance = sandbox.daemon(Role::User).node().wallet_balance();
    sandbox.shutdown().await.expect("clean shutdown");
    assert!(dir.path().join("user").exists(), "a kept data dir stays");

    // Restart on the same directory: the same channels, no new funding.
    lines.lock().unwrap().clear();
    let sandbox = start(dir.path(), &lines).await;
    let progress = lines.lock().unwrap().clone();
    assert!(
        progress
            .iter()
            .any(|l| l.contains("reusing the existing channels")),
        "{progress:?}"
    );
    assert!(
        progress
            .iter()
            .any(|l| l.contains("already hold what they need")),
        "{progress:?}"
    );
    assert_eq!(
        channel_ids(&sandbox),
        channels,
        "the same channels after a restart"
    );
    let after = sandbox.daemon(Role::User).node().wallet_balance();
    let total =
        |b: &mmln::node::WalletBalance| b.confirmed_sat + b.unconfirmed_sat + b.immature_sat;
    assert_eq!(
        total(&after),
        total(&user_balance),
        "no new coinbase for the user: {user_balance:?} -> {after:?}"
    );
    client(&sandbox, Role::User)
        .ok("sandbox::mine", json!({"blocks": 1}))
        .await;
    sandbox
        .shutdown()
        .await
        .expect("clean shutdown after the restart");
}

/// What the banner's first command does, through the validating client: peer1 creates an
/// invoice, the user's node pays it, and both sides end up showing it succeeded.
async fn pay_an_invoice_across_the_sandbox(sandbox: &SandboxHandle) {
    let user = client(sandbox, Role::User);
    let peer1 = client(sandbox, Role::Peer1);
    let coin = "tBTC-lightning";
    let invoice = peer1
        .ok(
            "lightning::payments::generate_invoice",
            json!({"coin": coin, "description": "sandbox coffee", "amount_in_msat": 10_000}),
        )
        .await;
    let sent = user
        .ok(
            "lightning::payments::send_payment",
            json!({"coin": coin, "payment": {"type": "invoice", "invoice": invoice["invoice"]}}),
        )
        .await;
    assert_eq!(sent["payment_hash"], invoice["payment_hash"]);
    let hash = invoice["payment_hash"].clone();
    for (side, rpc) in [("the user's node", &user), ("peer1", &peer1)] {
        wait_until(&format!("{side} shows the payment succeeded"), || async {
            let details = rpc
                .ok(
                    "lightning::payments::get_payment_details",
                    json!({"coin": coin, "payment_hash": hash}),
                )
                .await;
            details["payment_details"]["status"] == "succeeded"
        })
        .await;
    }
    let details = user
        .ok(
            "lightning::payments::get_payment_details",
            json!({"coin": coin, "payment_hash": hash}),
        )
        .await;
    assert_eq!(details["payment_details"]["amount_in_msat"], 10_000);
    assert_eq!(
        details["payment_details"]["payment_type"]["destination"],
        json!(sandbox.node_id(Role::Peer1).to_string())
    );
}

#[test]
fn only_the_sandbox_routes_sandbox_methods() {
    assert!(!mmln::rpc::method_names().contains(&"sandbox::mine"));
    let sandbox = mmln::sandbox::router().method_names();
    assert!(sandbox.contains(&"sandbox::mine"));
    for method in mmln::rpc::method_names() {
        assert!(sandbox.contains(&method), "the sandbox routes {method} too");
    }
}
