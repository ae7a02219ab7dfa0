//! The output sweeper: spends outputs LDK hands back (closed-channel balances, HTLC claims) to a
//! fresh wallet address once they mature. Its state is persisted in the LDK store.

use std::io::Cursor;
use std::sync::Arc;

use lightning::chain::BestBlock;
use lightning::sign::KeysManager;
use lightning::util::persist::{
    OUTPUT_SWEEPER_PERSISTENCE_KEY, OUTPUT_SWEEPER_PERSISTENCE_PRIMARY_NAMESPACE,
    OUTPUT_SWEEPER_PERSISTENCE_SECONDARY_NAMESPACE,
};
use lightning::util::ser::ReadableArgs;

use super::error::NodeError;
use super::logger::NodeLogger;
use super::persist::read_optional;
use super::types::{DynBroadcaster, DynFeeEstimator, DynFilter, Store, Sweeper};
use super::wallet::OnchainWallet;

pub struct SweeperParts {
    pub broadcaster: Arc<DynBroadcaster>,
    pub fee_estimator: Arc<DynFeeEstimator>,
    pub keys: Arc<KeysManager>,
    pub wallet: Arc<OnchainWallet>,
    pub store: Arc<Store>,
    pub logger: Arc<NodeLogger>,
}

/// Restores the sweeper, or creates one starting at `tip` on first start.
pub fn load_or_create(parts: SweeperParts, tip: BestBlock) -> Result<Sweeper, NodeError> {
    let bytes = read_optional(
        &parts.store,
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
