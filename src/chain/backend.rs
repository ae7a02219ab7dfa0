//! The chain backend: connect and check Core, sync listeners to the tip, then poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::{BlockHash, Transaction, Txid};
use lightning::chain::chaininterface::{BroadcasterInterface, ConfirmationTarget, FeeEstimator};
use lightning::chain::{BestBlock, Listen};
use lightning_block_sync::init::synchronize_listeners;
use lightning_block_sync::poll::{ChainPoller, ValidatedBlockHeader};
use lightning_block_sync::rpc::RpcClient;
use lightning_block_sync::SpvClient;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::broadcast::{run_worker, BroadcastJob, PendingTxs};
use super::cache::HeaderCache;
use super::config::{core_chain_name, ChainConfig};
use super::error::ChainError;
use super::fanout::{ListenerFanout, SharedListener, TipObserver};
use super::fees::FeeCache;
use super::rpc::CoreRpc;

/// Longest wait between polls while Core is failing: 40 poll intervals (10 s on regtest), at
/// most a minute, so a chain that comes back is noticed soon without hammering one that does not.
const BACKOFF_INTERVALS: u32 = 40;
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Bitcoin Core as the node's chain: block source, fee estimator and broadcaster.
pub struct ChainBackend {
    config: ChainConfig,
    rpc: Arc<CoreRpc>,
    fees: FeeCache,
    pending: Arc<PendingTxs>,
    jobs: mpsc::UnboundedSender<BroadcastJob>,
    tip: Arc<Mutex<BestBlock>>,
    started: AtomicBool,
}

impl ChainBackend {
    /// Connects; checks reachability, credentials and that the chain is `network`. The error is
    /// one line naming the URL and the problem.
    pub async fn connect(config: ChainConfig) -> Result<Arc<ChainBackend>, ChainError> {
        let rpc = Arc::new(CoreRpc::new(&config.url, config.auth.clone())?);
        let info: serde_json::Value = rpc.call_checked("getblockchaininfo", &[]).await?;
        let invalid = |reason: &str| ChainError::InvalidResponse {
            url: rpc.url().to_string(),
            method: "getblockchaininfo".to_string(),
            reason: reason.to_string(),
        };
        let chain = info
            .get("chain")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| invalid("no \"chain\" field"))?;
        let expected = core_chain_name(config.network);
        if chain != expected {
            return Err(ChainError::WrongNetwork {
                url: rpc.url().to_string(),
                expected: expected.to_string(),
                actual: chain.to_string(),
            });
        }
        let tip = parse_tip(&info).ok_or_else(|| invalid("no valid bestblockhash/blocks"))?;

        let fees = FeeCache::new(config.fallback_fee_rate_sat_per_kw);
        fees.refresh(&rpc, config.fallback_fee_rate_sat_per_kw)
            .await;

        let pending = Arc::new(PendingTxs::default());
        let (jobs, job_queue) = mpsc::unbounded_channel();
        tokio::spawn(run_worker(
            Arc::clone(&rpc),
            Arc::clone(&pending),
            job_queue,
        ));

