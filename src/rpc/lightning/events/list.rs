//! `lightning::events::list`: the event log from a cursor, oldest first.

use serde::Deserialize;

use super::{EventsError, EventsPage};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{MapToMmResult, MmResult};
use crate::rpc::method::RpcMethod;
use crate::service::feeds::DEFAULT_EVENT_LIMIT;

pub struct ListEvents;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEventsParams {
    #[serde(default)]
    coin: Option<String>,
    /// The first `event_index` wanted (0: from the oldest kept).
    #[serde(default)]
    from_index: u64,
    #[serde(default)]
    limit: Option<u32>,
    /// Kinds (`payment_succeeded`) or categories (`payment`); all when absent.
    #[serde(default)]
    kinds: Vec<String>,
}

impl RpcMethod for ListEvents {
    const NAME: &'static str = "lightning::events::list";
    const TAKES_COIN: bool = true;
    type Params = ListEventsParams;
    type Output = EventsPage;
    type Error = EventsError;

    async fn handle(
        ctx: &RpcContext,
        params: ListEventsParams,
    ) -> MmResult<EventsPage, EventsError> {
        let _ = params.coin;
        let engine = ctx.engine().map_to_mm(EventsError::from)?;
        let limit = params.limit.unwrap_or(DEFAULT_EVENT_LIMIT);
        let page = engine
            .feeds()
            .list(params.from_index, limit, &params.kinds)
            .await
            .map_to_mm(EventsError::from)?;
        Ok(EventsPage::new(&page.events, page.next_index))
    }
}
