//! Each class of invalid transaction is refused with Bitcoin Core's code and reject reason.

use bitcoin::{absolute, Amount, OutPoint, Sequence, Txid};
use corepc_types::v29;
use serde_json::json;

use super::common::{funded_chain, hex, out};

const FEE: Amount = Amount::from_sat(1_000);

#[tokio::test]
async fn bad_signature_is_rejected() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    let mut tx = key.pay_self(coin, Amount::from_btc(1.0).unwrap(), FEE);
    // Changing an output after signing invalidates the SIGHASH_ALL signature.
    tx.output[0].value = Amount::from_btc(2.0).unwrap();
    tx.output[1].value -= Amount::from_btc(1.0).unwrap();
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&tx)]),
        -26,
        "mandatory-script-verify-flag-failed",
    )
    .await;
    // The same spend signed by another key fails too.
    let stranger = super::common::TestKey::new(9);
    let foreign = stranger.spend(&[coin], vec![out(coin.1 - FEE, &key)]);
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&foreign)]),
        -26,
        "mandatory-script-verify-flag-failed",
    )
    .await;
    assert!(rpc.mempool().await.is_empty());
}

#[tokio::test]
async fn double_spends_are_rejected() {
    let (_chain, rpc, key) = funded_chain(1).await;
    let coin = rpc.coinbase_at(1).await;
    let first = key.pay_self(coin, Amount::from_btc(1.0).unwrap(), FEE);
    let second = key.pay_self(coin, Amount::from_btc(2.0).unwrap(), FEE);
    rpc.send(&first).await;
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&second)]),
        -26,
        "txn-mempool-conflict",
    )
    .await;

    rpc.mine(1, &key.address).await;
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&second)]),
        -25,
        "bad-txns-inputs-missingorspent",
    )
    .await;
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&first)]),
        -27,
        "Transaction outputs already in utxo set",
    )
    .await;
}

#[tokio::test]
async fn missing_input_is_rejected() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let nowhere = OutPoint {
        txid: "22".repeat(32).parse::<Txid>().unwrap(),
        vout: 0,
    };
    let tx = key.spend(
        &[(nowhere, Amount::from_btc(1.0).unwrap())],
        vec![out(Amount::from_sat(50_000), &key)],
    );
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&tx)]),
        -25,
        "bad-txns-inputs-missingorspent",
    )
    .await;
    let test: v29::TestMempoolAccept = rpc.call("testmempoolaccept", json!([[hex(&tx)]])).await;
    assert!(!test.0[0].allowed);
    assert_eq!(test.0[0].reject_reason.as_deref(), Some("missing-inputs"));
}

#[tokio::test]
async fn immature_coinbase_is_rejected() {
    let (_chain, rpc, key) = funded_chain(0).await;
    // Tip is 101; a spend would be in block 102, where block 3's coinbase is 99 deep.
    let young = rpc.coinbase_at(3).await;
    let tx = key.pay_self(young, Amount::from_btc(1.0).unwrap(), FEE);
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&tx)]),
        -26,
        "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99",
    )
    .await;
    rpc.mine(1, &key.address).await;
    rpc.send(&tx).await;
}

#[tokio::test]
async fn low_fee_is_rejected() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    let free = key.pay_self(coin, Amount::from_btc(1.0).unwrap(), Amount::ZERO);
    let expected = format!("min relay fee not met, 0 < {}", free.vsize());
    rpc.expect_error("sendrawtransaction", json!([hex(&free)]), -26, &expected)
        .await;
    let test: v29::TestMempoolAccept = rpc.call("testmempoolaccept", json!([[hex(&free)]])).await;
    assert_eq!(
        test.0[0].reject_reason.as_deref(),
        Some("min relay fee not met")
    );

    let overpaying = key.pay_self(
        coin,
        Amount::from_btc(1.0).unwrap(),
        Amount::from_btc(1.0).unwrap(),
    );
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&overpaying)]),
        -25,
        "Fee exceeds maximum",
    )
    .await;
    rpc.call::<String>("sendrawtransaction", json!([hex(&overpaying), 0]))
        .await;
}

#[tokio::test]
async fn value_out_above_value_in_is_rejected() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    let tx = key.spend(&[coin], vec![out(coin.1 + Amount::from_sat(1), &key)]);
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&tx)]),
        -26,
        "bad-txns-in-belowout, value in (50.00)",
    )
    .await;
}

#[tokio::test]
async fn non_final_transactions_are_rejected_until_final() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    // Absolute lock time: final only in a block above height 103.
    let locked = key.spend_with(
        &[coin],
        vec![out(coin.1 - FEE, &key)],
        absolute::LockTime::from_height(103).unwrap(),
        Sequence::ENABLE_RBF_NO_LOCKTIME,
    );
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&locked)]),
        -26,
        "non-final",
    )
    .await;
    rpc.mine(2, &key.address).await; // next block is 104
    rpc.send(&locked).await;

    // Relative lock time (BIP68): the new coin must be 5 blocks deep.
    rpc.mine(1, &key.address).await;
    let fresh = (
        OutPoint {
            txid: locked.compute_txid(),
            vout: 0,
        },
        locked.output[0].value,
    );
    let relative = key.spend_with(
        &[fresh],
        vec![out(fresh.1 - FEE, &key)],
        absolute::LockTime::ZERO,
        Sequence::from_height(5),
    );
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&relative)]),
        -26,
        "non-BIP68-final",
    )
    .await;
    rpc.mine(4, &key.address).await;
    rpc.send(&relative).await;
}

#[tokio::test]
async fn resending_and_packages_behave_as_in_core() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    let parent = key.pay_self(coin, Amount::from_btc(1.0).unwrap(), FEE);
    let parent_out = (
        OutPoint {
            txid: parent.compute_txid(),
            vout: 0,
        },
        parent.output[0].value,
    );
    let child = key.spend(&[parent_out], vec![out(parent_out.1 - FEE, &key)]);

    // testmempoolaccept checks a parent and its child together, without keeping either.
    let test: v29::TestMempoolAccept = rpc
        .call("testmempoolaccept", json!([[hex(&parent), hex(&child)]]))
        .await;
    assert!(test.0.iter().all(|r| r.allowed), "{test:?}");
    assert!(rpc.mempool().await.is_empty());

    // Sending a transaction that is already in the mempool answers its txid again.
    let first = rpc.send(&parent).await;
    assert_eq!(rpc.send(&parent).await, first);
    let again: v29::TestMempoolAccept =
        rpc.call("testmempoolaccept", json!([[hex(&parent)]])).await;
    assert_eq!(
        again.0[0].reject_reason.as_deref(),
        Some("txn-already-in-mempool")
    );

    // Burning coins needs maxburnamount.
    let burn = key.spend(
        &[parent_out],
        vec![
            bitcoin::TxOut {
                value: Amount::from_sat(10_000),
                script_pubkey: bitcoin::ScriptBuf::new_op_return([1u8; 8]),
            },
            out(parent_out.1 - FEE - Amount::from_sat(10_000), &key),
        ],
    );
    rpc.expect_error(
        "sendrawtransaction",
        json!([hex(&burn)]),
        -25,
        "Unspendable output exceeds maximum",
    )
    .await;
    rpc.call::<String>("sendrawtransaction", json!([hex(&burn), null, 0.0001]))
        .await;
}
