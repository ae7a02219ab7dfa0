//! Start-up and shutdown of the daemon, in numbered steps.
//!
//! [`start`] brings the node up and returns a [`RunningApp`] handle; [`run`] is what `mmln run`
//! calls: start, wait for SIGINT or SIGTERM, shut down. Tests and the sandbox use [`start`]
//! directly so they can run several nodes in one process and stop them on their own terms.
//!
//! Shutdown runs the start-up steps backwards: stop taking requests first, persist last.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;

/// Why the daemon could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("could not create the data directory {}: {source}", path.display())]
    CreateDataDirFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not bind the RPC server to {addr}: {source}")]
    BindRpcFailed {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("could not listen for shutdown signals: {0}")]
    SignalSetupFailed(std::io::Error),
    #[error("the RPC server stopped with an error: {0}")]
    RpcServerFailed(String),
}

/// A started daemon. Dropping it without [`RunningApp::shutdown`] leaves its tasks running until
/// the runtime stops.
pub struct RunningApp {
    config: Config,
    rpc_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    rpc_server: JoinHandle<Result<(), AppError>>,
}

impl RunningApp {
    /// The address the mmrpc server is listening on (the real port when `rpcport` was 0).
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Stops the daemon: the RPC server first, so no new work arrives while the rest stops.
    pub async fn shutdown(self) -> Result<(), AppError> {
        tracing::info!("shutdown 1/1: stopping the RPC server");
        // A send error means every receiver is gone, i.e. the server already stopped.
        let _ = self.shutdown.send(true);
        match self.rpc_server.await {
            Ok(result) => result,
            Err(join_error) => Err(AppError::RpcServerFailed(join_error.to_string())),
        }?;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// Brings the daemon up. The config must come from [`crate::config::load`], which has already
/// validated it.
pub async fn start(config: Config) -> Result<RunningApp, AppError> {
    tracing::info!(
        network = %config.network,
        coin = %config.coin_ticker(),
        data_dir = %config.data_dir.display(),
        "starting mmln {}",
        env!("CARGO_PKG_VERSION")
    );

    // Step 1: the data directory, which holds the seed, LDK state and the ledger.
    tracing::info!("start-up 1/2: data directory {}", config.data_dir.display());
    std::fs::create_dir_all(&config.data_dir).map_err(|source| AppError::CreateDataDirFailed {
        path: config.data_dir.clone(),
        source,
    })?;

    // Step 2: the mmrpc server. It is bound last so a client never reaches a half-started node.
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (rpc_addr, rpc_server) = start_rpc_server(&config, shutdown_rx).await?;
    tracing::info!("start-up 2/2: mmrpc listening on http://{rpc_addr}");

    Ok(RunningApp {
        config,
        rpc_addr,
        shutdown,
        rpc_server,
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
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, AppError> {
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

async fn start_rpc_server(
    config: &Config,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<Result<(), AppError>>), AppError> {
    let addr = SocketAddr::new(config.rpcip, config.rpcport);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::BindRpcFailed { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| AppError::BindRpcFailed { addr, source })?;
    // TODO(transport merge): hand the listener to `transport::serve`.
    let task = tokio::spawn(async move {
        let _listener = listener;
        let _ = shutdown.wait_for(|stop| *stop).await;
        Ok(())
    });
    Ok((local, task))
}
