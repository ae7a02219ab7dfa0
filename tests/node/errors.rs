//! Distinct, typed errors for peer connections, channel amounts and wallet sends.

use std::time::Duration;

use std::sync::Arc;

use crate::common::{
    connect, fund, mine_until_sync, node_config, start_node, start_node_with_sink, usable,
    wait_until, Chain, RecordingSink, CHANNEL_SAT, WAIT,
};
use mmln::node::{
    ChannelAmount, ChannelError, ConnectError, OpenChannelOptions, SendAmount, WalletError,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_and_amount_errors_are_distinct() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    let b = start_node(node_config(&chain, dir_b.path())).await;
    let b_id = b.node.node_id();
    let short = Duration::from_secs(3);

    let err = a
        .node
        .connect_peer(b_id, "no-such-host.invalid:9735", short)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConnectError::ResolveFailed { .. } | ConnectError::Timeout { .. }
        ),
        "{err}"
    );
    let err = a
        .node
        .connect_peer(b_id, "not an address", short)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::InvalidAddress(_)), "{err}");
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = a
        .node
        .connect_peer(b_id, &closed.to_string(), short)
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::ConnectFailed { .. }), "{err}");
    // A socket that accepts but never speaks Lightning.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let err = a
        .node
        .connect_peer(b_id, &silent_addr.to_string(), Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::Timeout { .. }), "{err}");

    // Channel amounts are checked before LDK is asked.
    let err = a
        .node
        .open_channel(
            b_id,
            ChannelAmount::Sats(CHANNEL_SAT),
            0,
            OpenChannelOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, ChannelError::PeerNotConnected(_)), "{err}");
    connect(&a, &b).await;
    let err = a
        .node
        .open_channel(
            b_id,
            ChannelAmount::Sats(CHANNEL_SAT),
            0,
            OpenChannelOptions::default(),
        )
        .unwrap_err();
    assert!(
        matches!(err, ChannelError::InsufficientFunds { .. }),
        "{err}"
    );
    fund(&chain, &a, 1).await;
    let err = a
        .node
        .open_channel(
            b_id,
            ChannelAmount::Sats(1_000),
            0,
            OpenChannelOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, ChannelError::InvalidAmount(_)), "{err}");

    // Wallet: wrong network and a real send.
    let mainnet = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
    let err = a
        .node
        .send_to_address(mainnet, SendAmount::Sats(10_000), None)
        .await
        .unwrap_err();
    match &err {
        WalletError::InvalidNetwork {
            address_network, ..
        } => assert_eq!(address_network, "bitcoin"),
        other => panic!("expected InvalidNetwork, got {other}"),
    }
    let to_b = b.node.new_address().unwrap().to_string();
    a.node
        .send_to_address(&to_b, SendAmount::Sats(250_000), None)
        .await
        .expect("send");
    let bn = Arc::clone(&b.node);
    mine_until_sync(&chain, "B's wallet receives the send", WAIT, move || {
        bn.wallet_balance().confirmed_sat == 250_000
    })
    .await;

    // B opens a channel with everything it has: the fee is taken from the amount, and the
    // funding transaction empties the wallet exactly.
    let uuid = b
        .node
        .open_channel(
            a.node.node_id(),
            ChannelAmount::Max,
            0,
            OpenChannelOptions::default(),
        )
        .expect("open max");
    let capacity = b.node.channel(uuid).expect("listed").capacity_sat;
    assert!(
        capacity < 250_000 && capacity > 240_000,
        "max channel of {capacity} sat"
    );
    mine_until_sync(&chain, "B's max channel is usable", WAIT, || {
        usable(&b, uuid)
    })
    .await;
    assert_eq!(
        b.node.wallet_balance().confirmed_sat,
        0,
        "the wallet was emptied"
    );

    a.node.stop().await;
    b.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_funding_failure_closes_the_pending_channel_with_its_reason() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    let sink = Arc::new(RecordingSink::default());
    let b = start_node_with_sink(node_config(&chain, dir_b.path()), sink.clone()).await;
    fund(&chain, &a, 1).await;
    let to_b = b.node.new_address().unwrap().to_string();
    a.node
        .send_to_address(&to_b, SendAmount::Sats(250_000), None)
        .await
        .expect("send");
    let bn = Arc::clone(&b.node);
    mine_until_sync(&chain, "B is funded", WAIT, move || {
        bn.wallet_balance().confirmed_sat == 250_000
    })
    .await;
    connect(&b, &a).await;

    // Both opens pass the up-front check (nothing is spent yet); the wallet can fund only one.
    let first = b
        .node
        .open_channel(
            a.node.node_id(),
            ChannelAmount::Max,
            0,
            OpenChannelOptions::default(),
        )
        .expect("first open");
    let second = b
        .node
        .open_channel(
            a.node.node_id(),
            ChannelAmount::Max,
            0,
            OpenChannelOptions::default(),
        )
        .expect("second open");
    let s = Arc::clone(&sink);
    wait_until(
        "the unfundable channel is closed and recorded",
        WAIT,
        move || {
            let s = Arc::clone(&s);
            async move {
                s.closed
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|r| r.uuid == second || r.uuid == first)
            }
        },
    )
    .await;
    let record = sink.closed.lock().unwrap()[0].clone();
    assert!(
        record.reason.contains("funding failed"),
        "reason: {}",
        record.reason
    );
    assert!(
        record.reason.contains("insufficient funds"),
        "reason: {}",
        record.reason
    );
    let funded = if record.uuid == second { first } else { second };
    mine_until_sync(&chain, "the funded channel is usable", WAIT, || {
        usable(&b, funded)
    })
    .await;
    assert!(
        b.node.channel(record.uuid).is_none(),
        "the failed channel is gone"
    );

    a.node.stop().await;
    b.node.stop().await;
}

