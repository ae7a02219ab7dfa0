//! BOLT 12 offers we issue: create, list, disable; and refunds: create (we pay) and request
//! payment of someone else's (we receive).
//!
//! LDK recognises its own offers by their derived metadata, so it would answer invoice requests
//! for an offer without our `offers` table; the table is what `list_offers` shows and where a
//! disable is recorded. A disabled offer stops being paid: its payments are failed back when
//! they arrive (`events.rs`, `Ledger::record_inbound_bolt12`). LDK still answers its invoice
//! requests with an invoice, which can then not be paid.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use lightning::ln::channelmanager::{PaymentId, Retry};
use lightning::offers::offer::{Offer, Quantity};
use lightning::offers::parse::Bolt12SemanticError;
use lightning::offers::refund::Refund;
use lightning::routing::router::RouteParametersConfig;
use lightning::sign::EntropySource;

use crate::ledger::{
    Bolt12IntentInsert, Bolt12Kind, LedgerError, NewBolt12Intent, OfferRecord, Payment,
};
use crate::node::Node;

use super::fee_limit::effective_fee_limit_msat;
use super::hub::PaymentHub;
use super::offer_send::{now_secs, parse_refund, Bolt12TextError};

/// Longest description or issuer we put in an offer (bytes).
pub const MAX_OFFER_TEXT: usize = 640;
/// Offer and refund expiry: at most ten years (seconds).
pub const MAX_OFFER_EXPIRY_SECS: u64 = 10 * 365 * 24 * 3600;
/// 21 million bitcoin in millisatoshis: no amount can be larger (LDK refuses it too).
pub const MAX_MONEY_MSAT: u64 = 21_000_000 * 100_000_000 * 1_000;
/// A refund expires after this long unless told otherwise (seconds).
pub const DEFAULT_REFUND_EXPIRY_SECS: u64 = 3600;

/// `create_offer`'s request.
#[derive(Debug, Clone, Default)]
pub struct OfferRequest {
    pub description: String,
    /// `None`: the payer chooses the amount.
    pub amount_msat: Option<u64>,
    /// `None` or 1: one item per payment; 0: any quantity; n: at most n items.
    pub quantity_max: Option<u64>,
    /// Seconds from now; `None`: never expires.
    pub expiry_secs: Option<u64>,
    pub issuer: Option<String>,
}

/// `create_refund`'s request.
#[derive(Debug, Clone, Default)]
pub struct RefundRequest {
    pub amount_msat: u64,
    pub description: String,
    /// Seconds from now; [`DEFAULT_REFUND_EXPIRY_SECS`] when absent.
    pub expiry_secs: Option<u64>,
    pub fee_limit_msat: Option<u64>,
}

