//! Receiving: generate a BOLT 11 invoice and record it in the ledger as a pending inbound
//! payment with its description, amount and expiry.
//!
//! LDK creates the invoice statelessly (the preimage is derived from the payment secret), so
//! nothing needs undoing if the ledger write fails: the invoice is then simply never handed out.
//! The preimage is recorded too, so the success event can be checked against it.

use lightning::ln::channelmanager::Bolt11InvoiceParameters;
use lightning::types::payment::{PaymentHash, PaymentSecret};
use lightning_invoice::{Bolt11InvoiceDescription, Description, SignOrCreationError};
use serde_json::Value;

use crate::ledger::{LedgerError, NewInboundInvoice, Payment};
use crate::node::Node;

use super::hub::PaymentHub;
use super::metadata::{ClientMetadata, MetadataError};

/// Longest invoice expiry accepted: one year. Longer lifetimes keep LDK's inbound key
/// material valid for payments nobody expects any more.
pub const MAX_INVOICE_EXPIRY_SECS: u32 = 365 * 24 * 3600;

/// What to put in the invoice.
#[derive(Debug, Clone, Default)]
pub struct InvoiceRequest {
    pub description: String,
    /// `None` makes an amountless invoice; the payer chooses the amount.
    pub amount_msat: Option<u64>,
    /// Seconds; the hub's default (3600) when `None`.
    pub expiry_secs: Option<u32>,
    pub metadata: Option<Value>,
    /// Every event of this invoice is also POSTed here (host must be in
    /// `webhook_allowed_hosts`).
    pub webhook_url: Option<String>,
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
        let description = Description::new(request.description.clone())
            .map_err(|_| InvoiceError::DescriptionTooLong(request.description.len()))?;
        let cm = node.channel_manager();
        let invoice = cm
            .create_bolt11_invoice(Bolt11InvoiceParameters {
                amount_msats: request.amount_msat,
                description: Bolt11InvoiceDescription::Direct(description),
                invoice_expiry_delta_secs: Some(expiry),
                ..Bolt11InvoiceParameters::default()
            })
            .map_err(|e| {
                InvoiceError::CreateFailed(match e {
                    SignOrCreationError::SignError(()) => "signing failed".to_string(),
                    SignOrCreationError::CreationError(e) => e.to_string(),
                })
            })?;
        let hash: [u8; 32] = *invoice.payment_hash().as_ref();
        let secret = invoice.payment_secret().0;
        // Derived from the secret with our inbound key; absent only for foreign hashes.
        let preimage = cm
            .get_payment_preimage(PaymentHash(hash), PaymentSecret(secret))
            .ok()
            .map(|p| p.0);
        let new = NewInboundInvoice {
            payment_hash: hash,
            description: request.description,
            amount_msat: request.amount_msat,
            payment_secret: Some(secret),
            preimage,
            invoice: invoice.to_string(),
            expires_at: invoice.expires_at().map(|d| d.as_secs()),
            metadata: metadata.map(|m| m.as_str().to_string()),
        };
        let webhook_url = request.webhook_url;
        let applied = self
            .ledger
            .blocking(move |l| l.insert_inbound_invoice_with_webhook(&new, webhook_url.as_deref()))
            .await?;
        Ok(GeneratedInvoice {
            invoice: invoice.to_string(),
            payment: applied.payment,
        })
    }
}
