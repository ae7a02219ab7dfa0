//! The on-chain wallet: BDK with BIP84 descriptors derived from the node seed, persisted in
//! `<data_dir>/mmln.sqlite` (BDK's own tables; the ledger adds its own to the same file, and
//! [`WalletDb`] makes the two writers wait for each other instead of failing).

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};

use bdk_wallet::chain::BlockId;
use bdk_wallet::descriptor::IntoWalletDescriptor;
use bdk_wallet::error::CreateTxError;
use bdk_wallet::signer::SignersContainer;
use bdk_wallet::{KeychainKind, PersistedWallet, SignOptions, Update, Wallet};
use bitcoin::address::NetworkUnchecked;
use bitcoin::bip32::Xpriv;
use bitcoin::hashes::Hash as _;
use bitcoin::{Address, Amount, FeeRate, Network, ScriptBuf, Transaction, Txid};
use lightning::chain::chaininterface::ConfirmationTarget;
use lightning::chain::BestBlock;

use super::error::WalletError;
use super::types::{DynFeeEstimator, SendAmount, WalletBalance};
use super::wallet_db::WalletDb;

pub const WALLET_DB_FILE: &str = "mmln.sqlite";

pub(super) struct WalletState {
    pub(super) wallet: PersistedWallet<WalletDb>,
    pub(super) db: WalletDb,
}

impl WalletState {
    pub(super) fn persist(&mut self) -> Result<(), WalletError> {
        let WalletState { wallet, db } = self;
        wallet
            .persist(db)
            .map(|_| ())
            .map_err(|e| WalletError::PersistFailed(e.to_string()))
    }
}

pub struct OnchainWallet {
    state: Mutex<WalletState>,
    /// Signers for both keychains, held by us (BDK 3 no longer signs with stored keys).
    signers: [SignersContainer; 2],
    network: Network,
    fee_estimator: Arc<DynFeeEstimator>,
}

