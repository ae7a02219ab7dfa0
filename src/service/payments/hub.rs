//! [`PaymentHub`]: the payments service's shared state (ledger, waiters, settings).
//!
//! App start-up builds exactly one per daemon, before the node starts, because the node's event
//! sink needs it (the sink calls [`PaymentHub::apply_payment_event`]); the RPC context carries a
//! clone of the same hub, so a send waiting for its outcome is woken by the event that settles
//! it. Several daemons in one process (tests, the sandbox) each have their own.

use std::sync::Arc;
use std::time::Duration;

use crate::ledger::Ledger;

use super::decoded_records::well_known_even_keys;
use super::notify::PaymentNotifier;

/// Default invoice expiry (KDF's default).
pub const DEFAULT_INVOICE_EXPIRY_SECS: u32 = 3600;
/// How long LDK keeps retrying a payment on other routes before giving up.
pub const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a send may wait for its outcome (`wait_timeout_secs`).
pub const MAX_WAIT_TIMEOUT_SECS: u64 = 600;

/// Even custom record keys a received keysend may carry and still be claimed. BOLT 1 says a
/// receiver must refuse unknown even types; these are the value-for-value keys wallets use
/// (LNPay wallet id, Hive, Fountain, Sphinx, Whatsat message).
pub const DEFAULT_ALLOWED_EVEN_RECORDS: [u64; 5] =
    [112_111_100, 818_818, 906_608, 133_773_310, 34_349_334];

/// How long the parts of a `sendpay` multi-part group are gathered before the group fails.
pub const DEFAULT_SENDPAY_MPP_TIMEOUT: Duration = Duration::from_secs(60);

/// Blocks before a held payment's claim deadline at which it is canceled automatically.
pub const DEFAULT_HOLD_CANCEL_BEFORE_BLOCKS: u32 = 18;

/// Configurable rules of the payments service.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// Even custom record keys we accept on inbound payments (see
    /// [`DEFAULT_ALLOWED_EVEN_RECORDS`]). Odd keys are always accepted.
    pub allowed_even_records: Vec<u64>,
    /// `Retry::Timeout` given to LDK for every send.
    pub retry_timeout: Duration,
    /// Expiry of generated invoices when the request gives none.
    pub default_invoice_expiry_secs: u32,
    /// A held payment is canceled this many blocks before its claim deadline (config
    /// `hold_invoice_cancel_before_blocks`).
    pub hold_cancel_before_blocks: u32,
    /// Hosts a per-call `webhook_url` may name.
    pub webhook_allowed_hosts: Vec<String>,
    /// How long `sendpay` parts of one group are gathered (config
    /// `sendpay_mpp_timeout_secs`; LDK 0.2 sends a multi-part payment only once whole).
    pub sendpay_mpp_timeout: Duration,
    /// Custom record keys that route an incoming keysend into a sub-wallet, in priority order
    /// (config `wallet_routing_tlvs`; see `wallet_routing.rs`).
    pub wallet_routing_records: Vec<u64>,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        let mut allowed: Vec<u64> = DEFAULT_ALLOWED_EVEN_RECORDS.to_vec();
        // Keep the decoder's list and the claim policy in step.
        for key in well_known_even_keys() {
            if !allowed.contains(&key) {
                allowed.push(key);
            }
        }
        allowed.sort_unstable();
        PaymentSettings {
            allowed_even_records: allowed,
            retry_timeout: DEFAULT_RETRY_TIMEOUT,
            default_invoice_expiry_secs: DEFAULT_INVOICE_EXPIRY_SECS,
            hold_cancel_before_blocks: DEFAULT_HOLD_CANCEL_BEFORE_BLOCKS,
            webhook_allowed_hosts: crate::config::default_webhook_allowed_hosts(),
            sendpay_mpp_timeout: DEFAULT_SENDPAY_MPP_TIMEOUT,
            wallet_routing_records: crate::config::DEFAULT_WALLET_ROUTING_TLVS.to_vec(),
        }
    }
}

impl PaymentSettings {
    /// The settings a daemon runs with: the configured claim allow-list and hold auto-cancel,
    /// the rest default.
    pub fn from_config(config: &crate::config::Config) -> Self {
        PaymentSettings {
            allowed_even_records: config.keysend_accepted_even_tlvs.clone(),
            hold_cancel_before_blocks: config.hold_invoice_cancel_before_blocks,
            webhook_allowed_hosts: config.webhook_allowed_hosts.clone(),
            sendpay_mpp_timeout: Duration::from_secs(config.sendpay_mpp_timeout_secs),
            wallet_routing_records: config.wallet_routing_tlvs.clone(),
            ..PaymentSettings::default()
        }
    }
}

/// The payments service. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct PaymentHub {
    pub(super) ledger: Ledger,
    pub(super) notifier: PaymentNotifier,
    pub(super) settings: Arc<PaymentSettings>,
}

impl PaymentHub {
    pub fn new(ledger: Ledger, settings: PaymentSettings) -> Self {
        PaymentHub {
            ledger,
            notifier: PaymentNotifier::new(),
            settings: Arc::new(settings),
        }
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn notifier(&self) -> &PaymentNotifier {
        &self.notifier
    }

    pub fn settings(&self) -> &PaymentSettings {
        &self.settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_allow_list_holds_the_value_for_value_keys_and_no_odd_key() {
        let settings = PaymentSettings::default();
        for key in DEFAULT_ALLOWED_EVEN_RECORDS {
            assert!(settings.allowed_even_records.contains(&key), "{key}");
        }
        assert!(settings.allowed_even_records.iter().all(|k| k % 2 == 0));
        assert!(!settings.allowed_even_records.contains(&5_482_373_484));
    }

    #[test]
    fn the_configured_default_is_the_payments_default() {
        assert_eq!(
            PaymentSettings::default().allowed_even_records,
            crate::config::DEFAULT_KEYSEND_ACCEPTED_EVEN_TLVS.to_vec()
        );
    }
}
