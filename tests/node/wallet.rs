//! The on-chain wallet following the chain.

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::FeeRate;
use mmln::node::{SendAmount, WalletError};

use crate::common::{burn_address, fund, node_config, start_node, wait_until, Chain, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_follows_a_reorg_that_removes_its_coins() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    fund(&chain, &a, 1).await;
    assert_eq!(a.node.wallet_balance().spendable_sat, 50 * 100_000_000);

    // Replace the block that paid A (and everything after it) with a longer chain.
    let tip = chain
        .rpc("getblockcount", serde_json::json!([]))
        .await
        .as_u64()
        .unwrap();
    let paid_at = tip - 100;
    let paid_block = chain
        .rpc("getblockhash", serde_json::json!([paid_at]))
        .await;
    chain
        .rpc("invalidateblock", serde_json::json!([paid_block]))
        .await;
    chain.mine(110).await;

    let an = Arc::clone(&a.node);
    wait_until(
        "the reorged-out coinbase leaves A's balance",
        WAIT,
        move || {
            let an = Arc::clone(&an);
            async move {
                let b = an.wallet_balance();
                b.confirmed_sat + b.immature_sat + b.unconfirmed_sat == 0
            }
        },
    )
    .await;
    a.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn built_transactions_reserve_their_inputs() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    // One coinbase: two spends built back to back would both pick it unless the first
    // reserved it (a send racing a channel funding is the real-life case).
    fund(&chain, &a, 1).await;
    let to = burn_address();
    let wallet = a.node.wallet();
    let first = wallet
        .build_send(&to, SendAmount::Sats(100_000_000), None)
        .expect("first build");
    let second = wallet
        .build_send(&to, SendAmount::Sats(100_000_000), None)
        .expect("second build");
    let inputs = |tx: &bitcoin::Transaction| -> HashSet<bitcoin::OutPoint> {
        tx.input.iter().map(|i| i.previous_output).collect()
    };
    assert!(
        inputs(&first).is_disjoint(&inputs(&second)),
        "two built transactions spend the same coin: {:?} / {:?}",
        inputs(&first),
        inputs(&second)
    );
    a.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_send_releases_its_coins() {
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    fund(&chain, &a, 1).await;
    let before = a.node.wallet_balance().spendable_sat;
    let to = burn_address();
    // Zero fee: the chain refuses it ("min relay fee not met").
    let err = a
        .node
        .send_to_address(&to, SendAmount::Sats(100_000), Some(FeeRate::ZERO))
        .await
        .unwrap_err();
    assert!(matches!(err, WalletError::BroadcastFailed(_)), "{err}");
    assert_eq!(
        a.node.wallet_balance().spendable_sat,
        before,
        "the refused transaction's coins are spendable again"
    );
    a.node
        .send_to_address(&to, SendAmount::Sats(100_000), None)
        .await
        .expect("a send with a proper fee uses the released coin");
    a.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_writes_wait_for_concurrent_ledger_writes() {
    use mmln::ledger::{Ledger, NewInboundInvoice};
    let chain = Chain::start().await;
    let dir_a = tempfile::tempdir().unwrap();
    let a = start_node(node_config(&chain, dir_a.path())).await;
    // The ledger shares the wallet's database file, as in the daemon.
    let ledger = Ledger::open(dir_a.path().join(mmln::node::wallet::WALLET_DB_FILE))
        .expect("ledger opens next to the wallet");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hammer = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut n: u64 = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let mut hash = [0u8; 32];
                hash[..8].copy_from_slice(&n.to_be_bytes());
                ledger
                    .insert_inbound_invoice(&NewInboundInvoice {
                        payment_hash: hash,
                        description: format!("hammer {n}"),
                        amount_msat: Some(1000),
                        payment_secret: None,
                        preimage: None,
                        invoice: format!("lnbcrt{n}"),
                        expires_at: None,
                        metadata: None,
                    })
                    .expect("ledger write");
                n += 1;
            }
            n
        })
    };
    let wallet = Arc::clone(a.node.wallet());
    let persisted = tokio::task::spawn_blocking(move || {
        for i in 0..300 {
            wallet
                .new_address()
                .unwrap_or_else(|e| panic!("wallet write {i} failed next to ledger writes: {e}"));
        }
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let ledger_writes = hammer.join().expect("ledger writer thread");
    persisted.expect("wallet writes");
    assert!(ledger_writes > 0, "the ledger wrote while the wallet did");
    a.node.stop().await;
}
