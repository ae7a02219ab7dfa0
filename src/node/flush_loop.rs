//! The task that makes queued monitor changes durable as soon as they appear, and then lets
//! the released work out at once instead of at the background processor's next wake:
//! 1. wait until a monitor change is queued or the background processor asks for a manager write;
//! 2. flush (manager + those monitors in one commit, see durable.rs) on the blocking pool;
//! 3. `PeerManager::process_events`: the ChannelManager handles the completed updates and
//!    sends the messages they held back;
//! 4. if that left HTLCs to forward or to receive, process them now (the background processor
//!    would wait a random batching delay of about 50 ms) and send what that produced.
//!
//! While a flush commits, new changes queue up and share the next commit (group commit).
//!
//! Step 4 can miss: `PeerManager::process_events` returns at once when another task is inside
//! it, and that task, not this loop, then applies the completed updates, so the HTLCs they free
//! appear a moment after this loop looked. Left alone they waited for the background
//! processor's batching delay (up to 200 ms: the serial benchmark's ~150 ms tail). So after
//! each flush a second task ([`watch_forwards`]) looks again a few times over the next
//! milliseconds. It only runs after flushes, so an idle node does not wake up for it.

use std::time::Duration;

use std::sync::Arc;

use tokio::sync::watch;

use super::durable::Flusher;
use super::types::{ChannelManager, PeerManager};

pub struct FlushLoop {
    pub flusher: Arc<Flusher>,
    pub peer_manager: Arc<PeerManager>,
    pub channel_manager: Arc<ChannelManager>,
    /// Set to take the node off the network when a flush fails.
    pub offline: watch::Sender<bool>,
}

impl FlushLoop {
    pub fn spawn(self, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let (flushed, flushes) = watch::channel(0u64);
        let forwards = tokio::spawn(watch_forwards(
            flushes,
            Arc::clone(&self.channel_manager),
            Arc::clone(&self.peer_manager),
            shutdown.clone(),
        ));
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = self.flusher.queue().changed() => {}
                    _ = shutdown.changed() => break,
                }
                if !self.flusher.queue().has_work() {
                    continue;
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
                flushed.send_modify(|n| *n += 1);
            }
            drop(flushed);
            let _ = forwards.await;
        })
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

/// How often, and how long after a flush, [`watch_forwards`] looks for freed HTLCs.
const FORWARD_CHECK_EVERY: Duration = Duration::from_millis(1);
const FORWARD_CHECKS: u32 = 10;

/// After each flush, looks for HTLCs to forward or receive every millisecond for ten
/// milliseconds, and processes them (module docs).
async fn watch_forwards(
    mut flushes: watch::Receiver<u64>,
    channel_manager: Arc<ChannelManager>,
    peer_manager: Arc<PeerManager>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = flushes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = shutdown.changed() => return,
        }
        for _ in 0..FORWARD_CHECKS {
            tokio::time::sleep(FORWARD_CHECK_EVERY).await;
            if channel_manager.needs_pending_htlc_processing() {
                channel_manager.process_pending_htlc_forwards();
                peer_manager.process_events();
                break;
            }
        }
    }
}
