//! The network a payment benchmark measures: a regtest chain and two full daemons (sender and
//! receiver) in this process, the sender funded and joined to the receiver by channels.
//!
//! Set-up uses the library directly (as the sandbox does); the measured load goes through
//! each daemon's public RPC over HTTP.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::{App, AppHandle};
use crate::config::Config;
use crate::node::types::{ChannelAmount, OpenChannelOptions};
use crate::regtest::{RegtestConfig, RegtestHandle, RegtestServer};

use super::report::progress;
use super::BenchError;

/// A fixed fee estimate keeps both nodes' fee checks in agreement (as in the sandbox).
const CHAIN_FEE_RATE_SAT_PER_VB: f64 = 2.0;
/// Blocks that make a coinbase spendable.
const MATURITY_BLOCKS: u32 = 100;
/// What the sender keeps on-chain above its channels, for funding fees.
const FEE_RESERVE_SAT: u64 = 1_000_000;
const SYNC_TIMEOUT: Duration = Duration::from_secs(120);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USABLE_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(100);

/// How to build the network.
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    /// Where chain and nodes live; removed at shutdown.
    pub dir: PathBuf,
    /// Channels from sender to receiver.
    pub channels: u32,
    pub channel_sat: u64,
    /// The sender's RPC limits, when the run needs others than the defaults (the load mode
    /// opens more connections from one IP than `rpc_max_connections_per_ip` allows).
    pub sender_rpc: Option<RpcLimits>,
}

/// RPC limits of a benchmark daemon.
#[derive(Debug, Clone, Copy)]
pub struct RpcLimits {
    pub max_connections: usize,
    pub body_read_timeout_secs: u64,
}

/// A running benchmark network.
pub struct BenchNetwork {
    pub chain: RegtestHandle,
    pub sender: AppHandle,
    pub receiver: AppHandle,
    pub rpc_password: String,
    dir: PathBuf,
}

/// A strong random `userpass` (mixed case, digits, a symbol), shared by both daemons.
pub fn random_password() -> String {
    format!("Bench-{:016x}-Pw!9", rand::random::<u64>())
}

/// A regtest chain on a free loopback port, kept under `dir` when given.
pub async fn start_chain(dir: Option<&Path>) -> Result<RegtestHandle, BenchError> {
    RegtestServer::start(RegtestConfig {
        data_dir: dir.map(Path::to_path_buf),
        fee_rate_sat_per_vb: Some(CHAIN_FEE_RATE_SAT_PER_VB),
        ..RegtestConfig::ephemeral()
    })
    .await
    .map_err(|e| BenchError::SetupFailed(format!("starting the regtest chain: {e}")))
}

/// A daemon configuration on `chain`: regtest, loopback, ephemeral RPC and P2P ports.
pub fn daemon_config(data_dir: PathBuf, password: &str, chain: &RegtestHandle) -> Config {
    Config {
        rpc_password: Some(password.to_string()),
        rpcport: 0,
        data_dir,
        network: bitcoin::Network::Regtest,
        p2p_listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        bitcoind_rpc_url: Some(chain.url()),
        bitcoind_rpc_user: Some(chain.user().to_string()),
        bitcoind_rpc_password: Some(chain.password().to_string()),
        chain_poll_interval_ms: Some(100),
        ..Config::default()
    }
}

/// Starts one daemon, naming it in the error.
pub async fn start_daemon(role: &str, config: Config) -> Result<AppHandle, BenchError> {
    App::start(config)
        .await
        .map_err(|e| BenchError::SetupFailed(format!("starting the {role} daemon: {e}")))
}

impl BenchNetwork {
    /// Chain, two daemons, funding, connection and usable channels.
    pub async fn start(options: &NetworkOptions) -> Result<BenchNetwork, BenchError> {
        std::fs::create_dir_all(&options.dir).map_err(|e| {
            BenchError::SetupFailed(format!("creating {}: {e}", options.dir.display()))
        })?;
        progress("network 1/5: regtest chain");
        let chain = start_chain(None).await?;
        let rpc_password = random_password();
        progress("network 2/5: sender and receiver daemons");
        let (sender, receiver) = tokio::join!(
            start_daemon("sender", {
                let mut config = daemon_config(options.dir.join("sender"), &rpc_password, &chain);
                if let Some(limits) = options.sender_rpc {
                    config.rpc_max_connections = limits.max_connections;
                    config.rpc_max_connections_per_ip = limits.max_connections;
                    config.rpc_body_read_timeout_secs = limits.body_read_timeout_secs;
                }
                config
            }),
            start_daemon(
                "receiver",
                daemon_config(options.dir.join("receiver"), &rpc_password, &chain)
            ),
        );
        let (sender, receiver) = match (sender, receiver) {
            (Ok(s), Ok(r)) => (s, r),
            (s, r) => {
                let mut first = None;
                for app in [s, r] {
                    match app {
                        Ok(app) => {
                            let _ = app.shutdown().await;
                        }
                        Err(e) => first = first.or(Some(e)),
                    }
                }
                let _ = chain.shutdown().await;
                return Err(first.unwrap_or_else(|| BenchError::SetupFailed("daemons".into())));
            }
        };
        let network = BenchNetwork {
            chain,
            sender,
            receiver,
            rpc_password,
            dir: options.dir.clone(),
        };
        match network.build(options).await {
            Ok(()) => Ok(network),
            Err(e) => {
                network.shutdown().await;
                Err(e)
            }
        }
    }

