//! Payments: the rules (pure validation and decoding) and the service that applies them.
//!
//! Rules, with no LDK, SQLite or HTTP: `custom_records`, `blip10`, `decoded_records`,
//! `fee_limit`, `invoice_checks`, `keysend`, `metadata`. Every error enum there serializes as
//! `{"error_type": "<Variant>", "error_data": <fields>}` (no `error_data` for unit variants).
//!
//! Service, around [`PaymentHub`] (ledger + waiters + settings):
//! - `send`: pay an invoice or keysend, intent first, optional wait for the outcome, an
//!   optional idempotency key (`idempotency`);
//! - `split`: pay a Podcasting 2.0 value block (`split_plan` has the arithmetic);
//! - `wallet_routing`: tag received keysends with the sub-wallet their record names;
//! - `offers`, `offer_send`: BOLT 12 offers we issue, refunds, and paying offers;
//! - `receive`: generate invoices (hold invoices too), recorded at creation;
//! - `hold`: settle and cancel hold invoices, auto-cancel before their deadline;
//! - `events`: LDK payment events -> ledger, then claim / fail back, then notify waiters;
//! - `reconcile`: at start-up, settle rows left pending by a stop;
//! - `view`: [`Payments`], the operations the RPC methods call (through
//!   [`crate::service::Engine::payments`]).

pub mod blip10;
pub mod custom_records;
pub mod decoded_records;
pub mod events;
pub mod export;
pub mod failure;
pub mod fee_limit;
pub mod hold;
pub mod hub;
pub mod idempotency;
pub mod invoice_checks;
pub mod keysend;
pub mod metadata;
pub mod notify;
mod offer_events;
pub mod offer_send;
pub mod offers;
pub mod receive;
pub mod reconcile;
pub mod send;
pub mod split;
pub mod split_plan;
pub mod view;
pub mod wallet_routing;

pub use events::{apply_payment_event, claim_decision, ClaimDecision};
pub use hold::HoldError;
pub use hub::{PaymentHub, PaymentSettings};
pub use notify::{PaymentNotifier, PaymentSubscription};
pub use offer_send::{Bolt12TextError, OfferPayment};
pub use offers::{CreatedRefund, OfferError, OfferRequest, RefundRequest};
pub use receive::{GeneratedInvoice, InvoiceError, InvoiceRequest};
pub use reconcile::ReconcileReport;
pub use send::{SendError, SendOutcome, SendRequest};
pub use split::{SplitError, SplitOutcome, SplitRecipient, ValueSplitRequest};
pub use view::Payments;

// The ledger's payment types, as the RPC layer sees them through this service.
pub use crate::ledger::{
    Blip10Filter, Bolt12Kind, BudgetRefusal, Direction, IndexKind, LedgerError, OfferRecord, Page,
    Paging, Payment, PaymentFilter, PaymentStatus, PaymentTypeFilter, WalletTotals,
};
