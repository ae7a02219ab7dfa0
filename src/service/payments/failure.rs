//! Readable failure reasons for the ledger and for clients, from LDK's failure types.
//!
//! Clients see these texts in `failure_reason` and in `PaymentError` messages, so they say what
//! happened and what usually causes it, never LDK's Debug output.

use lightning::events::PaymentFailureReason;
use lightning::ln::channelmanager::{Bolt11PaymentError, RetryableSendFailure};

use crate::ledger::FailureCode;

/// A failure as the ledger stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureText {
    pub code: FailureCode,
    pub reason: String,
}

impl FailureText {
    fn new(code: FailureCode, reason: impl Into<String>) -> Self {
        FailureText {
            code,
            reason: reason.into(),
        }
    }
}

/// Why LDK gave up on a payment (`Event::PaymentFailed`).
pub fn payment_failed(reason: Option<PaymentFailureReason>) -> FailureText {
    use PaymentFailureReason as R;
    match reason {
        Some(R::RecipientRejected) => FailureText::new(
            FailureCode::RecipientRejected,
            "the destination rejected the payment (unknown or already paid payment hash, wrong \
             amount, CLTV too close, or custom records it does not accept)",
        ),
        Some(R::UserAbandoned) => {
            FailureText::new(FailureCode::UserAbandoned, "the payment was abandoned")
        }
        Some(R::RetriesExhausted) => FailureText::new(
            FailureCode::RetriesExhausted,
            "retries exhausted: no route succeeded before the retry time ran out (not enough \
             liquidity along the routes tried, or the fee limit is too low)",
        ),
        Some(R::PaymentExpired) => FailureText::new(
            FailureCode::PaymentExpired,
            "the invoice expired before the payment completed",
        ),
        Some(R::RouteNotFound) => FailureText::new(
            FailureCode::RouteNotFound,
            "no route to the destination within the fee limit (no path with enough liquidity, \
             or the fee limit is too low)",
        ),
        Some(R::UnknownRequiredFeatures) => FailureText::new(
            FailureCode::RecipientRejected,
            "the invoice requires features this node does not support",
        ),
        Some(R::UnexpectedError) => FailureText::new(
            FailureCode::Other,
            "the payment failed on an unexpected error in the Lightning engine",
        ),
        Some(other) => FailureText::new(
            FailureCode::Other,
            format!("the payment failed: {}", other_reason_words(other)),
        ),
        None => FailureText::new(FailureCode::Other, "the payment failed (no reason given)"),
    }
}

/// BOLT 12 reasons: an offer payment that ended before its invoice was paid.
fn other_reason_words(reason: PaymentFailureReason) -> &'static str {
    match reason {
        PaymentFailureReason::InvoiceRequestExpired => "the invoice request expired",
        PaymentFailureReason::InvoiceRequestRejected => "the invoice request was rejected",
        PaymentFailureReason::BlindedPathCreationFailed => "no blinded path could be created",
        _ => "unknown reason",
    }
}

/// Why LDK refused to start a payment.
pub fn send_refused(failure: &RetryableSendFailure, fee_limit_msat: u64) -> FailureText {
    match failure {
        RetryableSendFailure::RouteNotFound => FailureText::new(
            FailureCode::RouteNotFound,
            format!(
                "no route found to the destination within the fee limit of {fee_limit_msat} \
                 msat (no path with enough outbound liquidity, the destination is unknown to \
                 the network graph, or the fee limit is too low)"
            ),
        ),
        RetryableSendFailure::PaymentExpired => FailureText::new(
            FailureCode::PaymentExpired,
            "the invoice expired before the payment could be sent",
        ),
        RetryableSendFailure::DuplicatePayment => FailureText::new(
            FailureCode::SendFailed,
            "the Lightning engine still holds an earlier attempt of this payment; try again in \
             a minute",
        ),
        RetryableSendFailure::OnionPacketSizeExceeded => FailureText::new(
            FailureCode::SendFailed,
            "the custom records and route do not fit in the 1300-byte onion; send fewer or \
             smaller custom records",
        ),
    }
}

/// Why LDK refused to pay an invoice.
pub fn invoice_send_refused(error: &Bolt11PaymentError, fee_limit_msat: u64) -> FailureText {
    match error {
        Bolt11PaymentError::InvalidAmount => FailureText::new(
            FailureCode::SendFailed,
            "the amount is less than the invoice asks for",
        ),
        Bolt11PaymentError::SendingFailed(failure) => send_refused(failure, fee_limit_msat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_words_not_debug_dumps() {
        let all = [
            payment_failed(Some(PaymentFailureReason::RecipientRejected)),
            payment_failed(Some(PaymentFailureReason::RetriesExhausted)),
            payment_failed(Some(PaymentFailureReason::RouteNotFound)),
            payment_failed(None),
            send_refused(&RetryableSendFailure::RouteNotFound, 1000),
            send_refused(&RetryableSendFailure::OnionPacketSizeExceeded, 1000),
        ];
        for text in all {
            assert!(!text.reason.contains("{"), "{}", text.reason);
            assert!(!text.reason.contains("::"), "{}", text.reason);
        }
        assert_eq!(
            send_refused(&RetryableSendFailure::RouteNotFound, 1).code,
            FailureCode::RouteNotFound
        );
    }
}
