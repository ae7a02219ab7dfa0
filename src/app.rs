//! Start-up and shutdown of the daemon, in numbered steps.
//!
//! [`App::start`] brings the daemon up and returns an [`AppHandle`]; [`run`] is what `mmln run`
//! calls: start, wait for SIGINT or SIGTERM, shut down. Tests and the sandbox use
//! [`App::start`] directly so they can run several daemons in one process (RPC and P2P on
//! ephemeral ports) and stop them on their own terms.
//!
//! Shutdown runs the start-up steps backwards: stop taking requests first, persist last.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::data_dir_lock::DataDirLock;
use crate::ledger::{Ledger, LedgerError};
use crate::node::{Node, NodeConfig, NodeError};
use crate::rpc::context::RpcContext;
use crate::rpc::Router;
use crate::service::events::LedgerEventSink;
use crate::service::feeds::FeedSettings;
use crate::service::keys::KeyRing;
use crate::service::payments::{PaymentHub, PaymentSettings};
use crate::service::Engine;
use crate::transport::jsonrpc::socket::{BoundSocket, SocketError, SocketServer};
use crate::transport::{RpcServerState, TransportError};

/// Why the daemon could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("could not create the data directory {}: {source}", path.display())]
    CreateDataDirFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    DataDirLocked(#[from] crate::data_dir_lock::DataDirLockError),
    #[error("could not open the ledger: {0}")]
    OpenLedgerFailed(#[source] LedgerError),
    #[error("could not set up feeds: {0}")]
    FeedSetupFailed(String),
    #[error("could not start the Lightning node: {0}")]
    StartNodeFailed(#[source] NodeError),
    #[error("could not start the RPC server: {0}")]
    StartRpcFailed(#[source] TransportError),
    #[error("could not start the JSON-RPC socket: {0}")]
    StartRpcSocketFailed(#[source] SocketError),
    #[error("could not listen for shutdown signals: {0}")]
    SignalSetupFailed(std::io::Error),
    #[error("the RPC server stopped with an error: {0}")]
    RpcServerFailed(TransportError),
    #[error("the RPC server task ended abnormally: {0}")]
    RpcServerPanicked(String),
}

/// The daemon as a library: `App::start(config)`.
pub struct App;

impl App {
    /// Brings the daemon up; see [`start`].
    pub async fn start(config: Config) -> Result<AppHandle, AppError> {
        start(config).await
    }

    /// Brings the daemon up serving `router` instead of the product router: `mmln sandbox`
    /// adds its sandbox-only methods this way, leaving the product router unchanged.
    pub async fn start_with_router(config: Config, router: Router) -> Result<AppHandle, AppError> {
        start_with_router(config, router).await
    }
}

/// A started daemon. Dropping it without [`AppHandle::shutdown`] leaves its tasks running until
/// the runtime stops.
pub struct AppHandle {
    config: Config,
    rpc_addr: SocketAddr,
    node: Arc<Node>,
    ledger: Ledger,
    shutdown: watch::Sender<bool>,
    rpc_server: JoinHandle<Result<(), TransportError>>,
    rpc_socket: Option<SocketServer>,
    history_sync: JoinHandle<()>,
    hold_watch: JoinHandle<()>,
    /// The webhook delivery worker and the event pruning task.
    feed_tasks: Vec<JoinHandle<()>>,
    /// Held until the handle is gone: no second daemon, and no offline `mmln keys`, meanwhile.
    _data_dir_lock: DataDirLock,
}

/// The former name of [`AppHandle`].
pub type RunningApp = AppHandle;

impl AppHandle {
    /// The address the mmrpc server is listening on (the real port when `rpcport` was 0).
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The JSON-RPC unix socket, `None` when `rpc_socket` disables it.
    pub fn rpc_socket_path(&self) -> Option<&std::path::Path> {
        self.rpc_socket.as_ref().map(SocketServer::path)
    }

    /// The running Lightning node (its P2P addresses, node id, ...).
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Stops the daemon: the RPC server and the JSON-RPC socket first, so no new work arrives
    /// while the rest stops; then the node (which persists its state last); then the ledger is
    /// closed.
    pub async fn shutdown(self) -> Result<(), AppError> {
        tracing::info!("shutdown 1/4: stopping the RPC server");
        // A send error means every receiver is gone, i.e. the server already stopped.
        let _ = self.shutdown.send(true);
        let served = match self.rpc_server.await {
            Ok(result) => result.map_err(AppError::RpcServerFailed),
            Err(join_error) => Err(AppError::RpcServerPanicked(join_error.to_string())),
        };
        tracing::info!("shutdown 2/4: closing the JSON-RPC socket");
        if let Some(socket) = self.rpc_socket {
            socket.stop().await;
        }
        let _ = self.history_sync.await;
        let _ = self.hold_watch.await;
        for task in self.feed_tasks {
            let _ = task.await;
        }
        tracing::info!("shutdown 3/4: stopping the Lightning node");
        self.node.stop().await;
        tracing::info!("shutdown 4/4: closing the ledger");
        drop(self.ledger);
        served?;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// Brings the daemon up. The config must come from [`crate::config::load`] (or be built by a
/// test), which has already validated it.
pub async fn start(config: Config) -> Result<AppHandle, AppError> {
    start_with_router(config, crate::rpc::product_router()).await
}

/// [`start`], serving the methods of `router`.
pub async fn start_with_router(config: Config, router: Router) -> Result<AppHandle, AppError> {
    tracing::info!(
        network = %config.network,
        coin = %config.coin_ticker(),
        data_dir = %config.data_dir.display(),
        "starting mmln {}",
        env!("CARGO_PKG_VERSION")
    );

    // Step 1: the data directory, which holds the seed, LDK state and the ledger.
    tracing::info!("start-up 1/6: data directory {}", config.data_dir.display());
    std::fs::create_dir_all(&config.data_dir).map_err(|source| AppError::CreateDataDirFailed {
        path: config.data_dir.clone(),
        source,
    })?;
    // Before anything in it is opened: a second daemon on this directory stops here.
    let data_dir_lock = DataDirLock::acquire(&config.data_dir)?;

    // Step 2: the RPC port, bound now so a taken port fails start-up before the node runs;
    // it serves only in step 5.
    let listener = crate::transport::bind(&config)
        .await
        .map_err(AppError::StartRpcFailed)?;
    let rpc_addr = listener
        .local_addr()
        .map_err(|e| AppError::StartRpcFailed(TransportError::ServeFailed(e)))?;
    // The JSON-RPC socket likewise: a live socket of another daemon on this data directory
    // stops this one here; a stale one from a crash is replaced.
    let socket = match config.rpc_socket_path() {
        Some(path) => Some(
            BoundSocket::bind(path)
                .await
                .map_err(AppError::StartRpcSocketFailed)?,
        ),
        None => None,
    };
    tracing::info!("start-up 2/6: RPC port {rpc_addr} bound");

    // Step 3: the ledger (payments and channel history).
    let ledger_path = config.data_dir.join("mmln.sqlite");
    let ledger = Ledger::open(&ledger_path).map_err(AppError::OpenLedgerFailed)?;
    // The configured webhook routes are read by the ledger's own writes (the outbox is filled
    // in the transaction of each change), so they are in place before the node starts.
    let feeds =
        FeedSettings::from_config(&config).map_err(|e| AppError::FeedSetupFailed(e.to_string()))?;
    ledger
        .set_webhook_routes(&feeds.webhooks.routes)
        .map_err(AppError::OpenLedgerFailed)?;
    // The access keys, held in memory so that authenticating a request reads no row.
    let keys = Arc::new(KeyRing::load(ledger.clone()).map_err(AppError::OpenLedgerFailed)?);
    tracing::info!("start-up 3/6: ledger {}", ledger_path.display());

    // Step 4: the node; `Node::start` connects the chain backend, checks its network, syncs
    // the chain and only then starts peers and the background processor.
    let node_config = NodeConfig::from_config(&config).map_err(AppError::StartNodeFailed)?;
    // One payments hub per daemon: the event sink settles payments through it and the RPC
    // handlers wait on it, so both must hold this same value.
    let payments = PaymentHub::new(ledger.clone(), PaymentSettings::from_config(&config));
    let sink = Arc::new(LedgerEventSink::new(ledger.clone(), payments.clone()));
    let node = Node::start(node_config, sink)
        .await
        .map_err(AppError::StartNodeFailed)?;
    tracing::info!(node_id = %node.node_id(), "start-up 4/6: Lightning node running");
    // Payments left pending by the last stop are settled before any client can send.
    if let Err(e) = payments.reconcile(&node).await {
        tracing::error!("payment reconciliation failed (payments stay as recorded): {e}");
    }

    // Step 5: channel history, the hold-invoice auto-cancel and the RPC server (mmrpc, and
    // JSON-RPC 2.0 at /jsonrpc).
    let (shutdown, shutdown_rx) = watch::channel(false);
    let history_sync = crate::service::channels::spawn_history_sync(
        Arc::clone(&node),
        ledger.clone(),
        shutdown_rx.clone(),
    );
    let hold_watch = payments.spawn_hold_watch(Arc::clone(&node), shutdown_rx.clone());
    // Webhooks owed from before a stop or crash are delivered from here on.
    let feed_tasks = vec![
        crate::service::feeds::webhooks::spawn(
            ledger.clone(),
            feeds.webhooks.clone(),
            shutdown_rx.clone(),
        ),
        crate::service::feeds::prune::spawn(ledger.clone(), feeds.retention, shutdown_rx.clone()),
    ];
    let config_arc = Arc::new(config.clone());
    let ctx = RpcContext::new(Arc::clone(&config_arc)).with_engine(Engine::new(
        Arc::clone(&node),
        ledger.clone(),
        payments,
        keys,
    ));
    let state = match RpcServerState::new(ctx, router) {
        Ok(state) => Arc::new(state),
        Err(e) => {
            let _ = shutdown.send(true);
            node.stop().await;
            return Err(AppError::StartRpcFailed(e));
        }
    };
    let jsonrpc = Arc::clone(state.jsonrpc());
    let mut stop = shutdown_rx;
    let rpc_server = tokio::spawn(crate::transport::serve(listener, state, async move {
        let _ = stop.wait_for(|stop| *stop).await;
    }));
    // Scripts and tests read the address after "listening on http://" up to the next space.
    tracing::info!(
        "start-up 5/6: mmrpc listening on http://{rpc_addr} (JSON-RPC 2.0 at /jsonrpc: HTTP and WebSocket)"
    );

    // Step 6: the JSON-RPC unix socket (Core Lightning's framing): the same methods, guarded
    // by its file mode.
    let rpc_socket = socket.map(|socket| socket.serve(jsonrpc, config.rpc_max_body_bytes));
    match &rpc_socket {
        Some(socket) => {
            tracing::info!("start-up 6/6: JSON-RPC socket {}", socket.path().display())
        }
        None => tracing::info!("start-up 6/6: JSON-RPC socket disabled (rpc_socket is empty)"),
    }

    Ok(AppHandle {
        config,
        rpc_addr,
        node,
        ledger,
        shutdown,
        rpc_server,
        rpc_socket,
        history_sync,
        hold_watch,
        feed_tasks,
        _data_dir_lock: data_dir_lock,
    })
}

/// What `mmln run` does: start, wait for SIGINT or SIGTERM, shut down.
pub async fn run(config: Config) -> Result<(), AppError> {
    // Install the signal handlers before starting, so a signal during start-up is not lost.
    let signal = shutdown_signal()?;
    let app = start(config).await?;
    signal.await;
    tracing::info!("shutdown signal received");
    app.shutdown().await
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
pub fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, AppError> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(AppError::SignalSetupFailed)?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Sets up logging: `log_level` when configured, else `RUST_LOG`, else `info`.
pub fn init_tracing(log_level: Option<&str>) {
    use tracing_subscriber::EnvFilter;
    let filter = match log_level {
        Some(level) => EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info")),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    // `try_init` fails only if a subscriber is already set (e.g. by an embedding program); the
    // existing one then keeps working, which is what that program wants.
    // Colour only on a terminal: logs piped to a file or a test stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .try_init();
}
