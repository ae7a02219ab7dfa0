//! Receiving: generate a BOLT 11 invoice and record it in the ledger as a pending inbound
//! payment with its description, amount and expiry.
//!
//! LDK creates the invoice statelessly (the preimage is derived from the payment secret), so
//! nothing needs undoing if the ledger write fails: the invoice is then simply never handed out.
//! The preimage is recorded too, so the success event can be checked against it.
//!
//! A hold invoice (`payment_hash` given) is for a hash whose preimage the client keeps: LDK
//! accepts its payment but cannot claim it; the client settles or cancels it (`hold.rs`). LDK
//! gives a held payment up 39 blocks before its HTLCs expire and we cancel it
//! `hold_cancel_before_blocks` before that, so a hold invoice asks for a longer final CLTV delta
//! ([`DEFAULT_HOLD_MIN_FINAL_CLTV_EXPIRY_DELTA`]) to leave time to hold.

use bitcoin::hashes::{sha256, Hash};
use lightning::chain::channelmonitor::HTLC_FAIL_BACK_BUFFER;
use lightning::ln::channelmanager::{Bolt11InvoiceParameters, MIN_FINAL_CLTV_EXPIRY_DELTA};
use lightning::types::payment::{PaymentHash, PaymentSecret};
use lightning_invoice::{Bolt11InvoiceDescription, Description, Sha256, SignOrCreationError};
use serde_json::Value;

use crate::ledger::{LedgerError, NewInboundInvoice, Payment};
use crate::node::Node;

use super::hub::PaymentHub;
use super::metadata::{ClientMetadata, MetadataError};

/// Longest invoice expiry accepted: one year. Longer lifetimes keep LDK's inbound key
/// material valid for payments nobody expects any more.
pub const MAX_INVOICE_EXPIRY_SECS: u32 = 365 * 24 * 3600;

/// The final CLTV delta of a hold invoice when the request gives none: about a day of blocks,
/// so a payment can be held for hours before it must be canceled.
pub const DEFAULT_HOLD_MIN_FINAL_CLTV_EXPIRY_DELTA: u16 = 144;

/// What to put in the invoice.
#[derive(Debug, Clone, Default)]
pub struct InvoiceRequest {
    /// Exactly one of `description` and `description_hash`.
    pub description: Option<String>,
    /// The SHA-256 of a description kept elsewhere (LNURL-pay); stored as its hex.
    pub description_hash: Option<[u8; 32]>,
    /// Makes a hold invoice for this hash: its payment is held until settled or canceled.
    pub payment_hash: Option<[u8; 32]>,
    /// Blocks; LDK's minimum (42) when `None`, or 144 for a hold invoice.
    pub min_final_cltv_expiry_delta: Option<u16>,
    /// `None` makes an amountless invoice; the payer chooses the amount.
    pub amount_msat: Option<u64>,
    /// Seconds; the hub's default (3600) when `None`.
    pub expiry_secs: Option<u32>,
    pub metadata: Option<Value>,
    /// Every event of this invoice is also POSTed here (host must be in
    /// `webhook_allowed_hosts`).
    pub webhook_url: Option<String>,
    /// The access key asking, recorded on the row (`key_id`).
    pub key_id: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum InvoiceError {
    #[error("invalid description: {0} bytes, more than the 639 bytes an invoice can carry")]
    DescriptionTooLong(usize),
    #[error(
        "invalid amount_in_msat: must be greater than zero (omit it for an amountless invoice)"
    )]
    ZeroAmount,
    #[error("invalid expiry {0}: must be between 1 and {MAX_INVOICE_EXPIRY_SECS} seconds")]
    InvalidExpiry(u32),
    #[error("{0}")]
    InvalidMetadata(MetadataError),
    #[error("give exactly one of description and description_hash")]
    DescriptionChoice,
    #[error(
        "invalid min_final_cltv_expiry_delta {0}: must be at least {MIN_FINAL_CLTV_EXPIRY_DELTA} \
         (LDK gives a payment up {HTLC_FAIL_BACK_BUFFER} blocks before its HTLCs expire)"
    )]
    CltvDeltaTooShort(u16),
    #[error(
        "invalid min_final_cltv_expiry_delta {delta} for a hold invoice: must be more than \
         {minimum} ({HTLC_FAIL_BACK_BUFFER} blocks at which LDK gives a payment up, plus the \
         {cancel_before} of hold_invoice_cancel_before_blocks), or the payment would be \
         canceled as soon as it arrives"
    )]
    HoldCltvDeltaTooShort {
        delta: u16,
        minimum: u32,
        cancel_before: u32,
    },
    #[error("{0}")]
    InvalidWebhookUrl(crate::service::feeds::webhooks::WebhookUrlError),
    #[error("the invoice could not be created: {0}")]
    CreateFailed(String),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

/// A generated invoice and its ledger row.
#[derive(Debug, Clone)]
pub struct GeneratedInvoice {
    pub invoice: String,
    pub payment: Payment,
}

