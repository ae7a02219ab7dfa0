//! The offer object of the `lightning::offers::*` answers.

use serde::Serialize;

use crate::service::payments::OfferRecord;

/// One offer we issued.
#[derive(Debug, Clone, Serialize)]
pub struct OfferDetails {
    pub offer_id: String,
    /// The `lno1...` string to hand to payers.
    pub offer: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_msat: Option<u64>,
    /// Absent: one item per payment; 0: any quantity; n: at most n items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_max: Option<u64>,
    /// Unix seconds; absent: never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub created_at: u64,
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<u64>,
}

impl From<&OfferRecord> for OfferDetails {
    fn from(o: &OfferRecord) -> Self {
        OfferDetails {
            offer_id: hex::encode(o.offer_id),
            offer: o.offer.clone(),
            description: o.description.clone(),
            amount_msat: o.amount_msat,
            quantity_max: o.quantity_max,
            expires_at: o.expires_at,
            issuer: o.issuer.clone(),
            created_at: o.created_at,
            active: o.disabled_at.is_none(),
            disabled_at: o.disabled_at,
        }
    }
}
