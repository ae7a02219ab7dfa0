//! Payment methods through HTTP with the schema-validating client, on full daemons
//! (`App::start`) over a regtest chain started by the test: invoices across a hop, keysend with
//! custom records, idempotent and retried sends, bad input, paging over a filled ledger, and
//! start-up reconciliation.

mod common;

#[path = "payments/balances.rs"]
mod balances;
#[path = "payments/hold.rs"]
mod hold;
#[path = "payments/ledger_paging.rs"]
mod ledger_paging;
#[path = "payments/network.rs"]
mod network;
#[path = "payments/offers.rs"]
mod offers;
#[path = "payments/onchain.rs"]
mod onchain;
#[path = "payments/sendpay.rs"]
mod sendpay;
#[path = "payments/value_for_value.rs"]
mod value_for_value;
