//! Webhooks owed when a real `mmln run` process is SIGKILLed are delivered after a restart.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use mmln::service::feeds::signature::verify;

use crate::common::RpcClient;
use crate::harness::{wait_until, Chain, COIN, PASSWORD, WAIT};
use crate::receiver::{Behaviour, Receiver};

const SECRET: &str = "crash-test-secret";
const INVOICES: usize = 10;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The daemon process; killed when dropped, so a failing assertion leaves no process behind.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mmln_run(chain: &Chain, dir: &Path, port: u16, hook: &str) -> Daemon {
    let child = Command::new(env!("CARGO_BIN_EXE_mmln"))
        .arg("run")
        .arg("--data-dir")
        .arg(dir)
        .args(["--rpc-password", PASSWORD])
        .args(["--rpcport", &port.to_string()])
        .args(["--network", "regtest"])
        .args(["--p2p-listen", "127.0.0.1:0"])
        .args(["--bitcoind-rpc-url", &chain.handle.url()])
        .args(["--bitcoind-rpc-user", chain.handle.user()])
        .args(["--bitcoind-rpc-password", chain.handle.password()])
        .args(["--chain-poll-interval-ms", "100"])
        .args(["--webhook-urls", hook])
        .args(["--webhook-secret", SECRET])
        .args(["--webhook-retry-base-ms", "100"])
        .args(["--webhook-timeout-secs", "600"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mmln run");
    Daemon(child)
}

/// Polls with a plain HTTP client (the test client panics on a refused connection).
async fn until_serving(port: u16) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let url = format!("http://127.0.0.1:{port}/");
    wait_until("mmln run serves RPC", WAIT, || async {
        let body = json!({ "mmrpc": "2.0", "userpass": PASSWORD, "method": "version", "id": 1 });
        match http.post(&url).json(&body).send().await {
            Ok(r) => r.status().is_success(),
            Err(_) => false,
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_owed_at_a_sigkill_are_delivered_after_restart() {
    let chain = Chain::start().await;
    let dir = tempfile::tempdir().unwrap();
    // The receiver takes every request and never answers, so each delivery stays owed.
    let receiver = Receiver::start(Behaviour::Hang).await;
    let port = free_port();
    let mut daemon = mmln_run(&chain, dir.path(), port, &receiver.url());
    let rpc = RpcClient::new(format!("127.0.0.1:{port}").parse().unwrap(), PASSWORD);
    until_serving(port).await;

    let mut hashes = Vec::new();
    for i in 0..INVOICES {
        let inv = rpc
            .ok(
                "lightning::payments::generate_invoice",
                json!({ "coin": COIN, "description": format!("owed {i}"), "amount_in_msat": 1000 }),
            )
            .await;
        hashes.push(inv["payment_hash"].as_str().unwrap().to_string());
    }
    let owed = rpc
        .ok(
            "lightning::events::list_webhook_deliveries",
            json!({ "coin": COIN, "limit": 1000 }),
        )
        .await;
    let owed = owed["deliveries"].as_array().unwrap().clone();
    assert!(owed.len() >= INVOICES, "{owed:?}");
    assert!(
        owed.iter().all(|d| d["state"] == "pending"),
        "nothing was delivered before the kill: {owed:?}"
    );

    // SIGKILL: no shutdown code runs.
    daemon.0.kill().expect("SIGKILL");
    daemon.0.wait().expect("reaped");
    drop(daemon);
    assert!(receiver.deliveries().is_empty());

    receiver.set_behaviour(Behaviour::Ok);
    let _daemon = mmln_run(&chain, dir.path(), port, &receiver.url());
    until_serving(port).await;
    let owed_indexes: Vec<u64> = owed
        .iter()
        .map(|d| d["event_index"].as_u64().unwrap())
        .collect();
    wait_until("every owed webhook is delivered", WAIT, || async {
        let delivered = receiver.delivered_events();
        owed_indexes.iter().all(|i| delivered.contains_key(i))
    })
    .await;
    let delivered = receiver.delivered_events();
    for hash in &hashes {
        assert!(
            delivered
                .values()
                .any(|b| b["event"]["kind"] == "payment_created"
                    && b["event"]["subject"] == hash.as_str()),
            "the creation of {hash} was delivered"
        );
    }
    for d in receiver.deliveries() {
        assert!(verify(SECRET.as_bytes(), &d.signature, &d.body).is_some());
    }
    // The receiver answers before the daemon records the answer: wait for the records.
    wait_until("every delivery is recorded as delivered", WAIT, || async {
        let after = rpc
            .ok(
                "lightning::events::list_webhook_deliveries",
                json!({ "coin": COIN, "limit": 1000 }),
            )
            .await;
        after["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] == "delivered")
    })
    .await;
}
