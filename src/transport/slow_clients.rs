//! Slow, idle and greedy clients: a per-IP connection limit and per-connection deadlines.
//!
//! Without these a local process could hold every connection slot with sockets that send
//! nothing, or half a body, and every other client would wait in the backlog. So:
//! - a client IP holds at most `per_ip` connections; one more is answered `TooManyConnections`
//!   (503) at once and closed, before anything is read from it;
//! - a connection must deliver a complete request head within `header_read` of opening (or of
//!   its next request's first byte), and a kept-alive one must not sit silent between requests
//!   for more than `keepalive`; otherwise its next read fails and hyper closes it;
//! - a request in progress has no connection deadline: its body has its own timeout
//!   (`server::read_body`) and a method may legitimately run long (`send_payment` waiting);
//! - an upgraded connection (a WebSocket) belongs to its handler and has none either.
//!
//! The deadlines live in the connection's IO object (`listener::LimitedConnection`), which
//! knows when bytes arrive; the request layer ([`track_requests`]) tells it when a request
//! starts and ends, looking the connection up by its peer address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::envelope::render_error;
use super::listener::PeerAddr;
use super::server::HttpError;
use crate::rpc::error::{MmError, RpcError, WireError};

/// How long a refused client gets to take its 503 before the socket is dropped.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The limits of one server (from the `rpc_*` config keys).
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    pub per_ip: usize,
    pub header_read: Duration,
    pub keepalive: Duration,
}

/// Where a connection is in its life, for its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for, or receiving, a request head since `since`.
    Head { since: Instant },
    /// A request is being served.
    InRequest,
    /// Between requests since `since`, nothing received yet.
    KeptAlive { since: Instant },
    /// Handed to an upgrade handler.
    Upgraded,
}

/// One connection's phase, shared by its IO object and the request layer.
#[derive(Debug)]
pub struct ConnState {
    phase: Mutex<Phase>,
}

impl ConnState {
    fn phase(&self) -> MutexGuard<'_, Phase> {
        // A poisoned lock only means a panic elsewhere while it was held; the phase is a plain
        // value and still sound.
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When the connection must have made progress by, and what it is waiting for.
    pub fn deadline(&self, limits: &ClientLimits) -> Option<(Instant, &'static str)> {
        match *self.phase() {
            Phase::Head { since } => Some((since + limits.header_read, "request head")),
            Phase::KeptAlive { since } => Some((since + limits.keepalive, "next request")),
            Phase::InRequest | Phase::Upgraded => None,
        }
    }

    /// Bytes arrived: a kept-alive connection starts receiving its next head.
    pub fn bytes_received(&self) {
        let mut phase = self.phase();
        if let Phase::KeptAlive { .. } = *phase {
            *phase = Phase::Head {
                since: Instant::now(),
            };
        }
    }
}

/// The open connections, by peer address and counted by IP.
#[derive(Debug)]
pub struct Connections {
    limits: ClientLimits,
    inner: Mutex<Registry>,
}

#[derive(Debug, Default)]
struct Registry {
    by_peer: HashMap<SocketAddr, Arc<ConnState>>,
    per_ip: HashMap<IpAddr, usize>,
}

impl Connections {
    pub fn new(limits: ClientLimits) -> Arc<Self> {
        Arc::new(Connections {
            limits,
            inner: Mutex::new(Registry::default()),
        })
    }

    pub fn limits(&self) -> &ClientLimits {
        &self.limits
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection, or `None` when its IP is at the limit.
    pub fn register(self: &Arc<Self>, peer: SocketAddr) -> Option<ConnTicket> {
        let mut registry = self.registry();
        let count = registry.per_ip.entry(peer.ip()).or_insert(0);
        if *count >= self.limits.per_ip {
            return None;
        }
        *count += 1;
        let state = Arc::new(ConnState {
            phase: Mutex::new(Phase::Head {
                since: Instant::now(),
            }),
        });
        registry.by_peer.insert(peer, Arc::clone(&state));
        Some(ConnTicket {
            connections: Arc::clone(self),
            peer,
            state,
        })
    }

    fn state_of(&self, peer: SocketAddr) -> Option<Arc<ConnState>> {
        self.registry().by_peer.get(&peer).cloned()
    }
}

/// A registered connection; unregisters it when dropped (with the connection's IO object).
#[derive(Debug)]
pub struct ConnTicket {
    connections: Arc<Connections>,
    peer: SocketAddr,
    state: Arc<ConnState>,
}

impl ConnTicket {
    pub fn state(&self) -> &ConnState {
        &self.state
    }

