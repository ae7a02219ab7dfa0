//! `lightning::nodes::connect_to_node`: connects to `pubkey@host:port` (the node also redials it
//! after restarts).

use serde::Deserialize;

use super::error::ConnectToNodeError;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::nodes::Connected;

pub struct ConnectToNode;

#[derive(Debug, Deserialize)]
pub struct ConnectToNodeParams {
    node_address: String,
}

impl RpcMethod for ConnectToNode {
    const NAME: &'static str = "lightning::nodes::connect_to_node";
    const TAKES_COIN: bool = true;
    type Params = ConnectToNodeParams;
    type Output = String;
    type Error = ConnectToNodeError;

    async fn handle(
        ctx: &RpcContext,
        params: ConnectToNodeParams,
    ) -> MmResult<String, ConnectToNodeError> {
        let engine = ctx.engine().map_to_mm(ConnectToNodeError::from)?;
        let (address, connected) = engine
            .nodes()
            .connect(&params.node_address)
            .await
            .map_to_mm(ConnectToNodeError::from)?;
        // KDF's exact wording, spaces included: clients match on these.
        match connected {
            Connected::Now => Ok(format!("Connected successfully to node : {address}")),
            Connected::Already => Ok(format!("Already connected to node: {address}")),
        }
    }
}