    async fn build(&self, options: &NetworkOptions) -> Result<(), BenchError> {
        let sender = self.sender.node();
        let receiver = self.receiver.node();
        progress("network 3/5: funding the sender");
        let need = u64::from(options.channels) * options.channel_sat + FEE_RESERVE_SAT;
        let address = sender
            .new_address()
            .map_err(|e| BenchError::SetupFailed(format!("sender address: {e}")))?;
        let burn = receiver
            .new_address()
            .map_err(|e| BenchError::SetupFailed(format!("receiver address: {e}")))?;
        // One 50 BTC coinbase per 40 BTC of channels, then maturity.
        let coinbases = need.div_ceil(4_000_000_000) as u32;
        self.mine(coinbases, &address).await?;
        self.mine(MATURITY_BLOCKS, &burn).await?;
        wait_for("the sender's coinbase matures", SYNC_TIMEOUT, || async {
            sender.wallet_balance().spendable_sat >= need
        })
        .await?;

        progress("network 4/5: connecting sender to receiver");
        let Some(addr) = receiver.listening_addresses().first().copied() else {
            return Err(BenchError::SetupFailed(
                "the receiver listens on no P2P address".into(),
            ));
        };
        sender
            .connect_peer(receiver.node_id(), &addr.to_string(), CONNECT_TIMEOUT)
            .await
            .map_err(|e| BenchError::SetupFailed(format!("connecting: {e}")))?;

        // One at a time: each funding transaction then spends change the wallet has seen
        // confirmed, so two fundings can never pick the same coin.
        for n in 1..=options.channels {
            progress(&format!(
                "network 5/5: channel {n}/{} of {} sat",
                options.channels, options.channel_sat
            ));
            sender
                .open_channel(
                    receiver.node_id(),
                    ChannelAmount::Sats(options.channel_sat),
                    0,
                    OpenChannelOptions::default(),
                )
                .map_err(|e| BenchError::SetupFailed(format!("opening channel {n}: {e}")))?;
            self.confirm_until_usable(n as usize, &burn).await?;
        }
        Ok(())
    }

    /// Mines a block every [`POLL`] until `count` channels are usable on both sides.
    async fn confirm_until_usable(
        &self,
        count: usize,
        burn: &bitcoin::Address,
    ) -> Result<(), BenchError> {
        let sender = self.sender.node();
        let receiver = self.receiver.node();
        let deadline = Instant::now() + USABLE_TIMEOUT;
        loop {
            let usable = |node: &crate::node::Node| {
                node.list_channels().iter().filter(|c| c.is_usable).count()
            };
            if usable(sender) >= count && usable(receiver) >= count {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BenchError::SetupFailed(format!(
                    "timed out after {USABLE_TIMEOUT:?} waiting for channel {count} to become \
                     usable"
                )));
            }
            self.mine(1, burn).await?;
            tokio::time::sleep(POLL * 3).await;
        }
    }

    async fn mine(&self, count: u32, to: &bitcoin::Address) -> Result<(), BenchError> {
        self.chain
            .generate_to_address(count, to)
            .await
            .map_err(|e| BenchError::SetupFailed(format!("mining: {e}")))?;
        let height = self.chain.height();
        let (sender, receiver) = (self.sender.node(), self.receiver.node());
        wait_for("both nodes reach the chain tip", SYNC_TIMEOUT, || async {
            sender.best_block().height >= height && receiver.best_block().height >= height
        })
        .await
    }

    /// Stops both daemons and the chain and removes the directory; failures are only logged,
    /// the figures are already taken.
    pub async fn shutdown(self) {
        for (role, app) in [("sender", self.sender), ("receiver", self.receiver)] {
            if let Err(e) = app.shutdown().await {
                progress(&format!("warning: stopping the {role}: {e}"));
            }
        }
        if let Err(e) = self.chain.shutdown().await {
            progress(&format!("warning: stopping the chain: {e}"));
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            progress(&format!("warning: removing {}: {e}", self.dir.display()));
        }
    }
}

/// Polls `check` every [`POLL`] until it holds, or fails naming what was awaited.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<(), BenchError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(BenchError::SetupFailed(format!(
                "timed out after {timeout:?} waiting until {what}"
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}
