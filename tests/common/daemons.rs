//! Real `mmln run` processes on an in-process regtest chain, for tests that kill them.
//!
//! - [`ProcessChain`]: the regtest chain, with mining over its JSON-RPC.
//! - [`Daemon`]: one `mmln run` child process on fixed loopback ports, its log in its data dir;
//!   [`Daemon::kill`] is a SIGKILL (no shutdown code runs), [`Daemon::start`] starts it again
//!   on the same data dir and ports.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mmln::regtest::{RegtestConfig, RegtestHandle, RegtestServer};
use serde_json::{json, Value};

use super::client::RpcClient;

pub const PASSWORD: &str = "Crash:T3st-pass";
pub const COIN: &str = "tBTC-lightning";

pub struct ProcessChain {
    pub handle: RegtestHandle,
    http: reqwest::Client,
}

impl ProcessChain {
    pub async fn start() -> ProcessChain {
        ProcessChain::start_with(ProcessChain::config(None)).await
    }

    /// A chain kept in `dir`, so it can be stopped and started again with its blocks
    /// ([`ProcessChain::stop`], [`ProcessChain::start_with`]).
    pub async fn start_in(dir: &Path) -> ProcessChain {
        ProcessChain::start_with(ProcessChain::config(Some(dir))).await
    }

    fn config(dir: Option<&Path>) -> RegtestConfig {
        RegtestConfig {
            // A fixed estimate: LDK never needs to update channel fees during the test.
            fee_rate_sat_per_vb: Some(2.0),
            data_dir: dir.map(Path::to_path_buf),
            ..RegtestConfig::ephemeral()
        }
    }

