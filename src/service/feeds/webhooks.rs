//! The webhook delivery worker.
//!
//! Rules:
//! - The outbox is filled by the ledger in the transaction of the change (see
//!   `ledger/events.rs`), so a delivery exists before anyone could learn of the change, and a
//!   crash leaves it pending; the worker picks up every pending row at start-up.
//! - Each attempt is recorded before the next is scheduled. A 2xx answer is delivered; any
//!   other answer, a timeout or a connection error is retried after `base * 2^(n-1)` (at most
//!   one hour), until the next attempt would fall past the horizon after the event.
//! - Delivery is at least once: a crash between a receiver's 2xx and our record of it sends
//!   again. The `Mmln-Webhook-Id` header (the same on every attempt, and for every URL the
//!   event goes to) lets the receiver drop the duplicate.
//! - The worker wakes on each commit that added deliveries (the ledger's outbox watch) and at
//!   the next due retry; it never polls in a tight loop.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::settings::WebhookSettings;
use super::signature::{sign, SIGNATURE_HEADER};
use crate::ledger::{DeliveryOutcome, Event, Ledger, WebhookDue};
use crate::service::payments::decoded_records::decode_records;
use crate::service::payments::metadata::ClientMetadata;

/// The idempotency header: `evt_<event_index>`.
pub const ID_HEADER: &str = "Mmln-Webhook-Id";
/// Deliveries started at once.
const BATCH: u32 = 32;
/// The longest the worker sleeps without looking at the outbox (a safety net only).
const IDLE_RECHECK: Duration = Duration::from_secs(60);

/// Why a per-call webhook URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "webhook_url host {host:?} is not allowed: add it to webhook_allowed_hosts to let \
         callers name it"
    )]
    HostNotAllowed { host: String },
}

