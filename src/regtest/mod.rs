//! The regtest development chain: a single-node Bitcoin regtest chain that answers the subset
//! of Bitcoin Core's JSON-RPC the daemon uses, so tests and the sandbox run the same chain code
//! path as production (which talks to Bitcoin Core). It is for development and tests only.
//!
//! Blocks are real regtest blocks (BIP34 heights, merkle roots, witness commitments, regtest
//! proof of work, chainwork); transactions are validated for real (UTXOs, double spends,
//! scripts via libbitcoinconsensus, fees, coinbase maturity, lock times).
//!
//! ```no_run
//! # async fn demo() -> Result<(), mmln::regtest::RegtestError> {
//! use mmln::regtest::{RegtestConfig, RegtestServer};
//! let chain = RegtestServer::start(RegtestConfig::ephemeral()).await?;
//! println!("{} {}:{}", chain.url(), chain.user(), chain.password());
//! let chain = chain.restart().await?; // same port, same credentials, same chain
//! chain.shutdown().await?;
//! # Ok(()) }
//! ```

mod block_builder;
mod chain_json;
mod chainstate;
pub mod cli;
mod mempool;
mod node;
mod rpc_methods;
mod rpc_params;
mod rpc_server;
mod rpc_tx_methods;
mod script_json;
mod store;
mod validation;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use self::block_builder::block_subsidy;
pub use self::node::NodeError;
pub use self::store::StoreError;
pub use self::validation::COINBASE_MATURITY;

use self::node::RegtestNode;
use self::rpc_server::{lock_node, router, unix_now, ServerState};

/// Bitcoin Core's regtest RPC port.
pub const DEFAULT_BIND: &str = "127.0.0.1:18443";
/// The user name when none is configured.
pub const DEFAULT_RPC_USER: &str = "mmln";

/// How to run the chain.
#[derive(Clone, Debug)]
pub struct RegtestConfig {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// RPC user; `DEFAULT_RPC_USER` when `None`.
    pub rpc_user: Option<String>,
    /// RPC password; a random one when `None`.
    pub rpc_password: Option<String>,
    /// Where to keep the chain; in memory only when `None`.
    pub data_dir: Option<PathBuf>,
    /// What `estimatesmartfee` answers, in sat/vB; "insufficient data" (as a fresh Core) when
    /// `None`.
    pub fee_rate_sat_per_vb: Option<f64>,
}

impl Default for RegtestConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 18443)),
            rpc_user: None,
            rpc_password: None,
            data_dir: None,
            fee_rate_sat_per_vb: None,
        }
    }
}

impl RegtestConfig {
    /// In memory, on a free loopback port: what tests want.
    pub fn ephemeral() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Self::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegtestError {
    #[error("cannot listen on {addr}: {source}")]
    BindFailed { addr: SocketAddr, source: io::Error },
    #[error("loading the regtest chain failed: {0}")]
    LoadFailed(NodeError),
    #[error("the regtest RPC server failed: {0}")]
    ServeFailed(io::Error),
    #[error("mining on the regtest chain failed: {0}")]
    MiningFailed(NodeError),
    #[error("saving the regtest mempool failed: {0}")]
    SaveFailed(NodeError),
    #[error("a regtest background task failed: {0}")]
    TaskFailed(String),
}

/// Starts regtest chains.
pub struct RegtestServer;

impl RegtestServer {
    /// Loads the chain (from `data_dir` if given) and starts serving RPC.
    pub async fn start(config: RegtestConfig) -> Result<RegtestHandle, RegtestError> {
        let data_dir = config.data_dir.clone();
        let fee_rate = config.fee_rate_sat_per_vb;
        let node = tokio::task::spawn_blocking(move || {
            RegtestNode::open(data_dir.as_deref(), fee_rate, unix_now())
        })
        .await
        .map_err(|e| RegtestError::TaskFailed(e.to_string()))?
        .map_err(RegtestError::LoadFailed)?;
        Self::serve(config, Arc::new(Mutex::new(node))).await
    }

