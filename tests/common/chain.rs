//! The regtest chain a test starts, mining, and bounded waits with clear failure messages.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use mmln::chain::{ChainConfig, RpcAuth};
use mmln::regtest::{RegtestConfig, RegtestHandle, RegtestServer};
use serde_json::{json, Value};

use super::core_rpc::CoreClient;

/// The longest a test waits for one thing to happen (a bound, never a timing assertion).
pub const WAIT: Duration = Duration::from_secs(90);

/// An address no test node owns, for mining blocks whose reward should go nowhere in particular.
pub fn burn_address() -> String {
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let key = bitcoin::secp256k1::SecretKey::from_slice(&[0x42; 32]).expect("key");
    let pk = bitcoin::CompressedPublicKey(key.public_key(&secp));
    bitcoin::Address::p2wpkh(&pk, bitcoin::Network::Regtest).to_string()
}

/// An in-process regtest chain and a raw client for it.
pub struct Chain {
    pub handle: RegtestHandle,
    pub core: CoreClient,
}

impl Chain {
    pub async fn start() -> Chain {
        Chain::start_in(None).await
    }

    /// A chain kept in `data_dir`, so it can be restarted from disk (see
    /// [`Chain::restart_without_mempool`]).
    pub async fn start_in(data_dir: Option<&Path>) -> Chain {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        // A fixed fee estimate keeps LDK's fee checks deterministic (Core would say "no data").
        let config = RegtestConfig {
            fee_rate_sat_per_vb: Some(2.0),
            data_dir: data_dir.map(Path::to_path_buf),
            ..RegtestConfig::ephemeral()
        };
        let handle = RegtestServer::start(config)
            .await
            .expect("regtest chain starts");
        let core = CoreClient::for_chain(&handle);
        Chain { handle, core }
    }

    /// Restarts a chain started with a data directory on the same port and credentials, with
    /// its blocks but an empty mempool (as a bitcoind whose mempool was lost).
    pub async fn restart_without_mempool(self) -> Chain {
        let config = self.handle.config().clone();
        let dir = config
            .data_dir
            .clone()
            .expect("only a chain with a data directory restarts from disk");
        self.handle.shutdown().await.expect("chain stops");
        let mempool = dir.join("mempool.dat");
        if mempool.exists() {
            std::fs::remove_file(&mempool).expect("mempool snapshot removed");
        }
        let handle = RegtestServer::start(config).await.expect("chain restarts");
        Chain {
            handle,
            core: self.core,
        }
    }

    /// The chain backend settings a node uses to reach this chain.
    pub fn chain_config(&self) -> ChainConfig {
        ChainConfig {
            url: self.handle.url(),
            auth: RpcAuth::UserPass {
                user: self.handle.user().to_string(),
                password: self.handle.password().to_string(),
            },
            network: bitcoin::Network::Regtest,
            poll_interval: Duration::from_millis(100),
            fallback_fee_rate_sat_per_kw: 500,
        }
    }

    /// A call that must succeed.
    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        self.core.call(method, params).await
    }

    pub async fn mine_to(&self, blocks: u32, address: &str) {
        self.rpc("generatetoaddress", json!([blocks, address]))
            .await;
    }

    pub async fn mine(&self, blocks: u32) {
        self.mine_to(blocks, &burn_address()).await;
    }

    pub async fn mempool_txids(&self) -> Vec<String> {
        self.rpc("getrawmempool", json!([]))
            .await
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub async fn mempool_len(&self) -> usize {
        self.mempool_txids().await.len()
    }
}

/// Polls `check` until it returns true, failing the test with `what` after `timeout`.
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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Mines one block at a time until `check` holds (for events that need confirmations).
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

/// [`mine_until`] with a check that needs no `await` (in-process node state).
pub async fn mine_until_sync<F>(chain: &Chain, what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> bool,
{
    mine_until(chain, what, timeout, || std::future::ready(check())).await
}
