//! `lightning::keys::list`: every access key, revoked and expired ones included; never a
//! token.

use serde::Serialize;

use super::error::KeysError;
use super::view::KeyView;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::{NoParams, RpcMethod};

pub struct ListKeys;

#[derive(Debug, Serialize)]
pub struct ListKeysResponse {
    pub keys: Vec<KeyView>,
}

impl RpcMethod for ListKeys {
    const NAME: &'static str = "lightning::keys::list";
    const TAKES_COIN: bool = true;
    type Params = NoParams;
    type Output = ListKeysResponse;
    type Error = KeysError;

    async fn handle(ctx: &RpcContext, _: NoParams) -> MmResult<ListKeysResponse, KeysError> {
        let engine = ctx.engine().map_to_mm(KeysError::from)?;
        let now = engine.keys().now();
        let keys = engine.keys().list();
        Ok(ListKeysResponse {
            keys: keys.into_iter().map(|row| KeyView::new(row, now)).collect(),
        })
    }
}
