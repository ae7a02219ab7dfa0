//! Refuses every peer whose handshake completes while the node is off the network.
//!
//! A failed flush takes the node offline (flush_loop.rs): it disconnects every peer, and the
//! listener and the redial task stop. A handshake already under way at that moment would still
//! complete afterwards and bring a peer back to channels whose monitor updates are never
//! released. LDK's PeerManager asks every message handler when a peer connects and drops the
//! peer if one says no; this handler, in the custom-message slot (the node sends no custom
//! messages), says no while the node is offline.

use std::convert::Infallible;

use bitcoin::secp256k1::PublicKey;
use lightning::ln::msgs::{DecodeError, Init, LightningError};
use lightning::ln::peer_handler::CustomMessageHandler;
use lightning::ln::wire::CustomMessageReader;
use lightning::types::features::{InitFeatures, NodeFeatures};
use lightning::util::ser::LengthLimitedRead;
use tokio::sync::watch;

pub struct OfflineGuard {
    offline: watch::Receiver<bool>,
}

impl OfflineGuard {
    pub fn new(offline: watch::Receiver<bool>) -> OfflineGuard {
        OfflineGuard { offline }
    }
}

impl CustomMessageReader for OfflineGuard {
    type CustomMessage = Infallible;

    /// No custom message type is known: LDK then treats the message as unknown (ignored if
    /// odd, the peer dropped if even), as it would with no custom handler.
    fn read<R: LengthLimitedRead>(
        &self,
        _message_type: u16,
        _buffer: &mut R,
    ) -> Result<Option<Infallible>, DecodeError> {
        Ok(None)
    }
}

impl CustomMessageHandler for OfflineGuard {
    fn handle_custom_message(
        &self,
        msg: Infallible,
        _sender_node_id: PublicKey,
    ) -> Result<(), LightningError> {
        match msg {}
    }

    fn get_and_clear_pending_msg(&self) -> Vec<(PublicKey, Infallible)> {
        Vec::new()
    }

    fn peer_disconnected(&self, _their_node_id: PublicKey) {}

    fn peer_connected(
        &self,
        their_node_id: PublicKey,
        _msg: &Init,
        _inbound: bool,
    ) -> Result<(), ()> {
        if *self.offline.borrow() {
            tracing::info!(%their_node_id, "peer refused: the node is off the network");
            return Err(());
        }
        Ok(())
    }

    fn provided_node_features(&self) -> NodeFeatures {
        NodeFeatures::empty()
    }

    fn provided_init_features(&self, _their_node_id: PublicKey) -> InitFeatures {
        InitFeatures::empty()
    }
}
