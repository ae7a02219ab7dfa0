//! The node's background loop: LDK's events, timers, and periodic writes. It does what
//! lightning-background-processor's `process_events_async` does, with two differences that the
//! benchmark's profile asked for:
//! - **It never encodes the ChannelManager.** The processor encodes the whole manager (twice:
//!   once to measure, once to write, each under the manager's write lock) every time it wakes
//!   with the manager changed, only to hand the bytes to a store that must not write them (every
//!   manager write goes through the flush, in order with its monitors: durable.rs). Under load
//!   that was more CPU than the flush's own encode, and it stopped every channel while it ran.
//!   Here a changed manager only asks the flush loop for a write.
//! - **The scorer is written on its timer, not after every payment path.** The processor
//!   encoded and queued the scorer once per `PaymentPathSuccessful`. A crash now loses at most
//!   [`SCORER_PERSIST`] of scoring, which only makes the next routes a little less informed.
//!
//! Everything else keeps the processor's cadence: the manager's timer tick every minute (LDK's
//! timeouts are counted in those ticks), peer pings every 10 s, onion-message timers, claim
//! rebroadcasts and sweeps every 30 s, and graph pruning a minute after start, then hourly.
//! HTLCs waiting to be forwarded or received are processed at once instead of after the
//! processor's random batching delay (the flush loop does the same after each commit).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock, RwLockWriteGuard};
use std::time::{Duration, Instant};

