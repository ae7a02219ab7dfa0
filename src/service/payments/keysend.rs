//! Keysend params: `{"destination", "amount_in_msat", "expiry"?, "custom_records"?,
//! "fee_limit_msat"?, "metadata"?}` (KDF's keysend payment plus mmln's extensions).
//!
//! `expiry` is the final CLTV delta in blocks, not seconds (KDF's meaning, whatever its docs say):
//! - below [`MIN_KEYSEND_EXPIRY`] (24, KDF's rule) or above [`MAX_KEYSEND_EXPIRY`] it is refused.
//!   The maximum is LDK's default limit on a route's whole CLTV (1008 blocks, one week); a final
//!   delta at that limit leaves no room for any hop, and more can never route.
//! - the delta actually sent is at least LDK's `MIN_FINAL_CLTV_EXPIRY_DELTA` (42): an LDK 0.2
//!   receiver, mmln included, fails a final HTLC that expires within 40 blocks, so KDF's
//!   customary 24 would never be claimed. Raising it costs the sender nothing but a longer worst
//!   case lock-up; keysend receivers cannot state their own minimum.
//! - absent, it is that same minimum.

use bitcoin::secp256k1::PublicKey;
use lightning::ln::channelmanager::MIN_FINAL_CLTV_EXPIRY_DELTA;
use lightning::routing::router::DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::custom_records::{CustomRecordsError, CustomRecordsParam};
use super::fee_limit::effective_fee_limit_msat;
use super::metadata::{ClientMetadata, MetadataError};

/// Smallest `expiry` accepted (KDF's rule).
pub const MIN_KEYSEND_EXPIRY: u32 = 24;
/// Largest `expiry` accepted: LDK's default bound on a route's total CLTV delta.
pub const MAX_KEYSEND_EXPIRY: u32 = DEFAULT_MAX_TOTAL_CLTV_EXPIRY_DELTA;
/// Smallest final CLTV delta actually sent: what an LDK 0.2 receiver accepts.
pub const MIN_SENT_FINAL_CLTV_EXPIRY_DELTA: u32 = MIN_FINAL_CLTV_EXPIRY_DELTA as u32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error_type", content = "error_data")]
pub enum KeysendError {
    #[error("invalid destination \"{destination}\": {reason}")]
    InvalidDestination {
        destination: String,
        reason: &'static str,
    },
    #[error("cannot keysend to this node itself")]
    SelfPayment,
    #[error("amount_in_msat must be greater than zero")]
    ZeroAmount,
    #[error("invalid expiry {expiry}: the final CLTV delta must be between {MIN_KEYSEND_EXPIRY} and {MAX_KEYSEND_EXPIRY} blocks")]
    InvalidExpiry { expiry: u32 },
    #[error(transparent)]
    InvalidCustomRecords(#[from] CustomRecordsError),
    #[error(transparent)]
    InvalidMetadata(#[from] MetadataError),
}

/// The keysend payment params as sent by the client.
#[derive(Debug, Clone, Deserialize)]
pub struct KeysendParams {
    pub destination: String,
    pub amount_in_msat: u64,
    #[serde(default)]
    pub expiry: Option<u32>,
    #[serde(default)]
    pub custom_records: Option<CustomRecordsParam>,
    #[serde(default)]
    pub fee_limit_msat: Option<u64>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// A keysend that passed every check, in the engine's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysendRequest {
    pub destination: PublicKey,
    pub amount_msat: u64,
    /// For `PaymentParameters::for_keysend`.
    pub final_cltv_expiry_delta: u32,
    /// Sorted by key, for `RecipientOnionFields::with_custom_tlvs`.
    pub custom_records: Vec<(u64, Vec<u8>)>,
    /// For `RouteParametersConfig::max_total_routing_fee_msat`.
    pub fee_limit_msat: u64,
    pub metadata: Option<ClientMetadata>,
}

impl KeysendParams {
    /// Checks the params in the order a client fixes them: who, how much, then the extras.
    pub fn validate(&self, our_node_id: &PublicKey) -> Result<KeysendRequest, KeysendError> {
        let destination = parse_node_id(&self.destination)?;
        ensure_not_self(&destination, our_node_id)?;
        if self.amount_in_msat == 0 {
            return Err(KeysendError::ZeroAmount);
        }
        let final_cltv_expiry_delta = final_cltv_expiry_delta(self.expiry)?;
        let custom_records = match &self.custom_records {
            Some(records) => records.validate()?,
            None => Vec::new(),
        };
        let metadata = self
            .metadata
            .as_ref()
            .map(ClientMetadata::from_param)
            .transpose()?;
        Ok(KeysendRequest {
            destination,
            amount_msat: self.amount_in_msat,
            final_cltv_expiry_delta,
            custom_records,
            fee_limit_msat: effective_fee_limit_msat(self.amount_in_msat, self.fee_limit_msat),
            metadata,
        })
    }
}

/// Parses a node id: exactly 66 hex digits, a compressed secp256k1 public key.
pub fn parse_node_id(text: &str) -> Result<PublicKey, KeysendError> {
    let invalid = |reason| KeysendError::InvalidDestination {
        destination: text.to_string(),
        reason,
    };
    if text.len() != 66 {
        return Err(invalid(
            "expected 66 hex characters (a 33-byte compressed public key)",
        ));
    }
    let bytes = hex::decode(text).map_err(|_| invalid("not a hex string"))?;
    PublicKey::from_slice(&bytes).map_err(|_| invalid("not a valid secp256k1 public key"))
}

/// Refuses a payment to our own node id; the router cannot route to ourselves.
pub fn ensure_not_self(
    destination: &PublicKey,
    our_node_id: &PublicKey,
) -> Result<(), KeysendError> {
    if destination == our_node_id {
        return Err(KeysendError::SelfPayment);
    }
    Ok(())
}

/// The final CLTV delta to send for the requested `expiry` (see the module docs).
pub fn final_cltv_expiry_delta(expiry: Option<u32>) -> Result<u32, KeysendError> {
    let Some(expiry) = expiry else {
        return Ok(MIN_SENT_FINAL_CLTV_EXPIRY_DELTA);
    };
    if !(MIN_KEYSEND_EXPIRY..=MAX_KEYSEND_EXPIRY).contains(&expiry) {
        return Err(KeysendError::InvalidExpiry { expiry });
    }
    Ok(expiry.max(MIN_SENT_FINAL_CLTV_EXPIRY_DELTA))
}

#[cfg(test)]
mod tests;
