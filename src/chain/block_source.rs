//! `CoreRpc` as lightning-block-sync's `BlockSource` (for the poller) and `UtxoSource` (for
//! gossip verification): the same calls block-sync's own `RpcClient` makes, routed through
//! `CoreRpc::call` so they get cookie re-reading and outage logging too.

use bitcoin::{BlockHash, OutPoint};
use lightning_block_sync::gossip::UtxoSource;
use lightning_block_sync::{
    AsyncBlockSourceResult, BlockData, BlockHeaderData, BlockSource, BlockSourceError,
};

use super::rpc::{CallFailure, CoreRpc};

fn to_block_source_error(failure: CallFailure) -> BlockSourceError {
    let persistent = matches!(failure, CallFailure::InvalidResponse(_));
    let error = failure.into_io_error();
    if persistent {
        BlockSourceError::persistent(error)
    } else {
        BlockSourceError::transient(error)
    }
}

impl BlockSource for CoreRpc {
    fn get_header<'a>(
        &'a self,
        header_hash: &'a BlockHash,
        _height_hint: Option<u32>,
    ) -> AsyncBlockSourceResult<'a, BlockHeaderData> {
        Box::pin(async move {
            let hash = serde_json::json!(header_hash.to_string());
            self.call("getblockheader", &[hash])
                .await
                .map_err(to_block_source_error)
        })
    }

    fn get_block<'a>(
        &'a self,
        header_hash: &'a BlockHash,
    ) -> AsyncBlockSourceResult<'a, BlockData> {
        Box::pin(async move {
            let hash = serde_json::json!(header_hash.to_string());
            let block = self
                .call("getblock", &[hash, serde_json::json!(0)])
                .await
                .map_err(to_block_source_error)?;
            Ok(BlockData::FullBlock(block))
        })
    }

    fn get_best_block(&self) -> AsyncBlockSourceResult<'_, (BlockHash, Option<u32>)> {
        Box::pin(async move {
            self.call("getblockchaininfo", &[])
                .await
                .map_err(to_block_source_error)
        })
    }
}

impl UtxoSource for CoreRpc {
    fn get_block_hash_by_height<'a>(
        &'a self,
        block_height: u32,
    ) -> AsyncBlockSourceResult<'a, BlockHash> {
        Box::pin(async move {
            self.call("getblockhash", &[serde_json::json!(block_height)])
                .await
                .map_err(to_block_source_error)
        })
    }

    fn is_output_unspent<'a>(&'a self, outpoint: OutPoint) -> AsyncBlockSourceResult<'a, bool> {
        Box::pin(async move {
            let params = [
                serde_json::json!(outpoint.txid.to_string()),
                serde_json::json!(outpoint.vout),
                serde_json::json!(false),
            ];
            let utxo: serde_json::Value = self
                .call("gettxout", &params)
                .await
                .map_err(to_block_source_error)?;
            Ok(!utxo.is_null())
        })
    }
}
