//! `lightning::payments::*`: generate_invoice, send_payment, get_payment_details,
//! list_payments_by_filter. Shapes follow KDF; mmln's additions are optional fields documented
//! in `rpc-spec/lightning/payments/`.

pub mod error;
pub mod generate_invoice;
pub mod get_payment_details;
pub mod list_payments_by_filter;
pub mod send_payment;
pub mod wire;
