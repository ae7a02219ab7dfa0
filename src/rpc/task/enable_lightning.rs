//! `task::enable_lightning::init` / `status`. The daemon runs one lightning coin from start-up,
//! so activation is already done: `init` (for the configured ticker) hands out a task id and
//! `status` answers `Ok` at once with the running node, as a KDF client expects to poll for.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::error::EnableLightningError;
use crate::rpc::coin::check_lightning_coin;
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapMmError, MapToMmResult, MmError, MmResult};
use crate::rpc::lightning::wallet::platform_ticker;
use crate::rpc::method::RpcMethod;
use crate::service::wallet::sats_to_btc_string;

/// The task ids handed out so far.
#[derive(Debug, Default)]
pub struct ActivationTasks {
    next: AtomicU64,
    issued: Mutex<HashSet<u64>>,
}

impl ActivationTasks {
    fn issue(&self) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id);
        id
    }

    fn known(&self, id: u64) -> bool {
        self.issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&id)
    }
}

/// KDF's activation params; accepted for compatibility. The node's name, port and colour come
/// from the daemon's configuration.
#[derive(Debug, Deserialize)]
pub struct ActivationParams {
    #[allow(dead_code)]
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    listening_port: Option<u16>,
    #[serde(default)]
    #[allow(dead_code)]
    color: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    payment_retries: Option<usize>,
}

#[derive(Debug, Deserialize)]
pub struct InitParams {
    ticker: String,
    #[allow(dead_code)]
    activation_params: ActivationParams,
}

#[derive(Debug, Serialize)]
pub struct InitResponse {
    pub task_id: u64,
}

pub struct EnableLightningInit;

impl RpcMethod for EnableLightningInit {
    const NAME: &'static str = "task::enable_lightning::init";
    const TAKES_COIN: bool = false;
    type Params = InitParams;
    type Output = InitResponse;
    type Error = EnableLightningError;

    async fn handle(
        ctx: &RpcContext,
        params: InitParams,
    ) -> MmResult<InitResponse, EnableLightningError> {
        check_lightning_coin(ctx.coin_ticker(), &params.ticker).map_mm_err()?;
        ctx.engine().map_to_mm(EnableLightningError::from)?;
        Ok(InitResponse {
            task_id: ctx.activation_tasks().issue(),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusParams {
    task_id: u64,
    #[serde(default)]
    #[allow(dead_code)]
    forget_if_finished: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct CoinBalance {
    pub spendable: String,
    pub unspendable: String,
}

#[derive(Debug, Serialize)]
pub struct ActivationResult {
    pub platform_coin: String,
    /// The node's public key, as KDF reports a lightning coin's address.
    pub address: String,
    /// Lightning balance in BTC: spendable is what we can send now, unspendable the rest of
    /// our channel balance (reserves, unconfirmed channels).
    pub balance: CoinBalance,
}

#[derive(Debug, Serialize)]
#[serde(tag = "status", content = "details")]
pub enum StatusResponse {
    Ok(ActivationResult),
}

pub struct EnableLightningStatus;

impl RpcMethod for EnableLightningStatus {
    const NAME: &'static str = "task::enable_lightning::status";
    const TAKES_COIN: bool = false;
    type Params = StatusParams;
    type Output = StatusResponse;
    type Error = EnableLightningError;

    async fn handle(
        ctx: &RpcContext,
        params: StatusParams,
    ) -> MmResult<StatusResponse, EnableLightningError> {
        if !ctx.activation_tasks().known(params.task_id) {
            return MmError::err(EnableLightningError::NoSuchTask(params.task_id));
        }
        let engine = ctx.engine().map_to_mm(EnableLightningError::from)?;
        let info = engine.nodes().info();
        let spendable_msat = info.lightning_spendable_msat;
        let total_msat = info.lightning_balance_msat;
        Ok(StatusResponse::Ok(ActivationResult {
            platform_coin: platform_ticker(ctx.coin_ticker()),
            address: info.node_id.to_string(),
            balance: CoinBalance {
                spendable: sats_to_btc_string(spendable_msat / 1000),
                unspendable: sats_to_btc_string(total_msat.saturating_sub(spendable_msat) / 1000),
            },
        }))
    }
}
