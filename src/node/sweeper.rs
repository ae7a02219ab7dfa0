//! The output sweeper: spends outputs LDK hands back (closed-channel balances, HTLC claims) to a
//! fresh wallet address once they mature. Its state is persisted in the LDK store.

use std::io::Cursor;
use std::sync::Arc;

use bitcoin::block::Header;
use lightning::chain::transaction::TransactionData;
use lightning::chain::{BestBlock, Listen};
use lightning::sign::KeysManager;
use lightning::util::persist::{
    OUTPUT_SWEEPER_PERSISTENCE_KEY, OUTPUT_SWEEPER_PERSISTENCE_PRIMARY_NAMESPACE,
    OUTPUT_SWEEPER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::ReadableArgs;

use super::durable::BackgroundStore;
use super::error::NodeError;
use super::logger::NodeLogger;
use super::persist::read_optional;
use super::types::{DynBroadcaster, DynFeeEstimator, DynFilter, Sweeper};
use super::wallet::OnchainWallet;

pub struct SweeperParts {
    pub broadcaster: Arc<DynBroadcaster>,
    pub fee_estimator: Arc<DynFeeEstimator>,
    pub keys: Arc<KeysManager>,
    pub wallet: Arc<OnchainWallet>,
    /// The background processor's store: the sweeper and the processor must share one type.
    pub store: Arc<BackgroundStore>,
    pub logger: Arc<NodeLogger>,
}

/// Restores the sweeper, or creates one starting at `tip` on first start.
pub fn load_or_create(parts: SweeperParts, tip: BestBlock) -> Result<Sweeper, NodeError> {
    let bytes = read_optional(
        &*parts.store,
        OUTPUT_SWEEPER_PERSISTENCE_PRIMARY_NAMESPACE,
        OUTPUT_SWEEPER_PERSISTENCE_SECONDARY_NAMESPACE,
        OUTPUT_SWEEPER_PERSISTENCE_KEY,
    )
    .map_err(|e| NodeError::StateReadFailed {
        what: "output sweeper",
        reason: e.to_string(),
    })?;
    let no_filter: Option<Arc<DynFilter>> = None;
    match bytes {
        None => Ok(Sweeper::new(
            tip,
            parts.broadcaster,
            parts.fee_estimator,
            no_filter,
            parts.keys,
            parts.wallet,
            parts.store,
            parts.logger,
        )),
        Some(bytes) => {
            let args = (
                parts.broadcaster,
                parts.fee_estimator,
                no_filter,
                parts.keys,
                parts.wallet,
                parts.store,
                parts.logger,
            );
            let (_best, sweeper) = <(BestBlock, Sweeper)>::read(&mut Cursor::new(bytes), args)
                .map_err(|e| NodeError::StateReadFailed {
                    what: "output sweeper",
                    reason: format!("{e:?}"),
                })?;
            Ok(sweeper)
        }
    }
}

/// Feeds blocks to the sweeper and, after each, spends outputs that have become spendable.
/// (The background processor also does this, but only every 30 s; per block keeps sweeps prompt
/// in tests and the sandbox, and costs nothing when nothing is tracked.)
pub struct SweeperListener(pub Arc<Sweeper>);

impl Listen for SweeperListener {
    fn filtered_block_connected(&self, header: &Header, txdata: &TransactionData, height: u32) {
        self.0.filtered_block_connected(header, txdata, height);
        if !self.0.tracked_spendable_outputs().is_empty()
            && self
                .0
                .regenerate_and_broadcast_spend_if_necessary()
                .is_err()
        {
            tracing::warn!(
                height,
                "sweeper could not build or persist a sweep; retrying later"
            );
        }
    }

    fn blocks_disconnected(&self, fork_point_block: BestBlock) {
        self.0.blocks_disconnected(fork_point_block);
    }
}