impl OnchainWallet {
    pub fn open(
        db_path: &Path,
        network: Network,
        master: &Xpriv,
        fee_estimator: Arc<DynFeeEstimator>,
    ) -> Result<Self, WalletError> {
        let mut db = WalletDb::open(db_path)?;
        let coin = if network == Network::Bitcoin { 0 } else { 1 };
        let external = format!("wpkh({master}/84'/{coin}'/0'/0/*)");
        let internal = format!("wpkh({master}/84'/{coin}'/0'/1/*)");
        let loaded = Wallet::load()
            .descriptor(KeychainKind::External, Some(external.clone()))
            .descriptor(KeychainKind::Internal, Some(internal.clone()))
            .check_network(network)
            .load_wallet(&mut db)
            .map_err(|e| {
                WalletError::OpenFailed(format!(
                    "stored wallet does not match this seed/network: {e}"
                ))
            })?;
        let wallet = match loaded {
            Some(wallet) => wallet,
            None => Wallet::create(external.clone(), internal.clone())
                .network(network)
                .create_wallet(&mut db)
                .map_err(|e| WalletError::OpenFailed(e.to_string()))?,
        };
        let signer_for = |descriptor: &String,
                          keychain: KeychainKind|
         -> Result<SignersContainer, WalletError> {
            let (_, keymap) = descriptor
                .into_wallet_descriptor(wallet.secp_ctx(), network.into())
                .map_err(|e| WalletError::OpenFailed(format!("wallet descriptor: {e}")))?;
            Ok(SignersContainer::build(
                keymap,
                wallet.public_descriptor(keychain),
                wallet.secp_ctx(),
            ))
        };
        let signers = [
            signer_for(&external, KeychainKind::External)?,
            signer_for(&internal, KeychainKind::Internal)?,
        ];
        Ok(OnchainWallet {
            state: Mutex::new(WalletState { wallet, db }),
            signers,
            network,
            fee_estimator,
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, WalletState> {
        // A panic while holding the lock leaves BDK's in-memory state as consistent as its last
        // completed call; keep serving rather than poisoning the whole node.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records what the wallet observes in blocks through `journal` from now on.
    pub fn set_journal(&self, journal: Arc<dyn super::wallet_db::WalletJournal>) {
        self.lock().db.set_journal(journal);
    }

    pub fn network(&self) -> Network {
        self.network
    }

    /// The block the wallet has synced to.
    pub fn best_block(&self) -> BestBlock {
        let cp = self.lock().wallet.latest_checkpoint();
        BestBlock::new(cp.hash(), cp.height())
    }

    /// Moves a freshly created wallet's sync point to `tip`, so it does not scan from genesis.
    /// Only for a new seed, which cannot have received anything yet.
    pub fn start_at(&self, tip: BestBlock) -> Result<(), WalletError> {
        let mut state = self.lock();
        let current = state.wallet.latest_checkpoint();
        if current.height() >= tip.height {
            return Ok(());
        }
        let chain = current.insert(BlockId {
            height: tip.height,
            hash: tip.block_hash,
        });
        let update = Update {
            chain: Some(chain),
            ..Default::default()
        };
        state
            .wallet
            .apply_update(update)
            .map_err(|e| WalletError::PersistFailed(format!("cannot move wallet to tip: {e}")))?;
        state.persist()
    }

    pub fn new_address(&self) -> Result<Address, WalletError> {
        let mut state = self.lock();
        let info = state.wallet.reveal_next_address(KeychainKind::External);
        state.persist()?;
        Ok(info.address)
    }

    pub(super) fn new_change_script(&self) -> Result<ScriptBuf, WalletError> {
        let mut state = self.lock();
        let info = state.wallet.reveal_next_address(KeychainKind::Internal);
        state.persist()?;
        Ok(info.address.script_pubkey())
    }

    pub fn balance(&self) -> WalletBalance {
        let b = self.lock().wallet.balance();
        WalletBalance {
            confirmed_sat: b.confirmed.to_sat(),
            unconfirmed_sat: (b.trusted_pending + b.untrusted_pending).to_sat(),
            immature_sat: b.immature.to_sat(),
            spendable_sat: b.trusted_spendable().to_sat(),
        }
    }

    /// The fee rate for our own on-chain transactions when the caller gives none.
    pub fn default_fee_rate(&self, target: ConfirmationTarget) -> FeeRate {
        FeeRate::from_sat_per_kwu(u64::from(
            self.fee_estimator.get_est_sat_per_1000_weight(target),
        ))
    }

    /// Builds and signs (but does not broadcast) a payment to an address of this wallet's
    /// network. Its inputs are reserved from now on; if it is not broadcast, the caller releases
    /// them with [`Self::forget_unconfirmed`].
    pub fn build_send(
        &self,
        address: &str,
        amount: SendAmount,
        fee_rate: Option<FeeRate>,
    ) -> Result<Transaction, WalletError> {
        let unchecked = Address::<NetworkUnchecked>::from_str(address)
            .map_err(|e| WalletError::InvalidAddress(format!("{address}: {e}")))?;
        if !unchecked.is_valid_for_network(self.network) {
            let address_network = [
                Network::Bitcoin,
                Network::Testnet,
                Network::Signet,
                Network::Regtest,
            ]
            .into_iter()
            .find(|n| unchecked.is_valid_for_network(*n))
            .map(|n| n.to_string())
            .unwrap_or_else(|| "another network".to_string());
            return Err(WalletError::InvalidNetwork {
                address_network,
                wallet_network: self.network,
            });
        }
        let address = unchecked.assume_checked();
        if let SendAmount::Sats(0) = amount {
            return Err(WalletError::InvalidAmount(
                "amount must be positive".to_string(),
            ));
        }
        let fee_rate = fee_rate
            .unwrap_or_else(|| self.default_fee_rate(ConfirmationTarget::OutputSpendingFee));
        self.build_signed(address.script_pubkey(), amount, fee_rate)
    }

    /// Builds and signs a transaction paying `value_sat` to `output_script` (a channel funding
    /// output). Not broadcast: LDK does that once the counterparty has signed. Its inputs are
    /// reserved as for [`Self::build_send`].
    pub fn build_funding_tx(
        &self,
        output_script: ScriptBuf,
        value_sat: u64,
        fee_rate: FeeRate,
    ) -> Result<Transaction, WalletError> {
        self.build_signed(output_script, SendAmount::Sats(value_sat), fee_rate)
    }

    /// The largest funding output the wallet could pay right now at `fee_rate`.
    pub fn max_funding_sat(&self, fee_rate: FeeRate) -> Result<u64, WalletError> {
        // A dry run that drains everything into a P2WSH-sized output, which is what a funding
        // output is, so the fee is computed by the same coin selection as the real thing.
        let dummy_p2wsh = ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array([0u8; 32]));
        let mut state = self.lock();
        let mut builder = state.wallet.build_tx();
        builder
            .drain_wallet()
            .drain_to(dummy_p2wsh)
            .fee_rate(fee_rate);
        match builder.finish() {
            Ok(psbt) => Ok(psbt
                .unsigned_tx
                .output
                .first()
                .map(|o| o.value.to_sat())
                .unwrap_or(0)),
            Err(CreateTxError::NoUtxosSelected) | Err(CreateTxError::OutputBelowDustLimit(_)) => {
                Ok(0)
            }
            Err(CreateTxError::CoinSelection(_)) => Ok(0),
            Err(e) => Err(WalletError::BuildFailed(e.to_string())),
        }
    }

    fn build_signed(
        &self,
        script: ScriptBuf,
        amount: SendAmount,
        fee_rate: FeeRate,
    ) -> Result<Transaction, WalletError> {
        let mut state = self.lock();
        let mut builder = state.wallet.build_tx();
        match amount {
            SendAmount::Sats(sat) => {
                builder.add_recipient(script, Amount::from_sat(sat));
            }
            SendAmount::All => {
                builder.drain_wallet().drain_to(script);
            }
        }
        builder.fee_rate(fee_rate);
        let mut psbt = builder.finish().map_err(|e| match e {
            CreateTxError::CoinSelection(f) => WalletError::InsufficientFunds {
                needed_sat: f.needed.to_sat(),
                available_sat: f.available.to_sat(),
            },
            CreateTxError::NoUtxosSelected => WalletError::InsufficientFunds {
                needed_sat: 0,
                available_sat: 0,
            },
            CreateTxError::OutputBelowDustLimit(_) => {
                WalletError::InvalidAmount("output would be below the dust limit".to_string())
            }
            other => WalletError::BuildFailed(other.to_string()),
        })?;
        let [external, internal] = &self.signers;
        let finalized = state
            .wallet
            .sign_with_signers(&mut psbt, &[external, internal], SignOptions::default())
            .map_err(|e| WalletError::SignFailed(e.to_string()))?;
        if !finalized {
            return Err(WalletError::SignFailed(
                "not every input could be finalized".to_string(),
            ));
        }
        let tx = psbt
            .extract_tx()
            .map_err(|e| WalletError::SignFailed(e.to_string()))?;
        // Reserve the inputs before the lock is released: a send and a channel funding built
        // concurrently must never pick the same coins (one of them would never confirm). The
        // caller releases them with `forget_unconfirmed` if the transaction is abandoned.
        // Persisting also keeps revealed change addresses across restarts.
        let seen_at = super::unix_now_secs();
        state.wallet.apply_unconfirmed_txs([(tx.clone(), seen_at)]);
        if let Err(e) = state.persist() {
            // The caller gets an error and will not broadcast it: undo the reservation, or
            // the next successful persist would lock these coins for good.
            state
                .wallet
                .apply_evicted_txs([(tx.compute_txid(), seen_at)]);
            return Err(e);
        }
        Ok(tx)
    }

    /// Records a transaction we broadcast so its inputs count as spent before it confirms
    /// (otherwise a second send could pick the same coins). Transactions built by this wallet
    /// are already recorded when built; this refreshes their last-seen time.
    pub fn mark_unconfirmed(&self, tx: &Transaction) -> Result<(), WalletError> {
        let mut state = self.lock();
        state
            .wallet
            .apply_unconfirmed_txs([(tx.clone(), super::unix_now_secs())]);
        state.persist()
    }

    /// Forgets an unconfirmed transaction that will never be broadcast (a discarded funding).
    pub fn forget_unconfirmed(&self, txid: Txid) -> Result<(), WalletError> {
        let mut state = self.lock();
        state
            .wallet
            .apply_evicted_txs([(txid, super::unix_now_secs())]);
        state.persist()
    }

    /// Forgets several unconfirmed transactions at once (one persist), releasing their inputs.
    pub fn forget_unconfirmed_all(&self, txids: &[Txid]) -> Result<(), WalletError> {
        if txids.is_empty() {
            return Ok(());
        }
        let mut state = self.lock();
        let now = super::unix_now_secs();
        state
            .wallet
            .apply_evicted_txs(txids.iter().map(|txid| (*txid, now)));
        state.persist()
    }

    /// The wallet's transactions that are not confirmed on the chain it has synced to: ours,
    /// built or broadcast but not yet mined (the wallet learns of others' only from blocks).
    pub fn unconfirmed_txs(&self) -> Vec<Transaction> {
        self.lock()
            .wallet
            .transactions()
            .filter(|t| !t.chain_position.is_confirmed())
            .map(|t| t.tx_node.tx.as_ref().clone())
            .collect()
    }

    pub fn persist(&self) -> Result<(), WalletError> {
        self.lock().persist()
    }
}
