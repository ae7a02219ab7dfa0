//! A key as the `lightning::keys::*` methods show it: never the token, nor its hash.

use serde::Serialize;

use crate::service::keys::AccessKeyRow;

#[derive(Debug, Serialize)]
pub struct KeyView {
    pub id: u64,
    pub label: String,
    /// The visible start of the token, to tell keys apart.
    pub token_hint: String,
    /// `readonly`, `invoice`, `admin` or `methods`.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_payment_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_msat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_period: Option<String>,
    /// `active`, `revoked` or `expired`.
    pub status: &'static str,
    pub created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<u64>,
}

impl KeyView {
    /// The view of `row` at unix time `now`.
    pub fn new(row: AccessKeyRow, now: u64) -> KeyView {
        let status = if row.revoked_at.is_some() {
            "revoked"
        } else if row.expires_at.is_some_and(|at| now >= at) {
            "expired"
        } else {
            "active"
        };
        KeyView {
            id: row.id,
            label: row.label,
            token_hint: row.token_hint,
            scope: row.scope,
            methods: row.methods,
            max_payment_msat: row.max_payment_msat,
            budget_msat: row.budget_msat,
            budget_period: row.budget_period,
            status,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}
