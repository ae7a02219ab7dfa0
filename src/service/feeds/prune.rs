//! The retention task: deletes events older than `event_retention_days`, once at start-up and
//! then hourly. A cursor into the deleted part gets `CursorExpired`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::ledger::Ledger;

const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// Starts the task; it stops when `shutdown` turns true.
pub fn spawn(
    ledger: Ledger,
    retention: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let before = now.saturating_sub(retention.as_secs());
            match ledger.blocking(move |l| l.prune_events(before)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("pruned {n} events older than the retention"),
                Err(e) => tracing::warn!("event pruning failed, will retry: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(PRUNE_INTERVAL) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}