/// A refund we created: we pay it once its holder sends us an invoice.
#[derive(Debug, Clone)]
pub struct CreatedRefund {
    pub refund: String,
    pub payment_id: [u8; 32],
    pub expires_at: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    /// A request that breaks a rule; the text says which.
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidBolt12(Bolt12TextError),
    #[error("Offer {0} is not found")]
    NoSuchOffer(String),
    /// The Lightning engine could not build it (e.g. no peer to make a blinded path through).
    #[error("{0}")]
    EngineRefused(String),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

/// Why LDK would not build an offer or refund, in words.
pub(super) fn semantic_text(e: Bolt12SemanticError) -> String {
    match e {
        Bolt12SemanticError::MissingPaths => "no blinded path could be made: the node needs at \
             least one connected peer with a channel (or a public node) to be reachable"
            .to_string(),
        Bolt12SemanticError::DuplicatePaymentId => {
            "a payment with this id already exists".to_string()
        }
        other => format!("the Lightning engine refused it: {other:?}"),
    }
}

fn check_text(field: &str, text: &str) -> Result<(), OfferError> {
    if text.len() > MAX_OFFER_TEXT {
        return Err(OfferError::InvalidRequest(format!(
            "{field} is {} bytes long; at most {MAX_OFFER_TEXT} are allowed",
            text.len()
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(OfferError::InvalidRequest(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(())
}

fn check_expiry(expiry: Option<u64>) -> Result<(), OfferError> {
    match expiry {
        Some(0) => Err(OfferError::InvalidRequest(
            "expiry must be at least 1 second".to_string(),
        )),
        Some(e) if e > MAX_OFFER_EXPIRY_SECS => Err(OfferError::InvalidRequest(format!(
            "expiry {e} is too long: at most {MAX_OFFER_EXPIRY_SECS} seconds"
        ))),
        _ => Ok(()),
    }
}

/// Tells the node to refuse invoice requests for a disabled offer (by its signing key).
fn refuse_requests(node: &Node, offer: &OfferRecord) {
    let key = offer
        .offer
        .parse::<Offer>()
        .ok()
        .and_then(|o| o.issuer_signing_pubkey());
    match key {
        // An offer signed with the node id itself would take every such offer down with it;
        // LDK only makes those without blinded paths, which mmln never creates.
        Some(key) if key == node.node_id() => {
            tracing::warn!(offer_id = %hex::encode(offer.offer_id), "disabled offer is signed with the node id; its payments are still failed back")
        }
        Some(key) => node.disabled_offers().disable(key),
        None => {
            tracing::warn!(offer_id = %hex::encode(offer.offer_id), "disabled offer has no signing key; its payments are still failed back")
        }
    }
}

impl PaymentHub {
    /// Builds an offer through LDK (blinded paths through our peers) and records it.
    pub async fn create_offer(
        &self,
        node: &Arc<Node>,
        request: OfferRequest,
    ) -> Result<OfferRecord, OfferError> {
        check_text("description", &request.description)?;
        if let Some(issuer) = &request.issuer {
            check_text("issuer", issuer)?;
        }
        check_expiry(request.expiry_secs)?;
        if request.amount_msat.is_some_and(|a| a > MAX_MONEY_MSAT) {
            return Err(OfferError::InvalidRequest(format!(
                "amount_msat is more than 21 million bitcoin ({MAX_MONEY_MSAT} msat)"
            )));
        }
        if request.amount_msat == Some(0) {
            return Err(OfferError::InvalidRequest(
                "amount_msat must be at least 1; leave it out for an offer of any amount"
                    .to_string(),
            ));
        }
        let now = now_secs();
        let expires_at = request.expiry_secs.map(|e| now.saturating_add(e));
        let cm = node.channel_manager();
        let mut builder = cm
            .create_offer_builder()
            .map_err(|e| OfferError::EngineRefused(semantic_text(e)))?
            .description(request.description.clone());
        if let Some(amount) = request.amount_msat {
            builder = builder.amount_msats(amount);
        }
        builder = match request.quantity_max {
            None | Some(1) => builder,
            Some(0) => builder.supported_quantity(Quantity::Unbounded),
            Some(n) => match NonZeroU64::new(n) {
                Some(n) => builder.supported_quantity(Quantity::Bounded(n)),
                None => builder,
            },
        };
        if let Some(at) = expires_at {
            builder = builder.absolute_expiry(Duration::from_secs(at));
        }
        if let Some(issuer) = &request.issuer {
            builder = builder.issuer(issuer.clone());
        }
        let offer = builder
            .build()
            .map_err(|e| OfferError::EngineRefused(semantic_text(e)))?;
        let record = OfferRecord {
            offer_id: offer.id().0,
            offer: offer.to_string(),
            description: request.description,
            amount_msat: request.amount_msat,
            quantity_max: request.quantity_max.filter(|q| *q != 1),
            expires_at,
            issuer: request.issuer,
            created_at: now,
            disabled_at: None,
        };
        Ok(self
            .ledger
            .blocking(move |l| l.insert_offer(&record))
            .await?)
    }

    /// The offers we issued, newest first.
    pub async fn list_offers(
        &self,
        include_disabled: bool,
    ) -> Result<Vec<OfferRecord>, OfferError> {
        Ok(self
            .ledger
            .blocking(move |l| l.list_offers(include_disabled))
            .await?)
    }

    /// Disables one of our offers: from now on its invoice requests are refused and its
    /// payments failed back (idempotent).
    pub async fn disable_offer(
        &self,
        node: &Node,
        offer_id: [u8; 32],
    ) -> Result<OfferRecord, OfferError> {
        let offer = self
            .ledger
            .blocking(move |l| l.disable_offer(&offer_id))
            .await
            .map_err(|e| match e {
                LedgerError::NoSuchOffer(id) => OfferError::NoSuchOffer(hex::encode(id)),
                other => OfferError::Ledger(other),
            })?;
        refuse_requests(node, &offer);
        Ok(offer)
    }

    /// At start-up: the node refuses invoice requests for the offers disabled before.
    pub async fn restore_disabled_offers(&self, node: &Node) -> Result<(), LedgerError> {
        let offers = self.ledger.blocking(|l| l.list_offers(true)).await?;
        for offer in offers.iter().filter(|o| o.disabled_at.is_some()) {
            refuse_requests(node, offer);
        }
        Ok(())
    }

    /// A refund: an "offer of money" for `amount_msat` that we pay to whoever sends us an
    /// invoice for it before it expires. The intent is recorded before the string is handed
    /// out, so the invoice (which cannot come earlier) finds it.
    pub async fn create_refund(
        &self,
        node: &Arc<Node>,
        request: RefundRequest,
    ) -> Result<CreatedRefund, OfferError> {
        check_text("description", &request.description)?;
        check_expiry(request.expiry_secs)?;
        if request.amount_msat == 0 || request.amount_msat > MAX_MONEY_MSAT {
            return Err(OfferError::InvalidRequest(format!(
                "amount_msat must be between 1 and {MAX_MONEY_MSAT}"
            )));
        }
        let expiry = request.expiry_secs.unwrap_or(DEFAULT_REFUND_EXPIRY_SECS);
        let expires_at = now_secs().saturating_add(expiry);
        let fee_limit_msat = effective_fee_limit_msat(request.amount_msat, request.fee_limit_msat);
        let payment_id = node.keys_manager().get_secure_random_bytes();
        let config = RouteParametersConfig {
            max_total_routing_fee_msat: Some(fee_limit_msat),
            ..RouteParametersConfig::default()
        };
        let cm = node.channel_manager();
        let refund = cm
            .create_refund_builder(
                request.amount_msat,
                Duration::from_secs(expires_at),
                PaymentId(payment_id),
                Retry::Timeout(self.settings.retry_timeout),
                config,
            )
            .map_err(|e| OfferError::EngineRefused(semantic_text(e)))?
            .description(request.description.clone())
            .build()
            .map_err(|e| OfferError::EngineRefused(semantic_text(e)))?;
        let text = refund.to_string();
        let intent = NewBolt12Intent {
            payment_id,
            kind: Bolt12Kind::Refund,
            bolt12: text.clone(),
            offer_id: None,
            description: request.description,
            amount_msat: request.amount_msat,
            quantity: None,
            payer_note: None,
            fee_limit_msat,
            metadata: None,
            webhook_url: None,
            idempotency: None,
        };
        match self
            .ledger
            .blocking(move |l| l.insert_bolt12_intent(&intent))
            .await
        {
            Ok(Bolt12IntentInsert::Created(_) | Bolt12IntentInsert::Replay(_)) => {}
            Err(e) => {
                // Never handed out: nothing may pay against it.
                cm.abandon_payment(PaymentId(payment_id));
                return Err(e.into());
            }
        }
        Ok(CreatedRefund {
            refund: text,
            payment_id,
            expires_at,
        })
    }

    /// Asks the creator of `refund` to pay it to us: LDK sends it an invoice, whose payment is
    /// recorded as a pending inbound row at once.
    pub async fn request_refund_payment(
        &self,
        node: &Arc<Node>,
        refund: &str,
    ) -> Result<Payment, OfferError> {
        let refund: Refund =
            parse_refund(refund, node.network(), now_secs()).map_err(OfferError::InvalidBolt12)?;
        let invoice = node
            .channel_manager()
            .request_refund_payment(&refund)
            .map_err(|e| OfferError::EngineRefused(semantic_text(e)))?;
        let hash = invoice.payment_hash().0;
        let description = refund.description().to_string();
        let amount = invoice.amount_msats();
        let expires_at = invoice
            .created_at()
            .saturating_add(invoice.relative_expiry())
            .as_secs();
        let applied = self
            .ledger
            .blocking(move |l| {
                l.insert_inbound_refund(&hash, &description, amount, Some(expires_at))
            })
            .await?;
        Ok(applied.payment)
    }
}
