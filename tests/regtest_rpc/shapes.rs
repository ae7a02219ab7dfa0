//! Every method's answer deserialises into Bitcoin Core's model (corepc-types v29, unknown and
//! missing fields rejected) and converts into the typed model where one exists.

use bitcoin::{Amount, Network};
use corepc_types::v29;
use serde_json::json;

use super::common::{funded_chain, hex, start_chain, start_chain_with, TestKey};
use mmln::regtest::RegtestConfig;

#[tokio::test]
async fn chain_queries_match_core_models() {
    let (_chain, rpc, key) = start_chain().await;
    let genesis = bitcoin::constants::genesis_block(Network::Regtest);

    let info: v29::GetBlockchainInfo = rpc.call("getblockchaininfo", json!([])).await;
    assert_eq!(info.chain, "regtest");
    assert_eq!(info.blocks, 0);
    assert_eq!(info.best_block_hash, genesis.block_hash().to_string());
    info.into_model().expect("blockchain info converts");

    let mined: v29::GenerateToAddress = rpc
        .call("generatetoaddress", json!([3, key.address.to_string()]))
        .await;
    assert_eq!(mined.0.len(), 3);
    let count: v29::GetBlockCount = rpc.call("getblockcount", json!([])).await;
    assert_eq!(count.0, 3);
    let best: v29::GetBestBlockHash = rpc.call("getbestblockhash", json!([])).await;
    assert_eq!(best.0, mined.0[2]);
    let hash: v29::GetBlockHash = rpc.call("getblockhash", json!([2])).await;
    assert_eq!(hash.0, mined.0[1]);

    let header: v29::GetBlockHeaderVerbose = rpc.call("getblockheader", json!([mined.0[1]])).await;
    assert_eq!(header.height, 2);
    assert_eq!(header.confirmations, 2);
    assert_eq!(header.bits, "207fffff");
    assert_eq!(
        header.previous_block_hash.as_deref(),
        Some(mined.0[0].as_str())
    );
    assert_eq!(header.next_block_hash.as_deref(), Some(mined.0[2].as_str()));
    let header = header.into_model().expect("header converts");
    assert_eq!(
        header.chain_work,
        genesis.header.work() + genesis.header.work() + genesis.header.work()
    );

    let raw_header: v29::GetBlockHeader =
        rpc.call("getblockheader", json!([mined.0[1], false])).await;
    let raw_header = raw_header.into_model().expect("header hex decodes");
    assert_eq!(raw_header.0.block_hash().to_string(), mined.0[1]);

    let genesis_header: v29::GetBlockHeaderVerbose = rpc
        .call("getblockheader", json!([genesis.block_hash().to_string()]))
        .await;
    assert!(genesis_header.previous_block_hash.is_none());

    let zero: v29::GetBlockVerboseZero = rpc.call("getblock", json!([mined.0[2], 0])).await;
    let block = zero.into_model().expect("block hex decodes").0;
    assert!(block.check_merkle_root(), "merkle root");
    assert!(block.check_witness_commitment(), "witness commitment");
    // Core writes heights 1-16 as OP_1..OP_16 (`CScript() << height`).
    assert_eq!(
        block.txdata[0].input[0].script_sig.as_bytes()[0],
        0x53,
        "BIP34 height 3 as OP_3"
    );
    block
        .header
        .validate_pow(block.header.target())
        .expect("proof of work");

    let one: v29::GetBlockVerboseOne = rpc.call("getblock", json!([mined.0[2]])).await;
    assert_eq!(one.tx, vec![block.txdata[0].compute_txid().to_string()]);
    one.into_model().expect("verbosity 1 converts");
    let two: v29::GetBlockVerboseTwo = rpc.call("getblock", json!([mined.0[2], 2])).await;
    two.into_model().expect("verbosity 2 converts");
    let three: v29::GetBlockVerboseThree = rpc.call("getblock", json!([mined.0[2], 3])).await;
    three.into_model().expect("verbosity 3 converts");

    let network: v29::GetNetworkInfo = rpc.call("getnetworkinfo", json!([])).await;
    assert_eq!(network.relay_fee, 0.00001);
}

