//! Plain data types the ledger stores and returns.
//!
//! Nothing here knows JSON or LDK: the rpc layer maps these to wire JSON, the event layer maps
//! LDK events to the write calls in `payments.rs`.

/// Which way the money moves, seen from this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
}

/// How the payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentKind {
    /// A BOLT 11 invoice: one we generated (inbound) or one we paid (outbound).
    Invoice,
    /// A spontaneous payment whose preimage travels in the onion (bLIP-3).
    Keysend,
    /// A send along a caller-supplied route (CLN-style `sendpay`).
    Route,
}

/// Lifecycle state. Lowercase words on the wire, as KDF and CLN write them.
///
/// Allowed transitions (anything else is `LedgerError::InvalidTransition`):
/// - `pending -> claimable` (inbound only), `pending | claimable -> succeeded | failed`;
/// - `failed -> pending` (outbound retry reusing the row), `failed -> claimable` (inbound: money
///   arrived after we gave up), `failed -> succeeded` (a preimage proves the payment happened);
/// - hold invoices (inbound): `pending -> held` (the HTLCs arrived and are kept), `held ->
///   succeeded` (settled), `pending | held -> canceled`;
/// - `succeeded` and `canceled` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    Pending,
    /// Inbound only: the HTLCs have arrived and we are claiming them.
    Claimable,
    Succeeded,
    Failed,
    /// Inbound hold invoice: the HTLCs have arrived and are kept until settled or canceled.
    Held,
    /// Inbound hold invoice: canceled by the client or before its HTLCs would expire.
    Canceled,
}

impl PaymentStatus {
    /// Whether a payment in this state may move to `to`. Staying in the same state is not a
    /// transition (writes treat that as a replay, a no-op).
    pub fn can_become(self, to: PaymentStatus, direction: Direction) -> bool {
        use PaymentStatus::*;
        match (self, to) {
            (Pending | Failed, Claimable) => direction == Direction::Inbound,
            (Pending | Claimable | Failed | Held, Succeeded) => true,
            (Pending | Claimable, Failed) => true,
            (Failed, Pending) => direction == Direction::Outbound,
            (Pending, Held) | (Pending | Held, Canceled) => direction == Direction::Inbound,
            _ => false,
        }
    }
}

/// Machine-readable reason a payment failed. The free-text reason sits next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCode {
    /// The recipient rejected the payment (e.g. unknown hash, wrong amount).
    RecipientRejected,
    /// No route to the destination was found.
    RouteNotFound,
    /// Every retry was used up.
    RetriesExhausted,
    /// The invoice or the payment's retry window expired.
    PaymentExpired,
    /// The user or the service abandoned the payment.
    UserAbandoned,
    /// The engine refused the payment before any HTLC went out.
    SendFailed,
    /// Inbound: the HTLCs were failed back (e.g. the claim could not complete).
    ClaimFailed,
    /// Inbound hold invoice: canceled (by the client, or automatically before its deadline).
    Canceled,
    /// Anything else; the text says what.
    Other,
}

/// One TLV record from the final hop's onion payload. Keys are `>= 65536` on the wire; the
/// ledger stores whatever it is given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomRecord {
    pub key: u64,
    pub value: Vec<u8>,
}

/// Why a payment failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: FailureCode,
    pub reason: String,
}

