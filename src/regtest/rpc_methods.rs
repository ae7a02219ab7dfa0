//! The method table and the chain, mining, fee and network methods. Each method: read its
//! arguments, apply to the node, answer in Core's shape.

use std::str::FromStr;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{Address, BlockHash, Network};
use serde_json::{json, Value};

use super::chain_json::{block_json, header_json};
use super::node::{NodeError, RegtestNode};
use super::rpc_params::{code, Args, RpcError};
use super::rpc_tx_methods as tx_methods;

/// Every method and its parameter names (for named arguments and error messages).
const METHODS: &[(&str, &[&str])] = &[
    ("getblockchaininfo", &[]),
    ("getbestblockhash", &[]),
    ("getblockcount", &[]),
    ("getblockhash", &["height"]),
    ("getblockheader", &["blockhash", "verbose"]),
    ("getblock", &["blockhash", "verbosity"]),
    ("getrawtransaction", &["txid", "verbose", "blockhash"]),
    ("gettxout", &["txid", "n", "include_mempool"]),
    (
        "sendrawtransaction",
        &["hexstring", "maxfeerate", "maxburnamount"],
    ),
    ("testmempoolaccept", &["rawtxs", "maxfeerate"]),
    ("getrawmempool", &["verbose", "mempool_sequence"]),
    ("estimatesmartfee", &["conf_target", "estimate_mode"]),
    ("generatetoaddress", &["nblocks", "address", "maxtries"]),
    ("invalidateblock", &["blockhash"]),
    ("getnetworkinfo", &[]),
];

/// Runs one call against the node. `now` is the unix time of the call.
pub fn call(
    node: &mut RegtestNode,
    method: &str,
    params: Value,
    now: u64,
) -> Result<Value, RpcError> {
    let Some((name, names)) = METHODS.iter().find(|(name, _)| *name == method) else {
        return Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found"));
    };
    let args = Args::new(name, names, params)?;
    match *name {
        "getblockchaininfo" => Ok(getblockchaininfo(node, now)),
        "getbestblockhash" => Ok(json!(node.chain().tip().hash.to_string())),
        "getblockcount" => Ok(json!(node.chain().height())),
        "getblockhash" => getblockhash(node, &args),
        "getblockheader" => getblockheader(node, &args),
        "getblock" => getblock(node, &args),
        "getrawtransaction" => tx_methods::getrawtransaction(node, &args),
        "gettxout" => tx_methods::gettxout(node, &args),
        "sendrawtransaction" => tx_methods::sendrawtransaction(node, &args, now),
        "testmempoolaccept" => tx_methods::testmempoolaccept(node, &args, now),
        "getrawmempool" => tx_methods::getrawmempool(node, &args),
        "estimatesmartfee" => estimatesmartfee(node, &args),
        "generatetoaddress" => generatetoaddress(node, &args, now),
        "invalidateblock" => invalidateblock(node, &args, now),
        "getnetworkinfo" => Ok(getnetworkinfo()),
        _ => Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found")),
    }
}

fn getblockchaininfo(node: &mut RegtestNode, now: u64) -> Value {
    let initial_block_download = node.initial_block_download(now);
    let chain = node.chain();
    let tip = chain.tip();
    let header = &tip.block.header;
    json!({
        "chain": "regtest",
        "blocks": tip.height,
        "headers": tip.height,
        "bestblockhash": tip.hash.to_string(),
        "bits": format!("{:08x}", header.bits.to_consensus()),
        "target": hex::encode(header.target().to_be_bytes()),
        "difficulty": header.difficulty_float(),
        "time": header.time,
        "mediantime": tip.median_time_past,
        "verificationprogress": 1.0,
        "initialblockdownload": initial_block_download,
        "chainwork": hex::encode(tip.chainwork.to_be_bytes()),
        "size_on_disk": chain.size_on_disk(),
        "pruned": false,
        "warnings": [],
    })
}

fn getblockhash(node: &RegtestNode, args: &Args) -> Result<Value, RpcError> {
    let height = args.i64(0)?;
    u32::try_from(height)
        .ok()
        .and_then(|h| node.chain().active_hash(h))
        .map(|hash| json!(hash.to_string()))
        .ok_or_else(|| RpcError::new(code::INVALID_PARAMETER, "Block height out of range"))
}

fn block_not_found() -> RpcError {
    RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Block not found")
}