impl PaymentHub {
    pub async fn generate_invoice(
        &self,
        node: &Node,
        request: InvoiceRequest,
    ) -> Result<GeneratedInvoice, InvoiceError> {
        let expiry = request
            .expiry_secs
            .unwrap_or(self.settings.default_invoice_expiry_secs);
        if expiry == 0 || expiry > MAX_INVOICE_EXPIRY_SECS {
            return Err(InvoiceError::InvalidExpiry(expiry));
        }
        if request.amount_msat == Some(0) {
            return Err(InvoiceError::ZeroAmount);
        }
        if let Some(url) = &request.webhook_url {
            crate::service::feeds::webhooks::check_call_url(
                url,
                &self.settings.webhook_allowed_hosts,
            )
            .map_err(InvoiceError::InvalidWebhookUrl)?;
        }
        let metadata = request
            .metadata
            .as_ref()
            .map(ClientMetadata::from_param)
            .transpose()
            .map_err(InvoiceError::InvalidMetadata)?;
        let (description, stored_description) =
            match (request.description, request.description_hash) {
                (Some(text), None) => {
                    let len = text.len();
                    let d = Description::new(text.clone())
                        .map_err(|_| InvoiceError::DescriptionTooLong(len))?;
                    (Bolt11InvoiceDescription::Direct(d), text)
                }
                (None, Some(hash)) => (
                    Bolt11InvoiceDescription::Hash(Sha256(sha256::Hash::from_byte_array(hash))),
                    hex::encode(hash),
                ),
                _ => return Err(InvoiceError::DescriptionChoice),
            };
        let hold = request.payment_hash.is_some();
        let cltv_delta = self.final_cltv_delta(hold, request.min_final_cltv_expiry_delta)?;
        if let Some(hash) = request.payment_hash {
            // Checked again in the insert; this spares creating an invoice that would be refused.
            if self
                .ledger
                .blocking(move |l| l.get_payment(&hash))
                .await?
                .is_some()
            {
                return Err(LedgerError::HashInUse(hash).into());
            }
        }
        let cm = node.channel_manager();
        let invoice = cm
            .create_bolt11_invoice(Bolt11InvoiceParameters {
                amount_msats: request.amount_msat,
                description,
                invoice_expiry_delta_secs: Some(expiry),
                min_final_cltv_expiry_delta: cltv_delta,
                payment_hash: request.payment_hash.map(PaymentHash),
            })
            .map_err(|e| {
                InvoiceError::CreateFailed(match e {
                    SignOrCreationError::SignError(()) => "signing failed".to_string(),
                    SignOrCreationError::CreationError(e) => e.to_string(),
                })
            })?;
        let hash: [u8; 32] = *invoice.payment_hash().as_ref();
        let secret = invoice.payment_secret().0;
        // Derived from the secret with our inbound key; absent for a hold invoice's hash.
        let preimage = match hold {
            true => None,
            false => cm
                .get_payment_preimage(PaymentHash(hash), PaymentSecret(secret))
                .ok()
                .map(|p| p.0),
        };
        let new = NewInboundInvoice {
            payment_hash: hash,
            description: stored_description,
            amount_msat: request.amount_msat,
            payment_secret: Some(secret),
            preimage,
            invoice: invoice.to_string(),
            expires_at: invoice.expires_at().map(|d| d.as_secs()),
            metadata: metadata.map(|m| m.as_str().to_string()),
        };
        let webhook_url = request.webhook_url;
        let key_id = request.key_id;
        let applied = self
            .ledger
            .blocking(move |l| {
                let mut applied = match hold {
                    true => l.insert_hold_invoice(&new, webhook_url.as_deref())?,
                    false => l.insert_inbound_invoice_with_webhook(&new, webhook_url.as_deref())?,
                };
                // Recorded just after the row: nothing depends on it but lists, so a crash
                // in between only leaves this invoice without its key.
                if let (Some(key_id), true) = (key_id, applied.changed) {
                    applied.payment = l.set_payment_key(&new.payment_hash, key_id)?;
                }
                Ok(applied)
            })
            .await?;
        Ok(GeneratedInvoice {
            invoice: invoice.to_string(),
            payment: applied.payment,
        })
    }
}

impl PaymentHub {
    /// The final CLTV delta to ask for: LDK's default for an ordinary invoice, at least enough
    /// to hold a payment for a while before its auto-cancel for a hold invoice.
    fn final_cltv_delta(
        &self,
        hold: bool,
        asked: Option<u16>,
    ) -> Result<Option<u16>, InvoiceError> {
        if let Some(delta) = asked {
            if delta < MIN_FINAL_CLTV_EXPIRY_DELTA {
                return Err(InvoiceError::CltvDeltaTooShort(delta));
            }
        }
        if !hold {
            return Ok(asked);
        }
        let delta = asked.unwrap_or(DEFAULT_HOLD_MIN_FINAL_CLTV_EXPIRY_DELTA);
        let cancel_before = self.settings.hold_cancel_before_blocks;
        let minimum = HTLC_FAIL_BACK_BUFFER + cancel_before;
        if u32::from(delta) <= minimum {
            return Err(InvoiceError::HoldCltvDeltaTooShort {
                delta,
                minimum,
                cancel_before,
            });
        }
        Ok(Some(delta))
    }
}
