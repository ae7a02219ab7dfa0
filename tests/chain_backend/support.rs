//! Test support: a recording listener, a raw JSON-RPC client for driving the chain, a one-key
//! wallet that can spend coinbase outputs, bounded waits, and log capture.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::block::Header;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    Address, Amount, Block, BlockHash, CompressedPublicKey, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, Txid, Witness,
};
use lightning::chain::transaction::TransactionData;
use lightning::chain::{BestBlock, Listen};
use serde_json::{json, Value};

use crate::core_rpc::CoreClient;

/// What a listener saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Connected {
        height: u32,
        hash: BlockHash,
    },
    Disconnected {
        fork_height: u32,
        fork_hash: BlockHash,
    },
}

/// Records every call the backend makes, so tests can check order and completeness.
#[derive(Default)]
pub struct Recorder {
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The best block implied by what was seen, starting from `start`.
    pub fn tip(&self, start: BestBlock) -> BestBlock {
        let mut tip = start;
        for seen in self.seen() {
            tip = match seen {
                Seen::Connected { height, hash } => BestBlock::new(hash, height),
                Seen::Disconnected {
                    fork_height,
                    fork_hash,
                } => BestBlock::new(fork_hash, fork_height),
            };
        }
        tip
    }
}

impl Listen for Recorder {
    fn filtered_block_connected(&self, header: &Header, _txdata: &TransactionData, height: u32) {
        self.seen.lock().unwrap().push(Seen::Connected {
            height,
            hash: header.block_hash(),
        });
    }

    fn blocks_disconnected(&self, fork_point: BestBlock) {
        self.seen.lock().unwrap().push(Seen::Disconnected {
            fork_height: fork_point.height,
            fork_hash: fork_point.block_hash,
        });
    }
}

/// Waits for `check` to return `Some`, polling; fails the test with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Typed calls over the tests' one raw Core client (`tests/common/core_rpc.rs`), to drive the
/// chain independently of the code under test.
#[derive(Clone)]
pub struct Rpc {
    core: CoreClient,
}

impl Rpc {
    pub fn new(url: &str, user: &str, password: &str) -> Self {
        Rpc {
            core: CoreClient::new(url, user, password),
        }
    }

    /// Calls `method`; `Err` carries Core's error object.
    pub async fn try_call(&self, method: &str, params: Value) -> Result<Value, Value> {
        self.core.try_call(method, params).await
    }

    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.core.call(method, params).await
    }

    pub async fn mine(&self, blocks: u32, address: &Address) -> Vec<BlockHash> {
        let hashes = self
            .call("generatetoaddress", json!([blocks, address.to_string()]))
            .await;
        hashes
            .as_array()
            .expect("generatetoaddress returns an array")
            .iter()
            .map(|h| h.as_str().unwrap().parse().unwrap())
            .collect()
    }

    pub async fn block_hash(&self, height: u32) -> BlockHash {
        let hash = self.call("getblockhash", json!([height])).await;
        hash.as_str().unwrap().parse().unwrap()
    }

    pub async fn tip(&self) -> BestBlock {
        let info = self.call("getblockchaininfo", json!([])).await;
        BestBlock::new(
            info["bestblockhash"].as_str().unwrap().parse().unwrap(),
            info["blocks"].as_u64().unwrap() as u32,
        )
    }

    pub async fn block(&self, hash: BlockHash) -> Block {
        let hex = self.call("getblock", json!([hash.to_string(), 0])).await;
        bitcoin::consensus::encode::deserialize_hex(hex.as_str().unwrap()).unwrap()
    }

    /// `Some(confirmations)` for a known transaction (0 while in the mempool), `None` if the
    /// chain does not know it.
    pub async fn confirmations(&self, txid: Txid) -> Option<u64> {
        let answer = self
            .try_call("getrawtransaction", json!([txid.to_string(), true]))
            .await
            .ok()?;
        Some(answer["confirmations"].as_u64().unwrap_or(0))
    }
}

/// One key, one P2WPKH address: enough to mine to and spend coinbase outputs.
pub struct TestWallet {
    secp: Secp256k1<bitcoin::secp256k1::All>,
    key: SecretKey,
    pub address: Address,
}

