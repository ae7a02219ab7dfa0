//! `waitsendpay` and `listsendpays`.
//!
//! `waitsendpay` subscribes to the hash before its first read, so an outcome landing between
//! the read and the wait still wakes it; it answers the part once final (a failed part is an
//! error carrying CLN's routing-failure object) or `Timeout` (CLN 200). A hash with no part
//! and no outbound payment is CLN's 208.

use std::time::Duration;

use crate::ledger::{
    Direction, LedgerError, SendpayListFilter, SendpayPart, SendpayStatus, MAX_LIMIT,
};
use crate::service::payments::PaymentHub;

use super::failure::{
    code_without_path, PAY_IN_PROGRESS, PAY_NO_SUCH_PAYMENT, PAY_TRY_OTHER_ROUTE,
};
use super::send::part_of_payment;

/// The longest `waitsendpay` waits; a longer `timeout` is shortened to it.
pub const MAX_WAITSENDPAY_SECS: u64 = 600;

/// What `waitsendpay` waits for.
#[derive(Debug, Clone)]
pub struct WaitQuery {
    pub payment_hash: [u8; 32],
    pub timeout_secs: Option<u64>,
    pub partid: Option<u64>,
    pub groupid: Option<u64>,
}

/// Why `waitsendpay` / `listsendpays` answered no part.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("{0}")]
    InvalidRequest(String),
    /// CLN 208.
    #[error(
        "never attempted: no payment with hash {} (partid {partid}{})",
        hex::encode(.hash),
        .groupid.map(|g| format!(", groupid {g}")).unwrap_or_default()
    )]
    NoSuchPayment {
        hash: [u8; 32],
        partid: u64,
        groupid: Option<u64>,
    },
    /// CLN 200.
    #[error("timed out after {0} seconds; the payment is still in flight")]
    Timeout(u64, Box<SendpayPart>),
    /// CLN 203 / 204 with the routing-failure object.
    #[error("{}", .part.failure.as_ref().map(|f| f.message.as_str()).unwrap_or("the payment failed"))]
    Failed { code: u32, part: Box<SendpayPart> },
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

impl WaitError {
    /// The CLN error code.
    pub fn cln_code(&self) -> Option<u32> {
        match self {
            WaitError::NoSuchPayment { .. } => Some(PAY_NO_SUCH_PAYMENT),
            WaitError::Timeout(..) => Some(PAY_IN_PROGRESS),
            WaitError::Failed { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The part `query` names, as it is now.
async fn find_part(hub: &PaymentHub, query: &WaitQuery) -> Result<SendpayPart, WaitError> {
    let hash = query.payment_hash;
    let partid = query.partid.unwrap_or(0);
    let parts = hub
        .ledger()
        .blocking(move |l| l.sendpay_parts(&hash))
        .await?;
    let found = parts
        .into_iter()
        .rev()
        .find(|p| p.partid == partid && query.groupid.is_none_or(|g| g == p.groupid));
    if let Some(part) = found {
        return Ok(part);
    }
    // A payment `send_payment` made is shown as CLN shows a `pay`: part 0 of group 0.
    let payment = hub.ledger().blocking(move |l| l.get_payment(&hash)).await?;
    match payment {
        Some(p) if p.direction == Direction::Outbound && partid == 0 && query.groupid.is_none() => {
            Ok(part_of_payment(&p))
        }
        _ => Err(WaitError::NoSuchPayment {
            hash,
            partid,
            groupid: query.groupid,
        }),
    }
}

/// The final answer for a part: itself once complete, its failure once failed.
async fn final_answer(
    hub: &PaymentHub,
    part: SendpayPart,
) -> Result<Option<SendpayPart>, WaitError> {
    match part.status {
        SendpayStatus::Pending => Ok(None),
        SendpayStatus::Complete => Ok(Some(part)),
        SendpayStatus::Failed => {
            let hash = part.payment_hash;
            let code = match part.failure.as_ref().and_then(|f| f.code) {
                Some(code) => code,
                None => {
                    let payment = hub.ledger().blocking(move |l| l.get_payment(&hash)).await?;
                    match payment.and_then(|p| p.failure).map(|f| f.code) {
                        Some(code) => code_without_path(Some(code)),
                        None => PAY_TRY_OTHER_ROUTE,
                    }
                }
            };
            Err(WaitError::Failed {
                code,
                part: Box::new(part),
            })
        }
    }
}

/// See the module docs.
pub async fn waitsendpay(hub: &PaymentHub, query: WaitQuery) -> Result<SendpayPart, WaitError> {
    let timeout = query
        .timeout_secs
        .unwrap_or(MAX_WAITSENDPAY_SECS)
        .min(MAX_WAITSENDPAY_SECS);
    let mut subscription = hub.notifier().subscribe(query.payment_hash);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let part = find_part(hub, &query).await?;
        if let Some(done) = final_answer(hub, part.clone()).await? {
            return Ok(done);
        }
        if tokio::time::timeout_at(deadline, subscription.changed())
            .await
            .is_err()
        {
            return Err(WaitError::Timeout(timeout, Box::new(part)));
        }
    }
}

/// See the module docs.
pub async fn listsendpays(
    hub: &PaymentHub,
    filter: SendpayListFilter,
    by_updated: bool,
    start: u64,
    limit: u32,
) -> Result<Vec<SendpayPart>, WaitError> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(WaitError::InvalidRequest(format!(
            "invalid limit {limit}: must be between 1 and {MAX_LIMIT}"
        )));
    }
    Ok(hub
        .ledger()
        .blocking(move |l| l.list_sendpays(&filter, by_updated, start, limit))
        .await?)
}
