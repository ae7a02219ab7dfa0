//! Test harness: typed calls over the tests' one raw Core client (`tests/common/core_rpc.rs`)
//! and a P2WPKH test key that builds and signs real
//! transactions.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{All, Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute, Address, Amount, CompressedPublicKey, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, Txid, Witness,
};
use corepc_types::v18::JsonRpcError;
use mmln::regtest::{RegtestConfig, RegtestHandle, RegtestServer};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::core_rpc::CoreClient;

/// The tests' one raw Core client, with the typed helpers these tests need.
pub struct Rpc {
    core: CoreClient,
}

impl Rpc {
    pub fn new(chain: &RegtestHandle) -> Self {
        Self {
            core: CoreClient::for_chain(chain),
        }
    }

    /// Posts a raw body with our credentials; returns the HTTP status and the JSON body.
    pub async fn post(&self, body: Value) -> (u16, Value) {
        self.core.post(body).await
    }

    pub async fn post_as(&self, user: &str, password: &str, body: Value) -> (u16, Value) {
        self.core.post_as(user, password, body).await
    }

    /// A 1.0-style call that must succeed; the result deserialised as `T`.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> T {
        let (status, body) = self
            .post(json!({"jsonrpc": "1.0", "id": "t", "method": method, "params": params}))
            .await;
        assert_eq!(
            status, 200,
            "{method} {params} answered HTTP {status}: {body}"
        );
        assert!(body["error"].is_null(), "{method} failed: {body}");
        let result = body["result"].clone();
        serde_json::from_value(result.clone()).unwrap_or_else(|e| {
            panic!("{method} answer does not fit the Core model: {e}\n{result:#}")
        })
    }

    /// A 1.0-style call that must fail; returns the HTTP status and Core's error model.
    pub async fn call_err(&self, method: &str, params: Value) -> (u16, JsonRpcError) {
        let (status, body) = self
            .post(json!({"jsonrpc": "1.0", "id": "t", "method": method, "params": params}))
            .await;
        assert!(
            body["result"].is_null(),
            "{method} should fail but answered {body}"
        );
        let error: JsonRpcError =
            serde_json::from_value(body["error"].clone()).unwrap_or_else(|e| {
                panic!("{method} error does not fit Core's error model: {e}: {body}")
            });
        (status, error)
    }

    /// Expects a failure with this code whose message starts with `message`.
    pub async fn expect_error(&self, method: &str, params: Value, code: i32, message: &str) {
        let (_, error) = self.call_err(method, params).await;
        assert_eq!(error.code, code, "{method}: wrong code in {error:?}");
        assert!(
            error.message.starts_with(message),
            "{method}: expected '{message}', got '{}'",
            error.message
        );
    }

    pub async fn mine(&self, blocks: u32, address: &Address) -> Vec<String> {
        self.call("generatetoaddress", json!([blocks, address.to_string()]))
            .await
    }

    pub async fn height(&self) -> u64 {
        self.call("getblockcount", json!([])).await
    }

    pub async fn send(&self, tx: &Transaction) -> Txid {
        let txid: String = self
            .call(
                "sendrawtransaction",
                json!([bitcoin::consensus::encode::serialize_hex(tx)]),
            )
            .await;
        txid.parse().expect("txid")
    }

    pub async fn mempool(&self) -> Vec<String> {
        self.call("getrawmempool", json!([])).await
    }

    /// The coinbase outpoint of the block at `height`.
    pub async fn coinbase_at(&self, height: u64) -> (OutPoint, Amount) {
        let hash: String = self.call("getblockhash", json!([height])).await;
        let hex: String = self.call("getblock", json!([hash, 0])).await;
        let block: bitcoin::Block =
            bitcoin::consensus::encode::deserialize_hex(&hex).expect("block hex");
        let coinbase = &block.txdata[0];
        (
            OutPoint {
                txid: coinbase.compute_txid(),
                vout: 0,
            },
            coinbase.output[0].value,
        )
    }
}

