//! The onion messenger's BOLT 12 handler: the ChannelManager, plus a wake-up of the background
//! processor when an invoice arrived, and a refusal of invoice requests for disabled offers.
//!
//! Disabled offers are known by their issuer signing key, which LDK derives per offer: an
//! invoice request repeats the offer's fields, so its key names the offer without LDK's
//! verification. The request is answered with an `invoice_error`, so the payer's LDK gives up
//! at once (`InvoiceRequestRejected`) instead of waiting for an invoice that never comes.
//!
//! With `manually_handle_bolt12_invoices`, LDK 0.2 queues `Event::InvoiceReceived` without
//! waking the background loop, whose next wake can be a second away (processor.rs's idle
//! wake): the payer would wait that long before the invoice is recorded and paid. After the ChannelManager handled an invoice we wake it through a
//! no-op `abandon_payment` of an id no payment uses (the only public call that just notifies).

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use bitcoin::secp256k1::PublicKey;
use lightning::offers::invoice_error::InvoiceError;

use lightning::blinded_path::message::OffersContext;
use lightning::ln::channelmanager::PaymentId;
use lightning::onion_message::messenger::{
    MessageSendInstructions, Responder, ResponseInstruction,
};
use lightning::onion_message::offers::{OffersMessage, OffersMessageHandler};

use super::types::ChannelManager;

/// Never a real payment's id (ours are random or hashes), so abandoning it changes nothing.
const WAKE_ONLY_PAYMENT_ID: PaymentId = PaymentId([0; 32]);

/// The signing keys of the offers whose invoice requests are refused.
#[derive(Default)]
pub struct DisabledOffers {
    keys: RwLock<HashSet<PublicKey>>,
}

impl DisabledOffers {
    pub fn disable(&self, issuer_signing_key: PublicKey) {
        self.keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(issuer_signing_key);
    }

    pub fn is_disabled(&self, issuer_signing_key: &PublicKey) -> bool {
        self.keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(issuer_signing_key)
    }
}

pub struct OffersHandler {
    channel_manager: Arc<ChannelManager>,
    disabled: Arc<DisabledOffers>,
}

impl OffersHandler {
    pub fn new(channel_manager: Arc<ChannelManager>, disabled: Arc<DisabledOffers>) -> Self {
        OffersHandler {
            channel_manager,
            disabled,
        }
    }
}

impl OffersMessageHandler for OffersHandler {
    fn handle_message(
        &self,
        message: OffersMessage,
        context: Option<OffersContext>,
        responder: Option<Responder>,
    ) -> Option<(OffersMessage, ResponseInstruction)> {
        if let OffersMessage::InvoiceRequest(request) = &message {
            if request
                .issuer_signing_pubkey()
                .is_some_and(|key| self.disabled.is_disabled(&key))
            {
                tracing::info!("invoice request for a disabled offer refused");
                let error = InvoiceError::from_string("this offer is disabled".to_string());
                return responder.map(|r| (OffersMessage::InvoiceError(error), r.respond()));
            }
        }
        let is_invoice = matches!(message, OffersMessage::Invoice(_));
        let reply = self
            .channel_manager
            .handle_message(message, context, responder);
        if is_invoice {
            self.channel_manager.abandon_payment(WAKE_ONLY_PAYMENT_ID);
        }
        reply
    }

    fn release_pending_messages(&self) -> Vec<(OffersMessage, MessageSendInstructions)> {
        self.channel_manager.release_pending_messages()
    }
}
