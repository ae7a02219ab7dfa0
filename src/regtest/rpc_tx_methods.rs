//! Transaction and mempool methods: sendrawtransaction, testmempoolaccept, getrawtransaction,
//! gettxout, getrawmempool.

use bitcoin::consensus::encode::{deserialize, serialize_hex};
use bitcoin::{Amount, BlockHash, OutPoint, Transaction, Txid};
use serde_json::{json, Map, Value};

use super::chain_json::{btc, tx_json};
use super::node::{exceeds_fee_rate, AcceptError, RegtestNode};
use super::rpc_params::{code, Args, RpcError};
use super::script_json::script_pubkey_json;
use super::validation::{Coin, TxReject};

/// Core's default `maxfeerate` for sendrawtransaction and testmempoolaccept: 0.10 BTC/kvB.
const DEFAULT_MAX_FEE_RATE_SAT_PER_KVB: u64 = 10_000_000;

fn decode_transaction(hex_text: &str) -> Option<Transaction> {
    let bytes = hex::decode(hex_text).ok()?;
    deserialize(&bytes).ok()
}

fn max_fee_rate(args: &Args, index: usize) -> Result<u64, RpcError> {
    Ok(args
        .opt_amount_sat(index)?
        .unwrap_or(DEFAULT_MAX_FEE_RATE_SAT_PER_KVB))
}

fn reject_error(reject: &TxReject) -> RpcError {
    let code = if reject.missing_inputs {
        code::TRANSACTION_ERROR
    } else {
        code::TRANSACTION_REJECTED
    };
    RpcError::new(code, reject.to_string())
}

