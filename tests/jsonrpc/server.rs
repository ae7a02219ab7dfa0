//! A daemon's RPC servers without a Lightning node: mmrpc and `/jsonrpc` on an ephemeral port,
//! and the JSON-RPC unix socket in a temporary data directory, all serving the test router.

use std::sync::Arc;
use std::time::Duration;

use mmln::config::Config;
use mmln::rpc::RpcContext;
use mmln::transport::jsonrpc::socket::{BoundSocket, SocketServer};
use mmln::transport::{bind, serve, RpcServerState, TransportError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::common::{JsonRpcClient, RpcClient};
use crate::test_methods::test_router;

pub const PASSWORD: &str = "Rpc-Passw0rd!";

/// Bound for every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(20);

pub struct TestDaemon {
    pub jsonrpc: JsonRpcClient,
    pub mmrpc: RpcClient,
    pub config: Config,
    socket: Option<SocketServer>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), TransportError>>>,
    _dir: tempfile::TempDir,
}

impl TestDaemon {
    pub async fn start() -> TestDaemon {
        TestDaemon::start_with(|_| {}).await
    }

    /// A daemon whose config `adjust` may change (limits, ...).
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestDaemon {
        let dir = tempfile::tempdir().expect("temporary data dir");
        let mut config = Config {
            rpc_password: Some(PASSWORD.to_string()),
            rpcport: 0,
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        adjust(&mut config);
        let listener = bind(&config).await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let ctx = RpcContext::new(Arc::new(config.clone()));
        let state = Arc::new(RpcServerState::new(ctx, test_router()).expect("server state"));
        let socket = match config.rpc_socket_path() {
            Some(path) => Some(
                BoundSocket::bind(path)
                    .await
                    .expect("socket")
                    .serve(Arc::clone(state.jsonrpc()), config.rpc_max_body_bytes),
            ),
            None => None,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        let socket_path = socket.as_ref().map(|s| s.path().to_path_buf());
        TestDaemon {
            jsonrpc: JsonRpcClient::new(addr, PASSWORD, socket_path),
            mmrpc: RpcClient::new(addr, PASSWORD),
            config,
            socket,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Stops the socket server and the HTTP server.
    pub async fn stop(mut self) {
        if let Some(socket) = self.socket.take() {
            tokio::time::timeout(WAIT, socket.stop())
                .await
                .expect("the socket server stops");
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(WAIT, task)
                .await
                .expect("the server stops")
                .expect("server task")
                .expect("server result");
        }
    }
}
