//! `mmln sandbox`: a whole Lightning network in one process, to develop against.
//!
//! [`Sandbox::start`] brings up, in numbered steps:
//! 1. the regtest chain (in-process, on loopback);
//! 2. three real mmln daemons on it: the user's node (RPC on 7783 by default, coin
//!    `tBTC-lightning`, so the KDF docs' examples run as written) and two peers;
//! 3. funded wallets, peers connected, and channels user -> peer1, peer2 -> user and
//!    peer1 -> peer2, confirmed and usable;
//! 4. a block timer that mines whatever enters the mempool.
//!
//! With a data directory the whole sandbox (chain, nodes, password) survives restarts: each step
//! looks at the state already there and only does what is missing. The daemons serve the product
//! methods plus `sandbox::mine` (see [`router`]); a production daemon never routes it.
//!
//! The library entry is used by `mmln sandbox` ([`cli`]), the tests and the benchmark program.

pub mod banner;
pub mod chain_rpc;
pub mod cli;
pub mod mine_method;
pub mod miner;
pub mod network;
pub mod password;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::secp256k1::PublicKey;

use crate::app::AppError;
use crate::config::PasswordPolicyError;
use crate::regtest::{RegtestConfig, RegtestError, RegtestHandle, RegtestServer};
use crate::rpc::Router;

pub use cli::SandboxArgs;
pub use network::{Role, CHANNEL_PLAN, CHANNEL_SAT};

use self::chain_rpc::ChainRpc;
use self::miner::AutoMiner;
use self::network::Daemons;

/// The user's node's RPC port: KDF's default, so its docs' curl lines work unchanged.
pub const DEFAULT_USER_RPC_PORT: u16 = 7783;
/// The peers' RPC ports.
pub const DEFAULT_PEER_RPC_PORTS: [u16; 2] = [7784, 7785];
/// How often the block timer looks at the mempool.
pub const DEFAULT_MINE_INTERVAL: Duration = Duration::from_secs(1);
/// The fee rate the sandbox chain's `estimatesmartfee` answers (sat/vB): a fixed estimate keeps
/// LDK's fee checks between the three nodes in agreement.
const CHAIN_FEE_RATE_SAT_PER_VB: f64 = 2.0;
/// Number of start-up steps, for the "[n/N]" progress lines.
const STEPS: usize = 7;

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the RPC password is too weak: {0}")]
    WeakPassword(PasswordPolicyError),
    #[error("could not create the sandbox directory {}: {source}", path.display())]
    CreateDirFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not read {}: {source}", path.display())]
    ReadStateFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write {}: {source}", path.display())]
    WriteStateFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not start the regtest chain: {0}")]
    StartChainFailed(#[source] RegtestError),
    #[error("could not start the {role} daemon: {source}")]
    StartDaemonFailed {
        role: &'static str,
        #[source]
        source: AppError,
    },
    #[error("could not fund the wallets: {0}")]
    FundingFailed(String),
    #[error("{from} could not connect to {to}: {reason}")]
    ConnectFailed {
        from: &'static str,
        to: &'static str,
        reason: String,
    },
    #[error("{from} could not open a channel to {to}: {reason}")]
    OpenChannelFailed {
        from: &'static str,
        to: &'static str,
        reason: String,
    },
    #[error("could not mine on the sandbox chain: {0}")]
    MiningFailed(String),
    #[error("timed out after {after:?} waiting until {what}")]
    Timeout { what: String, after: Duration },
}

/// Receives the start-up progress lines ("[3/7] funding wallets").
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<ProgressSink>>);

/// A function receiving progress lines.
type ProgressSink = dyn Fn(&str) + Send + Sync;

impl Progress {
    /// Progress reported to `sink`.
    pub fn to(sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(sink)))
    }

    /// Progress dropped (the default).
    pub fn silent() -> Self {
        Progress(None)
    }

    pub fn report(&self, line: &str) {
        if let Some(sink) = &self.0 {
            sink(line);
        }
        tracing::debug!("sandbox: {line}");
    }

    fn step(&self, n: usize, what: &str) {
        self.report(&format!("[{n}/{STEPS}] {what}"));
    }
}

