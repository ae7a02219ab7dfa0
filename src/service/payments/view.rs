//! [`Payments`]: the payment operations the RPC methods call, one method per operation.

use std::sync::Arc;
use std::time::Duration;

use crate::ledger::{
    IndexKind, LedgerError, OfferRecord, Page, Paging, Payment, PaymentFilter, WalletTotals,
};
use crate::node::Node;
use crate::service::feeds::index_paging::{payments_by_index, IndexPage};
use crate::service::feeds::FeedError;
use crate::service::keys::{Caller, KeyRing};

use super::export::{Export, ExportError};
use super::hold::HoldError;
use super::hub::PaymentHub;
use super::offers::{CreatedRefund, OfferError, OfferRequest, RefundRequest};
use super::receive::{GeneratedInvoice, InvoiceError, InvoiceRequest};
use super::send::{SendError, SendOutcome, SendRequest};
use super::split::{SplitError, SplitOutcome, ValueSplitRequest};

/// The payments service over the running node (see [`crate::service::Engine::payments`]).
pub struct Payments<'a> {
    hub: &'a PaymentHub,
    node: &'a Arc<Node>,
    keys: &'a KeyRing,
}

impl<'a> Payments<'a> {
    pub(crate) fn new(hub: &'a PaymentHub, node: &'a Arc<Node>, keys: &'a KeyRing) -> Self {
        Payments { hub, node, keys }
    }

    /// A BOLT 11 invoice, recorded as a pending inbound payment at once.
    pub async fn generate_invoice(
        &self,
        request: InvoiceRequest,
    ) -> Result<GeneratedInvoice, InvoiceError> {
        self.hub.generate_invoice(self.node, request).await
    }

    /// Claims a held hold-invoice payment with its preimage (idempotent).
    pub async fn settle_invoice(&self, preimage: [u8; 32]) -> Result<Payment, HoldError> {
        self.hub.settle_invoice(self.node, preimage).await
    }

    /// Cancels a hold invoice, failing back whatever it holds (idempotent).
    pub async fn cancel_invoice(&self, hash: [u8; 32]) -> Result<Payment, HoldError> {
        self.hub.cancel_invoice(self.node, hash).await
    }

    /// Pays an invoice or keysends; with `wait`, returns once final or when `wait` has passed.
    /// `webhook_url` (checked against `webhook_allowed_hosts`) hears of this payment's changes;
    /// `idempotency_key` makes a repeat of the same request return the first payment.
    pub async fn send(
        &self,
        request: SendRequest,
        wait: Option<Duration>,
        webhook_url: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<SendOutcome, SendError> {
        self.send_as(Caller::Admin, request, wait, webhook_url, idempotency_key)
            .await
    }

    /// [`Payments::send`] made by `caller`: an access key's payment is recorded with its
    /// `key_id` and charged to its limits in the intent transaction (`BudgetExceeded`).
    pub async fn send_as(
        &self,
        caller: Caller,
        request: SendRequest,
        wait: Option<Duration>,
        webhook_url: Option<String>,
        idempotency_key: Option<String>,
    ) -> Result<SendOutcome, SendError> {
        let charge = self.keys.charge_for(caller);
        self.hub
            .send_payment_charged(
                self.node,
                request,
                wait,
                webhook_url,
                idempotency_key,
                charge,
            )
            .await
    }

    /// A BOLT 12 offer of ours, recorded (see `offers.rs`).
    pub async fn create_offer(&self, request: OfferRequest) -> Result<OfferRecord, OfferError> {
        self.hub.create_offer(self.node, request).await
    }

    /// The offers we issued, newest first.
    pub async fn list_offers(
        &self,
        include_disabled: bool,
    ) -> Result<Vec<OfferRecord>, OfferError> {
        self.hub.list_offers(include_disabled).await
    }

    /// Disables one of our offers (idempotent).
    pub async fn disable_offer(&self, offer_id: [u8; 32]) -> Result<OfferRecord, OfferError> {
        self.hub.disable_offer(self.node, offer_id).await
    }

    /// A refund we pay to whoever sends an invoice for it.
    pub async fn create_refund(&self, request: RefundRequest) -> Result<CreatedRefund, OfferError> {
        self.hub.create_refund(self.node, request).await
    }

    /// Asks the creator of a refund to pay it to us.
    pub async fn request_refund_payment(&self, refund: &str) -> Result<Payment, OfferError> {
        self.hub.request_refund_payment(self.node, refund).await
    }

    /// Pays a Podcasting 2.0 value block, one keysend per recipient (see `split.rs`).
    pub async fn send_value_split(
        &self,
        request: ValueSplitRequest,
    ) -> Result<SplitOutcome, SplitError> {
        self.hub.send_value_split(self.node, request).await
    }

    /// Up to `limit` payments matching `filter` as CSV, after `from_id` (see `export.rs`).
    pub async fn export_csv(
        &self,
        filter: PaymentFilter,
        limit: Option<u64>,
        from_id: Option<[u8; 32]>,
    ) -> Result<Export, ExportError> {
        self.hub.export_csv(filter, limit, from_id).await
    }

    /// Received and sent sums of one sub-wallet over `created_at` in `[from, to]`.
    pub async fn wallet_totals(
        &self,
        wallet_id: String,
        from: Option<u64>,
        to: Option<u64>,
    ) -> Result<WalletTotals, LedgerError> {
        self.hub
            .ledger()
            .blocking(move |l| l.wallet_totals(&wallet_id, from, to))
            .await
    }

    /// The payment with this hash; `LedgerError::NoSuchPayment` when there is none.
    pub async fn get(&self, hash: [u8; 32]) -> Result<Payment, LedgerError> {
        self.hub
            .ledger()
            .blocking(move |l| l.get_payment(&hash))
            .await?
            .ok_or(LedgerError::NoSuchPayment(hash))
    }

    /// One page of the payments matching `filter` (see `Ledger::list_payments` for the rules).
    pub async fn list(
        &self,
        filter: PaymentFilter,
        limit: u32,
        paging: Paging,
    ) -> Result<Page, LedgerError> {
        self.hub
            .ledger()
            .blocking(move |l| l.list_payments(&filter, limit, paging))
            .await
    }

    /// Core Lightning-style cursor paging: payments whose `created_index` (or `updated_index`)
    /// is at least `start`, in that order, and where the next page starts.
    pub async fn list_by_index(
        &self,
        filter: PaymentFilter,
        index: IndexKind,
        start: u64,
        limit: u32,
    ) -> Result<IndexPage, FeedError> {
        payments_by_index(self.hub.ledger(), filter, index, start, limit).await
    }
}