fn getblockheader(node: &RegtestNode, args: &Args) -> Result<Value, RpcError> {
    let hash: BlockHash = args.hash(0)?;
    let verbose = args.opt_bool(1, true)?;
    let chain = node.chain();
    let entry = chain.block(&hash).ok_or_else(block_not_found)?;
    if verbose {
        Ok(header_json(chain, entry))
    } else {
        Ok(json!(serialize_hex(&entry.block.header)))
    }
}

fn getblock(node: &RegtestNode, args: &Args) -> Result<Value, RpcError> {
    let hash: BlockHash = args.hash(0)?;
    let verbosity = args.verbosity(1, 1)?;
    let chain = node.chain();
    let entry = chain.block(&hash).ok_or_else(block_not_found)?;
    if verbosity <= 0 {
        return Ok(json!(serialize_hex(&entry.block)));
    }
    Ok(block_json(chain, entry, verbosity.min(3) as u8))
}

fn estimatesmartfee(node: &RegtestNode, args: &Args) -> Result<Value, RpcError> {
    let target = args.i64(0)?;
    if !(1..=1008).contains(&target) {
        return Err(RpcError::new(
            code::INVALID_PARAMETER,
            "Invalid conf_target, must be between 1 and 1008",
        ));
    }
    if let Some(mode) = args.get(1) {
        let mode = mode.as_str().ok_or_else(|| args.wrong_type(1, "string"))?;
        if !["unset", "economical", "conservative"].contains(&mode.to_ascii_lowercase().as_str()) {
            return Err(RpcError::new(
                code::INVALID_PARAMETER,
                r#"Invalid estimate_mode parameter, must be one of: "unset", "economical", "conservative""#,
            ));
        }
    }
    Ok(match node.fee_rate_sat_per_vb() {
        // Core never estimates below the minimum relay fee (1 sat/vB), nor for 1 block.
        Some(rate) => json!({
            "feerate": rate.max(1.0) * 1000.0 / 100_000_000.0,
            "blocks": target.max(2),
        }),
        None => json!({ "errors": ["Insufficient data or no feerate found"], "blocks": 0 }),
    })
}

fn generatetoaddress(node: &mut RegtestNode, args: &Args, now: u64) -> Result<Value, RpcError> {
    let count = args.i64(0)?;
    let address = args.str(1)?;
    let _max_tries = args.opt_i64(2)?;
    let invalid_address = || RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Error: Invalid address");
    let address = Address::from_str(address)
        .map_err(|_| invalid_address())?
        .require_network(Network::Regtest)
        .map_err(|_| invalid_address())?;
    let count = u32::try_from(count.max(0)).unwrap_or(u32::MAX);
    let hashes = node
        .generate(count, &address.script_pubkey(), now)
        .map_err(node_error)?;
    Ok(json!(hashes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()))
}

fn invalidateblock(node: &mut RegtestNode, args: &Args, now: u64) -> Result<Value, RpcError> {
    let hash: BlockHash = args.hash(0)?;
    node.invalidate(&hash, now).map_err(node_error)?;
    Ok(Value::Null)
}

pub fn node_error(error: NodeError) -> RpcError {
    match error {
        NodeError::BlockNotFound(_) => block_not_found(),
        NodeError::InvalidateGenesis => {
            RpcError::new(code::MISC_ERROR, "Genesis block cannot be invalidated")
        }
        other => {
            tracing::error!(error = %other, "regtest chain operation failed");
            RpcError::new(code::DATABASE_ERROR, other.to_string())
        }
    }
}

/// A node without peer-to-peer networking: no connections, no reachable networks.
fn getnetworkinfo() -> Value {
    let networks: Vec<Value> = ["ipv4", "ipv6", "onion", "i2p", "cjdns"]
        .iter()
        .map(|name| {
            json!({
                "name": name,
                "limited": false,
                "reachable": false,
                "proxy": "",
                "proxy_randomize_credentials": false,
            })
        })
        .collect();
    json!({
        "version": 290000,
        "subversion": format!("/mmln-regtest:{}/", env!("CARGO_PKG_VERSION")),
        "protocolversion": 70016,
        "localservices": "0000000000000008",
        "localservicesnames": ["WITNESS"],
        "localrelay": true,
        "timeoffset": 0,
        "connections": 0,
        "connections_in": 0,
        "connections_out": 0,
        "networkactive": false,
        "networks": networks,
        "relayfee": 0.00001,
        "incrementalfee": 0.00001,
        "localaddresses": [],
        "warnings": [],
    })
}
