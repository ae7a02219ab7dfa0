//! `balance_msat` is our share of the current commitment: with no HTLC in flight the two sides
//! of a channel add up to its capacity, to the msat, and a side with nothing reports 0 (not its
//! reserve). (With an HTLC in flight, see `onchain.rs`: the sides plus the HTLC add up.)

use serde_json::{json, Value};

use crate::harness::{wait_until, Chain, Daemon, WAIT};
use crate::network::network;

const SEND: &str = "lightning::payments::send_payment";

/// `d`'s balance on its one channel with `peer`, and the channel's capacity in msat.
async fn side(d: &Daemon, peer: &Daemon) -> (u64, u64) {
    let list = d
        .open_channels(json!({ "counterparty_node_id": peer.node_id() }))
        .await;
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    (
        c["balance_msat"].as_u64().unwrap(),
        c["funding_tx_value_sats"].as_u64().unwrap() * 1000,
    )
}

/// Whether `d` has no HTLC in flight on any channel (a payment's result can reach the payer
/// before the last commitment update of the settlement).
fn settled(d: &Daemon) -> bool {
    d.app
        .node()
        .channel_manager()
        .list_channels()
        .iter()
        .all(|c| c.pending_inbound_htlcs.is_empty() && c.pending_outbound_htlcs.is_empty())
}

/// Both views of the channel between `x` and `y`: (x's balance, y's balance), checked to add up.
async fn both_sides(x: &Daemon, y: &Daemon) -> (u64, u64) {
    wait_until("no HTLC is in flight", WAIT, || async {
        settled(x) && settled(y)
    })
    .await;
    let (ours, capacity) = side(x, y).await;
    let (theirs, capacity_y) = side(y, x).await;
    assert_eq!(capacity, capacity_y);
    assert_eq!(
        ours + theirs,
        capacity,
        "the two sides add up to the capacity"
    );
    (ours, theirs)
}

async fn pay(payer: &Daemon, payee: &Daemon, amount_msat: u64) -> Value {
    let invoice = payee
        .ok(
            "lightning::payments::generate_invoice",
            json!({ "description": "balance", "amount_in_msat": amount_msat }),
        )
        .await;
    let sent = payer
        .ok(
            SEND,
            json!({ "payment": {"type": "invoice", "invoice": invoice["invoice"]}, "wait_timeout_secs": 60 }),
        )
        .await;
    assert_eq!(sent["status"], "succeeded", "{sent}");
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_sides_add_up_to_the_capacity() {
    let chain = Chain::start().await;
    let dirs = [
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    ];
    let (a, b, c) = network(&chain, &dirs).await;

    let (ab_a, ab_b) = both_sides(&a, &b).await;
    let (bc_b, bc_c) = both_sides(&b, &c).await;
    assert_eq!((ab_b, bc_c), (0, 0), "the accepting sides start empty");
    let info = c.ok("lightning::nodes::get_info", json!({})).await;
    assert_eq!(info["lightning_balance_msat"], 0, "{info}");

    // A -> B -> C: C gains the amount, B the amount plus its fee on A->B and loses the amount
    // on B->C, A loses amount plus fee. (Enough for B to have more than its reserve on A->B
    // afterwards, so that it can pay A back below.)
    let amount = 12_345_678;
    let sent = pay(&a, &c, amount).await;
    let fee = sent["fee_paid_msat"].as_u64().unwrap();
    let (ab_a2, ab_b2) = both_sides(&a, &b).await;
    let (bc_b2, bc_c2) = both_sides(&b, &c).await;
    assert_eq!(ab_a2, ab_a - amount - fee);
    assert_eq!(ab_b2, amount + fee);
    assert_eq!(bc_b2, bc_b - amount);
    assert_eq!(bc_c2, amount);

    // Back the other way, directly: B pays A.
    pay(&b, &a, 7_001).await;
    let (ab_a3, ab_b3) = both_sides(&a, &b).await;
    assert_eq!((ab_a3, ab_b3), (ab_a2 + 7_001, ab_b2 - 7_001));
    let info = a.ok("lightning::nodes::get_info", json!({})).await;
    assert_eq!(info["lightning_balance_msat"], ab_a3, "{info}");

    for d in [a, b, c] {
        d.app.shutdown().await.expect("daemon stops");
    }
}
