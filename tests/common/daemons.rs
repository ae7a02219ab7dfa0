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
        let config = RegtestConfig {
            // A fixed estimate: LDK never needs to update channel fees during the test.
            fee_rate_sat_per_vb: Some(2.0),
            ..RegtestConfig::ephemeral()
        };
        let handle = RegtestServer::start(config)
            .await
            .expect("regtest chain starts");
        ProcessChain {
            handle,
            http: reqwest::Client::new(),
        }
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
        let client = self.client();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
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
