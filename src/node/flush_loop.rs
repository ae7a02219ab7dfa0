//! The task that makes queued monitor changes durable as soon as they appear, and then lets
//! the released work out at once instead of at the background processor's next wake:
//! 1. wait until a monitor change is queued or the background processor asks for a manager write;
//!    a manager write alone waits up to [`MANAGER_ONLY_DELAY`] for a monitor change to share
//!    its flush (see there);
//! 2. flush (manager + those monitors in one commit, see durable.rs) on the blocking pool;
//! 3. `PeerManager::process_events`: the ChannelManager handles the completed updates and
//!    sends the messages they held back;
//! 4. if that left HTLCs to forward or to receive, process them now (the background processor
//!    would wait a random batching delay of about 50 ms) and send what that produced.
//!
//! While a flush commits, new changes queue up and share the next commit (group commit).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::durable::Flusher;
use super::types::{ChannelManager, PeerManager};

/// How long a ChannelManager change that came with no monitor change waits for one. Every
/// flush encodes and writes the whole manager, and a busy sender's manager holds each payment
/// it completed for LDK's idempotency window (several minutes): hundreds of kilobytes, encoded
/// under the lock that stops every channel. Most changes that need no monitor write (an HTLC
/// queued behind a commitment in flight, an event handled) are followed within milliseconds by
/// one that does, whose flush writes the manager anyway. Safe to delay: LDK never waits for a
/// manager write (only for monitor writes, which are not delayed), a crash in the window only
/// replays events (their rows are committed first), and `Node::stop` flushes at the end.
pub const MANAGER_ONLY_DELAY: Duration = Duration::from_millis(100);

pub struct FlushLoop {
    pub flusher: Arc<Flusher>,
    pub peer_manager: Arc<PeerManager>,
    pub channel_manager: Arc<ChannelManager>,
    /// Set to take the node off the network when a flush fails.
    pub offline: watch::Sender<bool>,
}

impl FlushLoop {
    pub fn spawn(self, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = self.flusher.queue().changed() => {}
                    _ = shutdown.changed() => break,
                }
                if !self.flusher.queue().has_work() {
                    continue;
                }
                if !self.wait_for_a_monitor_change(&mut shutdown).await {
                    break;
                }
                let flusher = Arc::clone(&self.flusher);
                match tokio::task::spawn_blocking(move || flusher.flush()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        self.stop_node(&e.to_string());
                        break;
                    }
                    Err(e) => {
                        self.stop_node(&format!("flush task failed: {e}"));
                        break;
                    }
                }
                self.peer_manager.process_events();
                if self.channel_manager.needs_pending_htlc_processing() {
                    self.channel_manager.process_pending_htlc_forwards();
                    self.peer_manager.process_events();
                }
            }
        })
    }

    /// With only a manager write asked for, waits up to [`MANAGER_ONLY_DELAY`] for a monitor
    /// change to flush with. `false` on shutdown.
    async fn wait_for_a_monitor_change(&self, shutdown: &mut watch::Receiver<bool>) -> bool {
        let deadline = tokio::time::Instant::now() + MANAGER_ONLY_DELAY;
        while self.flusher.queue().is_empty() {
            tokio::select! {
                // Also woken by further manager requests: look again.
                _ = self.flusher.queue().changed() => {}
                _ = tokio::time::sleep_until(deadline) => break,
                _ = shutdown.changed() => return false,
            }
        }
        true
    }

    /// Nothing queued is released after a failed commit, so channels with updates in flight are
    /// frozen; take the node off the network rather than let peers time out against it.
    fn stop_node(&self, reason: &str) {
        if *self.offline.borrow() {
            return;
        }
        tracing::error!(
            "Lightning state could not be made durable: {reason}; disconnecting all peers \
             (check the disk, then restart)"
        );
        let _ = self.offline.send(true);
        self.peer_manager.disconnect_all_peers();
    }
}
