//! The block timer: while the sandbox runs, any transaction waiting in the mempool is mined
//! within about a second, so channel opens, closes and on-chain sends confirm without the user
//! having to mine by hand (`sandbox::mine` is there for when they want more blocks).

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::chain_rpc::{burn_address, ChainRpc};

/// A running block timer.
pub struct AutoMiner {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AutoMiner {
    /// Polls the mempool every `interval`; mines one block when it is not empty.
    pub fn start(chain: ChainRpc, interval: Duration) -> AutoMiner {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let address = burn_address();
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // Report a failing chain once, not every second, and say when it recovers.
            let mut failing = false;
            loop {
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => break,
                    _ = ticker.tick() => {}
                }
                let outcome = match chain.mempool_len().await {
                    Ok(0) => Ok(None),
                    Ok(waiting) => chain
                        .generate_to_address(1, &address)
                        .await
                        .map(|_| Some(waiting)),
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(mined) => {
                        if failing {
                            tracing::info!("sandbox block timer: the chain answers again");
                            failing = false;
                        }
                        if let Some(waiting) = mined {
                            tracing::info!("sandbox block timer: mined a block for {waiting} waiting transaction(s)");
                        }
                    }
                    Err(e) if !failing => {
                        tracing::warn!("sandbox block timer: {e}");
                        failing = true;
                    }
                    Err(_) => {}
                }
            }
        });
        AutoMiner { stop, task }
    }

    /// Stops the timer and waits for a block in progress to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!("sandbox block timer task failed: {e}");
        }
    }
}
