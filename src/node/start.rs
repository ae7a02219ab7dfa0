//! `Node::start`, as numbered steps. The order matters: the chain must be synced and every
//! monitor watched before the chain poller, peers or the background processor run.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitcoin::BlockHash;
use lightning::chain::Listen;
use lightning::ln::channelmanager::{ChainParameters, ChannelManagerReadArgs};
use lightning::ln::peer_handler::{IgnoringMessageHandler, MessageHandler};
use lightning::routing::router::DefaultRouter;
use lightning::routing::scoring::ProbabilisticScoringFeeParameters;
use lightning::sign::{EntropySource, NodeSigner};
use lightning::util::persist::{
    CHANNEL_MANAGER_PERSISTENCE_KEY, CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
    CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::ReadableArgs;
use lightning_block_sync::gossip::TokioSpawner;
use tokio::sync::watch;

use crate::chain::ChainBackend;

use super::chain_sync;
use super::durable::{BackgroundStore, Flusher, MonitorQueue};
use super::events::{EventTiming, NodeEventHandler, NodeEventSink};
use super::flush_loop::FlushLoop;
use super::keys;
use super::logger::NodeLogger;
use super::maintenance;
use super::offers_handler::{DisabledOffers, OffersHandler};
use super::offline_guard::OfflineGuard;
use super::peer_runtime::PeerRuntime;
use super::peers::{self, PeerConnector};
use super::persist::{self, PeerAddressBook, TrustedNodes};
use super::processor::Processor;
use super::reconcile;
use super::signer::WalletSignerProvider;
use super::staged::{StagedWrites, MAX_PENDING_MONITOR_UPDATES};
use super::store::{self, LdkStore};
use super::sweeper::{self, SweeperListener, SweeperParts};
use super::types::{
    ChainMonitor, ChannelManager, DynBroadcaster, DynFeeEstimator, DynFilter, GossipSync,
    GossipVerifier, MessageRouter, OnionMessenger, PeerManager, Persister, StagingPersister,
};
use super::wallet::{OnchainWallet, WALLET_DB_FILE};
use super::{Node, NodeConfig, NodeError, Tasks};

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn chain_err(e: impl std::fmt::Display) -> NodeError {
    NodeError::ChainFailed(e.to_string())
}

pub(super) async fn start(
    config: NodeConfig,
    sink: Arc<dyn NodeEventSink>,
) -> Result<Arc<Node>, NodeError> {
    if config.network != config.chain.network {
        return Err(NodeError::InvalidConfig(format!(
            "node network {} differs from chain backend network {}",
            config.network, config.chain.network
        )));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|source| NodeError::DataDirFailed {
        path: config.data_dir.clone(),
        source,
    })?;

    // 1. Keys from the seed.
    let seed_existed = config.data_dir.join(keys::SEED_FILE).exists();
    let seed = keys::load_or_create_seed(&config.data_dir)?;
    let keys_manager = Arc::new(keys::keys_manager(&seed));
    let node_id = keys_manager
        .get_node_id(lightning::sign::Recipient::Node)
        .map_err(|()| NodeError::InvalidSeed {
            path: config.data_dir.join(keys::SEED_FILE),
            reason: "no node key".to_string(),
        })?;
    let logger = Arc::new(NodeLogger::new(node_id.to_string()[..12].to_string()));

    // 2. Chain backend: fees and broadcast for everything below.
    let chain = ChainBackend::connect(config.chain.clone())
        .await
        .map_err(chain_err)?;
    let fee_estimator: Arc<DynFeeEstimator> = chain.clone();
    let broadcaster: Arc<DynBroadcaster> = chain.clone();

    // 3. LDK store (group-committed SQLite; a legacy `ldk/` directory is copied in once), the
    // monitor queue the ChainMonitor persists through (see durable.rs), and a reader that
    // applies any incremental updates a migrated directory holds.
    let mut ldk_store = LdkStore::open(&config.data_dir)?;
    store::migrate_legacy_dir(&config.data_dir, &mut ldk_store)?;
    let store = Arc::new(ldk_store);
    let persister: Arc<Persister> = Arc::new(Persister::new(
        Arc::clone(&store),
        Arc::clone(&logger),
        MAX_PENDING_MONITOR_UPDATES,
        Arc::clone(&keys_manager),
        Arc::clone(&keys_manager),
        Arc::clone(&broadcaster),
        Arc::clone(&fee_estimator),
    ));
    let staged = Arc::new(StagedWrites::new(Arc::clone(&store)));
    let monitor_queue = Arc::new(MonitorQueue::new(
        Arc::clone(&staged),
        StagingPersister::new(
            staged,
            Arc::clone(&logger),
            MAX_PENDING_MONITOR_UPDATES,
            Arc::clone(&keys_manager),
            Arc::clone(&keys_manager),
            Arc::clone(&broadcaster),
            Arc::clone(&fee_estimator),
        ),
    ));

    // 4. Chain monitor. No transaction filter: we feed full blocks.
    let chain_monitor: Arc<ChainMonitor> = Arc::new(ChainMonitor::new(
        None::<Arc<DynFilter>>,
        Arc::clone(&broadcaster),
        Arc::clone(&logger),
        Arc::clone(&fee_estimator),
        Arc::clone(&monitor_queue),
        Arc::clone(&keys_manager),
        keys_manager.get_peer_storage_key(),
    ));

    // 5. On-chain wallet.
    let wallet_master = keys::wallet_master_key(&seed, config.network)?;
    let wallet = Arc::new(OnchainWallet::open(
        &config.data_dir.join(WALLET_DB_FILE),
        config.network,
        &wallet_master,
        Arc::clone(&fee_estimator),
    )?);
    if let Some(journal) = sink.wallet_journal() {
        wallet.set_journal(journal);
    }
    let tip = chain.best_block().await.map_err(chain_err)?;
    if !seed_existed {
        // A brand-new seed cannot have history: start the wallet at the tip instead of
        // scanning from genesis (which on mainnet would take days).
        wallet.start_at(tip)?;
    }

    // Closing and destination scripts come from the wallet (see signer.rs).
    let signer_provider = Arc::new(WalletSignerProvider::new(
        Arc::clone(&keys_manager),
        Arc::clone(&wallet),
    ));

    // 6. Graph, scorer, routers.
    let network_graph = Arc::new(persist::load_network_graph(
        &store,
        config.network,
        &logger,
    )?);
    let scorer = Arc::new(persist::load_scorer(&store, &network_graph, &logger)?);
    let router = Arc::new(DefaultRouter::new(
        Arc::clone(&network_graph),
        Arc::clone(&logger),
        Arc::clone(&keys_manager),
        Arc::clone(&scorer),
        ProbabilisticScoringFeeParameters::default(),
    ));
    let message_router = Arc::new(MessageRouter::new(
        Arc::clone(&network_graph),
        Arc::clone(&keys_manager),
    ));

    // 7. Channel monitors, then the ChannelManager (restored against them, or new at the tip).
    let monitors = persister
        .read_all_channel_monitors_with_updates()
        .map_err(|e| NodeError::StateReadFailed {
            what: "channel monitors",
            reason: e.to_string(),
        })?;
    // Updates already folded into a full monitor can linger after a crash; drop them.
    if let Err(e) = persister.cleanup_stale_updates(true) {
        tracing::warn!("stale monitor updates not cleaned up: {e}");
    }
    let user_config = config.user_config();
    let manager_bytes = persist::read_optional(
        &*store,
        CHANNEL_MANAGER_PERSISTENCE_PRIMARY_NAMESPACE,
        CHANNEL_MANAGER_PERSISTENCE_SECONDARY_NAMESPACE,
        CHANNEL_MANAGER_PERSISTENCE_KEY,
    )
    .map_err(|e| NodeError::StateReadFailed {
        what: "channel manager",
        reason: e.to_string(),
    })?;
    let (manager_block, channel_manager) = match manager_bytes {
        Some(bytes) => {
            let args = ChannelManagerReadArgs::new(
                Arc::clone(&keys_manager),
                Arc::clone(&keys_manager),
                Arc::clone(&signer_provider),
                Arc::clone(&fee_estimator),
                Arc::clone(&chain_monitor),
                Arc::clone(&broadcaster),
                Arc::clone(&router),
                Arc::clone(&message_router),
                Arc::clone(&logger),
                user_config.clone(),
                monitors.iter().map(|(_, m)| m).collect(),
            );
            <(BlockHash, ChannelManager)>::read(&mut Cursor::new(bytes), args).map_err(|e| {
                NodeError::StateReadFailed {
                    what: "channel manager",
                    reason: format!("{e:?}"),
                }
            })?
        }
        None => {
            if !monitors.is_empty() {
                // Starting a fresh manager next to existing monitors would abandon those channels.
                return Err(NodeError::StateReadFailed {
                    what: "channel manager",
                    reason: format!("{} channel monitors exist but the channel manager is missing; refusing to start", monitors.len()),
                });
            }
            let params = ChainParameters {
                network: config.network,
                best_block: tip,
            };
            let manager = ChannelManager::new(
                Arc::clone(&fee_estimator),
                Arc::clone(&chain_monitor),
                Arc::clone(&broadcaster),
                Arc::clone(&router),
                Arc::clone(&message_router),
                Arc::clone(&logger),
                Arc::clone(&keys_manager),
                Arc::clone(&keys_manager),
                Arc::clone(&signer_provider),
                user_config.clone(),
                params,
                now().as_secs() as u32,
            );
            (tip.block_hash, manager)
        }
    };
    let channel_manager = Arc::new(channel_manager);
    // Every ChannelManager write goes through the flusher, the background processor's too.
    let flusher = Arc::new(Flusher::new(
        Arc::clone(&monitor_queue),
        Arc::clone(&store),
        Arc::clone(&channel_manager),
        Arc::clone(&chain_monitor),
        sink.commit_barrier(),
    ));
    let background_store = Arc::new(BackgroundStore {
        store: Arc::clone(&store),
        flusher: Arc::clone(&flusher),
    });

    // 8. Output sweeper.
    let sweeper = Arc::new(sweeper::load_or_create(
        SweeperParts {
            broadcaster: Arc::clone(&broadcaster),
            fee_estimator: Arc::clone(&fee_estimator),
            keys: Arc::clone(&keys_manager),
            wallet: Arc::clone(&wallet),
            store: Arc::clone(&background_store),
            logger: Arc::clone(&logger),
        },
        tip,
    )?);

    // 9. P2P listener socket and peer records: the last steps that can fail, done before any
    // task is started so a failed start leaves nothing running.
    let (listener, bound) =
        peers::bind(config.p2p_listen)
            .await
            .map_err(|source| NodeError::ListenFailed {
                addr: config.p2p_listen,
                source,
            })?;
    let book = Arc::new(PeerAddressBook::load(Arc::clone(&store))?);
    let trusted = Arc::new(TrustedNodes::load(
        Arc::clone(&store),
        &config.trusted_peers_0conf,
    )?);

    // 10. Bring every listener to the tip from its own best block, watch every monitor, then
    // start the chain poller.
    let synced_tip = chain_sync::sync_to_tip(
        &chain,
        config.network,
        chain_sync::SyncListeners {
            manager: (manager_block, &*channel_manager),
            wallet: &wallet,
            sweeper: &sweeper,
        },
        monitors,
        &chain_monitor,
        chain_sync::MonitorDeps {
            broadcaster: Arc::clone(&broadcaster),
            fee_estimator: Arc::clone(&fee_estimator),
            logger: Arc::clone(&logger),
        },
    )
    .await?;
    // Release coins reserved by transactions that will never confirm; re-send the rest (the
    // broadcaster's queue did not survive the restart).
    reconcile::reconcile_unconfirmed(&chain, &wallet, &channel_manager, &chain_monitor).await;
    let (chain_shutdown, chain_shutdown_rx) = watch::channel(false);
    let chain_poller = chain
        .start(
            vec![
                (
                    synced_tip.block_hash,
                    channel_manager.clone() as Arc<dyn Listen + Send + Sync>,
                ),
                (
                    synced_tip.block_hash,
                    chain_monitor.clone() as Arc<dyn Listen + Send + Sync>,
                ),
                (
                    synced_tip.block_hash,
                    wallet.clone() as Arc<dyn Listen + Send + Sync>,
                ),
                (
                    synced_tip.block_hash,
                    Arc::new(SweeperListener(Arc::clone(&sweeper)))
                        as Arc<dyn Listen + Send + Sync>,
                ),
            ],
            chain_shutdown_rx,
        )
        .await
        .map_err(chain_err)?;

    // 11. Gossip, onion messages, peer manager, P2P listener.
    let gossip_sync = Arc::new(GossipSync::new(
        Arc::clone(&network_graph),
        None::<Arc<GossipVerifier>>,
        Arc::clone(&logger),
    ));
    let disabled_offers = Arc::new(DisabledOffers::default());
    let onion_messenger: Arc<OnionMessenger> = Arc::new(OnionMessenger::new(
        Arc::clone(&keys_manager),
        Arc::clone(&keys_manager),
        Arc::clone(&logger),
        Arc::clone(&channel_manager),
        Arc::clone(&message_router),
        Arc::new(OffersHandler::new(
            Arc::clone(&channel_manager),
            Arc::clone(&disabled_offers),
        )),
        Arc::clone(&channel_manager),
        IgnoringMessageHandler {},
        IgnoringMessageHandler {},
    ));
    // Made here, before the peer manager, whose handshakes check it (offline_guard.rs).
    let (shutdown, shutdown_rx) = watch::channel(false);
    let handlers = MessageHandler {
        chan_handler: Arc::clone(&channel_manager),
        route_handler: Arc::clone(&gossip_sync),
        onion_message_handler: Arc::clone(&onion_messenger),
        custom_message_handler: Arc::new(OfflineGuard::new(shutdown_rx.clone())),
        send_only_message_handler: Arc::clone(&chain_monitor),
    };
    let ephemeral = keys_manager.get_secure_random_bytes();
    let peer_manager: Arc<PeerManager> = Arc::new(PeerManager::new(
        handlers,
        now().as_secs() as u32,
        &ephemeral,
        Arc::clone(&logger),
        Arc::clone(&keys_manager),
    ));
    // Verify gossiped channels against the chain. The verifier and the gossip sync refer to
    // each other; `Node::stop` breaks that cycle.
    // `block_source`, not `rpc_client`: it follows a rotated cookie when Core restarts, so
    // gossip verification does not fail for the rest of the node's life.
    gossip_sync.add_utxo_lookup(Some(Arc::new(GossipVerifier::new(
        chain.block_source(),
        TokioSpawner,
        Arc::clone(&gossip_sync),
        Arc::clone(&peer_manager),
    ))));
    let peer_runtime = Arc::new(PeerRuntime::start().map_err(NodeError::PeerRuntimeFailed)?);
    let listener_task = peers::spawn_listener(
        listener,
        Arc::clone(&peer_manager),
        Arc::clone(&peer_runtime),
        shutdown_rx.clone(),
    );

    // 12. Peers: reconnection to channel peers.
    let connector = Arc::new(PeerConnector {
        peer_manager: Arc::clone(&peer_manager),
        book,
        graph: Arc::clone(&network_graph),
        runtime: peer_runtime,
        offline: shutdown_rx.clone(),
    });
    let reconnector = peers::spawn_reconnector(
        Arc::clone(&connector),
        Arc::clone(&channel_manager),
        shutdown_rx.clone(),
    );

    // 13. Events and the background processor (persistence, timers, HTLC forwarding).
    let closed_channels = Arc::new(Mutex::new(HashSet::new()));
    let event_timing = Arc::new(EventTiming::default());
    let handler = Arc::new(NodeEventHandler {
        timing: Arc::clone(&event_timing),
        channel_manager: Arc::clone(&channel_manager),
        wallet: Arc::clone(&wallet),
        sweeper: Arc::clone(&sweeper),
        trusted: Arc::clone(&trusted),
        connector: Arc::clone(&connector),
        sink,
        funding_failures: Mutex::new(HashMap::new()),
        closed_channels: Arc::clone(&closed_channels),
    });
    let flush_loop = FlushLoop {
        flusher: Arc::clone(&flusher),
        peer_manager: Arc::clone(&peer_manager),
        channel_manager: Arc::clone(&channel_manager),
        offline: shutdown.clone(),
    }
    .spawn(shutdown_rx.clone());
    let processor = Processor {
        handler,
        channel_manager: Arc::clone(&channel_manager),
        chain_monitor: Arc::clone(&chain_monitor),
        onion_messenger: Arc::clone(&onion_messenger),
        peer_manager: Arc::clone(&peer_manager),
        network_graph: Arc::clone(&network_graph),
        scorer: Arc::clone(&scorer),
        sweeper: Arc::clone(&sweeper),
        store: background_store,
        now,
    }
    .run(shutdown_rx.clone());
    // The processor only ends early when persisting (the ChannelManager, above all) failed.
    // Channels must not move on without it: take the node off the network (listener,
    // redials, peers) instead of running on with state that is no longer written.
    let offline = shutdown.clone();
    let bp_peers = Arc::clone(&peer_manager);
    let background_processor = tokio::spawn(async move {
        let result = processor.await;
        if let Err(e) = &result {
            if !*offline.borrow() {
                tracing::error!(
                    "background processor stopped: {e}; node state can no longer be persisted, \
                     disconnecting all peers (check the disk, then restart)"
                );
                let _ = offline.send(true);
                bp_peers.disconnect_all_peers();
            }
        }
        result
    });

    // 14. Housekeeping: node announcements, archiving resolved monitors.
    let maintenance = maintenance::spawn_maintenance(
        &config,
        bound,
        Arc::clone(&peer_manager),
        Arc::clone(&channel_manager),
        Arc::clone(&chain_monitor),
        Arc::clone(&network_graph),
        shutdown_rx,
    );

    tracing::info!(%node_id, p2p = %bound, height = synced_tip.height, hash = %synced_tip.block_hash, "node started");
    Ok(Arc::new(Node {
        config,
        user_config,
        chain,
        keys: keys_manager,
        store,
        flusher,
        chain_monitor,
        channel_manager,
        network_graph,
        scorer,
        onion_messenger,
        disabled_offers,
        gossip_sync,
        peer_manager,
        sweeper,
        wallet,
        connector,
        trusted,
        closed_channels,
        event_timing,
        listening: vec![bound],
        shutdown,
        chain_shutdown,
        tasks: Mutex::new(Some(Tasks {
            background_processor,
            chain_poller,
            listener: listener_task,
            reconnector,
            maintenance,
            flush_loop,
        })),
        stopped: AtomicBool::new(false),
    }))
}