    /// Starts a chain from `config`; after [`ProcessChain::stop`], the same chain on the same
    /// port with the same credentials and blocks.
    pub async fn start_with(config: RegtestConfig) -> ProcessChain {
        let handle = RegtestServer::start(config)
            .await
            .expect("regtest chain starts");
        ProcessChain {
            handle,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the chain: its port refuses connections until it is started again with the
    /// returned config (which holds the port it was bound to).
    pub async fn stop(self) -> RegtestConfig {
        let config = self.handle.config().clone();
        self.handle.shutdown().await.expect("chain stops");
        config
    }

    pub async fn height(&self) -> u64 {
        self.rpc("getblockcount", json!([]))
            .await
            .as_u64()
            .expect("height")
    }

    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "1.0", "id": "t", "method": method, "params": params});
        let resp: Value = self
            .http
            .post(self.handle.url())
            .basic_auth(self.handle.user(), Some(self.handle.password()))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method}: bad JSON: {e}"));
        assert!(resp["error"].is_null(), "{method}: {}", resp["error"]);
        resp["result"].clone()
    }

    pub async fn mine_to(&self, blocks: u32, address: &str) {
        self.rpc("generatetoaddress", json!([blocks, address]))
            .await;
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Daemon {
    pub name: &'static str,
    pub dir: PathBuf,
    pub rpc_addr: SocketAddr,
    pub p2p_addr: SocketAddr,
    chain_url: String,
    chain_user: String,
    chain_password: String,
    child: Option<Child>,
    starts: u32,
}

impl Daemon {
    pub fn new(name: &'static str, dir: &Path, chain: &ProcessChain) -> Daemon {
        Daemon {
            name,
            dir: dir.to_path_buf(),
            rpc_addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
            p2p_addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
            chain_url: chain.handle.url(),
            chain_user: chain.handle.user().to_string(),
            chain_password: chain.handle.password().to_string(),
            child: None,
            starts: 0,
        }
    }

    pub fn client(&self) -> RpcClient {
        RpcClient::new(self.rpc_addr, PASSWORD)
    }

    /// Starts `mmln run` and waits until it answers `get_info`.
    pub async fn start(&mut self) {
        let log_path = self.spawn();
        self.wait_ready(&log_path).await;
    }

    /// Starts `mmln run` on a data dir it must refuse: waits (bounded) for the process to
    /// exit and returns its exit status and its log (stdout and stderr).
    pub async fn start_expecting_exit(&mut self) -> (std::process::ExitStatus, String) {
        let log_path = self.spawn();
        let mut child = self.child.take().expect("just spawned");
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().expect("child status") {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                return (status, log);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!(
                    "{} kept running on a data dir it must refuse; log:\n{log}",
                    self.name
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The process id of the running daemon (to signal it).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The log of the most recent start.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(format!("run-{}.log", self.starts)))
            .unwrap_or_default()
    }

    /// Sends SIGTERM and waits (bounded by `limit`) for the process to exit; `None` if it was
    /// still running at the limit (it is then killed).
    pub async fn terminate_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn spawn(&mut self) -> PathBuf {
        assert!(self.child.is_none(), "{} is already running", self.name);
        self.starts += 1;
        let log_path = self.dir.join(format!("run-{}.log", self.starts));
        let log = std::fs::File::create(&log_path).expect("log file");
        let err = log.try_clone().expect("log file");
        // `MMLN_TEST_BIN` runs another build (e.g. an older release) under the same test.
        let bin = std::env::var("MMLN_TEST_BIN").unwrap_or(env!("CARGO_BIN_EXE_mmln").to_string());
        let child = Command::new(bin)
            .arg("run")
            .env("MMLN_DATA_DIR", &self.dir)
            .env("MMLN_RPC_PASSWORD", PASSWORD)
            .env("MMLN_RPCIP", "127.0.0.1")
            .env("MMLN_RPCPORT", self.rpc_addr.port().to_string())
            .env("MMLN_P2P_LISTEN", self.p2p_addr.to_string())
            .env("MMLN_NETWORK", "regtest")
            .env("MMLN_BITCOIND_RPC_URL", &self.chain_url)
            .env("MMLN_BITCOIND_RPC_USER", &self.chain_user)
            .env("MMLN_BITCOIND_RPC_PASSWORD", &self.chain_password)
            .env("MMLN_CHAIN_POLL_INTERVAL_MS", "100")
            .env("MMLN_LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("mmln run starts");
        self.child = Some(child);
        log_path
    }

    async fn wait_ready(&mut self, log_path: &Path) {
        let client = self.client();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let log = std::fs::read_to_string(log_path).unwrap_or_default();
                panic!("{} exited at start ({status}); log:\n{log}", self.name);
            }
            if let Ok(r) = client
                .try_call("lightning::nodes::get_info", json!({"coin": COIN}))
                .await
            {
                if r.status == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer within 120 s; see {}",
                self.name,
                log_path.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: the process gets no chance to persist anything more.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

// --- Calls the fault tests share (crash, faults): each one RPC, answers unwrapped. ---

pub async fn node_id(client: &RpcClient) -> String {
    let info = client
        .ok("lightning::nodes::get_info", json!({"coin": COIN}))
        .await;
    info["node_id"].as_str().expect("node_id").to_string()
}

pub async fn block_height(client: &RpcClient) -> u64 {
    let info = client
        .ok("lightning::nodes::get_info", json!({"coin": COIN}))
        .await;
    info["block_height"].as_u64().expect("block_height")
}

pub async fn open_channels(client: &RpcClient) -> Vec<Value> {
    let r = client
        .ok(
            "lightning::channels::list_open_channels_by_filter",
            json!({"coin": COIN, "limit": 100}),
        )
        .await;
    r["open_channels"].as_array().cloned().unwrap_or_default()
}

pub async fn usable_channels(client: &RpcClient) -> usize {
    open_channels(client)
        .await
        .iter()
        .filter(|c| c["is_usable"] == json!(true))
        .count()
}

/// Every payment in the ledger, by hash; a hash listed twice fails the test.
pub async fn ledger(client: &RpcClient) -> std::collections::BTreeMap<String, Value> {
    let mut all = std::collections::BTreeMap::new();
    let mut page = 1;
    loop {
        let r = client
            .ok(
                "lightning::payments::list_payments_by_filter",
                json!({"coin": COIN, "limit": 1000, "paging_options": {"PageNumber": page}}),
            )
            .await;
        let payments = r["payments"].as_array().cloned().unwrap_or_default();
        for p in &payments {
            let hash = p["payment_hash"].as_str().expect("hash").to_string();
            assert!(
                all.insert(hash.clone(), p.clone()).is_none(),
                "payment {hash} listed twice"
            );
        }
        if payments.len() < 1000 {
            return all;
        }
        page += 1;
    }
}

pub async fn pending_count(client: &RpcClient) -> u64 {
    let r = client
        .ok(
            "lightning::payments::list_payments_by_filter",
            json!({"coin": COIN, "filter": {"status": "pending"}, "limit": 1}),
        )
        .await;
    r["total"].as_u64().expect("total")
}

pub fn is_outbound(p: &Value) -> bool {
    p["payment_type"]["type"] == json!("Outbound Payment")
}

/// One keysend; `Some(hash)` if the daemon accepted it (a daemon being killed may not answer).
pub async fn keysend(from: RpcClient, to: String, msat: u64) -> Option<String> {
    keysend_waiting(from, to, msat, None).await
}

/// [`keysend`] that waits up to `wait_secs` for the outcome (`wait_timeout_secs`).
pub async fn keysend_waiting(
    from: RpcClient,
    to: String,
    msat: u64,
    wait_secs: Option<u64>,
) -> Option<String> {
    let mut params = json!({
        "coin": COIN,
        "payment": {"type": "keysend", "destination": to, "amount_in_msat": msat},
    });
    if let Some(wait) = wait_secs {
        params["wait_timeout_secs"] = json!(wait);
    }
    match from
        .try_call("lightning::payments::send_payment", params)
        .await
    {
        Ok(r) if r.status == 200 => Some(r.result()["payment_hash"].as_str()?.to_string()),
        _ => None,
    }
}

/// Mines one coinbase to the daemon's wallet (mature after 100 more blocks).
pub async fn fund(chain: &ProcessChain, client: &RpcClient) {
    let addr = client
        .ok("lightning::wallet::get_new_address", json!({"coin": COIN}))
        .await;
    chain
        .mine_to(1, addr["address"].as_str().expect("address"))
        .await;
}

/// An address no daemon owns.
pub const BURN: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

/// Polls `check` every 200 ms until it holds; fails the test with `what` after `limit`.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Funds both daemons, connects them and opens a channel of `channel_btc` from `a` to `b`, and
/// one back when `both_ways`; returns once every channel is usable on both sides.
pub async fn open_channels_between(
    chain: &ProcessChain,
    a: &Daemon,
    b: &Daemon,
    channel_btc: f64,
    both_ways: bool,
) {
    let (ca, cb) = (a.client(), b.client());
    let (id_a, id_b) = (node_id(&ca).await, node_id(&cb).await);
    fund(chain, &ca).await;
    if both_ways {
        fund(chain, &cb).await;
    }
    chain.mine_to(100, BURN).await;
    let funded: &[&RpcClient] = if both_ways { &[&ca, &cb] } else { &[&ca] };
    for c in funded {
        wait_for(
            "the coinbase is spendable",
            Duration::from_secs(180),
            || async {
                let r = c
                    .ok("lightning::wallet::my_balance", json!({"coin": COIN}))
                    .await;
                r["spendable_sats"].as_u64().unwrap_or(0) > 0
            },
        )
        .await;
    }
    let to_b = format!("{id_b}@{}", b.p2p_addr);
    let to_a = format!("{id_a}@{}", a.p2p_addr);
    ca.ok(
        "lightning::nodes::connect_to_node",
        json!({"coin": COIN, "node_address": to_b}),
    )
    .await;
    let mut opens = vec![(&ca, &to_b)];
    if both_ways {
        opens.push((&cb, &to_a));
    }
    for (opener, peer) in &opens {
        opener
            .ok(
                "lightning::channels::open_channel",
                json!({
                    "coin": COIN,
                    "node_address": peer,
                    "amount": {"type": "Exact", "value": channel_btc},
                }),
            )
            .await;
    }
    let want = opens.len();
    wait_for(
        "every channel is usable on both sides",
        Duration::from_secs(180),
        || async {
            chain.mine_to(1, BURN).await;
            usable_channels(&ca).await == want && usable_channels(&cb).await == want
        },
    )
    .await;
}

/// Waits (bounded by `limit`) until neither daemon has a pending payment, printing progress;
/// on timeout fails with the payments still pending.
pub async fn wait_none_pending(a: &RpcClient, b: &RpcClient, limit: Duration) {
    let deadline = Instant::now() + limit;
    let mut last = u64::MAX;
    loop {
        let pending = pending_count(a).await + pending_count(b).await;
        if pending == 0 {
            return;
        }
        if pending != last {
            println!("{pending} payments pending");
            last = pending;
        }
        if Instant::now() > deadline {
            let mut stuck = Vec::new();
            for (name, client) in [("A", a), ("B", b)] {
                for p in ledger(client).await.values() {
                    if p["status"] == json!("pending") {
                        stuck.push(format!("{name}: {p}"));
                    }
                }
            }
            panic!(
                "payments still pending after {limit:?}:\n{}",
                stuck.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Checks the payer's and the payee's ledgers against each other after payments from `payer`
/// only: every `accepted` hash is an outbound payment of the payer; a succeeded send is a
/// succeeded receipt of the same amount; a failed send was never received; nothing is pending
/// and nothing was received that was not sent. Returns how many succeeded.
pub fn assert_ledgers_agree(
    payer: &std::collections::BTreeMap<String, Value>,
    payee: &std::collections::BTreeMap<String, Value>,
    accepted: &[String],
) -> usize {
    for hash in accepted {
        let p = payer
            .get(hash)
            .unwrap_or_else(|| panic!("accepted payment {hash} is not in the payer's ledger"));
        assert!(
            is_outbound(p),
            "{hash} is not outbound in the payer's ledger"
        );
    }
    let mut succeeded = 0;
    for (hash, p) in payer {
        let theirs = payee.get(hash);
        match p["status"].as_str().expect("status") {
            "succeeded" => {
                let q = theirs.unwrap_or_else(|| panic!("sent {hash} was never received"));
                assert!(!is_outbound(q), "{hash} is outbound on both sides");
                assert_eq!(q["status"], json!("succeeded"), "{hash}: {q}");
                assert_eq!(q["amount_in_msat"], p["amount_in_msat"], "{hash}");
                succeeded += 1;
            }
            "failed" => {
                if let Some(q) = theirs {
                    assert_ne!(
                        q["status"],
                        json!("succeeded"),
                        "{hash} failed but was received"
                    );
                }
            }
            other => panic!("{hash} is {other} on the payer"),
        }
    }
    for (hash, q) in payee {
        assert_ne!(
            q["status"],
            json!("pending"),
            "{hash} is pending on the payee: {q}"
        );
        if q["status"] == json!("succeeded") {
            assert!(payer.contains_key(hash), "received {hash} was never sent");
        }
    }
    succeeded
}
