//! `lightning::keys::create`: a new access key; the token is in this answer only.

use serde::{Deserialize, Serialize};

use super::error::KeysError;
use super::view::KeyView;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::lightning::events::subscribe::SUBSCRIPTION_METHODS;
use crate::rpc::method::RpcMethod;
use crate::service::keys::KeySpec;

pub struct CreateKey;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyParams {
    #[serde(default)]
    coin: Option<String>,
    label: String,
    /// `readonly`, `invoice` or `admin`; or give `methods`.
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    methods: Option<Vec<String>>,
    #[serde(default)]
    max_payment_msat: Option<u64>,
    #[serde(default)]
    budget_msat: Option<u64>,
    #[serde(default)]
    budget_period: Option<String>,
    #[serde(default)]
    expires_at: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct CreateKeyResponse {
    /// Shown once: store it now; the node keeps only its hash.
    pub token: String,
    #[serde(flatten)]
    pub key: KeyView,
}

impl RpcMethod for CreateKey {
    const NAME: &'static str = "lightning::keys::create";
    const TAKES_COIN: bool = true;
    type Params = CreateKeyParams;
    type Output = CreateKeyResponse;
    type Error = KeysError;

    async fn handle(
        ctx: &RpcContext,
        params: CreateKeyParams,
    ) -> MmResult<CreateKeyResponse, KeysError> {
        let engine = ctx.engine().map_to_mm(KeysError::from)?;
        let _ = params.coin;
        let spec = KeySpec {
            label: params.label,
            scope: params.scope,
            methods: params.methods,
            max_payment_msat: params.max_payment_msat,
            budget_msat: params.budget_msat,
            budget_period: params.budget_period,
            expires_at: params.expires_at,
        };
        let created = engine
            .keys()
            .create(spec, known_methods())
            .await
            .map_to_mm(KeysError::from)?;
        Ok(CreateKeyResponse {
            token: created.token,
            key: KeyView::new(created.row, engine.keys().now()),
        })
    }
}

/// The names an allow-list may use: every routed method and the WebSocket subscription.
pub fn known_methods() -> Vec<String> {
    crate::rpc::registry::method_names()
        .into_iter()
        .chain(SUBSCRIPTION_METHODS)
        .map(str::to_string)
        .collect()
}
