//! Peer connections: the inbound listener, outbound dialling with distinct errors for "does not
//! resolve" / "does not answer" / "handshake failed", and a task that redials channel peers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::secp256k1::PublicKey;
use lightning::routing::gossip::NodeId;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::ConnectError;
use super::peer_runtime::PeerRuntime;
use super::persist::PeerAddressBook;
use super::types::{ChannelManager, NetworkGraph, PeerManager};

/// Bound on one redial attempt.
pub const RECONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const RECONNECT_TICK: Duration = Duration::from_secs(2);
const BACKOFF_START: Duration = Duration::from_secs(2);
const BACKOFF_MAX: Duration = Duration::from_secs(120);

pub struct PeerConnector {
    pub(super) peer_manager: Arc<PeerManager>,
    pub(super) book: Arc<PeerAddressBook>,
    pub(super) graph: Arc<NetworkGraph>,
    pub(super) runtime: Arc<PeerRuntime>,
    /// True once a failed flush took the node off the network: no new connections then.
    pub(super) offline: watch::Receiver<bool>,
}

impl PeerConnector {
    /// Where to reach a peer: the address we last connected to, else one it announced.
    pub fn address_for(&self, node_id: &PublicKey) -> Option<String> {
        if let Some(addr) = self.book.get(node_id) {
            return Some(addr);
        }
        let graph = self.graph.read_only();
        let node = graph.node(&NodeId::from_pubkey(node_id))?;
        let info = node.announcement_info.as_ref()?;
        info.addresses().first().map(|a| a.to_string())
    }

    pub fn is_connected(&self, node_id: &PublicKey) -> bool {
        self.peer_manager.peer_by_node_id(node_id).is_some()
    }

    /// Dials `addr` ("host:port") and completes the Lightning handshake with `node_id`, all
    /// within `timeout`. On success the address is remembered for reconnection. On timeout the
    /// attempt is cancelled (its socket closed), so it cannot connect later behind our back.
    pub async fn connect(
        &self,
        node_id: PublicKey,
        addr: &str,
        timeout: Duration,
    ) -> Result<(), ConnectError> {
        if *self.offline.borrow() {
            return Err(ConnectError::Offline);
        }
        if self.is_connected(&node_id) {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        let timed_out = || ConnectError::Timeout {
            addr: addr.to_string(),
            timeout_secs: timeout.as_secs(),
        };
        let (host, port) = addr
            .rsplit_once(':')
            .ok_or_else(|| ConnectError::InvalidAddress(addr.to_string()))?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(ConnectError::InvalidAddress(addr.to_string()));
        }
        let resolved: Vec<SocketAddr> =
            tokio::time::timeout_at(deadline.into(), tokio::net::lookup_host(addr))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| ConnectError::ResolveFailed {
                    host: host.to_string(),
                    reason: e.to_string(),
                })?
                .collect();
        let Some(socket_addr) = resolved.first().copied() else {
            return Err(ConnectError::ResolveFailed {
                host: host.to_string(),
                reason: "no addresses".to_string(),
            });
        };
        let stream =
            tokio::time::timeout_at(deadline.into(), tokio::net::TcpStream::connect(socket_addr))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| ConnectError::ConnectFailed {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })?;
        let connect_failed = |e: std::io::Error| ConnectError::ConnectFailed {
            addr: addr.to_string(),
            reason: e.to_string(),
        };
        disable_nagle(&stream);
        let std_stream = stream.into_std().map_err(connect_failed)?;
        // A second handle on the socket, to cancel the attempt on timeout (below).
        let canceller = std_stream.try_clone().map_err(connect_failed)?;
        let peer_manager = Arc::clone(&self.peer_manager);
        let connection = self
            .runtime
            .spawn(move || lightning_net_tokio::setup_outbound(peer_manager, node_id, std_stream));
        // The handshake is done when the peer manager lists the peer; the connection task ending
        // first means the peer hung up (for example because we dialled the wrong node id).
        loop {
            if self.is_connected(&node_id) {
                break;
            }
            if connection.is_finished() {
                return Err(ConnectError::HandshakeFailed {
                    node_id,
                    addr: addr.to_string(),
                });
            }
            if Instant::now() >= deadline {
                // Cancel the attempt rather than let it finish unseen: a handshake completing
                // after we reported a timeout would leave a peer connected whose address was
                // never saved. Shutting the socket down ends the connection task's read loop,
                // which tells the peer manager the socket is gone (aborting the task would not,
                // and would leave a stale peer behind).
                if let Err(e) = canceller.shutdown(std::net::Shutdown::Both) {
                    tracing::debug!(%node_id, %addr, "timed-out connection already closed: {e}");
                }
                return Err(timed_out());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The address book is a file write with fsync: keep it off the runtime's threads.
        let book = Arc::clone(&self.book);
        let addr = addr.to_string();
        tokio::task::spawn_blocking(move || book.insert(node_id, addr))
            .await
            .map_err(|e| ConnectError::PersistFailed(format!("address book task failed: {e}")))?
            .map_err(ConnectError::PersistFailed)
    }
}