/// One row of the ledger, with its custom records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Stable order key; never reused.
    pub id: i64,
    pub payment_hash: [u8; 32],
    pub direction: Direction,
    pub kind: PaymentKind,
    /// Outbound only: the recipient's node id (compressed public key).
    pub destination: Option<[u8; 33]>,
    pub description: String,
    /// Unknown for an amountless invoice until it is paid.
    pub amount_msat: Option<u64>,
    pub fee_paid_msat: Option<u64>,
    pub fee_limit_msat: Option<u64>,
    pub status: PaymentStatus,
    pub preimage: Option<[u8; 32]>,
    pub payment_secret: Option<[u8; 32]>,
    /// The BOLT 11 string, when there is one.
    pub invoice: Option<String>,
    /// Unix seconds after which the invoice is no longer payable.
    pub expires_at: Option<u64>,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the last change.
    pub last_updated: u64,
    /// Assigned once, at insert, from a ledger-wide counter (CLN `created_index`).
    pub created_index: u64,
    /// Bumped from a ledger-wide counter on every change, including the insert.
    pub updated_index: u64,
    pub custom_records: Vec<CustomRecord>,
    /// Opaque JSON text supplied by the client (LNPay `passThru`), echoed back untouched.
    pub metadata: Option<String>,
    pub failure: Option<Failure>,
    /// Outbound: how many times the payment was handed to the engine (1 on first send).
    pub attempts: u32,
    /// Inbound: a hold invoice (we did not choose the preimage; the client settles it).
    pub hold: bool,
    /// Hold invoices, once HTLCs arrived: the height at which LDK would fail them back
    /// (`PaymentClaimable::claim_deadline`, the earliest HTLC expiry minus 39 blocks).
    pub claim_deadline_height: Option<u32>,
    /// Outbound: the access key that made the payment (`None`: the password or the socket).
    pub key_id: Option<u64>,
    /// Outbound: the `send_value_split` group this payment pays one recipient of.
    pub split_id: Option<String>,
    /// The recipient's position in that group's value block.
    pub split_index: Option<u32>,
    /// Inbound keysend: the sub-wallet its routing record named (`wallet_routing_tlvs`).
    pub wallet_id: Option<String>,
    /// A BOLT 12 payment (an offer or a refund, either direction): its offer and payer facts.
    pub bolt12: Option<Bolt12Info>,
}

/// What a BOLT 12 payment paid: an offer (`lno...`) or a refund (`lnr...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bolt12Kind {
    Offer,
    Refund,
}

impl Bolt12Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Bolt12Kind::Offer => "offer",
            Bolt12Kind::Refund => "refund",
        }
    }

    pub fn from_db(word: &str) -> Option<Self> {
        match word {
            "offer" => Some(Bolt12Kind::Offer),
            "refund" => Some(Bolt12Kind::Refund),
            _ => None,
        }
    }
}

/// The BOLT 12 facts of a payment row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bolt12Info {
    pub kind: Bolt12Kind,
    /// Offers: the offer's id (a merkle root of its fields).
    pub offer_id: Option<[u8; 32]>,
    /// The note the payer attached to its invoice request (at most 512 bytes on our side).
    pub payer_note: Option<String>,
    /// Offers with a quantity: how many items were paid for.
    pub quantity: Option<u64>,
}

/// A client-chosen idempotency key and the fingerprint of the request it was sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub key: String,
    /// A digest of the request's caller-chosen fields; equal digests mean "the same request".
    pub fingerprint: [u8; 32],
}

/// Outcome of a keyed outbound intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyedIntent {
    /// The key was new (or absent): the usual intent outcome for this hash.
    Intent(OutboundIntent),
    /// The key names an earlier payment of the same request: return it, send nothing.
    Replay(Payment),
}

/// One recipient row of a value split, to be written with the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSplitPayment {
    pub index: u32,
    pub payment: NewOutbound,
}

/// Outcome of [`crate::ledger::Ledger::begin_value_split`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitBegin {
    /// A new group: every recipient row was written pending; send them all.
    Created(Vec<Payment>),
    /// The key names an earlier group of the same request: its rows as they stand.
    Existing {
        split_id: String,
        payments: Vec<Payment>,
    },
}

/// Received and sent sums of one wallet over a time range (on `created_at`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalletTotals {
    pub received_msat: u64,
    pub received_count: u64,
    pub sent_msat: u64,
    pub sent_fee_msat: u64,
    pub sent_count: u64,
    /// Inbound payments not settled yet (claimable or held), not in `received_msat`.
    pub pending_received_msat: u64,
    /// Outbound payments in flight, not in `sent_msat`.
    pub pending_sent_msat: u64,
}

