//! `sandbox::mine`: mines blocks on the sandbox's regtest chain, e.g. to bury a closing
//! transaction deeper or to expire an HTLC. Routed only by `mmln sandbox`'s daemons (see
//! [`super::router`]); a production daemon answers `NoSuchMethod`.
//!
//! The daemon reaches the chain through its own configured Bitcoin Core RPC endpoint, which in
//! the sandbox is the in-process regtest chain, so the method needs nothing beyond the config.

use serde::{Deserialize, Serialize};

use crate::rpc::{MapToMmResult, MmError, MmResult, RpcContext, RpcMethod};

pub use super::error::MineError;

use super::chain_rpc::{burn_address, ChainRpc};

/// Most blocks one call mines: enough for coinbase maturity (100) or a CSV delay (144) with
/// room to spare, small enough that one call cannot stall the chain for long.
pub const MAX_BLOCKS_PER_CALL: u32 = 1_000;

/// The `sandbox::mine` method.
pub struct Mine;

/// Params: how many blocks (default 1).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MineParams {
    #[serde(default)]
    pub blocks: Option<u32>,
}

/// What was mined and the tip it left.
#[derive(Debug, Clone, Serialize)]
pub struct MineResponse {
    pub blocks_mined: u32,
    /// Height of the tip after mining.
    pub height: u64,
    /// Hash of that tip.
    pub tip: String,
}

impl RpcMethod for Mine {
    const NAME: &'static str = "sandbox::mine";
    const TAKES_COIN: bool = false;
    // `Option` so absent or `null` params mean "one block".
    type Params = Option<MineParams>;
    type Output = MineResponse;
    type Error = MineError;

    async fn handle(
        ctx: &RpcContext,
        params: Option<MineParams>,
    ) -> MmResult<MineResponse, MineError> {
        let blocks = params.unwrap_or_default().blocks.unwrap_or(1);
        if blocks == 0 || blocks > MAX_BLOCKS_PER_CALL {
            return MmError::err(MineError::InvalidBlocks { got: blocks });
        }
        let chain = ChainRpc::from_config(ctx.config()).ok_or_else(|| {
            MmError::new(MineError::MiningFailed(
                "the daemon logs in to its chain with a cookie file, not a sandbox chain".into(),
            ))
        })?;
        let hashes = chain
            .generate_to_address(blocks, &burn_address())
            .await
            .map_to_mm(|e| MineError::MiningFailed(e.to_string()))?;
        let tip = chain
            .tip()
            .await
            .map_to_mm(|e| MineError::MiningFailed(e.to_string()))?;
        Ok(MineResponse {
            blocks_mined: hashes.len() as u32,
            height: tip.height,
            tip: tip.hash,
        })
    }
}