/// When the ChannelManager can no longer be written (a failed commit), the node must leave the
/// network rather than let channels move on without persisted state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_manager_that_cannot_be_persisted_takes_the_node_offline() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    let b = start_node(node_config(&chain, dir_b.path())).await;
    fund(&chain, &a, 1).await;
    connect(&a, &b).await;

    // Make every later write of the manager fail inside SQLite, as a full or failing disk
    // would: the writer's transaction aborts, the store stops, nothing is acknowledged.
    let db = dir_a.path().join("ldk.sqlite");
    let probe = db.clone();
    wait_until("A has persisted its manager once", WAIT, move || {
        let conn = rusqlite::Connection::open(&probe).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM kv WHERE primary_ns = '' AND key = 'manager'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        async move { n == 1 }
    })
    .await;
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_manager BEFORE INSERT ON kv WHEN NEW.key = 'manager' \
         BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;",
    )
    .unwrap();
    drop(conn);

    // Opening a channel changes the manager, so the processor must write it.
    a.node
        .open_channel(
            b.node.node_id(),
            ChannelAmount::Sats(CHANNEL_SAT),
            0,
            OpenChannelOptions::default(),
        )
        .expect("open");
    let b_id = b.node.node_id();
    wait_until("A drops its peers", WAIT, || async {
        !a.node.is_peer_connected(&b_id)
    })
    .await;
    // And it stays off the network: its listener is closed.
    let err = b
        .node
        .connect_peer(
            a.node.node_id(),
            &a.node.listening_addresses()[0].to_string(),
            Duration::from_secs(5),
        )
        .await;
    assert!(err.is_err(), "B could still connect to A");
    // Nor does it dial out.
    let err = a
        .node
        .connect_peer(
            b_id,
            &b.node.listening_addresses()[0].to_string(),
            Duration::from_secs(5),
        )
        .await;
    assert!(
        matches!(err, Err(mmln::node::ConnectError::Offline)),
        "A could still dial B: {err:?}"
    );

    a.node.stop().await;
    b.node.stop().await;
}