/// How to run the sandbox.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Where the chain and the three nodes live. `None`: a fresh temporary directory, deleted
    /// at shutdown.
    pub data_dir: Option<PathBuf>,
    /// The `userpass` of all three daemons. `None`: the one saved in the data directory, else a
    /// generated one.
    pub rpc_password: Option<String>,
    /// The user's node's RPC port (0: ephemeral).
    pub user_rpc_port: u16,
    /// The peers' RPC ports (0: ephemeral).
    pub peer_rpc_ports: [u16; 2],
    /// The regtest chain's RPC port (0: ephemeral).
    pub chain_rpc_port: u16,
    /// How often the block timer looks at the mempool.
    pub mine_interval: Duration,
    pub progress: Progress,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            data_dir: None,
            rpc_password: None,
            user_rpc_port: DEFAULT_USER_RPC_PORT,
            peer_rpc_ports: DEFAULT_PEER_RPC_PORTS,
            chain_rpc_port: 0,
            mine_interval: DEFAULT_MINE_INTERVAL,
            progress: Progress::silent(),
        }
    }
}

impl SandboxConfig {
    /// Every port ephemeral and a temporary directory: for tests, which run side by side.
    pub fn ephemeral() -> Self {
        SandboxConfig {
            user_rpc_port: 0,
            peer_rpc_ports: [0, 0],
            ..SandboxConfig::default()
        }
    }
}

/// The router of the sandbox's daemons: every product method plus `sandbox::mine`. Kept here,
/// not in `rpc::registry`, so the product router cannot grow a sandbox method by accident.
pub fn router() -> Router {
    crate::rpc::product_router().with::<mine_method::Mine>()
}

/// Starts sandboxes.
pub struct Sandbox;

impl Sandbox {
    /// Brings the whole network up and returns once every channel is usable.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        let started = Instant::now();
        let progress = config.progress.clone();
        let (data_dir, temporary) = prepare_dir(config.data_dir.as_deref())?;
        let password = password::resolve(config.rpc_password.as_deref(), &data_dir)?;

        progress.step(1, "starting the regtest chain");
        let chain = RegtestServer::start(RegtestConfig {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], config.chain_rpc_port)),
            data_dir: Some(data_dir.join("chain")),
            fee_rate_sat_per_vb: Some(CHAIN_FEE_RATE_SAT_PER_VB),
            ..RegtestConfig::default()
        })
        .await
        .map_err(SandboxError::StartChainFailed)?;
        let chain_rpc = ChainRpc::new(
            chain.url(),
            chain.user().to_string(),
            chain.password().to_string(),
        );

        progress.step(2, "starting the user's node and two peers");
        let ports = [
            config.user_rpc_port,
            config.peer_rpc_ports[0],
            config.peer_rpc_ports[1],
        ];
        let configs = [0, 1, 2].map(|i| {
            network::daemon_config(Role::ALL[i], &data_dir, ports[i], &password.value, &chain)
        });
        let daemons = match network::start_daemons(configs, &router()).await {
            Ok(daemons) => daemons,
            Err(e) => {
                let _ = chain.shutdown().await;
                return Err(e);
            }
        };

        let mut handle = SandboxHandle {
            chain: Some(chain),
            daemons: Some(daemons),
            miner: None,
            data_dir,
            temporary,
            password,
            startup_time: Duration::ZERO,
        };
        match handle.build(&chain_rpc, &progress).await {
            Ok(()) => {}
            Err(e) => {
                handle.shutdown_quietly().await;
                return Err(e);
            }
        }
        handle.miner = Some(AutoMiner::start(chain_rpc, config.mine_interval));
        handle.startup_time = started.elapsed();
        Ok(handle)
    }
}

/// A running sandbox.
pub struct SandboxHandle {
    // Options only so shutdown can take them apart in order; always `Some` while running.
    chain: Option<RegtestHandle>,
    daemons: Option<Daemons>,
    miner: Option<AutoMiner>,
    data_dir: PathBuf,
    temporary: bool,
    password: password::SandboxPassword,
    startup_time: Duration,
}

impl SandboxHandle {
    /// Steps 3 to 7: sync, fund, connect, open, confirm.
    async fn build(&self, chain: &ChainRpc, progress: &Progress) -> Result<(), SandboxError> {
        let (Some(daemons), Some(regtest)) = (&self.daemons, &self.chain) else {
            return Ok(());
        };
        progress.step(3, "syncing the nodes to the chain tip");
        network::wait_synced(daemons, regtest).await?;
        let missing = network::missing_channels(daemons);

        progress.step(4, "funding wallets");
        let funded = network::fund_openers(daemons, chain, &missing).await?;
        if funded == 0 {
            progress.report("      the wallets already hold what they need");
        }

        progress.step(5, "connecting peers");
        network::connect_peers(daemons).await?;

        progress.step(6, "opening channels");
        if missing.is_empty() {
            progress.report("      reusing the existing channels");
        }
        network::open_channels(daemons, &missing)?;

        progress.step(7, "confirming channels and waiting until they are usable");
        network::confirm_channels(daemons, chain, missing.len(), progress).await?;
        network::wait_announced(daemons, chain, progress).await;
        Ok(())
    }

