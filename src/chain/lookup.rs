//! Lookups of confirmed transactions and blocks, for the closed-channel history (which looks
//! for a channel's closing transaction on chain). Each answers `None` when Core cannot tell,
//! for whatever reason: the caller tries again on a later round.

use bitcoin::consensus::encode::deserialize_hex;
use bitcoin::{Block, BlockHash, Transaction, Txid};
use serde_json::{json, Value};

use super::backend::ChainBackend;

impl ChainBackend {
    /// The transaction `txid`. Give the block that confirmed it when known: Core finds a
    /// confirmed transaction by txid alone only with `-txindex`, which a node need not run.
    pub async fn transaction(
        &self,
        txid: Txid,
        block_hash: Option<BlockHash>,
    ) -> Option<Transaction> {
        let mut params = vec![json!(txid.to_string())];
        if let Some(hash) = block_hash {
            params.push(json!(false));
            params.push(json!(hash.to_string()));
        }
        let hex: Value = self
            .rpc()
            .call_checked("getrawtransaction", &params)
            .await
            .ok()?;
        hex.as_str().and_then(|h| deserialize_hex(h).ok())
    }

    /// The height of the block that confirmed `txid` (found by txid alone, so only for
    /// transactions Core still knows: in its mempool, its wallet or its `-txindex`).
    pub async fn confirmation_height(&self, txid: Txid) -> Option<u32> {
        let verbose: Value = self
            .rpc()
            .call_checked("getrawtransaction", &[json!(txid.to_string()), json!(true)])
            .await
            .ok()?;
        let block_hash = verbose.get("blockhash")?.as_str()?.to_string();
        let header: Value = self
            .rpc()
            .call_checked("getblockheader", &[json!(block_hash)])
            .await
            .ok()?;
        header
            .get("height")?
            .as_u64()
            .and_then(|h| u32::try_from(h).ok())
    }

    /// The block at `height` of Core's best chain.
    pub async fn block_at_height(&self, height: u32) -> Option<Block> {
        let hash: Value = self
            .rpc()
            .call_checked("getblockhash", &[json!(height)])
            .await
            .ok()?;
        let raw: Value = self
            .rpc()
            .call_checked("getblock", &[hash, json!(0)])
            .await
            .ok()?;
        raw.as_str().and_then(|h| deserialize_hex(h).ok())
    }
}
