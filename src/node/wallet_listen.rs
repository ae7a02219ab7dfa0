//! The wallet as a chain listener and as the sweeper's change destination.
//!
//! Reorgs: BDK's local chain is replaced by the next block that connects at a lower height, so a
//! disconnect needs no action of its own; transactions anchored only in replaced blocks become
//! unconfirmed again when the new chain is applied. (Same approach as ldk-node.)

use bdk_wallet::chain::BlockId;
use bitcoin::block::Header;
use bitcoin::{Block, ScriptBuf};
use lightning::chain::transaction::TransactionData;
use lightning::chain::{BestBlock, Listen};
use lightning::sign::ChangeDestinationSourceSync;

use super::wallet::OnchainWallet;
use super::wallet_db::WalletChange;

impl Listen for OnchainWallet {
    fn filtered_block_connected(&self, header: &Header, txdata: &TransactionData, height: u32) {
        // The chain backend hands us full blocks; rebuild one in case it was filtered anyway.
        let block = Block {
            header: *header,
            txdata: txdata.iter().map(|(_, tx)| (*tx).clone()).collect(),
        };
        self.block_connected(&block, height);
    }

    fn block_connected(&self, block: &Block, height: u32) {
        let mut state = self.lock();
        let connected_to = match height.checked_sub(1) {
            Some(prev) => BlockId {
                height: prev,
                hash: block.header.prev_blockhash,
            },
            None => BlockId {
                height,
                hash: block.block_hash(),
            },
        };
        if let Err(e) = state
            .wallet
            .apply_block_connected_to(block, height, connected_to)
        {
            tracing::error!(height, hash = %block.block_hash(), "wallet could not apply block: {e}");
            return;
        }
        let changes = observed_changes(&state.wallet);
        state.db.stage_changes(changes);
        // Persist after every block so a restart resumes from here, not from an older tip.
        // The chain poller calls this on a runtime thread, and the write fsyncs.
        if let Err(e) = off_the_runtime(|| state.persist()) {
            tracing::error!(height, "wallet could not persist after block: {e}");
        }
    }

    fn blocks_disconnected(&self, fork_point_block: BestBlock) {
        tracing::info!(height = fork_point_block.height, hash = %fork_point_block.block_hash, "wallet: blocks disconnected; the next connected block replaces them");
    }
}

/// What the staged (not yet persisted) changeset adds: transactions that pay us, and
/// confirmations of our transactions.
fn observed_changes(
    wallet: &bdk_wallet::PersistedWallet<super::wallet_db::WalletDb>,
) -> Vec<WalletChange> {
    let Some(staged) = wallet.staged() else {
        return Vec::new();
    };
    let net = |tx: &bitcoin::Transaction| {
        let (sent, received) = wallet.sent_and_received(tx);
        received.to_sat() as i64 - sent.to_sat() as i64
    };
    let mut changes = Vec::new();
    for tx in &staged.tx_graph.txs {
        let net_sat = net(tx.as_ref());
        if net_sat > 0 {
            changes.push(WalletChange::Received {
                txid: tx.compute_txid().to_string(),
                net_sat,
            });
        }
    }
    for (anchor, txid) in &staged.tx_graph.anchors {
        let net_sat = wallet
            .get_tx(*txid)
            .map_or(0, |t| net(t.tx_node.tx.as_ref()));
        changes.push(WalletChange::Confirmed {
            txid: txid.to_string(),
            net_sat,
            height: anchor.block_id.height,
        });
    }
    changes
}

/// Runs blocking I/O from a synchronous callback that may be on a tokio worker: on the
/// multi-threaded runtime the worker's other tasks move elsewhere meanwhile
/// (`block_in_place`); elsewhere (no runtime, or a current-thread one, where `block_in_place`
/// would panic) it simply runs.
fn off_the_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

impl ChangeDestinationSourceSync for OnchainWallet {
    fn get_change_destination_script(&self) -> Result<ScriptBuf, ()> {
        self.new_change_script()
            .map_err(|e| tracing::error!("no change address for the sweeper: {e}"))
    }
}