/// Binds the P2P listener; returns it with the address actually bound (port 0 resolved).
pub async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), std::io::Error> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Accepts inbound connections until shutdown.
pub fn spawn_listener(
    listener: TcpListener,
    peer_manager: Arc<PeerManager>,
    runtime: Arc<PeerRuntime>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                // Shutdown first: once the node is offline (a failed flush), a connection
                // waiting in the backlog must not be picked in the same wake. (A handshake that
                // completes later anyway is refused by offline_guard.rs.)
                biased;
                _ = shutdown.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, remote)) => {
                        disable_nagle(&stream);
                        match stream.into_std() {
                            Ok(std_stream) => {
                                let peer_manager = Arc::clone(&peer_manager);
                                runtime.spawn(move || lightning_net_tokio::setup_inbound(peer_manager, std_stream));
                            }
                            Err(e) => tracing::warn!(%remote, "inbound connection unusable: {e}"),
                        }
                    }
                    Err(e) => {
                        // Typically out of file descriptors; do not spin.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
    })
}

struct Backoff {
    next_attempt: Instant,
    delay: Duration,
}

/// Every few seconds, redials channel counterparties that are not connected, with exponential
/// backoff per peer.
pub fn spawn_reconnector(
    connector: Arc<PeerConnector>,
    channel_manager: Arc<ChannelManager>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff: HashMap<PublicKey, Backoff> = HashMap::new();
        let mut in_flight: HashMap<PublicKey, JoinHandle<bool>> = HashMap::new();
        loop {
            // Collect finished attempts first so their result drives the backoff.
            let done: Vec<PublicKey> = in_flight
                .iter()
                .filter(|(_, h)| h.is_finished())
                .map(|(k, _)| *k)
                .collect();
            for node_id in done {
                let ok = match in_flight.remove(&node_id) {
                    Some(handle) => handle.await.unwrap_or(false),
                    None => false,
                };
                if ok {
                    backoff.remove(&node_id);
                } else {
                    let entry = backoff.entry(node_id).or_insert(Backoff {
                        next_attempt: Instant::now(),
                        delay: BACKOFF_START,
                    });
                    entry.next_attempt = Instant::now() + entry.delay;
                    entry.delay = (entry.delay * 2).min(BACKOFF_MAX);
                }
            }
            let mut wanted: Vec<PublicKey> = channel_manager
                .list_channels()
                .iter()
                .map(|c| c.counterparty.node_id)
                .collect();
            wanted.sort();
            wanted.dedup();
            for node_id in wanted {
                if connector.is_connected(&node_id) || in_flight.contains_key(&node_id) {
                    continue;
                }
                if backoff
                    .get(&node_id)
                    .is_some_and(|b| b.next_attempt > Instant::now())
                {
                    continue;
                }
                let Some(addr) = connector.address_for(&node_id) else {
                    continue;
                };
                let c = Arc::clone(&connector);
                in_flight.insert(
                    node_id,
                    tokio::spawn(async move {
                        match c.connect(node_id, &addr, RECONNECT_TIMEOUT).await {
                            Ok(()) => {
                                tracing::info!(%node_id, %addr, "reconnected to channel peer");
                                true
                            }
                            Err(e) => {
                                tracing::debug!(%node_id, "reconnect failed: {e}");
                                false
                            }
                        }
                    }),
                );
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep(RECONNECT_TICK) => {}
            }
        }
        for (_, handle) in in_flight {
            handle.abort();
        }
    })
}

/// Lightning messages go out whole and each one waits on the other side (a commitment_signed
/// after a revoke_and_ack, say). With Nagle's algorithm on, the second of two back-to-back
/// messages waited for the peer's delayed ACK: ~40 ms per round on Linux, about 110 ms of a
/// serial keysend's 150 ms tail. Failing to set it only costs that latency.
fn disable_nagle(stream: &tokio::net::TcpStream) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!("TCP_NODELAY not set on a peer connection: {e}");
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn peer_sockets_send_without_nagle_delay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (outbound, accepted) =
            tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        let (outbound, (inbound, _)) = (outbound.unwrap(), accepted.unwrap());
        assert!(!outbound.nodelay().unwrap(), "sockets start with Nagle on");
        super::disable_nagle(&outbound);
        super::disable_nagle(&inbound);
        assert!(outbound.nodelay().unwrap() && inbound.nodelay().unwrap());
    }
}
