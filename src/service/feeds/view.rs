//! [`Feeds`]: the event-log operations the RPC methods call (see [`crate::service::Engine::feeds`]).

use crate::ledger::{EventPage, Ledger, WebhookDelivery};

use super::cln_wait::{self, ClnIndex, ClnSubsystem, ClnWaitResult};
use super::subscribe::{self, Subscription};
use super::{parse_kinds, webhooks, FeedError};

/// The feeds service over the ledger.
pub struct Feeds<'a> {
    ledger: &'a Ledger,
}

impl<'a> Feeds<'a> {
    pub(crate) fn new(ledger: &'a Ledger) -> Self {
        Feeds { ledger }
    }

    /// Events from `from_index` on, of the given kinds or categories (all when empty).
    pub async fn list(
        &self,
        from_index: u64,
        limit: u32,
        kinds: &[String],
    ) -> Result<EventPage, FeedError> {
        let kinds = parse_kinds(kinds)?;
        super::list(self.ledger, from_index, limit, kinds).await
    }

    /// Like [`Feeds::list`], but waits up to `timeout_secs` for a first event to exist.
    pub async fn wait(
        &self,
        from_index: u64,
        limit: u32,
        kinds: &[String],
        timeout_secs: u64,
    ) -> Result<EventPage, FeedError> {
        let kinds = parse_kinds(kinds)?;
        super::wait(self.ledger, from_index, limit, kinds, timeout_secs).await
    }

    /// Follows the log from `from_index`: replays what is there, then streams live. A consumer
    /// more than `capacity` events behind is closed with the index to resume from. A cursor
    /// into what retention deleted is refused here, before anything is streamed.
    pub async fn subscribe(
        &self,
        from_index: u64,
        kinds: &[String],
        capacity: usize,
    ) -> Result<Subscription, FeedError> {
        let kinds = parse_kinds(kinds)?;
        let probe = kinds.clone();
        self.ledger
            .blocking(move |l| l.list_events(from_index, 1, &probe))
            .await?;
        Ok(subscribe::subscribe(
            self.ledger.clone(),
            from_index,
            kinds,
            capacity,
        ))
    }

    /// Webhook deliveries and their attempts, from `from_event_index` on.
    pub async fn deliveries(
        &self,
        from_event_index: u64,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, FeedError> {
        webhooks::list_deliveries(self.ledger, from_event_index, limit).await
    }

    /// Core Lightning's `wait`: `None` when the index did not reach `nextvalue` in time.
    pub async fn cln_wait(
        &self,
        subsystem: ClnSubsystem,
        index: ClnIndex,
        nextvalue: u64,
        timeout_secs: u64,
    ) -> Result<Option<ClnWaitResult>, FeedError> {
        cln_wait::wait(self.ledger, subsystem, index, nextvalue, timeout_secs).await
    }
}