/// Checks a per-call `webhook_url` against the URL rules and `webhook_allowed_hosts`.
pub fn check_call_url(url: &str, allowed_hosts: &[String]) -> Result<(), WebhookUrlError> {
    crate::config::check_webhook_url(url).map_err(WebhookUrlError::Invalid)?;
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if allowed_hosts.iter().any(|h| h == bare) {
        Ok(())
    } else {
        Err(WebhookUrlError::HostNotAllowed { host })
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The event as clients see it everywhere (webhooks, `events::list`).
pub fn event_json(event: &Event) -> Value {
    json!({
        "event_index": event.event_index,
        "kind": event.kind.as_str(),
        "at": event.at,
        "subject": event.subject,
        "data": serde_json::from_str::<Value>(&event.data).unwrap_or(Value::Null),
    })
}

/// The POST body: the event, and for payment events the payment's metadata and decoded
/// custom records as they are now.
async fn body(ledger: &Ledger, event: &Event) -> Value {
    let mut body = json!({
        "id": format!("evt_{}", event.event_index),
        "event": event_json(event),
    });
    if event.kind.category() != "payment" {
        return body;
    }
    let Some(hash) = hex::decode(&event.subject)
        .ok()
        .and_then(|h| <[u8; 32]>::try_from(h).ok())
    else {
        return body;
    };
    if let Ok(Some(p)) = ledger.blocking(move |l| l.get_payment(&hash)).await {
        let records: Vec<(u64, Vec<u8>)> = p
            .custom_records
            .iter()
            .map(|r| (r.key, r.value.clone()))
            .collect();
        body["payment"] = json!({
            "payment_hash": event.subject,
            "metadata": p.metadata.map(|m| ClientMetadata::from_stored(m).to_value()),
            "custom_records": decode_records(&records),
        });
    }
    body
}

/// Deliveries of events at or after `from_event_index`, with every attempt.
pub async fn list_deliveries(
    ledger: &Ledger,
    from_event_index: u64,
    limit: u32,
) -> Result<Vec<crate::ledger::WebhookDelivery>, super::FeedError> {
    Ok(ledger
        .blocking(move |l| l.list_webhook_deliveries(from_event_index, limit))
        .await?)
}

/// Starts the worker; it stops when `shutdown` turns true.
pub fn spawn(
    ledger: Ledger,
    settings: WebhookSettings,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
        {
            Ok(client) => client,
            Err(e) => {
                tracing::error!("webhooks disabled: cannot build the HTTP client: {e}");
                return;
            }
        };
        // Not woken by every event: a busy node commits events hundreds of times a second,
        // usually with no webhook configured.
        let mut added = ledger.outbox_watch();
        loop {
            added.borrow_and_update();
            let now = now_ms();
            let due = match ledger.blocking(move |l| l.due_webhooks(now, BATCH)).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!("webhook outbox unreadable, retrying: {e}");
                    Vec::new()
                }
            };
            if !due.is_empty() {
                let mut running = JoinSet::new();
                for d in due {
                    let (ledger, client, settings) =
                        (ledger.clone(), client.clone(), settings.clone());
                    running.spawn(async move { deliver(&ledger, &client, &settings, d).await });
                }
                while running.join_next().await.is_some() {}
                if *shutdown.borrow() {
                    return;
                }
                continue;
            }
            let next = ledger
                .blocking(|l| l.next_webhook_due_ms())
                .await
                .ok()
                .flatten();
            let sleep = next
                .map(|at| Duration::from_millis(at.saturating_sub(now_ms())))
                .unwrap_or(IDLE_RECHECK)
                .min(IDLE_RECHECK);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = added.changed() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}

/// One attempt of one delivery, recorded with its outcome.
async fn deliver(
    ledger: &Ledger,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    d: WebhookDue,
) {
    let body = body(ledger, &d.event).await;
    let text = body.to_string();
    let sent_at = now_ms();
    let signature = sign(&settings.secret, sent_at / 1000, text.as_bytes());
    let result = client
        .post(&d.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(ID_HEADER, format!("evt_{}", d.event.event_index))
        .header("Mmln-Event-Kind", d.event.kind.as_str())
        .body(text)
        .send()
        .await;
    let (status, error) = match &result {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let ok = status.is_some_and(|s| (200..300).contains(&s));
    let attempt = d.attempts + 1;
    let outcome = if ok {
        DeliveryOutcome::Delivered
    } else {
        let next = now_ms() + settings.retry_delay(attempt).as_millis() as u64;
        let horizon = d.created_at_ms + settings.retry_horizon.as_millis() as u64;
        if next > horizon {
            DeliveryOutcome::GaveUp
        } else {
            DeliveryOutcome::RetryAt(next)
        }
    };
    if !ok {
        tracing::debug!(url = %d.url, event = d.event.event_index, attempt, ?status, ?error, ?outcome, "webhook attempt failed");
    }
    let error_text = error.clone();
    let recorded = ledger
        .blocking(move |l| {
            l.record_webhook_attempt(d.id, sent_at, status, error_text.as_deref(), outcome)
        })
        .await;
    if let Err(e) = recorded {
        // The row stays pending and due: the next pass sends again (at least once).
        tracing::warn!("webhook attempt not recorded: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_call_urls_must_name_an_allowed_host() {
        let allowed: Vec<String> = vec!["127.0.0.1".into(), "::1".into(), "localhost".into()];
        assert!(check_call_url("http://127.0.0.1:9000/hook", &allowed).is_ok());
        assert!(check_call_url("http://[::1]:9000/hook", &allowed).is_ok());
        assert!(check_call_url("http://LOCALHOST/hook", &allowed).is_ok());
        assert_eq!(
            check_call_url("http://example.com/hook", &allowed),
            Err(WebhookUrlError::HostNotAllowed {
                host: "example.com".into()
            })
        );
        assert!(matches!(
            check_call_url("ftp://127.0.0.1/x", &allowed),
            Err(WebhookUrlError::Invalid(_))
        ));
        assert!(matches!(
            check_call_url("not a url", &allowed),
            Err(WebhookUrlError::Invalid(_))
        ));
    }
}
