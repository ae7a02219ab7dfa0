//! A TCP listener that serves at most N connections at once, and at most M per client IP.
//!
//! `accept` first takes a permit, then accepts. At the limit the listener stops accepting and
//! new connections wait in the kernel's backlog until a served one closes; nothing already
//! accepted is dropped. The permit lives in the connection's IO object, so it is returned when
//! hyper drops the connection, whatever the reason.
//!
//! A connection from an IP that is at its own limit is answered `TooManyConnections` and closed
//! (see [`super::slow_clients`]), which also gives its permit back at once. The IO object
//! enforces the connection's deadlines: a read that has waited past one fails with `TimedOut`,
//! and hyper closes the connection.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use super::slow_clients::{refuse, ConnTicket, Connections};

/// Pause after an accept error (e.g. out of file descriptors) before trying again, so the loop
/// does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// A [`TcpListener`] with a connection limit.
#[derive(Debug)]
pub struct ConnectionLimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    connections: Arc<Connections>,
}

impl ConnectionLimitedListener {
    /// Limits `inner` to `max_connections` open connections (at least one), and each client IP
    /// and connection to `connections`' limits.
    pub fn new(inner: TcpListener, max_connections: usize, connections: Arc<Connections>) -> Self {
        let permits = max_connections.clamp(1, Semaphore::MAX_PERMITS);
        ConnectionLimitedListener {
            inner,
            permits: Arc::new(Semaphore::new(permits)),
            connections,
        }
    }
}

impl Listener for ConnectionLimitedListener {
    type Io = LimitedConnection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (LimitedConnection, SocketAddr) {
        // The semaphore is never closed, so acquiring cannot fail; if it ever did, serving
        // without a permit is better than refusing forever.
        let permit = self.permits.clone().acquire_owned().await.ok();
        loop {
            match self.inner.accept().await {
                Ok((stream, peer)) => {
                    let Some(ticket) = self.connections.register(peer) else {
                        tracing::debug!(%peer, "mmrpc connection refused: too many from this IP");
                        refuse(stream, self.connections.limits().per_ip);
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let conn = LimitedConnection {
                        stream,
                        ticket,
                        deadline: None,
                        _permit: permit,
                    };
                    return (conn, peer);
                }
                Err(err) => {
                    tracing::warn!("mmrpc accept failed: {err}");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An accepted connection holding its slots until dropped.
#[derive(Debug)]
pub struct LimitedConnection {
    stream: TcpStream,
    ticket: ConnTicket,
    /// Wakes a read that waits past the connection's deadline.
    deadline: Option<Pin<Box<Sleep>>>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl AsyncRead for LimitedConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.ticket.state().bytes_received();
                }
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {}
        }
        let limits = *self.ticket.limits();
        let Some((at, waiting_for)) = self.ticket.state().deadline(&limits) else {
            return Poll::Pending;
        };
        let sleep = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        if sleep.deadline() != at {
            sleep.as_mut().reset(at);
        }
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no {waiting_for} in time"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for LimitedConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The caller's address, as the handler sees it through axum's `ConnectInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, ConnectionLimitedListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, ConnectionLimitedListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_listener_waits_until_a_connection_closes() {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let limits = super::super::slow_clients::ClientLimits {
            per_ip: 10,
            header_read: Duration::from_secs(60),
            keepalive: Duration::from_secs(60),
        };
        let mut listener = ConnectionLimitedListener::new(tcp, 1, Connections::new(limits));
        let _c1 = TcpStream::connect(addr).await.unwrap();
        let _c2 = TcpStream::connect(addr).await.unwrap();
        let (first, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the first connection is accepted");
        // No permit is left: the accept future cannot complete, whatever the timing, because
        // it waits on the semaphore before touching the socket.
        {
            let second = listener.accept();
            tokio::pin!(second);
            let polled = futures_poll_once(second.as_mut()).await;
            assert!(
                polled.is_none(),
                "a second connection was accepted at the limit"
            );
        }
        drop(first);
        tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the second connection is accepted once the first closed");
    }

    /// Polls a future exactly once.
    async fn futures_poll_once<F: std::future::Future + Unpin>(mut fut: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            Poll::Ready(match Pin::new(&mut fut).poll(cx) {
                Poll::Ready(v) => Some(v),
                Poll::Pending => None,
            })
        })
        .await
    }
}