    pub fn limits(&self) -> &ClientLimits {
        self.connections.limits()
    }
}

impl Drop for ConnTicket {
    fn drop(&mut self) {
        let mut registry = self.connections.registry();
        registry.by_peer.remove(&self.peer);
        let ip = self.peer.ip();
        if let Some(count) = registry.per_ip.get_mut(&ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                registry.per_ip.remove(&ip);
            }
        }
    }
}

/// The request layer: the connection has no deadline while one of its requests is served, and
/// none at all once upgraded.
pub async fn track_requests(
    State(connections): State<Arc<Connections>>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    request: Request,
    next: Next,
) -> Response {
    let state = connections.state_of(peer);
    if let Some(state) = &state {
        *state.phase() = Phase::InRequest;
    }
    let response = next.run(request).await;
    if let Some(state) = state {
        *state.phase() = if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            Phase::Upgraded
        } else {
            Phase::KeptAlive {
                since: Instant::now(),
            }
        };
    }
    response
}

/// Answers a connection over its IP's limit with `TooManyConnections` and closes it, in a task
/// of its own so that the accept loop never waits on a client.
pub fn refuse(mut stream: TcpStream, limit_per_ip: usize) {
    let error = HttpError::TooManyConnections { limit_per_ip };
    let status = error.status();
    let body = render_error(None, &WireError::from(MmError::new(error)));
    let reply = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    );
    tokio::spawn(async move {
        let write = async {
            stream.write_all(reply.as_bytes()).await?;
            stream.shutdown().await
        };
        if let Err(e) = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, write).await {
            tracing::debug!("refused connection did not take its answer: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ClientLimits {
        ClientLimits {
            per_ip: 2,
            header_read: Duration::from_secs(10),
            keepalive: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn each_ip_gets_its_own_budget_and_slots_come_back() {
        let connections = Connections::new(limits());
        let a1: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let a2: SocketAddr = "127.0.0.1:1001".parse().unwrap();
        let a3: SocketAddr = "127.0.0.1:1002".parse().unwrap();
        let b: SocketAddr = "127.0.0.2:1000".parse().unwrap();
        let t1 = connections.register(a1).expect("first");
        let _t2 = connections.register(a2).expect("second");
        assert!(connections.register(a3).is_none(), "third from the IP");
        let _tb = connections.register(b).expect("another IP is not affected");
        drop(t1);
        assert!(connections.register(a3).is_some(), "a slot came back");
    }

    #[tokio::test]
    async fn deadlines_follow_the_phase() {
        let connections = Connections::new(limits());
        let ticket = connections
            .register("127.0.0.1:1".parse().unwrap())
            .unwrap();
        let state = ticket.state();
        assert_eq!(state.deadline(&limits()).map(|d| d.1), Some("request head"));
        *state.phase() = Phase::InRequest;
        assert_eq!(state.deadline(&limits()), None);
        state.bytes_received();
        assert_eq!(state.deadline(&limits()), None, "a body is not a new head");
        *state.phase() = Phase::KeptAlive {
            since: Instant::now(),
        };
        assert_eq!(state.deadline(&limits()).map(|d| d.1), Some("next request"));
        state.bytes_received();
        assert_eq!(state.deadline(&limits()).map(|d| d.1), Some("request head"));
        *state.phase() = Phase::Upgraded;
        assert_eq!(state.deadline(&limits()), None);
    }
}