/// A P2WPKH key that mines to its address and signs spends.
pub struct TestKey {
    secp: Secp256k1<All>,
    secret: SecretKey,
    public: CompressedPublicKey,
    pub address: Address,
}

impl TestKey {
    pub fn new(seed: u8) -> Self {
        let secp = Secp256k1::new();
        let secret = SecretKey::from_slice(&[seed; 32]).expect("valid key");
        let public = CompressedPublicKey(secret.public_key(&secp));
        let address = Address::p2wpkh(&public, Network::Regtest);
        Self {
            secp,
            secret,
            public,
            address,
        }
    }

    pub fn script(&self) -> ScriptBuf {
        self.address.script_pubkey()
    }

    /// Spends `inputs` (all ours) to `outputs`, signing every input.
    pub fn spend(&self, inputs: &[(OutPoint, Amount)], outputs: Vec<TxOut>) -> Transaction {
        self.spend_with(
            inputs,
            outputs,
            absolute::LockTime::ZERO,
            Sequence::ENABLE_RBF_NO_LOCKTIME,
        )
    }

    pub fn spend_with(
        &self,
        inputs: &[(OutPoint, Amount)],
        outputs: Vec<TxOut>,
        lock_time: absolute::LockTime,
        sequence: Sequence,
    ) -> Transaction {
        let mut tx = Transaction {
            version: Version::TWO,
            lock_time,
            input: inputs
                .iter()
                .map(|(outpoint, _)| TxIn {
                    previous_output: *outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence,
                    witness: Witness::new(),
                })
                .collect(),
            output: outputs,
        };
        let script = self.script();
        let mut cache = SighashCache::new(tx.clone());
        let mut witnesses = Vec::new();
        for (index, (_, value)) in inputs.iter().enumerate() {
            let sighash = cache
                .p2wpkh_signature_hash(index, &script, *value, EcdsaSighashType::All)
                .expect("sighash");
            let message = Message::from_digest(sighash.to_byte_array());
            let signature = bitcoin::ecdsa::Signature::sighash_all(
                self.secp.sign_ecdsa(&message, &self.secret),
            );
            witnesses.push(Witness::p2wpkh(&signature, &self.public.0));
        }
        for (input, witness) in tx.input.iter_mut().zip(witnesses) {
            input.witness = witness;
        }
        tx
    }

    /// Pays `value` back to this key from one input, the rest minus `fee` as change.
    pub fn pay_self(&self, input: (OutPoint, Amount), value: Amount, fee: Amount) -> Transaction {
        let change = input.1 - value - fee;
        self.spend(
            &[input],
            vec![
                TxOut {
                    value,
                    script_pubkey: self.script(),
                },
                TxOut {
                    value: change,
                    script_pubkey: self.script(),
                },
            ],
        )
    }
}

/// An in-memory chain on a free port, with its client and test key.
pub async fn start_chain() -> (RegtestHandle, Rpc, TestKey) {
    start_chain_with(RegtestConfig::ephemeral()).await
}

pub async fn start_chain_with(config: RegtestConfig) -> (RegtestHandle, Rpc, TestKey) {
    let chain = RegtestServer::start(config)
        .await
        .expect("regtest chain starts");
    let rpc = Rpc::new(&chain);
    (chain, rpc, TestKey::new(7))
}

/// A chain where block 1's coinbase (and `extra` more) are spendable by the test key:
/// 100 + `extra` + 1 blocks mined to it.
pub async fn funded_chain(extra: u32) -> (RegtestHandle, Rpc, TestKey) {
    let (chain, rpc, key) = start_chain().await;
    rpc.mine(101 + extra, &key.address).await;
    (chain, rpc, key)
}

pub fn out(value: Amount, key: &TestKey) -> TxOut {
    TxOut {
        value,
        script_pubkey: key.script(),
    }
}

pub fn hex(tx: &Transaction) -> String {
    bitcoin::consensus::encode::serialize_hex(tx)
}
