//! `lightning::keys::revoke`: the key stops working at once, on every surface, and its open
//! WebSocket subscriptions are closed. Revoking a revoked key changes nothing.

use serde::{Deserialize, Serialize};

use super::error::KeysError;
use super::view::KeyView;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct RevokeKey;

#[derive(Debug, Deserialize)]
pub struct RevokeKeyParams {
    id: u64,
}

#[derive(Debug, Serialize)]
pub struct RevokeKeyResponse {
    #[serde(flatten)]
    pub key: KeyView,
}

impl RpcMethod for RevokeKey {
    const NAME: &'static str = "lightning::keys::revoke";
    const TAKES_COIN: bool = true;
    type Params = RevokeKeyParams;
    type Output = RevokeKeyResponse;
    type Error = KeysError;

    async fn handle(
        ctx: &RpcContext,
        params: RevokeKeyParams,
    ) -> MmResult<RevokeKeyResponse, KeysError> {
        let engine = ctx.engine().map_to_mm(KeysError::from)?;
        let row = engine
            .keys()
            .revoke(params.id)
            .await
            .map_to_mm(KeysError::from)?;
        Ok(RevokeKeyResponse {
            key: KeyView::new(row, engine.keys().now()),
        })
    }
}
