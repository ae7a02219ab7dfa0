//! `lightning::payments::*`: generate_invoice, send_payment, get_payment_details,
//! list_payments_by_filter, and mmln's settle_invoice / cancel_invoice (hold invoices),
//! send_value_split, wallet_totals and export (value for value). Shapes follow KDF; mmln's additions are optional fields documented
//! in `rpc-spec/lightning/payments/`.

pub mod cancel_invoice;
pub mod error;
pub mod estimate_fee;
pub mod export;
pub mod generate_invoice;
pub mod get_payment_details;
pub mod list_payments_by_filter;
pub mod send_payment;
pub mod send_value_split;
pub mod settle_invoice;
pub mod wallet_totals;
pub mod wire;
