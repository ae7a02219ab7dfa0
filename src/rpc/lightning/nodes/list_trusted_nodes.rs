//! `lightning::nodes::list_trusted_nodes`: the nodes that may open zero-confirmation channels.

use serde::{Deserialize, Serialize};

use super::error::TrustedNodeError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;

pub struct ListTrustedNodes;

#[derive(Debug, Deserialize)]
pub struct ListTrustedNodesParams {}

#[derive(Debug, Serialize)]
pub struct ListTrustedNodesResponse {
    pub trusted_nodes: Vec<String>,
}

impl RpcMethod for ListTrustedNodes {
    const NAME: &'static str = "lightning::nodes::list_trusted_nodes";
    const TAKES_COIN: bool = true;
    type Params = ListTrustedNodesParams;
    type Output = ListTrustedNodesResponse;
    type Error = TrustedNodeError;

    async fn handle(
        ctx: &RpcContext,
        _params: ListTrustedNodesParams,
    ) -> MmResult<ListTrustedNodesResponse, TrustedNodeError> {
        let engine = ctx.engine().map_to_mm(TrustedNodeError::from)?;
        let trusted_nodes = engine
            .nodes()
            .list_trusted()
            .iter()
            .map(|id| id.to_string())
            .collect();
        Ok(ListTrustedNodesResponse { trusted_nodes })
    }
}
