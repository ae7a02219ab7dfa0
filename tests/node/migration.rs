//! A data directory in the layout earlier releases wrote (LDK's `FilesystemStore`, one file per
//! key under `<data_dir>/ldk/`, monitors with `MonitorUpdatingPersister`'s sentinel) is copied
//! into `<data_dir>/ldk.sqlite` on first start, and its channel carries on.

use std::sync::Arc;

use crate::common::{
    connect, fund, mine_until_sync, node_config, peer_channel_usable, start_node, usable,
    wait_until, Chain, CHANNEL_SAT, WAIT,
};
use lightning::ln::channelmanager::{PaymentId, RecipientOnionFields, Retry};
use lightning::routing::router::{PaymentParameters, RouteParameters};
use lightning::util::persist::{
    KVStoreSync, MigratableKVStore, CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE,
    MONITOR_UPDATING_PERSISTER_PREPEND_SENTINEL,
};
use lightning_persister::fs_store::FilesystemStore;
use mmln::kvstore::KvStore;
use mmln::node::store::{LdkStore, LDK_STORE_FILE, LEGACY_LDK_DIR};
use mmln::node::{ChannelAmount, OpenChannelOptions};

fn keysend(from: &crate::common::TestNode, to: &crate::common::TestNode, id: u8, msat: u64) {
    let route = RouteParameters::from_payment_params_and_value(
        PaymentParameters::for_keysend(to.node.node_id(), 40, false),
        msat,
    );
    from.node
        .channel_manager()
        .send_spontaneous_payment(
            None,
            RecipientOnionFields::spontaneous_empty(),
            PaymentId([id; 32]),
            route,
            Retry::Attempts(3),
        )
        .expect("keysend");
}

/// Rewrites `dir`'s LDK state as the filesystem store of earlier releases held it (monitors
/// always with the persister's sentinel, which today's store writes too).
fn downgrade_to_filesystem_layout(dir: &std::path::Path) {
    let db = dir.join(LDK_STORE_FILE);
    {
        let source = LdkStore::new(Arc::new(KvStore::open(&db).unwrap()));
        let target = FilesystemStore::new(dir.join(LEGACY_LDK_DIR));
        for (primary, secondary, key) in source.list_all_keys().unwrap() {
            let mut value = source.read(&primary, &secondary, &key).unwrap();
            if primary == CHANNEL_MONITOR_PERSISTENCE_PRIMARY_NAMESPACE
                && !value.starts_with(MONITOR_UPDATING_PERSISTER_PREPEND_SENTINEL)
            {
                let mut with_sentinel = MONITOR_UPDATING_PERSISTER_PREPEND_SENTINEL.to_vec();
                with_sentinel.append(&mut value);
                value = with_sentinel;
            }
            KVStoreSync::write(&target, &primary, &secondary, &key, value).unwrap();
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{LDK_STORE_FILE}{suffix}"));
        if path.exists() {
            std::fs::remove_file(path).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filesystem_store_directory_is_migrated_on_first_start() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let config_a = node_config(&chain, dir_a.path());
    let a = start_node(config_a.clone()).await;
    let b = start_node(node_config(&chain, dir_b.path())).await;
    fund(&chain, &a, 1).await;
    connect(&a, &b).await;
    let uuid = a
        .node
        .open_channel(
            b.node.node_id(),
            ChannelAmount::Sats(CHANNEL_SAT),
            0,
            OpenChannelOptions::default(),
        )
        .expect("open");
    mine_until_sync(&chain, "the channel is usable on both sides", WAIT, || {
        usable(&a, uuid) && peer_channel_usable(&b, a.node.node_id())
    })
    .await;
    keysend(&a, &b, 1, 30_000_000);
    let b_id = a.node.node_id();
    wait_until("the first payment reached B", WAIT, || async {
        b.node
            .list_channels()
            .iter()
            .any(|c| c.counterparty == b_id && c.balance_msat == 30_000_000)
    })
    .await;
    let balance = a.node.channel(uuid).expect("listed").balance_msat;
    a.node.stop().await;
    drop(a);

    downgrade_to_filesystem_layout(dir_a.path());
    let a = start_node(config_a.clone()).await;
    assert!(
        !dir_a.path().join(LEGACY_LDK_DIR).exists(),
        "the legacy directory is set aside"
    );
    assert!(dir_a.path().join("ldk.migrated").is_dir());
    let restored = a
        .node
        .channel(uuid)
        .expect("channel restored from the migrated state");
    assert_eq!(restored.balance_msat, balance);
    wait_until("the migrated channel is usable again", WAIT, || async {
        usable(&a, uuid)
    })
    .await;
    keysend(&a, &b, 2, 20_000_000);
    wait_until("a payment after migration reached B", WAIT, || async {
        b.node
            .list_channels()
            .iter()
            .any(|c| c.counterparty == b_id && c.balance_msat == 50_000_000)
    })
    .await;

    // A second start does not migrate again (the marker is durable) and keeps the channel.
    a.node.stop().await;
    drop(a);
    let a = start_node(config_a).await;
    assert!(a.node.channel(uuid).is_some());
    a.node.stop().await;
    b.node.stop().await;
}