/// What to record before an outbound payment is handed to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbound {
    pub payment_hash: [u8; 32],
    pub kind: PaymentKind,
    pub destination: [u8; 33],
    pub description: String,
    pub amount_msat: Option<u64>,
    pub fee_limit_msat: Option<u64>,
    pub payment_secret: Option<[u8; 32]>,
    /// Keysend: the preimage we chose.
    pub preimage: Option<[u8; 32]>,
    pub invoice: Option<String>,
    pub expires_at: Option<u64>,
    pub custom_records: Vec<CustomRecord>,
    pub metadata: Option<String>,
}

/// An invoice we generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInboundInvoice {
    pub payment_hash: [u8; 32],
    pub description: String,
    pub amount_msat: Option<u64>,
    pub payment_secret: Option<[u8; 32]>,
    /// Set when we chose the preimage (the usual case for our own invoices).
    pub preimage: Option<[u8; 32]>,
    pub invoice: String,
    pub expires_at: Option<u64>,
    pub metadata: Option<String>,
}

/// Inbound HTLCs that are ready to claim (LDK `PaymentClaimable`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundClaimable {
    pub payment_hash: [u8; 32],
    pub amount_msat: u64,
    /// Known for keysend (it travels in the onion) and for invoices whose preimage we hold.
    pub preimage: Option<[u8; 32]>,
    pub custom_records: Vec<CustomRecord>,
    /// LDK's id of the HTLC set (`PaymentClaimable::payment_id`), derived from its HTLCs: the
    /// same set replayed has the same id, a second payment of the same hash another.
    pub htlc_set: Option<[u8; 32]>,
    /// `PaymentClaimable::claim_deadline`: recorded for hold invoices.
    pub claim_deadline_height: Option<u32>,
}

/// What [`crate::ledger::Ledger::record_inbound_claimable`] decided for an HTLC set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimableOutcome {
    /// Claim it: a new claimable payment, or the set being claimed seen again.
    Claim(Applied),
    /// This very set was claimed already: nothing is left to do.
    AlreadyClaimed(Payment),
    /// A hold invoice's set: keep it (do not claim) until the client settles or cancels.
    Hold(Applied),
    /// Fail it back: the hash is settled by another set, or the set pays less than the invoice
    /// asks. The refusal is noted in the ledger; the payment itself is unchanged.
    Refuse { payment: Payment, reason: String },
}

/// What [`crate::ledger::Ledger::record_settle_preimage`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleOutcome {
    /// The preimage is stored (intent first): claim the held HTLCs now. Also answered while a
    /// settle is in progress (claimed but not yet confirmed by LDK), since claiming again is
    /// harmless.
    Settle(Payment),
    /// Settled already with this preimage.
    AlreadySettled(Payment),
    /// Not a hold invoice, or nothing held (pending, canceled): the row says which.
    NotHeld(Payment),
}

/// What [`crate::ledger::Ledger::cancel_hold_invoice`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Now canceled: fail any held HTLCs back.
    Canceled(Applied),
    /// Canceled before; failing back again is harmless.
    AlreadyCanceled(Payment),
    /// Settled, or being settled (its preimage is stored): too late to cancel.
    Settled(Payment),
    /// Not a hold invoice.
    NotHold(Payment),
}

/// A held payment, as the auto-cancel task sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldPayment {
    pub payment_hash: [u8; 32],
    pub claim_deadline_height: u32,
}

/// A refused HTLC set, as noted in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedHtlcSet {
    pub htlc_set: Option<[u8; 32]>,
    pub amount_msat: u64,
    pub reason: String,
    /// Unix seconds.
    pub at: u64,
}

/// Outcome of [`crate::ledger::Ledger::insert_outbound_intent`]. Each variant carries the row as
/// it is after the call; only `Created` and `Retrying` mean "hand it to the engine now".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundIntent {
    /// A new row.
    Created(Payment),
    /// A previously failed row, reset to pending with the new intent's details.
    Retrying(Payment),
    /// Already in flight: the caller must not send it again.
    AlreadyPending(Payment),
    /// Already paid: report the success.
    AlreadySucceeded(Payment),
}