#[tokio::test]
async fn transaction_queries_match_core_models() {
    let (_chain, rpc, key) = funded_chain(0).await;
    let coin = rpc.coinbase_at(1).await;
    let tx = key.pay_self(
        coin,
        Amount::from_btc(1.0).unwrap(),
        Amount::from_sat(1_000),
    );

    let accept: v29::TestMempoolAccept = rpc.call("testmempoolaccept", json!([[hex(&tx)]])).await;
    assert!(accept.0[0].allowed, "{accept:?}");
    assert_eq!(accept.0[0].vsize, Some(tx.vsize() as i64));
    assert_eq!(accept.0[0].fees.as_ref().map(|f| f.base), Some(0.00001));

    let sent: v29::SendRawTransaction = rpc.call("sendrawtransaction", json!([hex(&tx)])).await;
    assert_eq!(sent.0, tx.compute_txid().to_string());

    let mempool: v29::GetRawMempool = rpc.call("getrawmempool", json!([])).await;
    assert_eq!(mempool.0, vec![sent.0.clone()]);
    let verbose: v29::GetRawMempoolVerbose = rpc.call("getrawmempool", json!([true])).await;
    let entry = &verbose.0[&sent.0];
    assert_eq!(entry.fees.base, 0.00001);
    assert_eq!((entry.ancestor_count, entry.descendant_count), (1, 1));
    assert!(entry.bip125_replaceable);
    verbose.into_model().expect("mempool entries convert");

    let raw: v29::GetRawTransaction = rpc.call("getrawtransaction", json!([sent.0])).await;
    assert_eq!(raw.0, hex(&tx));
    let unconfirmed: v29::GetRawTransactionVerbose =
        rpc.call("getrawtransaction", json!([sent.0, true])).await;
    assert!(unconfirmed.block_hash.is_none() && unconfirmed.confirmations.is_none());
    unconfirmed.into_model().expect("mempool tx converts");

    let mempool_out: v29::GetTxOut = rpc.call("gettxout", json!([sent.0, 0])).await;
    assert_eq!(mempool_out.confirmations, 0);
    assert_eq!(
        mempool_out.script_pubkey.address.as_deref(),
        Some(key.address.to_string().as_str())
    );
    assert_eq!(mempool_out.script_pubkey.type_, "witness_v0_keyhash");
    let spent: Option<v29::GetTxOut> = rpc
        .call("gettxout", json!([coin.0.txid.to_string(), 0]))
        .await;
    assert!(
        spent.is_none(),
        "an output spent in the mempool is not a txout"
    );
    let chain_only: v29::GetTxOut = rpc
        .call("gettxout", json!([coin.0.txid.to_string(), 0, false]))
        .await;
    assert!(chain_only.coinbase);
    assert_eq!(chain_only.confirmations, 101);

    let mined: Vec<String> = rpc
        .call("generatetoaddress", json!([1, key.address.to_string()]))
        .await;
    let confirmed: v29::GetRawTransactionVerbose =
        rpc.call("getrawtransaction", json!([sent.0, 1])).await;
    assert_eq!(confirmed.block_hash.as_deref(), Some(mined[0].as_str()));
    assert_eq!(confirmed.confirmations, Some(1));
    let in_block: v29::GetRawTransactionVerbose = rpc
        .call("getrawtransaction", json!([sent.0, true, mined[0]]))
        .await;
    assert_eq!(in_block.in_active_chain, Some(true));
    let model = in_block.into_model().expect("confirmed tx converts");
    assert_eq!(model.transaction, tx);

    let two: v29::GetBlockVerboseTwo = rpc.call("getblock", json!([mined[0], 2])).await;
    assert_eq!(two.tx[1].fee, Some(0.00001));
    assert!(two.tx[0].fee.is_none(), "the coinbase has no fee");
    let three: v29::GetBlockVerboseThree = rpc.call("getblock", json!([mined[0], 3])).await;
    let prevout = three.tx[1].transaction.inputs[0]
        .prevout
        .as_ref()
        .expect("prevout");
    assert!(prevout.generated);
    assert_eq!(prevout.height, 1);
}