use lightning::events::{Event, PathFailure, ReplayEvent};
use lightning::ln::msgs::OnionMessageHandler;
use lightning::routing::scoring::ScoreUpdate;
use lightning::util::persist::{
    KVStoreSync, NETWORK_GRAPH_PERSISTENCE_KEY, NETWORK_GRAPH_PERSISTENCE_PRIMARY_NAMESPACE,
    NETWORK_GRAPH_PERSISTENCE_SECONDARY_NAMESPACE, SCORER_PERSISTENCE_KEY,
    SCORER_PERSISTENCE_PRIMARY_NAMESPACE, SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::Writeable;
use tokio::sync::watch;

use super::durable::BackgroundStore;
use super::events::NodeEventHandler;
use super::types::{ChainMonitor, ChannelManager, NetworkGraph, OnionMessenger, PeerManager};
use super::types::{Scorer, Sweeper};

/// LDK counts its timeouts (MPP parts, idempotency, peer liveness) in ticks of about a minute.
const MANAGER_TICK: Duration = Duration::from_secs(60);
const PING: Duration = Duration::from_secs(10);
const ONION_MESSAGE_TICK: Duration = Duration::from_secs(10);
const REBROADCAST: Duration = Duration::from_secs(30);
const SWEEP: Duration = Duration::from_secs(30);
const SCORER_PERSIST: Duration = Duration::from_secs(5 * 60);
const FIRST_PRUNE: Duration = Duration::from_secs(60);
const PRUNE: Duration = Duration::from_secs(60 * 60);
/// The longest the loop sleeps when nothing wakes it, so that timers stay on time.
const IDLE_WAKE: Duration = Duration::from_secs(1);

pub(super) struct Processor {
    pub handler: Arc<NodeEventHandler>,
    pub channel_manager: Arc<ChannelManager>,
    pub chain_monitor: Arc<ChainMonitor>,
    pub onion_messenger: Arc<OnionMessenger>,
    pub peer_manager: Arc<PeerManager>,
    pub network_graph: Arc<NetworkGraph>,
    pub scorer: Arc<RwLock<Scorer>>,
    pub sweeper: Arc<Sweeper>,
    pub store: Arc<BackgroundStore>,
    pub now: fn() -> Duration,
}

/// A timer that fires once its period has passed since it last fired.
struct Every {
    period: Duration,
    next: Instant,
}

impl Every {
    fn new(period: Duration) -> Every {
        Every {
            period,
            next: Instant::now() + period,
        }
    }

    fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        self.next = now + self.period;
        true
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), ReplayEvent>> + Send>>;

impl Processor {
    /// Runs until `shutdown`; then writes the scorer and the graph and asks for a last manager
    /// write (`Node::stop` flushes after this returns). `Err` when the store has stopped
    /// (a commit failed): the node must not run on without persistence.
    pub async fn run(
        self,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), lightning::io::Error> {
        let this = Arc::new(self);
        // The processor does both at start: a node that was down may be past a tick, and claims
        // may need a fresh broadcast.
        this.channel_manager.timer_tick_occurred();
        this.chain_monitor.rebroadcast_pending_claims();
        let mut manager_tick = Every::new(MANAGER_TICK);
        let mut ping = Every::new(PING);
        let mut onion_tick = Every::new(ONION_MESSAGE_TICK);
        let mut rebroadcast = Every::new(REBROADCAST);
        let mut sweep = Every::new(SWEEP);
        let mut scorer_persist = Every::new(SCORER_PERSIST);
        let mut prune = Every::new(FIRST_PRUNE);
        this.scorer_time_passed();
        loop {
            let handler = |event: Event| -> HandlerFuture {
                let this = Arc::clone(&this);
                Box::pin(async move {
                    this.learn_from(&event);
                    this.handler.handle(event).await
                })
            };
            this.channel_manager
                .process_pending_events_async(handler)
                .await;
            this.chain_monitor
                .process_pending_events_async(handler)
                .await;
            this.onion_messenger
                .process_pending_events_async(handler)
                .await;
            this.peer_manager.process_events();
            if this.channel_manager.needs_pending_htlc_processing() {
                this.channel_manager.process_pending_htlc_forwards();
                this.peer_manager.process_events();
            }

            tokio::select! {
                _ = this.channel_manager.get_event_or_persistence_needed_future() => {}
                _ = this.chain_monitor.get_update_future() => {}
                _ = this.onion_messenger.get_update_future() => {}
                _ = tokio::time::sleep(IDLE_WAKE) => {}
                _ = shutdown.changed() => break,
            }

            if this.channel_manager.get_and_clear_needs_persistence() {
                this.store.request_manager_write()?;
            }
            let now = Instant::now();
            if manager_tick.due(now) {
                this.channel_manager.timer_tick_occurred();
            }
            if ping.due(now) {
                this.peer_manager.timer_tick_occurred();
            }
            if onion_tick.due(now) {
                this.onion_messenger.timer_tick_occurred();
            }
            if rebroadcast.due(now) {
                this.chain_monitor.rebroadcast_pending_claims();
            }
            if sweep.due(now) {
                // Broadcasting failures are logged by the sweeper and retried next time.
                let _ = this.sweeper.regenerate_and_broadcast_spend_if_necessary();
            }
            if scorer_persist.due(now) {
                this.scorer_time_passed();
                this.persist_scorer();
            }
            if prune.due(now) {
                prune.period = PRUNE;
                this.network_graph
                    .remove_stale_channels_and_tracking_with_time((this.now)().as_secs());
                this.persist_graph().await;
            }
        }
        // `Node::stop` flushes once more after this, which writes the manager.
        this.store.request_manager_write()?;
        this.persist_scorer();
        this.persist_graph().await;
        Ok(())
    }

    /// What a payment path taught about the network (the processor's own event hook). The
    /// scorer's lock is taken only for the events that score.
    fn learn_from(&self, event: &Event) {
        let now = (self.now)();
        match event {
            Event::PaymentPathFailed {
                failure,
                path,
                short_channel_id,
                payment_failed_permanently,
                ..
            } => {
                if let PathFailure::OnPath {
                    network_update: Some(update),
                } = failure
                {
                    self.network_graph.handle_network_update(update);
                }
                match short_channel_id {
                    Some(scid) => self.scorer_mut().payment_path_failed(path, *scid, now),
                    // The destination itself failed it: the path had the liquidity, like a probe.
                    None if *payment_failed_permanently => {
                        self.scorer_mut().probe_successful(path, now)
                    }
                    None => {}
                }
            }
            Event::PaymentPathSuccessful { path, .. } => {
                self.scorer_mut().payment_path_successful(path, now)
            }
            Event::ProbeSuccessful { path, .. } => self.scorer_mut().probe_successful(path, now),
            Event::ProbeFailed {
                path,
                short_channel_id: Some(scid),
                ..
            } => self.scorer_mut().probe_failed(path, *scid, now),
            _ => {}
        }
    }

    fn scorer_mut(&self) -> RwLockWriteGuard<'_, Scorer> {
        // A panic elsewhere while scoring leaves the scorer usable: it only holds estimates.
        self.scorer
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn scorer_time_passed(&self) {
        self.scorer_mut().time_passed((self.now)());
    }

    fn persist_scorer(&self) {
        let bytes = self
            .scorer
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .encode();
        if let Err(e) = self.store.write(
            SCORER_PERSISTENCE_PRIMARY_NAMESPACE,
            SCORER_PERSISTENCE_SECONDARY_NAMESPACE,
            SCORER_PERSISTENCE_KEY,
            bytes,
        ) {
            tracing::warn!("scorer not persisted: {e}");
        }
    }

    async fn persist_graph(&self) {
        let bytes = self.network_graph.encode();
        let store = Arc::clone(&self.store);
        let written = tokio::task::spawn_blocking(move || {
            store.write(
                NETWORK_GRAPH_PERSISTENCE_PRIMARY_NAMESPACE,
                NETWORK_GRAPH_PERSISTENCE_SECONDARY_NAMESPACE,
                NETWORK_GRAPH_PERSISTENCE_KEY,
                bytes,
            )
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("network graph not persisted: {e}"),
            Err(e) => tracing::warn!("network graph write task failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_fires_once_its_period_has_passed_and_then_waits_a_whole_period() {
        let mut timer = Every::new(Duration::from_secs(10));
        let start = Instant::now();
        assert!(!timer.due(start), "not at creation");
        assert!(!timer.due(start + Duration::from_secs(9)));
        assert!(timer.due(start + Duration::from_secs(11)));
        assert!(
            !timer.due(start + Duration::from_secs(12)),
            "once per period"
        );
        assert!(!timer.due(start + Duration::from_secs(20)));
        assert!(timer.due(start + Duration::from_secs(21)));
    }
}
