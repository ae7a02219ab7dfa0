//! `lightning::events::wait`: long-poll until an event at or after `from_index` exists; returns
//! it with any others already there, and `next_index`. An empty `events` means the timeout
//! passed; call again with the same `next_index`.

use serde::Deserialize;

use super::{EventsError, EventsPage};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::feeds::DEFAULT_EVENT_LIMIT;

pub struct WaitEvents;

/// How long a wait blocks when the caller names no timeout.
const DEFAULT_TIMEOUT_SECS: u64 = 60;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitEventsParams {
    #[serde(default)]
    coin: Option<String>,
    #[serde(default)]
    from_index: u64,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    kinds: Vec<String>,
    /// At most 600; 60 when absent.
    #[serde(default)]
    timeout_secs: Option<u64>,
}

impl RpcMethod for WaitEvents {
    const NAME: &'static str = "lightning::events::wait";
    const TAKES_COIN: bool = true;
    type Params = WaitEventsParams;
    type Output = EventsPage;
    type Error = EventsError;

    async fn handle(
        ctx: &RpcContext,
        params: WaitEventsParams,
    ) -> MmResult<EventsPage, EventsError> {
        let _ = params.coin;
        let engine = ctx.engine().map_to_mm(EventsError::from)?;
        let timeout = params.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
        let limit = params.limit.unwrap_or(DEFAULT_EVENT_LIMIT);
        let page = engine
            .feeds()
            .wait(params.from_index, limit, &params.kinds, timeout)
            .await
            .map_to_mm(EventsError::from)?;
        Ok(EventsPage::new(&page.events, page.next_index))
    }
}
