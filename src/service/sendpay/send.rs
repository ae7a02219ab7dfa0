//! `sendpay`: send along the caller's route, intent first.
//!
//! Order (as `payments/send.rs`):
//! 1. validate the request (route shape, amounts, partid rules), before any write;
//! 2. record the part (`Ledger::sendpay_begin`, the idempotency authority), which says
//!    whether a group became complete and must be sent now;
//! 3. hand a complete group to LDK as one payment along exactly these paths
//!    (`send_payment_with_route`: no retries, no other route);
//! 4. a synchronous refusal marks the payment failed (and its parts with it) and says so.
//!
//! Steps 2 and 3 run in their own task, so a caller that hangs up cannot leave a part recorded
//! but never sent. A part of a group still being gathered gets a timer that fails the group if
//! it is not complete in time (LDK 0.2; see the module docs of `sendpay`).

use std::sync::Arc;

use lightning::ln::channelmanager::{RecipientOnionFields, RetryableSendFailure};
use lightning::routing::router::Route;
use lightning::types::payment::{PaymentHash, PaymentSecret};

use crate::ledger::{
    FailureCode, IdempotencyKey, LedgerError, NewSendpayPart, Payment, SendpayBegin, SendpayPart,
    SendpayStatus,
};
use crate::node::Node;
use crate::service::payments::idempotency::{check_key_text, Fingerprint};
use crate::service::payments::send::payment_id_for;
use crate::service::payments::PaymentHub;

use super::failure::{PAY_IN_PROGRESS, PAY_RHASH_ALREADY_USED, PAY_TRY_OTHER_ROUTE};
use super::route::{decode_route, delivered_msat, encode_route, route_key, to_path, ClnHop};

/// A `sendpay` request, validated field by field by the rpc layer's types.
#[derive(Debug, Clone, Default)]
pub struct SendpayRequest {
    pub route: Vec<ClnHop>,
    pub payment_hash: [u8; 32],
    pub label: Option<String>,
    pub amount_msat: Option<u64>,
    pub bolt11: Option<String>,
    pub payment_secret: Option<[u8; 32]>,
    pub partid: Option<u64>,
    pub localinvreqid: Option<String>,
    pub groupid: Option<u64>,
    pub payment_metadata: Option<Vec<u8>>,
    pub description: Option<String>,
    /// The access key sending, recorded on the payment row (`key_id`).
    pub key_id: Option<u64>,
    /// mmln: see `service/payments/idempotency.rs`.
    pub idempotency_key: Option<String>,
}

/// Why `sendpay` refused.
#[derive(Debug, thiserror::Error)]
pub enum SendpayError {
    #[error("{0}")]
    InvalidRequest(String),
    /// CLN 201.
    #[error(
        "already paid with this hash using a different amount or destination ({} msat to {})",
        .0.amount_msat.unwrap_or_default(),
        .0.destination.map(hex::encode).unwrap_or_default()
    )]
    AlreadyPaid(Box<Payment>),
    /// CLN 200.
    #[error("{0}")]
    InProgress(String),
    /// LDK refused to send the route (no HTLC left us); the payment is marked failed.
    #[error("{message}")]
    Refused { code: u32, message: String },
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("the payment could not be recorded and sent: {0}")]
    DispatchTaskFailed(String),
}