    async fn serve(
        mut config: RegtestConfig,
        node: Arc<Mutex<RegtestNode>>,
    ) -> Result<RegtestHandle, RegtestError> {
        let user = config
            .rpc_user
            .clone()
            .unwrap_or_else(|| DEFAULT_RPC_USER.to_string());
        let password = config
            .rpc_password
            .clone()
            .unwrap_or_else(|| hex::encode(rand::random::<[u8; 16]>()));
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| RegtestError::BindFailed {
                    addr: config.bind,
                    source,
                })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| RegtestError::BindFailed {
                addr: config.bind,
                source,
            })?;
        // A restart comes back on the same port with the same credentials.
        config.bind = local_addr;
        config.rpc_user = Some(user.clone());
        config.rpc_password = Some(password.clone());

        let state = Arc::new(ServerState {
            node: Arc::clone(&node),
            user,
            password,
        });
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router(state))
                .with_graceful_shutdown(async move {
                    let _ = shutdown_rx.await;
                })
                .await
        });
        tracing::info!(addr = %local_addr, "regtest chain RPC listening");
        Ok(RegtestHandle {
            config,
            local_addr,
            node,
            shutdown: shutdown_tx,
            task,
        })
    }
}

/// A running chain.
pub struct RegtestHandle {
    config: RegtestConfig,
    local_addr: SocketAddr,
    node: Arc<Mutex<RegtestNode>>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl RegtestHandle {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn user(&self) -> &str {
        self.config.rpc_user.as_deref().unwrap_or(DEFAULT_RPC_USER)
    }

    pub fn password(&self) -> &str {
        self.config.rpc_password.as_deref().unwrap_or_default()
    }

    /// `base64(user:password)`, the form lightning-block-sync's `RpcClient::new` takes.
    pub fn credentials_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.user(),
            self.password()
        ))
    }

    /// The configuration this chain runs with (bind address and credentials filled in).
    pub fn config(&self) -> &RegtestConfig {
        &self.config
    }

    /// Current height of the active chain (a convenience; RPC `getblockcount` says the same).
    pub fn height(&self) -> u32 {
        lock_node(&self.node).chain().height()
    }

    /// Mines `count` blocks to `address` in-process (what `generatetoaddress` does), e.g. for a
    /// sandbox's block timer.
    pub async fn generate_to_address(
        &self,
        count: u32,
        address: &bitcoin::Address,
    ) -> Result<Vec<bitcoin::BlockHash>, RegtestError> {
        let node = Arc::clone(&self.node);
        let script = address.script_pubkey();
        tokio::task::spawn_blocking(move || lock_node(&node).generate(count, &script, unix_now()))
            .await
            .map_err(|e| RegtestError::TaskFailed(e.to_string()))?
            .map_err(RegtestError::MiningFailed)
    }

    /// Stops serving (finishing calls in flight) and saves the mempool.
    pub async fn shutdown(self) -> Result<(), RegtestError> {
        self.stop().await.map(|_| ())
    }

    /// Stops and starts again on the same port with the same credentials. With a data
    /// directory the chain is reloaded from disk (as after a process restart); in memory it
    /// carries on with the same state.
    pub async fn restart(self) -> Result<RegtestHandle, RegtestError> {
        let (config, node) = self.stop().await?;
        if config.data_dir.is_some() {
            drop(node);
            RegtestServer::start(config).await
        } else {
            RegtestServer::serve(config, node).await
        }
    }

    async fn stop(self) -> Result<(RegtestConfig, Arc<Mutex<RegtestNode>>), RegtestError> {
        let _ = self.shutdown.send(());
        self.task
            .await
            .map_err(|e| RegtestError::TaskFailed(e.to_string()))?
            .map_err(RegtestError::ServeFailed)?;
        let node = Arc::clone(&self.node);
        tokio::task::spawn_blocking(move || lock_node(&node).save_mempool())
            .await
            .map_err(|e| RegtestError::TaskFailed(e.to_string()))?
            .map_err(RegtestError::SaveFailed)?;
        tracing::info!(addr = %self.local_addr, "regtest chain stopped");
        Ok((self.config, self.node))
    }
}