    fn daemons(&self) -> &Daemons {
        // Set from start to shutdown, which consumes the handle.
        self.daemons
            .as_ref()
            .unwrap_or_else(|| unreachable!("daemons are set while the sandbox runs"))
    }

    /// The RPC address of a daemon.
    pub fn rpc_addr(&self, role: Role) -> std::net::SocketAddr {
        self.daemons().get(role).rpc_addr()
    }

    /// A daemon's node id.
    pub fn node_id(&self, role: Role) -> PublicKey {
        self.daemons().node(role).node_id()
    }

    /// A daemon's Lightning P2P address.
    pub fn p2p_addr(&self, role: Role) -> Option<std::net::SocketAddr> {
        self.daemons()
            .node(role)
            .listening_addresses()
            .first()
            .copied()
    }

    /// A running daemon (its node, ledger, config).
    pub fn daemon(&self, role: Role) -> &crate::app::AppHandle {
        self.daemons().get(role)
    }

    /// The `userpass` of all three daemons.
    pub fn rpc_password(&self) -> &str {
        &self.password.value
    }

    /// Whether this run generated the password (so the banner says where it is kept).
    pub fn password_generated(&self) -> bool {
        self.password.generated
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Whether the data directory is a temporary one, deleted at shutdown.
    pub fn is_temporary(&self) -> bool {
        self.temporary
    }

    /// The regtest chain's RPC URL and credentials.
    pub fn chain(&self) -> &RegtestHandle {
        self.chain
            .as_ref()
            .unwrap_or_else(|| unreachable!("the chain is set while the sandbox runs"))
    }

    /// How long [`Sandbox::start`] took, from nothing to usable channels.
    pub fn startup_time(&self) -> Duration {
        self.startup_time
    }

    /// Stops everything: the block timer, the daemons (user first), then the chain; deletes a
    /// temporary data directory. Reports the first failure after trying every step.
    pub async fn shutdown(mut self) -> Result<(), ShutdownError> {
        let mut failures = Vec::new();
        if let Some(miner) = self.miner.take() {
            miner.stop().await;
        }
        if let Some(daemons) = self.daemons.take() {
            for (role, e) in daemons.shutdown().await {
                failures.push(format!("{}: {e}", role.name()));
            }
        }
        if let Some(chain) = self.chain.take() {
            if let Err(e) = chain.shutdown().await {
                failures.push(format!("chain: {e}"));
            }
        }
        if self.temporary {
            if let Err(e) = std::fs::remove_dir_all(&self.data_dir) {
                failures.push(format!("removing {}: {e}", self.data_dir.display()));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ShutdownError(failures.join("; ")))
        }
    }

    /// Shutdown after a failed start: the start error is what matters, so this one is logged.
    async fn shutdown_quietly(&mut self) {
        let handle = SandboxHandle {
            chain: self.chain.take(),
            daemons: self.daemons.take(),
            miner: self.miner.take(),
            data_dir: self.data_dir.clone(),
            temporary: self.temporary,
            password: self.password.clone(),
            startup_time: self.startup_time,
        };
        if let Err(e) = handle.shutdown().await {
            tracing::warn!("after a failed start: {e}");
        }
    }
}

/// Some part of the sandbox did not stop cleanly.
#[derive(Debug, thiserror::Error)]
#[error("the sandbox did not stop cleanly: {0}")]
pub struct ShutdownError(String);

/// The directory to use and whether it is temporary.
fn prepare_dir(requested: Option<&std::path::Path>) -> Result<(PathBuf, bool), SandboxError> {
    let (dir, temporary) = match requested {
        Some(dir) => (dir.to_path_buf(), false),
        None => (
            std::env::temp_dir().join(format!("mmln-sandbox-{:016x}", rand::random::<u64>())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).map_err(|source| SandboxError::CreateDirFailed {
        path: dir.clone(),
        source,
    })?;
    Ok((dir, temporary))
}
