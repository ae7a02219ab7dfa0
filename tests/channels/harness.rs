//! The network for the channel tests: a regtest chain and full mmln daemons (App::start) on
//! ephemeral ports, driven over HTTP through the schema-validating client.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mmln::app::{App, AppHandle};
use mmln::config::Config;
use mmln::regtest::{RegtestConfig, RegtestHandle, RegtestServer};
use serde_json::{json, Value};

use crate::common::RpcClient;

pub const PASSWORD: &str = "Str0ng!Secret";
pub const COIN: &str = "tBTC-lightning";
pub const WAIT: Duration = Duration::from_secs(90);

/// An address no daemon owns, for blocks whose reward should go nowhere in particular.
pub fn burn_address() -> String {
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let key = bitcoin::secp256k1::SecretKey::from_slice(&[0x42; 32]).expect("key");
    let pk = bitcoin::CompressedPublicKey(key.public_key(&secp));
    bitcoin::Address::p2wpkh(&pk, bitcoin::Network::Regtest).to_string()
}

pub struct Chain {
    pub handle: RegtestHandle,
}

impl Chain {
    pub async fn start() -> Chain {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        // A fixed fee estimate keeps LDK's fee checks deterministic.
        let config = RegtestConfig {
            fee_rate_sat_per_vb: Some(2.0),
            ..RegtestConfig::ephemeral()
        };
        let handle = RegtestServer::start(config).await.expect("regtest chain");
        Chain { handle }
    }

    pub async fn mine_to(&self, blocks: u32, address: &str) {
        let address: bitcoin::Address<bitcoin::address::NetworkUnchecked> =
            address.parse().expect("address");
        self.handle
            .generate_to_address(blocks, &address.assume_checked())
            .await
            .expect("mining");
    }

    pub async fn mine(&self, blocks: u32) {
        self.mine_to(blocks, &burn_address()).await;
    }
}

/// One daemon and a client for it.
pub struct Daemon {
    pub app: AppHandle,
    pub rpc: RpcClient,
    pub dir: PathBuf,
}

pub fn daemon_config(chain: &Chain, dir: &std::path::Path) -> Config {
    Config {
        rpc_password: Some(PASSWORD.to_string()),
        rpcport: 0,
        data_dir: dir.to_path_buf(),
        p2p_listen: "127.0.0.1:0".parse().expect("p2p address"),
        bitcoind_rpc_url: Some(chain.handle.url()),
        bitcoind_rpc_user: Some(chain.handle.user().to_string()),
        bitcoind_rpc_password: Some(chain.handle.password().to_string()),
        chain_poll_interval_ms: Some(100),
        fallback_fee_rate_sat_per_kw: 500,
        ..Default::default()
    }
}

impl Daemon {
    pub async fn start(chain: &Chain, dir: PathBuf) -> Daemon {
        let app = App::start(daemon_config(chain, &dir))
            .await
            .expect("daemon starts");
        let rpc = RpcClient::new(app.rpc_addr(), PASSWORD);
        Daemon { app, rpc, dir }
    }

    pub async fn restart(self, chain: &Chain) -> Daemon {
        let dir = self.dir.clone();
        self.app.shutdown().await.expect("clean shutdown");
        Daemon::start(chain, dir).await
    }

    pub fn node_id(&self) -> String {
        self.app.node().node_id().to_string()
    }

    pub fn node_address(&self) -> String {
        format!(
            "{}@{}",
            self.node_id(),
            self.app.node().listening_addresses()[0]
        )
    }

    /// Calls a `lightning::*` method with `coin` added to `params`.
    pub async fn ok(&self, method: &str, mut params: Value) -> Value {
        params["coin"] = json!(COIN);
        self.rpc.ok(method, params).await
    }

    pub async fn error(
        &self,
        method: &str,
        mut params: Value,
        error_type: &str,
        status: u16,
    ) -> Value {
        params["coin"] = json!(COIN);
        self.rpc
            .expect_error(method, params, error_type, status)
            .await
    }

    pub async fn spendable_sats(&self) -> u64 {
        self.ok("lightning::wallet::my_balance", json!({})).await["spendable_sats"]
            .as_u64()
            .expect("spendable_sats")
    }

    pub async fn open_channels(&self, filter: Value) -> Vec<Value> {
        self.ok(
            "lightning::channels::list_open_channels_by_filter",
            json!({ "filter": filter, "limit": 100 }),
        )
        .await["open_channels"]
            .as_array()
            .expect("open_channels")
            .clone()
    }

    pub async fn open_channel(&self, uuid: &str) -> Option<Value> {
        self.open_channels(json!({}))
            .await
            .into_iter()
            .find(|c| c["uuid"] == uuid)
    }

    pub async fn closed_channel(&self, uuid: &str) -> Option<Value> {
        self.ok(
            "lightning::channels::list_closed_channels_by_filter",
            json!({ "limit": 100 }),
        )
        .await["closed_channels"]
            .as_array()
            .expect("closed_channels")
            .iter()
            .find(|c| c["uuid"] == uuid)
            .cloned()
    }

    /// Funds the wallet with `blocks` coinbases (matured) through `get_new_address`.
    pub async fn fund(&self, chain: &Chain, blocks: u32) {
        let address = self
            .ok("lightning::wallet::get_new_address", json!({}))
            .await["address"]
            .as_str()
            .expect("address")
            .to_string();
        chain.mine_to(blocks, &address).await;
    }
}

/// Polls `check` until it returns true, failing with `what` after `timeout`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Mines a block at a time until `check` holds.
pub async fn mine_until<F, Fut>(chain: &Chain, what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} mining until {what}"
        );
        chain.mine(1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