/// Outcome of a write that may be a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub payment: Payment,
    /// False when the call was a replay and nothing (not even `updated_index`) changed.
    pub changed: bool,
}

/// Filter on direction, as `payment_type` on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentTypeFilter {
    /// Outbound payments, optionally only those to one destination.
    Outbound {
        destination: Option<[u8; 33]>,
    },
    Inbound,
}

/// Every field is optional; given fields are combined with AND. Bounds are inclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    pub payment_type: Option<PaymentTypeFilter>,
    /// Substring of the description (SQLite `LIKE`: ASCII case-insensitive).
    pub description: Option<String>,
    pub status: Option<PaymentStatus>,
    pub from_amount_msat: Option<u64>,
    pub to_amount_msat: Option<u64>,
    pub from_fee_paid_msat: Option<u64>,
    pub to_fee_paid_msat: Option<u64>,
    /// On `created_at`.
    pub from_timestamp: Option<u64>,
    pub to_timestamp: Option<u64>,
    /// Payments made with this access key.
    pub key_id: Option<u64>,
    /// Payments carrying a custom record with this key.
    pub custom_record_key: Option<u64>,
    /// bLIP-10 fields (record 7629169), compared exactly; `action` is matched lowercased.
    pub blip10: Blip10Filter,
    /// Some(true): payments whose bLIP-10 record has a non-blank `message` (boostagrams).
    pub has_message: Option<bool>,
    /// The `send_value_split` group.
    pub split_id: Option<String>,
    /// The sub-wallet an inbound keysend was routed to (or an outbound split was sent from).
    pub wallet_id: Option<String>,
    /// BOLT 12 payments of this offer (either direction).
    pub offer_id: Option<[u8; 32]>,
}

/// Filters on the searchable bLIP-10 fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blip10Filter {
    pub action: Option<String>,
    pub podcast: Option<String>,
    pub feed_id: Option<String>,
    pub app_name: Option<String>,
}

impl Blip10Filter {
    pub fn is_empty(&self) -> bool {
        self == &Blip10Filter::default()
    }
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// 1-based page number.
    PageNumber(u64),
    /// Start just after this payment, within the filtered set.
    FromId([u8; 32]),
}

/// One page of `list_payments`, newest change first (`last_updated DESC, id DESC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub payments: Vec<Payment>,
    pub limit: u32,
    /// Filtered rows that come before this page.
    pub skipped: u64,
    /// Filtered rows in all.
    pub total: u64,
    /// `ceil(total / limit)`.
    pub total_pages: u64,
}

/// One entry of a payment's history: the change that was given `updated_index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub updated_index: u64,
    pub status: PaymentStatus,
    /// Unix seconds.
    pub at: u64,
}

/// Which monotonic index a CLN-style feed follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Created,
    Updated,
}

/// The words stored in the database. One table per enum, used both ways, so a typo cannot make
/// a value written by one path unreadable by another.
macro_rules! db_words {
    ($ty:ty { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// The word stored in the database (and used on the wire where one exists).
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word),+ }
            }
            /// Parses a stored word; `None` for anything else.
            pub fn from_db(word: &str) -> Option<Self> {
                match word { $($word => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

db_words!(Direction { Inbound => "inbound", Outbound => "outbound" });
db_words!(PaymentKind { Invoice => "invoice", Keysend => "keysend", Route => "route" });
db_words!(PaymentStatus {
    Pending => "pending",
    Claimable => "claimable",
    Succeeded => "succeeded",
    Failed => "failed",
    Held => "held",
    Canceled => "canceled",
});
db_words!(FailureCode {
    RecipientRejected => "recipient_rejected",
    RouteNotFound => "route_not_found",
    RetriesExhausted => "retries_exhausted",
    PaymentExpired => "payment_expired",
    UserAbandoned => "user_abandoned",
    SendFailed => "send_failed",
    ClaimFailed => "claim_failed",
    Canceled => "canceled",
    Other => "other",
});