        tracing::info!(url = %rpc.url(), chain, height = tip.height, "connected to bitcoind");
        Ok(Arc::new(ChainBackend {
            config,
            rpc,
            fees,
            pending,
            jobs,
            tip: Arc::new(Mutex::new(tip)),
            started: AtomicBool::new(false),
        }))
    }

    /// The chain tip, fresh from the RPC.
    pub async fn best_block(&self) -> Result<BestBlock, ChainError> {
        let (hash, height): (BlockHash, Option<u32>) =
            self.rpc.call_checked("getblockchaininfo", &[]).await?;
        let height = height.ok_or_else(|| ChainError::InvalidResponse {
            url: self.rpc.url().to_string(),
            method: "getblockchaininfo".to_string(),
            reason: "no \"blocks\" field".to_string(),
        })?;
        Ok(BestBlock::new(hash, height))
    }

    /// Asks Core for its tip now (which also updates [`Self::is_available`]).
    pub async fn probe(&self) -> Result<(), ChainError> {
        self.best_block().await.map(|_| ())
    }

    /// The tip as last seen by the poller (cheap, no I/O).
    pub fn cached_tip(&self) -> BestBlock {
        *self.tip.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Brings each listener from its own best block hash to the tip, then spawns the poll loop
    /// that fans every connected and disconnected block out to all listeners in order, refreshes
    /// fee estimates on each new tip and re-broadcasts our unconfirmed transactions. Returns
    /// after the initial sync; the task stops when `shutdown` flips to true (or its sender is
    /// dropped).
    pub async fn start(
        self: &Arc<Self>,
        listeners: Vec<(BlockHash, Arc<dyn Listen + Send + Sync>)>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<JoinHandle<()>, ChainError> {
        if self.started.swap(true, Ordering::AcqRel) {
            return Err(ChainError::AlreadyStarted {
                url: self.url().to_string(),
            });
        }
        let mut cache = HeaderCache::new();
        let tip = {
            let to_sync: Vec<(BlockHash, &(dyn Listen + Send + Sync))> =
                listeners.iter().map(|(hash, l)| (*hash, &**l)).collect();
            synchronize_listeners(&*self.rpc, self.config.network, &mut cache, to_sync).await
        };
        let tip = match tip {
            Ok(tip) => tip,
            Err(e) => {
                self.started.store(false, Ordering::Release);
                let mut reason = e.into_inner().to_string();
                if reason.contains("RPC error -5") {
                    // Core's "Block not found": the node's state belongs to another chain.
                    reason.push_str(
                        " (a listener's best block is not on this chain: was the chain reset, \
                         or is the data directory from another network?)",
                    );
                }
                return Err(ChainError::SyncFailed {
                    url: self.url().to_string(),
                    reason,
                });
            }
        };
        *self.tip.lock().unwrap_or_else(|p| p.into_inner()) = tip.to_best_block();
        tracing::info!(height = tip.height, hash = %tip.to_best_block().block_hash, "listeners synced to the chain tip");
        self.on_new_tip().await;

        let listeners = listeners.into_iter().map(|(_, l)| l).collect();
        let backend = Arc::clone(self);
        Ok(tokio::spawn(async move {
            backend.poll_loop(listeners, cache, tip, shutdown).await;
        }))
    }

    /// The RPC block source (current credentials), for gossip UTXO lookups.
    pub fn rpc_client(&self) -> Arc<RpcClient> {
        self.rpc.client()
    }

    /// The RPC as a `BlockSource` + `UtxoSource` that survives a cookie rotation; prefer it to
    /// [`Self::rpc_client`] for anything long-lived.
    pub fn block_source(&self) -> Arc<CoreRpc> {
        Arc::clone(&self.rpc)
    }

    /// The RPC connection, for the lookups in `lookup.rs`.
    pub(super) fn rpc(&self) -> &CoreRpc {
        &self.rpc
    }

    /// Bitcoin Core's URL, without credentials.
    pub fn url(&self) -> &str {
        self.rpc.url()
    }

    /// The network this backend checked Core is on.
    pub fn network(&self) -> bitcoin::Network {
        self.config.network
    }

    /// Our broadcast transactions still tracked (unconfirmed, or not yet buried).
    pub fn tracked_broadcasts(&self) -> Vec<Txid> {
        self.pending.txids()
    }

    async fn on_new_tip(&self) {
        self.fees
            .refresh(&self.rpc, self.config.fallback_fee_rate_sat_per_kw)
            .await;
        // The worker only stops once this backend is gone, so a failed send cannot happen here.
        let _ = self.jobs.send(BroadcastJob::Rebroadcast);
    }

    async fn poll_loop(
        &self,
        mut listeners: Vec<SharedListener>,
        mut cache: HeaderCache,
        tip: ValidatedBlockHeader,
        mut shutdown: watch::Receiver<bool>,
    ) {
        listeners.push(Arc::new(TipObserver {
            tip: Arc::clone(&self.tip),
            pending: Arc::clone(&self.pending),
        }));
        let fanout = ListenerFanout::new(listeners);
        let poller = ChainPoller::new(Arc::clone(&self.rpc), self.config.network);
        let mut spv = SpvClient::new(tip, poller, &mut cache, &fanout);
        let interval = self.config.poll_interval;
        let max_backoff = interval
            .checked_mul(BACKOFF_INTERVALS)
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF)
            .max(interval);
        let mut delay = interval;
        let mut last_error: Option<String> = None;
        loop {
            tokio::select! {
                biased;
                _ = shutdown_requested(&mut shutdown) => break,
                _ = tokio::time::sleep(delay) => {}
            }
            let polled = tokio::select! {
                biased;
                _ = shutdown_requested(&mut shutdown) => break,
                polled = async {
                    let polled = spv.poll_best_tip().await;
                    if let Ok((_, true)) = polled {
                        self.on_new_tip().await;
                    }
                    polled
                } => polled,
            };
            match polled {
                Ok(_) => {
                    delay = interval;
                    if last_error.take().is_some() {
                        tracing::info!(url = %self.url(), "chain polling recovered");
                    }
                }
                Err(e) => {
                    delay = delay.saturating_mul(2).min(max_backoff);
                    let message = e.into_inner().to_string();
                    // Outages are logged once by the RPC layer; log other failures once each.
                    if self.rpc.is_reachable() && last_error.as_deref() != Some(&message) {
                        tracing::warn!(url = %self.url(), error = %message, "polling the chain tip failed; retrying");
                        last_error = Some(message);
                    }
                }
            }
        }
        tracing::info!(url = %self.url(), "chain polling stopped");
    }
}

/// Resolves once shutdown is requested or its sender is gone.
async fn shutdown_requested(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

fn parse_tip(info: &serde_json::Value) -> Option<BestBlock> {
    let hash = info.get("bestblockhash")?.as_str()?.parse().ok()?;
    let height = u32::try_from(info.get("blocks")?.as_u64()?).ok()?;
    Some(BestBlock::new(hash, height))
}

impl FeeEstimator for ChainBackend {
    fn get_est_sat_per_1000_weight(&self, confirmation_target: ConfirmationTarget) -> u32 {
        self.fees.get(confirmation_target)
    }
}

impl BroadcasterInterface for ChainBackend {
    fn broadcast_transactions(&self, txs: &[&Transaction]) {
        if txs.is_empty() {
            return;
        }
        let txs: Vec<Transaction> = txs.iter().map(|tx| (*tx).clone()).collect();
        if self.jobs.send(BroadcastJob::Send(txs)).is_err() {
            tracing::error!(url = %self.url(), "the broadcast worker has stopped; transactions not sent");
        }
    }
}