#[tokio::test]
async fn fee_estimates_match_core_models() {
    let (_chain, rpc, _key) = start_chain().await;
    let none: v29::EstimateSmartFee = rpc.call("estimatesmartfee", json!([6])).await;
    assert_eq!(
        none.errors,
        Some(vec!["Insufficient data or no feerate found".to_string()])
    );
    assert!(none.fee_rate.is_none());

    let config = RegtestConfig {
        fee_rate_sat_per_vb: Some(5.0),
        ..RegtestConfig::ephemeral()
    };
    let (_chain, rpc, _key) = start_chain_with(config).await;
    let some: v29::EstimateSmartFee = rpc.call("estimatesmartfee", json!([1, "economical"])).await;
    assert_eq!(some.fee_rate, Some(0.00005));
    assert_eq!(some.blocks, 2);
    rpc.expect_error("estimatesmartfee", json!([0]), -8, "Invalid conf_target")
        .await;
    rpc.expect_error(
        "estimatesmartfee",
        json!([2, "fast"]),
        -8,
        "Invalid estimate_mode",
    )
    .await;
}

#[tokio::test]
async fn errors_match_core_codes_and_messages() {
    let (_chain, rpc, _key) = start_chain().await;
    let unknown = "11".repeat(32);
    rpc.expect_error("getblockheader", json!([unknown]), -5, "Block not found")
        .await;
    rpc.expect_error("getblock", json!([unknown]), -5, "Block not found")
        .await;
    rpc.expect_error(
        "getblockheader",
        json!(["00ff"]),
        -8,
        "blockhash must be of length 64",
    )
    .await;
    rpc.expect_error("getblockhash", json!([1]), -8, "Block height out of range")
        .await;
    rpc.expect_error("getblockhash", json!(["one"]), -3, "Wrong type passed")
        .await;
    rpc.expect_error(
        "getblockhash",
        json!([]),
        -1,
        "getblockhash requires argument 1",
    )
    .await;
    rpc.expect_error(
        "getrawtransaction",
        json!([unknown]),
        -5,
        "No such mempool or blockchain transaction",
    )
    .await;
    rpc.expect_error(
        "generatetoaddress",
        json!([1, "bc1qnotregtest"]),
        -5,
        "Error: Invalid address",
    )
    .await;
    rpc.expect_error("sendrawtransaction", json!(["00"]), -22, "TX decode failed")
        .await;
    rpc.expect_error("invalidateblock", json!([unknown]), -5, "Block not found")
        .await;
    let mainnet = TestKey::new(7).address.to_string().replace("bcrt1", "bc1");
    rpc.expect_error(
        "generatetoaddress",
        json!([1, mainnet]),
        -5,
        "Error: Invalid address",
    )
    .await;
    let gone: Option<v29::GetTxOut> = rpc.call("gettxout", json!([unknown, 0])).await;
    assert!(gone.is_none());
}

#[tokio::test]
async fn named_parameters_work_as_in_core() {
    let (_chain, rpc, key) = start_chain().await;
    let mined: Vec<String> = rpc
        .call(
            "generatetoaddress",
            json!({"nblocks": 1, "address": key.address.to_string()}),
        )
        .await;
    let header: v29::GetBlockHeaderVerbose = rpc
        .call(
            "getblockheader",
            json!({"blockhash": mined[0], "verbose": true}),
        )
        .await;
    assert_eq!(header.height, 1);
    rpc.expect_error(
        "getblockcount",
        json!({"bogus": 1}),
        -8,
        "Unknown named parameter bogus",
    )
    .await;
}
