//! The runtime the node's peer connections run on, apart from the one that serves the RPC.
//!
//! lightning-net-tokio reads at most 4 KiB from a peer per wake-up and then yields, so that one
//! busy peer cannot starve the others. On the runtime that also runs the RPC server, every
//! yield put the connection behind every RPC task ready at that moment: under a hundred
//! concurrent senders a batch of 94 `update_fulfill_htlc` (about 1 KiB each, with attribution
//! data) took about 175 ms to read, four messages per wake, while the payments they settled
//! and the channel's next commitment waited. On its own threads a connection queues only behind
//! other connections, and the operating system shares the cores between the two runtimes.

use std::future::Future;
use std::sync::Mutex;

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;

use super::lock_unpoisoned;

/// Worker threads at most: message handling is mostly signature work, and a few threads keep up
/// with many peers.
const MAX_THREADS: usize = 4;

pub struct PeerRuntime {
    runtime: Mutex<Option<Runtime>>,
    handle: Handle,
}

impl PeerRuntime {
    pub fn start() -> std::io::Result<PeerRuntime> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(MAX_THREADS);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("ldk-peers")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(PeerRuntime {
            runtime: Mutex::new(Some(runtime)),
            handle,
        })
    }

    /// Runs a connection task on the peer runtime. `make` is called there, not here: a socket is
    /// registered with the runtime whose context creates it, and a connection registered with
    /// the RPC runtime would be woken by that runtime's busy threads.
    pub fn spawn<F, Fut>(&self, make: F) -> JoinHandle<()>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.handle.spawn(async move { make().await })
    }

    /// Drops every connection task still running (the peers were disconnected first). Safe
    /// inside async code, unlike dropping a runtime there.
    pub fn shutdown(&self) {
        if let Some(runtime) = lock_unpoisoned(&self.runtime).take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for PeerRuntime {
    fn drop(&mut self) {
        self.shutdown();
    }
}
