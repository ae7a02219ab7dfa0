//! `lightning::payments::*`: generate_invoice, send_payment, get_payment_details,
//! list_payments_by_filter, and mmln's settle_invoice / cancel_invoice (hold invoices). Shapes follow KDF; mmln's additions are optional fields documented
//! in `rpc-spec/lightning/payments/`.

pub mod cancel_invoice;
pub mod error;
pub mod estimate_fee;
pub mod generate_invoice;
pub mod get_payment_details;
pub mod list_payments_by_filter;
pub mod send_payment;
pub mod settle_invoice;
pub mod wire;
