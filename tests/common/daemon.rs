//! Full mmln daemons (`App::start`) on ephemeral ports over the test's chain, driven over HTTP
//! through the schema-validating client.

use std::path::PathBuf;

use mmln::app::{App, AppHandle};
use mmln::config::Config;
use serde_json::{json, Value};

use super::chain::Chain;
use super::client::RpcClient;

pub const PASSWORD: &str = "Str0ng!Secret";
pub const COIN: &str = "tBTC-lightning";

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