impl TestWallet {
    pub fn new(seed: u8) -> Self {
        let secp = Secp256k1::new();
        let key = SecretKey::from_slice(&[seed.max(1); 32]).unwrap();
        let public = CompressedPublicKey(key.public_key(&secp));
        let address = Address::p2wpkh(&public, Network::Regtest);
        TestWallet { secp, key, address }
    }

    /// A signed transaction spending `prevout` (worth `value`) to our own address, minus a fee
    /// of 1,000 sat.
    pub fn spend(&self, prevout: OutPoint, value: Amount) -> Transaction {
        let mut tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: prevout,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: value - Amount::from_sat(1_000),
                script_pubkey: self.address.script_pubkey(),
            }],
        };
        let sighash = SighashCache::new(&tx)
            .p2wpkh_signature_hash(
                0,
                &self.address.script_pubkey(),
                value,
                EcdsaSighashType::All,
            )
            .unwrap();
        let message = Message::from_digest(sighash.to_byte_array());
        let signature =
            bitcoin::ecdsa::Signature::sighash_all(self.secp.sign_ecdsa(&message, &self.key));
        let public = self.key.public_key(&self.secp);
        tx.input[0].witness = Witness::p2wpkh(&signature, &public);
        tx
    }

    /// The coinbase output of `block` paying `address`, as an outpoint and value.
    pub fn coinbase_output(block: &Block, address: &Address) -> (OutPoint, Amount) {
        let coinbase = &block.txdata[0];
        let script = address.script_pubkey();
        let (vout, output) = coinbase
            .output
            .iter()
            .enumerate()
            .find(|(_, o)| o.script_pubkey == script)
            .expect("the coinbase pays the miner's address");
        (
            OutPoint::new(coinbase.compute_txid(), vout as u32),
            output.value,
        )
    }
}

/// Captures this thread's tracing output (tests use the current-thread runtime, so spawned
/// tasks log here too).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Poll fast: tests mine on demand.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Bound for anything the backend should do on its own after a chain change.
pub const FOLLOW_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts a regtest chain on a free loopback port, in memory or on `data_dir`.
pub async fn start_chain(
    data_dir: Option<&std::path::Path>,
    fee_rate_sat_per_vb: Option<f64>,
) -> mmln::regtest::RegtestHandle {
    let config = mmln::regtest::RegtestConfig {
        data_dir: data_dir.map(|d| d.to_path_buf()),
        fee_rate_sat_per_vb,
        ..mmln::regtest::RegtestConfig::ephemeral()
    };
    mmln::regtest::RegtestServer::start(config)
        .await
        .expect("regtest chain starts")
}

/// A test client for `chain`.
pub fn rpc_for(chain: &mmln::regtest::RegtestHandle) -> Rpc {
    Rpc::new(&chain.url(), chain.user(), chain.password())
}

/// A backend configuration for `chain` with user/password auth.
pub fn config_for(chain: &mmln::regtest::RegtestHandle) -> mmln::chain::ChainConfig {
    mmln::chain::ChainConfig {
        url: chain.url(),
        auth: mmln::chain::RpcAuth::UserPass {
            user: chain.user().to_string(),
            password: chain.password().to_string(),
        },
        network: Network::Regtest,
        poll_interval: POLL_INTERVAL,
        fallback_fee_rate_sat_per_kw: 2_000,
    }
}

/// Waits until `recorder`'s view of the chain reaches `expected`.
pub async fn wait_for_tip(recorder: &Recorder, start: BestBlock, expected: BestBlock) {
    wait_for(
        &format!(
            "the listener to reach height {} ({})",
            expected.height, expected.block_hash
        ),
        FOLLOW_TIMEOUT,
        || async { (recorder.tip(start) == expected).then_some(()) },
    )
    .await
}

/// Stops the poll task and waits for it to end.
pub async fn stop(shutdown: tokio::sync::watch::Sender<bool>, task: tokio::task::JoinHandle<()>) {
    shutdown.send(true).expect("poll task still listening");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the poll task stops within 10 s of shutdown")
        .expect("the poll task does not panic");
}