pub fn sendrawtransaction(
    node: &mut RegtestNode,
    args: &Args,
    now: u64,
) -> Result<Value, RpcError> {
    let tx = decode_transaction(args.str(0)?).ok_or_else(|| {
        RpcError::new(
            code::DESERIALIZATION_ERROR,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })?;
    let max_fee_rate = max_fee_rate(args, 1)?;
    let max_burn = Amount::from_sat(args.opt_amount_sat(2)?.unwrap_or(0));
    let burns_too_much = tx.output.iter().any(|o| {
        (o.script_pubkey.is_op_return() || o.script_pubkey.len() > 10_000) && o.value > max_burn
    });
    if burns_too_much {
        return Err(RpcError::new(
            code::TRANSACTION_ERROR,
            "Unspendable output exceeds maximum configured by user (maxburnamount)",
        ));
    }
    let txid = tx.compute_txid();
    // Core answers success for a transaction already in its mempool.
    if node.mempool().get(&txid).is_some() {
        return Ok(json!(txid.to_string()));
    }
    let in_utxo_set = (0..tx.output.len() as u32)
        .any(|vout| node.chain().utxos().contains_key(&OutPoint { txid, vout }));
    if in_utxo_set {
        return Err(RpcError::new(
            code::TRANSACTION_ALREADY_IN_CHAIN,
            "Transaction outputs already in utxo set",
        ));
    }
    match node.accept_with_max_fee_rate(tx, now, Some(max_fee_rate)) {
        Ok(_) => Ok(json!(txid.to_string())),
        Err(AcceptError::Rejected(reject)) => Err(reject_error(&reject)),
        Err(AcceptError::MaxFeeExceeded) => Err(RpcError::new(
            code::TRANSACTION_ERROR,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
        )),
    }
}

pub fn testmempoolaccept(node: &RegtestNode, args: &Args, now: u64) -> Result<Value, RpcError> {
    let raw = args
        .required(0)?
        .as_array()
        .ok_or_else(|| args.wrong_type(0, "array"))?;
    if raw.is_empty() || raw.len() > 25 {
        return Err(RpcError::new(
            code::INVALID_PARAMETER,
            "Array must contain between 1 and 25 transactions.",
        ));
    }
    let max_fee_rate = max_fee_rate(args, 1)?;
    let mut txs = Vec::with_capacity(raw.len());
    for item in raw {
        let text = item
            .as_str()
            .ok_or_else(|| args.wrong_type(0, "array of strings"))?;
        let tx = decode_transaction(text).ok_or_else(|| {
            RpcError::new(
                code::DESERIALIZATION_ERROR,
                format!("TX decode failed: {text} Make sure the tx has at least one input."),
            )
        })?;
        txs.push(tx);
    }
    let results = node.test_accept(&txs, now);
    let answers: Vec<Value> = txs
        .iter()
        .zip(results)
        .map(|(tx, result)| {
            let mut answer = json!({
                "txid": tx.compute_txid().to_string(),
                "wtxid": tx.compute_wtxid().to_string(),
            });
            match result {
                Ok(accepted) if exceeds_fee_rate(&accepted, max_fee_rate) => {
                    answer["allowed"] = json!(false);
                    answer["reject-reason"] = json!("max-fee-exceeded");
                }
                Ok(accepted) => {
                    let rate_btc_per_kvb =
                        accepted.fee.to_sat() as f64 * 1000.0 / accepted.vsize as f64 / 1e8;
                    answer["allowed"] = json!(true);
                    answer["vsize"] = json!(accepted.vsize);
                    answer["fees"] = json!({
                        "base": btc(accepted.fee),
                        "effective-feerate": (rate_btc_per_kvb * 1e8).round() / 1e8,
                        "effective-includes": [tx.compute_wtxid().to_string()],
                    });
                }
                Err(reject) if reject.missing_inputs => {
                    answer["allowed"] = json!(false);
                    answer["reject-reason"] = json!("missing-inputs");
                }
                Err(reject) => {
                    answer["allowed"] = json!(false);
                    answer["reject-reason"] = json!(reject.reason);
                    answer["reject-details"] = json!(reject.to_string());
                }
            }
            answer
        })
        .collect();
    Ok(Value::Array(answers))
}

pub fn getrawtransaction(node: &RegtestNode, args: &Args) -> Result<Value, RpcError> {
    let txid: Txid = args.hash(0)?;
    let verbosity = args.verbosity(1, 0)?;
    let chain = node.chain();
    let not_found = |message: &str| RpcError::new(code::INVALID_ADDRESS_OR_KEY, message);

    // Find the transaction: in the given block, in the mempool, or (as with -txindex) in the
    // active chain.
    let mut in_active_chain = None;
    let (tx, block, spent): (&Transaction, Option<_>, Option<Vec<Coin>>) = if args.get(2).is_some()
    {
        let hash: BlockHash = args.hash(2)?;
        let entry = chain
            .block(&hash)
            .ok_or_else(|| not_found("Block hash not found"))?;
        let index = entry.block.txdata.iter().position(|t| t.compute_txid() == txid).ok_or_else(|| {
            not_found("No such transaction found in the provided block. Use gettransaction for wallet transactions.")
        })?;
        in_active_chain = Some(chain.is_active(entry));
        let spent = index
            .checked_sub(1)
            .and_then(|i| entry.spent.get(i))
            .cloned();
        (&entry.block.txdata[index], Some(entry), spent)
    } else if let Some(entry) = node.mempool().get(&txid) {
        (&entry.tx, None, mempool_spent_coins(node, &entry.tx))
    } else if let Some(location) = chain.tx_location(&txid) {
        let entry = chain
            .active_hash(location.height)
            .and_then(|h| chain.block(&h));
        let entry = entry.ok_or_else(|| not_found("Block not found"))?;
        let spent = location
            .index
            .checked_sub(1)
            .and_then(|i| entry.spent.get(i))
            .cloned();
        (&entry.block.txdata[location.index], Some(entry), spent)
    } else if chain
        .active_hash(0)
        .and_then(|h| chain.block(&h))
        .is_some_and(|g| g.block.txdata[0].compute_txid() == txid)
    {
        return Err(not_found(
            "The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved",
        ));
    } else {
        return Err(not_found("No such mempool or blockchain transaction. Use gettransaction for wallet transactions."));
    };

    if verbosity <= 0 {
        return Ok(json!(serialize_hex(tx)));
    }
    let with_prevouts = verbosity >= 2;
    let mut object: Map<String, Value> = tx_json(
        tx,
        spent.as_deref().filter(|_| with_prevouts),
        with_prevouts,
    );
    if let Some(active) = in_active_chain {
        object.insert("in_active_chain".into(), json!(active));
    }
    if let Some(entry) = block {
        object.insert("blockhash".into(), json!(entry.hash.to_string()));
        let confirmations = chain.confirmations(entry).max(0);
        object.insert("confirmations".into(), json!(confirmations));
        if confirmations > 0 {
            object.insert("time".into(), json!(entry.block.header.time));
            object.insert("blocktime".into(), json!(entry.block.header.time));
        }
    }
    Ok(Value::Object(object))
}

/// The coins a mempool transaction spends, from the mempool or the UTXO set.
fn mempool_spent_coins(node: &RegtestNode, tx: &Transaction) -> Option<Vec<Coin>> {
    let next_height = node.chain().height() + 1;
    tx.input
        .iter()
        .map(|input| {
            let outpoint = &input.previous_output;
            node.mempool()
                .output(outpoint)
                .map(|output| Coin {
                    output: output.clone(),
                    height: next_height,
                    is_coinbase: false,
                })
                .or_else(|| node.chain().utxos().get(outpoint).cloned())
        })
        .collect()
}

pub fn gettxout(node: &RegtestNode, args: &Args) -> Result<Value, RpcError> {
    let txid: Txid = args.hash(0)?;
    let vout = args.i64(1)?;
    let include_mempool = args.opt_bool(2, true)?;
    let Ok(vout) = u32::try_from(vout) else {
        return Ok(Value::Null);
    };
    let outpoint = OutPoint { txid, vout };
    let chain = node.chain();
    let coin = if include_mempool {
        if node.mempool().spender_of(&outpoint).is_some() {
            None
        } else if let Some(output) = node.mempool().output(&outpoint) {
            Some((output.clone(), 0, false))
        } else {
            chain.utxos().get(&outpoint).map(|c| {
                (
                    c.output.clone(),
                    chain.height() - c.height + 1,
                    c.is_coinbase,
                )
            })
        }
    } else {
        chain.utxos().get(&outpoint).map(|c| {
            (
                c.output.clone(),
                chain.height() - c.height + 1,
                c.is_coinbase,
            )
        })
    };
    Ok(match coin {
        None => Value::Null,
        Some((output, confirmations, coinbase)) => json!({
            "bestblock": chain.tip().hash.to_string(),
            "confirmations": confirmations,
            "value": btc(output.value),
            "scriptPubKey": script_pubkey_json(&output.script_pubkey),
            "coinbase": coinbase,
        }),
    })
}

pub fn getrawmempool(node: &RegtestNode, args: &Args) -> Result<Value, RpcError> {
    let verbose = args.opt_bool(0, false)?;
    let with_sequence = args.opt_bool(1, false)?;
    let mempool = node.mempool();
    if verbose && with_sequence {
        return Err(RpcError::new(
            code::INVALID_PARAMETER,
            "Verbose results cannot contain mempool sequence values.",
        ));
    }
    let entries = mempool.in_order();
    if !verbose {
        let txids: Vec<String> = entries.iter().map(|e| e.txid.to_string()).collect();
        if with_sequence {
            return Ok(json!({ "txids": txids, "mempool_sequence": mempool.change_sequence() }));
        }
        return Ok(json!(txids));
    }
    let mut map = Map::new();
    for entry in entries {
        let ancestors = mempool.ancestors_inclusive(&entry.txid);
        let descendants = mempool.descendants_inclusive(&entry.txid);
        let sum = |set: &std::collections::HashSet<Txid>| {
            set.iter()
                .filter_map(|t| mempool.get(t))
                .fold((0u64, Amount::ZERO), |(size, fee), e| {
                    (size + e.vsize, fee + e.fee)
                })
        };
        let (ancestor_size, ancestor_fees) = sum(&ancestors);
        let (descendant_size, descendant_fees) = sum(&descendants);
        let replaceable = ancestors
            .iter()
            .filter_map(|t| mempool.get(t))
            .any(|e| e.tx.input.iter().any(|i| i.sequence.is_rbf()));
        let txids = |ids: Vec<Txid>| ids.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        map.insert(
            entry.txid.to_string(),
            json!({
                "vsize": entry.vsize,
                "weight": entry.weight,
                "time": entry.time,
                "height": entry.height,
                "descendantcount": descendants.len(),
                "descendantsize": descendant_size,
                "ancestorcount": ancestors.len(),
                "ancestorsize": ancestor_size,
                "wtxid": entry.wtxid.to_string(),
                "fees": {
                    "base": btc(entry.fee),
                    "modified": btc(entry.fee),
                    "ancestor": btc(ancestor_fees),
                    "descendant": btc(descendant_fees),
                },
                "depends": txids(mempool.parents(&entry.txid)),
                "spentby": txids(mempool.children(&entry.txid)),
                "bip125-replaceable": replaceable,
                "unbroadcast": false,
            }),
        );
    }
    Ok(Value::Object(map))
}
