//! `lightning::nodes::add_trusted_node`: lets `node_id` open zero-confirmation channels to us.

use serde::{Deserialize, Serialize};

use super::error::TrustedNodeError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct AddTrustedNode;

#[derive(Debug, Deserialize)]
pub struct AddTrustedNodeParams {
    node_id: String,
}

#[derive(Debug, Serialize)]
pub struct AddTrustedNodeResponse {
    pub added_node: String,
}

impl RpcMethod for AddTrustedNode {
    const NAME: &'static str = "lightning::nodes::add_trusted_node";
    const TAKES_COIN: bool = true;
    type Params = AddTrustedNodeParams;
    type Output = AddTrustedNodeResponse;
    type Error = TrustedNodeError;

    async fn handle(
        ctx: &RpcContext,
        params: AddTrustedNodeParams,
    ) -> MmResult<AddTrustedNodeResponse, TrustedNodeError> {
        let engine = ctx.engine().map_to_mm(TrustedNodeError::from)?;
        let node_id = engine
            .nodes()
            .add_trusted(&params.node_id)
            .map_to_mm(TrustedNodeError::from)?;
        Ok(AddTrustedNodeResponse {
            added_node: node_id.to_string(),
        })
    }
}
