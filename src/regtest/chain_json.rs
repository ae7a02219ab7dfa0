//! Transactions, headers and blocks in Bitcoin Core's JSON (`TxToUniv`, `blockheaderToJSON`,
//! `blockToJSON`).

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{Amount, Transaction};
use serde_json::{json, Map, Value};

use super::chainstate::{BlockEntry, ChainState};
use super::script_json::{script_pubkey_json, script_sig_json};
use super::validation::Coin;

/// Amounts in BTC, as Core's `ValueFromAmount`.
pub fn btc(amount: Amount) -> f64 {
    amount.to_btc()
}

/// The 64-hex-digit form Core uses for `target` and `chainwork`.
fn hex256(bytes: [u8; 32]) -> String {
    hex::encode(bytes)
}

/// A transaction as Core's `TxToUniv`. `spent` (the coins its inputs spent, when known) adds
/// `fee`, and with `with_prevouts` each input's `prevout` (getblock verbosity 3).
pub fn tx_json(
    tx: &Transaction,
    spent: Option<&[Coin]>,
    with_prevouts: bool,
) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("txid".into(), json!(tx.compute_txid().to_string()));
    object.insert("hash".into(), json!(tx.compute_wtxid().to_string()));
    object.insert("version".into(), json!(tx.version.0));
    object.insert("size".into(), json!(tx.total_size()));
    object.insert("vsize".into(), json!(tx.vsize()));
    object.insert("weight".into(), json!(tx.weight().to_wu()));
    object.insert("locktime".into(), json!(tx.lock_time.to_consensus_u32()));

    let coinbase = tx.is_coinbase();
    let inputs: Vec<Value> = tx
        .input
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let mut vin = Map::new();
            if coinbase {
                vin.insert(
                    "coinbase".into(),
                    json!(hex::encode(input.script_sig.as_bytes())),
                );
            } else {
                vin.insert("txid".into(), json!(input.previous_output.txid.to_string()));
                vin.insert("vout".into(), json!(input.previous_output.vout));
                vin.insert("scriptSig".into(), script_sig_json(&input.script_sig));
            }
            if !input.witness.is_empty() {
                let items: Vec<String> = input.witness.iter().map(hex::encode).collect();
                vin.insert("txinwitness".into(), json!(items));
            }
            if let (true, Some(coin)) =
                (with_prevouts && !coinbase, spent.and_then(|s| s.get(index)))
            {
                vin.insert(
                    "prevout".into(),
                    json!({
                        "generated": coin.is_coinbase,
                        "height": coin.height,
                        "value": btc(coin.output.value),
                        "scriptPubKey": script_pubkey_json(&coin.output.script_pubkey),
                    }),
                );
            }
            vin.insert("sequence".into(), json!(input.sequence.to_consensus_u32()));
            Value::Object(vin)
        })
        .collect();
    object.insert("vin".into(), Value::Array(inputs));

    let outputs: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(n, output)| {
            json!({
                "value": btc(output.value),
                "n": n,
                "scriptPubKey": script_pubkey_json(&output.script_pubkey),
            })
        })
        .collect();
    object.insert("vout".into(), Value::Array(outputs));

    if let (false, Some(spent)) = (coinbase, spent) {
        let value_in: Amount = spent.iter().map(|c| c.output.value).sum();
        let value_out: Amount = tx.output.iter().map(|o| o.value).sum();
        if let Some(fee) = value_in.checked_sub(value_out) {
            object.insert("fee".into(), json!(btc(fee)));
        }
    }
    object.insert("hex".into(), json!(serialize_hex(tx)));
    object
}

/// `getblockheader` verbose.
pub fn header_json(chain: &ChainState, entry: &BlockEntry) -> Value {
    let header = &entry.block.header;
    let mut object = json!({
        "hash": entry.hash.to_string(),
        "confirmations": chain.confirmations(entry),
        "height": entry.height,
        "version": header.version.to_consensus(),
        "versionHex": format!("{:08x}", header.version.to_consensus()),
        "merkleroot": header.merkle_root.to_string(),
        "time": header.time,
        "mediantime": entry.median_time_past,
        "nonce": header.nonce,
        "bits": format!("{:08x}", header.bits.to_consensus()),
        "target": hex256(header.target().to_be_bytes()),
        "difficulty": header.difficulty_float(),
        "chainwork": hex256(entry.chainwork.to_be_bytes()),
        "nTx": entry.block.txdata.len(),
    });
    if entry.height > 0 {
        object["previousblockhash"] = json!(header.prev_blockhash.to_string());
    }
    if let Some(next) = chain.next_hash(entry) {
        object["nextblockhash"] = json!(next.to_string());
    }
    object
}

/// `getblock` at verbosity 1 (txids), 2 (transactions with fees) or 3 (and prevouts).
pub fn block_json(chain: &ChainState, entry: &BlockEntry, verbosity: u8) -> Value {
    let mut object = header_json(chain, entry);
    let weight = entry.block.weight().to_wu();
    let size = entry.size as u64;
    object["size"] = json!(size);
    object["strippedsize"] = json!((weight - size) / 3);
    object["weight"] = json!(weight);
    let txs: Vec<Value> = entry
        .block
        .txdata
        .iter()
        .enumerate()
        .map(|(index, tx)| {
            if verbosity <= 1 {
                return json!(tx.compute_txid().to_string());
            }
            let spent = index
                .checked_sub(1)
                .and_then(|i| entry.spent.get(i))
                .map(Vec::as_slice);
            Value::Object(tx_json(tx, spent, verbosity >= 3))
        })
        .collect();
    object["tx"] = Value::Array(txs);
    object
}
