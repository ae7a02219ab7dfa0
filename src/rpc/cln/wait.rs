//! `wait {subsystem, indexname, nextvalue}` (Core Lightning): returns once the index reaches
//! `nextvalue`, as `{subsystem, <indexname>: N, details, <subsystem>: {...}}`. Subsystems
//! `invoices` (inbound payments) and `sendpays` (outbound). mmln adds an optional
//! `timeout_secs` (CLN waits forever); when it passes the answer is the `Timeout` error.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use axum::http::StatusCode;

use crate::rpc::context::{EngineNotRunning, RpcContext};
use crate::rpc::error::{MapToMmResult, MmResult, RpcError};
use crate::rpc::method::RpcMethod;
use crate::service::feeds::cln_wait::{ClnIndex, ClnSubsystem};
use crate::service::feeds::{FeedError, MAX_WAIT_SECS};

pub struct ClnWait;

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubsystemWire {
    Invoices,
    Sendpays,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexNameWire {
    Created,
    Updated,
    Deleted,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClnWaitParams {
    subsystem: SubsystemWire,
    indexname: IndexNameWire,
    nextvalue: u64,
    /// mmln: give up after this many seconds (at most 600; 600 when absent).
    #[serde(default)]
    timeout_secs: Option<u64>,
}

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum ClnWaitError {
    #[error("No such coin {0}")]
    NoSuchCoin(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("Timed out waiting for the index to reach {0}")]
    Timeout(u64),
    #[error("DB error: {0}")]
    DbError(String),
}

impl RpcError for ClnWaitError {
    fn status(&self) -> StatusCode {
        match self {
            ClnWaitError::NoSuchCoin(_) => StatusCode::NOT_FOUND,
            ClnWaitError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ClnWaitError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ClnWaitError::DbError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<EngineNotRunning> for ClnWaitError {
    fn from(e: EngineNotRunning) -> Self {
        ClnWaitError::NoSuchCoin(e.ticker)
    }
}

impl From<FeedError> for ClnWaitError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::Ledger(e) => ClnWaitError::DbError(e.to_string()),
            other => ClnWaitError::InvalidRequest(other.to_string()),
        }
    }
}

impl RpcMethod for ClnWait {
    const NAME: &'static str = "wait";
    const TAKES_COIN: bool = false;
    type Params = ClnWaitParams;
    type Output = Map<String, Value>;
    type Error = ClnWaitError;

    async fn handle(
        ctx: &RpcContext,
        params: ClnWaitParams,
    ) -> MmResult<Map<String, Value>, ClnWaitError> {
        let engine = ctx.engine().map_to_mm(ClnWaitError::from)?;
        let timeout = params.timeout_secs.unwrap_or(MAX_WAIT_SECS);
        let (subsystem, name) = match params.subsystem {
            SubsystemWire::Invoices => (ClnSubsystem::Invoices, "invoices"),
            SubsystemWire::Sendpays => (ClnSubsystem::Sendpays, "sendpays"),
        };
        let (index, index_name) = match params.indexname {
            IndexNameWire::Created => (ClnIndex::Created, "created"),
            IndexNameWire::Updated => (ClnIndex::Updated, "updated"),
            IndexNameWire::Deleted => (ClnIndex::Deleted, "deleted"),
        };
        let reached = engine
            .feeds()
            .cln_wait(subsystem, index, params.nextvalue, timeout)
            .await
            .map_to_mm(ClnWaitError::from)?
            .ok_or(ClnWaitError::Timeout(params.nextvalue))
            .map_to_mm(|e| e)?;
        let mut out = Map::new();
        out.insert("subsystem".into(), Value::from(name));
        out.insert(index_name.into(), Value::from(reached.value));
        if let Some(d) = reached.details {
            let mut details = Map::new();
            details.insert("status".into(), Value::from(d.status));
            match subsystem {
                ClnSubsystem::Invoices => {
                    details.insert("description".into(), Value::from(d.description));
                    if let Some(bolt11) = d.bolt11 {
                        details.insert("bolt11".into(), Value::from(bolt11));
                    }
                }
                ClnSubsystem::Sendpays => {
                    details.insert("partid".into(), Value::from(d.partid));
                    details.insert("groupid".into(), Value::from(d.groupid));
                    details.insert("payment_hash".into(), Value::from(d.payment_hash));
                }
            }
            out.insert(name.into(), Value::Object(details.clone()));
            out.insert("details".into(), Value::Object(details));
        }
        Ok(out)
    }
}
