//! `lightning::nodes::remove_trusted_node`: stops trusting `node_id` for zero-confirmation channels (open channels stay).

use serde::{Deserialize, Serialize};

use super::error::TrustedNodeError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct RemoveTrustedNode;

#[derive(Debug, Deserialize)]
pub struct RemoveTrustedNodeParams {
    node_id: String,
}

#[derive(Debug, Serialize)]
pub struct RemoveTrustedNodeResponse {
    pub removed_node: String,
}

impl RpcMethod for RemoveTrustedNode {
    const NAME: &'static str = "lightning::nodes::remove_trusted_node";
    const TAKES_COIN: bool = true;
    type Params = RemoveTrustedNodeParams;
    type Output = RemoveTrustedNodeResponse;
    type Error = TrustedNodeError;

    async fn handle(
        ctx: &RpcContext,
        params: RemoveTrustedNodeParams,
    ) -> MmResult<RemoveTrustedNodeResponse, TrustedNodeError> {
        let engine = ctx.engine().map_to_mm(TrustedNodeError::from)?;
        let node_id = engine
            .nodes()
            .remove_trusted(&params.node_id)
            .map_to_mm(TrustedNodeError::from)?;
        Ok(RemoveTrustedNodeResponse {
            removed_node: node_id.to_string(),
        })
    }
}
