//! The onion messenger's BOLT 12 handler: the ChannelManager, plus a wake-up of the background
//! processor when an invoice arrived.
//!
//! With `manually_handle_bolt12_invoices`, LDK 0.2 queues `Event::InvoiceReceived` without
//! waking the background processor, whose next wake can be 30 seconds away (its slowest timer
//! in debug builds, 10 to 30 s in release): the payer would wait that long before the invoice
//! is recorded and paid. After the ChannelManager handled an invoice we wake it through a
//! no-op `abandon_payment` of an id no payment uses (the only public call that just notifies).

use std::sync::Arc;

use lightning::blinded_path::message::OffersContext;
use lightning::ln::channelmanager::PaymentId;
use lightning::onion_message::messenger::{
    MessageSendInstructions, Responder, ResponseInstruction,
};
use lightning::onion_message::offers::{OffersMessage, OffersMessageHandler};

use super::types::ChannelManager;

/// Never a real payment's id (ours are random or hashes), so abandoning it changes nothing.
const WAKE_ONLY_PAYMENT_ID: PaymentId = PaymentId([0; 32]);

pub struct OffersHandler {
    channel_manager: Arc<ChannelManager>,
}

impl OffersHandler {
    pub fn new(channel_manager: Arc<ChannelManager>) -> Self {
        OffersHandler { channel_manager }
    }
}

impl OffersMessageHandler for OffersHandler {
    fn handle_message(
        &self,
        message: OffersMessage,
        context: Option<OffersContext>,
        responder: Option<Responder>,
    ) -> Option<(OffersMessage, ResponseInstruction)> {
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