impl SendpayError {
    /// The CLN error code of this refusal, when CLN has one.
    pub fn cln_code(&self) -> Option<u32> {
        match self {
            SendpayError::AlreadyPaid(_) => Some(PAY_RHASH_ALREADY_USED),
            SendpayError::InProgress(_) => Some(PAY_IN_PROGRESS),
            SendpayError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// The fingerprint of a `sendpay` request (see `service/payments/idempotency.rs`).
fn fingerprint(request: &SendpayRequest) -> [u8; 32] {
    let mut f = Fingerprint::new("sendpay");
    f.bytes(&request.payment_hash)
        .bytes(encode_route(&request.route).as_bytes())
        .opt_u64(request.amount_msat)
        .opt_u64(request.partid)
        .opt_u64(request.groupid)
        .opt_bytes(request.label.as_deref().map(str::as_bytes))
        .opt_bytes(request.bolt11.as_deref().map(str::as_bytes))
        .opt_bytes(request.payment_secret.as_ref().map(|s| s.as_slice()))
        .opt_bytes(request.payment_metadata.as_deref())
        .opt_bytes(request.description.as_deref().map(str::as_bytes));
    f.finish()
}

/// The part as it stands after `sendpay`.
#[derive(Debug, Clone)]
pub struct SendpayOutcome {
    pub part: SendpayPart,
}

/// The part CLN shows for a payment made some other way (`send_payment`), or one paid
/// before any part was recorded.
pub(crate) fn part_of_payment(p: &Payment) -> SendpayPart {
    let status = match p.status {
        crate::ledger::PaymentStatus::Succeeded => SendpayStatus::Complete,
        crate::ledger::PaymentStatus::Failed => SendpayStatus::Failed,
        _ => SendpayStatus::Pending,
    };
    let amount = p.amount_msat.unwrap_or_default();
    SendpayPart {
        id: p.id,
        payment_hash: p.payment_hash,
        groupid: 0,
        partid: 0,
        status,
        attempt: p.attempts,
        amount_msat: amount,
        total_msat: amount,
        amount_sent_msat: amount.saturating_add(p.fee_paid_msat.unwrap_or_default()),
        destination: p.destination.unwrap_or([0; 33]),
        label: None,
        bolt11: p.invoice.clone(),
        description: Some(p.description.clone()).filter(|d| !d.is_empty()),
        route: String::new(),
        route_key: String::new(),
        created_index: p.created_index,
        // CLN: only once changed; a payment row is changed for good once final.
        updated_index: (status != SendpayStatus::Pending).then_some(p.updated_index),
        created_at: p.created_at,
        completed_at: (status != SendpayStatus::Pending).then_some(p.last_updated),
        payment_secret: p.payment_secret,
        preimage: p.preimage,
        failure: p.failure.as_ref().map(|f| crate::ledger::PartFailure {
            code: None,
            message: f.reason.clone(),
            ..Default::default()
        }),
    }
}

/// Checks the request and builds the part to record.
fn prepare(request: &SendpayRequest) -> Result<NewSendpayPart, SendpayError> {
    let invalid = |m: &str| SendpayError::InvalidRequest(m.to_string());
    if request.localinvreqid.is_some() {
        return Err(invalid(
            "localinvreqid refers to a BOLT 12 invoice request; mmln does not support BOLT 12 yet",
        ));
    }
    let delivered =
        delivered_msat(&request.route).map_err(|e| SendpayError::InvalidRequest(e.to_string()))?;
    let partid = request.partid.unwrap_or(0);
    let total = if partid > 0 {
        let total = request
            .amount_msat
            .ok_or_else(|| invalid("amount_msat is required when partid is non-zero"))?;
        if request.payment_secret.is_none() {
            return Err(invalid(
                "payment_secret is required when partid is non-zero",
            ));
        }
        if delivered > total {
            return Err(SendpayError::InvalidRequest(format!(
                "the route delivers {delivered} msat, more than amount_msat {total} msat"
            )));
        }
        total
    } else {
        match request.amount_msat {
            Some(amount) if amount != delivered => {
                return Err(SendpayError::InvalidRequest(format!(
                    "amount_msat {amount} msat differs from the {delivered} msat the route \
                     delivers (they must be equal unless partid is set)"
                )))
            }
            _ => delivered,
        }
    };
    let first = request.route.first().map_or(0, |h| h.amount_msat);
    let destination = request
        .route
        .last()
        .map(|h| h.id.serialize())
        .ok_or_else(|| invalid("the route is empty"))?;
    Ok(NewSendpayPart {
        payment_hash: request.payment_hash,
        groupid: request.groupid,
        partid,
        amount_msat: delivered,
        total_msat: total,
        amount_sent_msat: first,
        destination,
        label: request.label.clone(),
        bolt11: request.bolt11.clone(),
        description: request.description.clone(),
        payment_secret: request.payment_secret,
        route: encode_route(&request.route),
        route_key: route_key(request.route.iter().map(|h| h.channel)),
    })
}

/// See the module docs.
pub async fn sendpay(
    hub: &PaymentHub,
    node: &Arc<Node>,
    request: SendpayRequest,
) -> Result<SendpayOutcome, SendpayError> {
    // The route must also make an LDK path before anything is written.
    to_path(&request.route, node.network_graph())
        .map_err(|e| SendpayError::InvalidRequest(e.to_string()))?;
    let new = prepare(&request)?;
    if let Some(key) = &request.idempotency_key {
        check_key_text(key).map_err(|e| SendpayError::InvalidRequest(e.to_string()))?;
    }
    let hub2 = hub.clone();
    let node2 = Arc::clone(node);
    tokio::spawn(async move { record_and_dispatch(&hub2, &node2, new, request).await })
        .await
        .map_err(|e| SendpayError::DispatchTaskFailed(e.to_string()))?
}

async fn record_and_dispatch(
    hub: &PaymentHub,
    node: &Arc<Node>,
    new: NewSendpayPart,
    request: SendpayRequest,
) -> Result<SendpayOutcome, SendpayError> {
    let key = request.idempotency_key.clone().map(|key| IdempotencyKey {
        key,
        fingerprint: fingerprint(&request),
    });
    let key_id = request.key_id;
    let begun = hub
        .ledger()
        .blocking(move |l| {
            let begun = l.sendpay_begin_keyed(&new, key.as_ref())?;
            // Recorded just after the part (only lists read it; keys with budgets may not
            // call sendpay at all).
            if let (Some(key_id), SendpayBegin::New { .. }) = (key_id, &begun) {
                l.set_payment_key(&new.payment_hash, key_id)?;
            }
            Ok(begun)
        })
        .await?;
    match begun {
        SendpayBegin::New { part, ready } if ready.is_empty() => {
            arm_gathering_timeout(hub, &part);
            Ok(SendpayOutcome { part })
        }
        SendpayBegin::New { part, ready } => {
            dispatch(hub, node, &ready, &request).await?;
            Ok(SendpayOutcome { part })
        }
        SendpayBegin::AlreadyPending(part) => Ok(SendpayOutcome { part }),
        SendpayBegin::AlreadyComplete { payment, part } => Ok(SendpayOutcome {
            part: part.unwrap_or_else(|| part_of_payment(&payment)),
        }),
        SendpayBegin::PaidDifferently(payment) => Err(SendpayError::AlreadyPaid(payment)),
        SendpayBegin::InProgress(message) => Err(SendpayError::InProgress(message)),
        SendpayBegin::Replay(part) => Ok(SendpayOutcome { part }),
    }
}

/// Hands a complete group to LDK as one payment along its parts' paths.
async fn dispatch(
    hub: &PaymentHub,
    node: &Node,
    parts: &[SendpayPart],
    request: &SendpayRequest,
) -> Result<(), SendpayError> {
    let Some(first) = parts.first() else {
        return Ok(());
    };
    let hash = first.payment_hash;
    let mut paths = Vec::with_capacity(parts.len());
    for part in parts {
        let hops = decode_route(&part.route).ok_or_else(|| {
            SendpayError::InvalidRequest(format!("part {} has an unreadable route", part.partid))
        })?;
        paths.push(
            to_path(&hops, node.network_graph())
                .map_err(|e| SendpayError::InvalidRequest(e.to_string()))?,
        );
    }
    let mut onion = RecipientOnionFields::spontaneous_empty();
    onion.payment_secret = request
        .payment_secret
        .or(first.payment_secret)
        .map(PaymentSecret);
    onion.payment_metadata = request.payment_metadata.clone();
    let route = Route {
        paths,
        route_params: None,
    };
    let payment_id = payment_id_for(&hash, first.attempt);
    let refused = match node.channel_manager().send_payment_with_route(
        route,
        PaymentHash(hash),
        onion,
        payment_id,
    ) {
        Ok(()) => return Ok(()),
        Err(RetryableSendFailure::DuplicatePayment) => {
            tracing::warn!(hash = %hex::encode(hash), "the engine already holds this attempt; left in flight");
            return Ok(());
        }
        Err(RetryableSendFailure::OnionPacketSizeExceeded) => {
            "the route and payment_metadata do not fit in the 1300-byte onion".to_string()
        }
        Err(RetryableSendFailure::PaymentExpired) => "the payment expired".to_string(),
        Err(RetryableSendFailure::RouteNotFound) => {
            "the Lightning engine could not use this route".to_string()
        }
    };
    let text = refused.clone();
    hub.ledger()
        .blocking(move |l| l.mark_failed(&hash, FailureCode::SendFailed, &text))
        .await?;
    hub.notifier().notify(&hash);
    Err(SendpayError::Refused {
        code: PAY_TRY_OTHER_ROUTE,
        message: refused,
    })
}

/// Fails the part's group if it is still incomplete when the gathering time runs out.
fn arm_gathering_timeout(hub: &PaymentHub, part: &SendpayPart) {
    let hub = hub.clone();
    let hash = part.payment_hash;
    let groupid = part.groupid;
    let timeout = hub.settings().sendpay_mpp_timeout;
    tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        let message = format!(
            "the parts of group {groupid} did not add up to amount_msat within {} s; mmln \
             (LDK 0.2) sends a multi-part payment once all its parts are given",
            timeout.as_secs()
        );
        match hub
            .ledger()
            .blocking(move |l| l.sendpay_fail_incomplete_group(&hash, groupid, &message))
            .await
        {
            Ok(true) => hub.notifier().notify(&hash),
            Ok(false) => {}
            Err(e) => {
                tracing::error!(hash = %hex::encode(hash), "incomplete MPP group not failed: {e}")
            }
        }
    });
}
