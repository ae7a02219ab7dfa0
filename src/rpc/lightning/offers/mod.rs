//! `lightning::offers::*` (mmln): BOLT 12 offers we issue (create_offer, list_offers,
//! disable_offer) and refunds (create_refund: we pay; request_refund_payment: we are paid).
//! Paying someone's offer is `lightning::payments::send_payment` with `type: "offer"`. Errors
//! are the payments namespace's ([`super::payments::error::PaymentsError`]).

pub mod create_offer;
pub mod create_refund;
pub mod disable_offer;
pub mod list_offers;
pub mod request_refund_payment;
pub mod wire;
