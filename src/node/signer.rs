//! LDK's `SignerProvider`, with one change from `KeysManager`: the scripts LDK pays us to on a
//! cooperative close (and its destination script) are fresh addresses of the BDK wallet, so
//! closed-channel funds land in the wallet directly instead of needing a sweep.

use std::sync::Arc;

use bitcoin::ScriptBuf;
use lightning::ln::script::ShutdownScript;
use lightning::sign::{InMemorySigner, KeysManager, SignerProvider};

use super::wallet::OnchainWallet;

pub struct WalletSignerProvider {
    keys: Arc<KeysManager>,
    wallet: Arc<OnchainWallet>,
}

impl WalletSignerProvider {
    pub fn new(keys: Arc<KeysManager>, wallet: Arc<OnchainWallet>) -> Self {
        WalletSignerProvider { keys, wallet }
    }
}

impl SignerProvider for WalletSignerProvider {
    type EcdsaSigner = InMemorySigner;

    fn generate_channel_keys_id(&self, inbound: bool, user_channel_id: u128) -> [u8; 32] {
        self.keys.generate_channel_keys_id(inbound, user_channel_id)
    }

    fn derive_channel_signer(&self, channel_keys_id: [u8; 32]) -> InMemorySigner {
        self.keys.derive_channel_signer(channel_keys_id)
    }

    fn get_destination_script(&self, _channel_keys_id: [u8; 32]) -> Result<ScriptBuf, ()> {
        self.wallet
            .new_change_script()
            .map_err(|e| tracing::error!("no wallet address for a channel destination script: {e}"))
    }

    fn get_shutdown_scriptpubkey(&self) -> Result<ShutdownScript, ()> {
        let script = self
            .wallet
            .new_change_script()
            .map_err(|e| tracing::error!("no wallet address for a shutdown script: {e}"))?;
        ShutdownScript::try_from(script)
            .map_err(|e| tracing::error!("wallet script is not a valid shutdown script: {e:?}"))
    }
}
