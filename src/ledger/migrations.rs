//! Versioned schema migrations through `PRAGMA user_version`.
//!
//! `user_version` belongs to the ledger: the BDK wallet sharing the file keeps its own versions
//! in its `bdk_schemas` table and never touches it. Each step runs in one `IMMEDIATE`
//! transaction that re-reads the version first, so two processes opening the same file cannot
//! apply a step twice. Steps are append-only: never edit a released one, add a new one.

use rusqlite::{Connection, TransactionBehavior};

use crate::ledger::error::LedgerError;

/// Version 1: payments, their custom records and history, and the ledger-wide counters.
const V1_PAYMENTS: &str = r#"
CREATE TABLE payments (
    id              INTEGER PRIMARY KEY,
    payment_hash    BLOB    NOT NULL UNIQUE CHECK (length(payment_hash) = 32),
    direction       TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind            TEXT    NOT NULL CHECK (kind IN ('invoice', 'keysend', 'route')),
    destination     BLOB    CHECK (destination IS NULL OR length(destination) = 33),
    description     TEXT    NOT NULL,
    amount_msat     INTEGER CHECK (amount_msat >= 0),
    fee_paid_msat   INTEGER CHECK (fee_paid_msat >= 0),
    fee_limit_msat  INTEGER CHECK (fee_limit_msat >= 0),
    status          TEXT    NOT NULL
                    CHECK (status IN ('pending', 'claimable', 'succeeded', 'failed')),
    preimage        BLOB    CHECK (preimage IS NULL OR length(preimage) = 32),
    payment_secret  BLOB    CHECK (payment_secret IS NULL OR length(payment_secret) = 32),
    invoice         TEXT,
    expires_at      INTEGER,
    created_at      INTEGER NOT NULL,
    last_updated    INTEGER NOT NULL,
    created_index   INTEGER NOT NULL UNIQUE,
    updated_index   INTEGER NOT NULL UNIQUE,
    metadata        TEXT,
    failure_code    TEXT,
    failure_reason  TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0
);

-- The list order, and one order-preserving index per equality filter, so that a filtered
-- page is an index range walked in order (no sort) and its count is an index-only count.
CREATE INDEX payments_by_order     ON payments (last_updated, id);
CREATE INDEX payments_by_status    ON payments (status, last_updated, id);
CREATE INDEX payments_by_direction ON payments (direction, last_updated, id);
CREATE INDEX payments_by_destination ON payments (destination, last_updated, id)
    WHERE destination IS NOT NULL;
-- Range filters: the planner uses these when the range is narrow and the order index
-- otherwise.
CREATE INDEX payments_by_created_at ON payments (created_at);
CREATE INDEX payments_by_amount     ON payments (amount_msat);
CREATE INDEX payments_by_fee        ON payments (fee_paid_msat);

-- Custom records live in their own table: values can be hundreds of bytes, and keeping them
-- out of `payments` keeps its rows small for scans; a (key, value) table can also be searched
-- by key (e.g. the LNPay wallet record) without parsing a blob.
CREATE TABLE payment_custom_records (
    payment_id INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    key        INTEGER NOT NULL,
    value      BLOB    NOT NULL,
    PRIMARY KEY (payment_id, key)
) WITHOUT ROWID;

-- One row per change of a payment, keyed by the updated_index the change was given.
CREATE TABLE payment_history (
    updated_index INTEGER PRIMARY KEY,
    payment_id    INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    status        TEXT    NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX payment_history_by_payment ON payment_history (payment_id, updated_index);

-- Ledger-wide monotonic counters (never reused, even if rows were ever pruned).
CREATE TABLE ledger_counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO ledger_counters (name, value) VALUES ('payments_created', 0), ('payments_updated', 0);
"#;

/// Version 2: constant-time totals and index-only range counts at a million rows.
const V2_COUNTS: &str = r#"
-- Row counts per (direction, status, destination), kept by triggers, so that the total of a
-- filter made only of payment_type / status is a sum over a few rows instead of an index
-- walk. `destination` is the empty blob for inbound rows, so the list's own
-- `destination = ?` condition works unchanged on this table.
CREATE TABLE payment_counts (
    direction   TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    destination BLOB    NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (direction, status, destination)
) WITHOUT ROWID;
INSERT INTO payment_counts (direction, status, destination, n)
    SELECT direction, status, coalesce(destination, x''), count(*) FROM payments
    GROUP BY 1, 2, 3;

CREATE TRIGGER payment_counts_insert AFTER INSERT ON payments BEGIN
    INSERT OR IGNORE INTO payment_counts VALUES
        (new.direction, new.status, coalesce(new.destination, x''), 0);
    UPDATE payment_counts SET n = n + 1 WHERE direction = new.direction
        AND status = new.status AND destination = coalesce(new.destination, x'');
END;
CREATE TRIGGER payment_counts_delete AFTER DELETE ON payments BEGIN
    UPDATE payment_counts SET n = n - 1 WHERE direction = old.direction
        AND status = old.status AND destination = coalesce(old.destination, x'');
END;
CREATE TRIGGER payment_counts_update AFTER UPDATE OF direction, status, destination ON payments
WHEN old.direction IS NOT new.direction OR old.status IS NOT new.status
    OR old.destination IS NOT new.destination
BEGIN
    UPDATE payment_counts SET n = n - 1 WHERE direction = old.direction
        AND status = old.status AND destination = coalesce(old.destination, x'');
    INSERT OR IGNORE INTO payment_counts VALUES
        (new.direction, new.status, coalesce(new.destination, x''), 0);
    UPDATE payment_counts SET n = n + 1 WHERE direction = new.direction
        AND status = new.status AND destination = coalesce(new.destination, x'');
END;

-- Range indexes carry status and direction, so a range count combined with those filters
-- is answered from the index alone (no row lookups).
DROP INDEX payments_by_created_at;
DROP INDEX payments_by_amount;
DROP INDEX payments_by_fee;
CREATE INDEX payments_by_created_at ON payments (created_at, status, direction);
CREATE INDEX payments_by_amount     ON payments (amount_msat, status, direction);
CREATE INDEX payments_by_fee        ON payments (fee_paid_msat, status, direction);
"#;

/// Version 3: a trigram full-text index over descriptions, so a substring filter finds (and
/// counts) its matches without reading every row. It indexes `lower(description)` (which,
/// like `LIKE`, folds ASCII only) with a case-sensitive tokenizer, so a phrase query for the
/// ASCII-lowercased needle matches exactly the rows `description LIKE '%needle%'` matches.
/// Contentless: it stores only the index; triggers keep it in step.
const V3_DESCRIPTION_INDEX: &str = r#"
CREATE VIRTUAL TABLE payments_description USING fts5 (
    folded, content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1'
);
INSERT INTO payments_description (rowid, folded) SELECT id, lower(description) FROM payments;

CREATE TRIGGER payments_description_insert AFTER INSERT ON payments BEGIN
    INSERT INTO payments_description (rowid, folded) VALUES (new.id, lower(new.description));
END;
CREATE TRIGGER payments_description_delete AFTER DELETE ON payments BEGIN
    DELETE FROM payments_description WHERE rowid = old.id;
END;
CREATE TRIGGER payments_description_update AFTER UPDATE OF description ON payments
WHEN old.description IS NOT new.description
BEGIN
    DELETE FROM payments_description WHERE rowid = old.id;
    INSERT INTO payments_description (rowid, folded) VALUES (new.id, lower(new.description));
END;
"#;

/// Version 4: channel history. LDK forgets a channel once it is closed, so every channel seen
/// open is recorded here and completed when it closes (closing and claiming transactions).
const V4_CHANNELS: &str = r#"
CREATE TABLE channels (
    id                       INTEGER PRIMARY KEY,
    uuid                     TEXT    NOT NULL UNIQUE,
    channel_id               TEXT    NOT NULL,
    counterparty_node_id     TEXT,
    funding_tx               TEXT,
    funding_tx_output_index  INTEGER,
    funding_value_sats       INTEGER,
    is_outbound              INTEGER NOT NULL DEFAULT 0,
    is_public                INTEGER NOT NULL DEFAULT 0,
    created_at               INTEGER NOT NULL,
    is_closed                INTEGER NOT NULL DEFAULT 0,
    closure_reason           TEXT,
    closing_tx               TEXT,
    claiming_tx              TEXT,
    claimed_balance_sats     INTEGER,
    last_local_balance_msat  INTEGER,
    closed_at                INTEGER
);
CREATE INDEX channels_closed_order ON channels (is_closed, closed_at, id);
"#;

/// Version 6: the event log and the webhook outbox. Every change of a payment, a channel or the
/// on-chain wallet appends one `events` row in the same transaction as the change; every
/// webhook due for it gets one `webhook_outbox` row in that transaction too, so a crash can
/// delay a delivery but never lose one. `webhook_routes` is the configured URL list, copied in
/// at start-up so the outbox can be filled by SQL alone.
const V6_EVENTS: &str = r#"
CREATE TABLE events (
    event_index INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    -- The payment hash (hex), channel uuid or txid the event is about.
    subject     TEXT    NOT NULL,
    payment_id  INTEGER,
    -- A JSON object: the subject's state right after the change.
    data        TEXT    NOT NULL
);
CREATE INDEX events_by_kind ON events (kind, event_index);
CREATE INDEX events_by_at ON events (at);

CREATE TABLE webhook_routes (
    url   TEXT NOT NULL PRIMARY KEY,
    -- Comma-separated kinds or categories ("payment", "channel_closed"); NULL: every event.
    kinds TEXT
);

CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    event_index     INTEGER NOT NULL,
    url             TEXT    NOT NULL,
    -- pending | delivered | failed (gave up at the retry horizon)
    state           TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at_ms   INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    UNIQUE (event_index, url)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_ms) WHERE state = 'pending';
CREATE INDEX webhook_outbox_by_event ON webhook_outbox (event_index);

CREATE TABLE webhook_attempts (
    outbox_id   INTEGER NOT NULL REFERENCES webhook_outbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    http_status INTEGER,
    error       TEXT,
    PRIMARY KEY (outbox_id, attempt)
) WITHOUT ROWID;

ALTER TABLE payments ADD COLUMN webhook_url TEXT;
-- opening | usable | closing (closed channels keep is_closed = 1)
ALTER TABLE channels ADD COLUMN state TEXT NOT NULL DEFAULT 'opening';

INSERT INTO ledger_counters (name, value) VALUES ('events', 0), ('events_pruned', 0);
"#;

/// Version 5: which HTLC set an inbound payment was claimed with, and the sets refused for it.
/// LDK raises `PaymentClaimable` again when a payer pays an already settled hash a second
/// time; telling that apart from a replay of the claimed set needs the set's id, and a refused
/// set leaves a note here since it changes nothing on the payment itself.
const V5_CLAIMED_HTLC_SETS: &str = r#"
ALTER TABLE payments ADD COLUMN claimed_htlc_set BLOB
    CHECK (claimed_htlc_set IS NULL OR length(claimed_htlc_set) = 32);
CREATE TABLE refused_htlc_sets (
    id          INTEGER PRIMARY KEY,
    payment_id  INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    htlc_set    BLOB    CHECK (htlc_set IS NULL OR length(htlc_set) = 32),
    amount_msat INTEGER NOT NULL CHECK (amount_msat >= 0),
    reason      TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
-- A replayed refusal (LDK replays an event whose handler failed) is written once.
CREATE UNIQUE INDEX refused_htlc_sets_once ON refused_htlc_sets (payment_id, htlc_set);
"#;

/// Version 7: hold invoices. A hold invoice's payment is accepted and kept (`held`) until the
/// client settles or cancels it (`canceled`); `hold` marks such rows and
/// `claim_deadline_height` is the height at which LDK itself would fail the HTLCs back.
///
/// The status CHECK is widened in place with SQLite's documented `writable_schema` procedure
/// for changing a constraint every existing row satisfies (no table rebuild, so the triggers,
/// indexes and the full-text index stay as they are). The columns are added first: `ADD
/// COLUMN` splices the stored `CREATE TABLE` text at an offset computed from the schema it
/// loaded, which the edit would shift. `writable_schema = RESET` reloads this connection's
/// schema; the index created last bumps `schema_version`, so other connections reload theirs.
const V7_HOLD_INVOICES: &str = r#"
ALTER TABLE payments ADD COLUMN hold INTEGER NOT NULL DEFAULT 0 CHECK (hold IN (0, 1));
ALTER TABLE payments ADD COLUMN claim_deadline_height INTEGER
    CHECK (claim_deadline_height IS NULL OR claim_deadline_height >= 0);
PRAGMA writable_schema = ON;
UPDATE sqlite_master
    SET sql = replace(sql,
        'CHECK (status IN (''pending'', ''claimable'', ''succeeded'', ''failed''))',
        'CHECK (status IN (''pending'', ''claimable'', ''succeeded'', ''failed'', ''held'', ''canceled''))')
    WHERE type = 'table' AND name = 'payments';
PRAGMA writable_schema = RESET;
-- The auto-cancel task's question: which held payments near their deadline.
CREATE INDEX payments_held_by_deadline ON payments (claim_deadline_height)
    WHERE status = 'held';
"#;

/// Version 8: Core Lightning `sendpay` parts. A payment (one `payments` row per hash) sent
/// along caller-given routes has one part per `(groupid, partid)`, each with CLN's own fields
/// and routing-failure details. Their indexes come from the payments counters, so they never
/// collide with payment indexes; `updated_index` stays NULL until the part first changes (CLN).
const V8_SENDPAY_PARTS: &str = r#"
CREATE TABLE sendpay_parts (
    id               INTEGER PRIMARY KEY,
    payment_id       INTEGER NOT NULL REFERENCES payments (id),
    groupid          INTEGER NOT NULL CHECK (groupid >= 0),
    partid           INTEGER NOT NULL CHECK (partid >= 0),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'complete', 'failed')),
    dispatched       INTEGER NOT NULL DEFAULT 0 CHECK (dispatched IN (0, 1)),
    attempt          INTEGER NOT NULL,
    amount_msat      INTEGER NOT NULL CHECK (amount_msat >= 0),
    total_msat       INTEGER NOT NULL CHECK (total_msat >= 0),
    amount_sent_msat INTEGER NOT NULL CHECK (amount_sent_msat >= 0),
    destination      BLOB    NOT NULL CHECK (length(destination) = 33),
    label            TEXT,
    bolt11           TEXT,
    description      TEXT,
    route            TEXT    NOT NULL,
    route_key        TEXT    NOT NULL,
    created_index    INTEGER NOT NULL UNIQUE,
    updated_index    INTEGER UNIQUE,
    created_at       INTEGER NOT NULL,
    completed_at     INTEGER,
    fail_code        INTEGER,
    fail_message     TEXT,
    erring_index     INTEGER,
    erring_node      BLOB    CHECK (erring_node IS NULL OR length(erring_node) = 33),
    erring_channel   TEXT,
    erring_direction INTEGER,
    failcode         INTEGER,
    UNIQUE (payment_id, groupid, partid)
);
CREATE INDEX sendpay_parts_by_updated ON sendpay_parts (updated_index)
    WHERE updated_index IS NOT NULL;
"#;

/// Version 9: row tallies per day and per minute of `last_updated`, by direction and status, so
/// that `FromId` paging counts the rows before its anchor by summing a few thousand tallies
/// instead of walking up to the whole list.
const V9_UPDATE_TALLIES: &str = r#"
CREATE TABLE payment_day_tallies (
    day       INTEGER NOT NULL,
    direction TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (day, direction, status)
) WITHOUT ROWID;
CREATE TABLE payment_minute_tallies (
    minute    INTEGER NOT NULL,
    direction TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (minute, direction, status)
) WITHOUT ROWID;
INSERT INTO payment_day_tallies (day, direction, status, n)
    SELECT last_updated / 86400, direction, status, count(*) FROM payments GROUP BY 1, 2, 3;
INSERT INTO payment_minute_tallies (minute, direction, status, n)
    SELECT last_updated / 60, direction, status, count(*) FROM payments GROUP BY 1, 2, 3;

CREATE TRIGGER payment_tallies_insert AFTER INSERT ON payments BEGIN
    INSERT INTO payment_day_tallies VALUES (new.last_updated / 86400, new.direction, new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO payment_minute_tallies VALUES (new.last_updated / 60, new.direction, new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER payment_tallies_delete AFTER DELETE ON payments BEGIN
    UPDATE payment_day_tallies SET n = n - 1 WHERE day = old.last_updated / 86400
        AND direction = old.direction AND status = old.status;
    UPDATE payment_minute_tallies SET n = n - 1 WHERE minute = old.last_updated / 60
        AND direction = old.direction AND status = old.status;
END;
CREATE TRIGGER payment_tallies_update AFTER UPDATE OF last_updated, direction, status ON payments
WHEN old.last_updated / 60 IS NOT new.last_updated / 60 OR old.direction IS NOT new.direction
    OR old.status IS NOT new.status
BEGIN
    UPDATE payment_day_tallies SET n = n - 1 WHERE day = old.last_updated / 86400
        AND direction = old.direction AND status = old.status;
    UPDATE payment_minute_tallies SET n = n - 1 WHERE minute = old.last_updated / 60
        AND direction = old.direction AND status = old.status;
    INSERT INTO payment_day_tallies VALUES (new.last_updated / 86400, new.direction, new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO payment_minute_tallies VALUES (new.last_updated / 60, new.direction, new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
"#;

/// Access keys (issue 16): scoped API tokens, stored only as the SHA-256 of the token; the
/// budget reservations of the payments they make; and `payments.key_id`, the key that made a
/// payment (NULL: the password or the unix socket). A reservation is taken in the intent
/// transaction and settled in the transaction that marks the payment final.
const V10_ACCESS_KEYS: &str = r#"
CREATE TABLE access_keys (
    id               INTEGER PRIMARY KEY,
    token_hash       BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    token_hint       TEXT    NOT NULL,
    label            TEXT    NOT NULL,
    scope            TEXT    NOT NULL
                     CHECK (scope IN ('readonly', 'invoice', 'admin', 'methods')),
    methods          TEXT,
    max_payment_msat INTEGER CHECK (max_payment_msat >= 0),
    budget_msat      INTEGER CHECK (budget_msat >= 0),
    budget_period    TEXT    CHECK (budget_period IN ('hour', 'day', 'week', 'month')),
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER,
    expires_at       INTEGER,
    revoked_at       INTEGER,
    CHECK ((budget_msat IS NULL) = (budget_period IS NULL)),
    CHECK ((scope = 'methods') = (methods IS NOT NULL))
);

CREATE TABLE key_reservations (
    id           INTEGER PRIMARY KEY,
    key_id       INTEGER NOT NULL REFERENCES access_keys (id),
    payment_id   INTEGER NOT NULL REFERENCES payments (id),
    attempt      INTEGER NOT NULL,
    amount_msat  INTEGER NOT NULL CHECK (amount_msat >= 0),
    reserved_at  INTEGER NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('reserved', 'spent', 'released')),
    UNIQUE (payment_id, attempt)
);
CREATE INDEX key_reservations_by_key ON key_reservations (key_id, reserved_at);
CREATE INDEX key_reservations_open ON key_reservations (payment_id) WHERE status = 'reserved';

ALTER TABLE payments ADD COLUMN key_id INTEGER REFERENCES access_keys (id);
CREATE INDEX payments_by_key ON payments (key_id, last_updated, id) WHERE key_id IS NOT NULL;
"#;

/// Version 11: value for value.
/// - `idempotency_keys`: a client-chosen key per send (`send_payment`, `sendpay`) or per value
///   split, with a fingerprint of the request it was first used with. Written in the intent
///   transaction, so two concurrent calls with one key find each other. A payment's key goes
///   with its row (`ON DELETE CASCADE`).
/// - `payments.split_id` / `split_index`: the recipients of one `send_value_split` call.
/// - `payments.wallet_id`: the sub-wallet a received keysend was routed to by its record.
/// - `payment_blip10`: the searchable fields of a bLIP-10 record (7629169), kept by triggers on
///   `payment_custom_records` so every write path fills it. Read leniently, as the service's
///   parser: `action` trimmed and lowercased, `feedID` under any of its spellings, numbers as
///   text; a record that is not a JSON object has no row. `has_message`: a non-blank `message`.
/// - `payment_custom_records_by_key`: "every payment carrying record K" without a full scan.
const V11_VALUE_FOR_VALUE: &str = r#"
CREATE TABLE idempotency_keys (
    key         TEXT    PRIMARY KEY,
    fingerprint BLOB    NOT NULL,
    payment_id  INTEGER REFERENCES payments (id) ON DELETE CASCADE,
    split_id    TEXT,
    created_at  INTEGER NOT NULL,
    CHECK ((payment_id IS NULL) <> (split_id IS NULL))
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_payment ON idempotency_keys (payment_id)
    WHERE payment_id IS NOT NULL;

ALTER TABLE payments ADD COLUMN split_id TEXT;
ALTER TABLE payments ADD COLUMN split_index INTEGER CHECK (split_index IS NULL OR split_index >= 0);
ALTER TABLE payments ADD COLUMN wallet_id TEXT;
CREATE UNIQUE INDEX payments_by_split ON payments (split_id, split_index)
    WHERE split_id IS NOT NULL;
CREATE INDEX payments_by_wallet ON payments (wallet_id, last_updated, id)
    WHERE wallet_id IS NOT NULL;
-- wallet_totals: sums per wallet, direction and status over a time range, from the index.
CREATE INDEX payments_wallet_totals ON payments (wallet_id, direction, status, created_at,
    amount_msat, fee_paid_msat) WHERE wallet_id IS NOT NULL;

CREATE INDEX payment_custom_records_by_key ON payment_custom_records (key, payment_id);

CREATE TABLE payment_blip10 (
    payment_id  INTEGER PRIMARY KEY REFERENCES payments (id) ON DELETE CASCADE,
    action      TEXT,
    podcast     TEXT,
    feed_id     TEXT,
    app_name    TEXT,
    has_message INTEGER NOT NULL CHECK (has_message IN (0, 1))
);
CREATE INDEX payment_blip10_by_action   ON payment_blip10 (action)   WHERE action IS NOT NULL;
CREATE INDEX payment_blip10_by_podcast  ON payment_blip10 (podcast)  WHERE podcast IS NOT NULL;
CREATE INDEX payment_blip10_by_feed_id  ON payment_blip10 (feed_id)  WHERE feed_id IS NOT NULL;
CREATE INDEX payment_blip10_by_app_name ON payment_blip10 (app_name) WHERE app_name IS NOT NULL;
CREATE INDEX payment_blip10_by_message  ON payment_blip10 (has_message);

CREATE TRIGGER payment_blip10_insert AFTER INSERT ON payment_custom_records
WHEN new.key = 7629169 AND CASE WHEN json_valid(CAST(new.value AS TEXT))
    THEN json_type(CAST(new.value AS TEXT)) END = 'object'
BEGIN
    INSERT OR REPLACE INTO payment_blip10 (payment_id, action, podcast, feed_id, app_name,
        has_message)
    SELECT new.payment_id,
        lower(trim(CAST(json_extract(j, '$.action') AS TEXT))),
        CAST(json_extract(j, '$.podcast') AS TEXT),
        CAST(coalesce(json_extract(j, '$.feedID'), json_extract(j, '$.feedId'),
            json_extract(j, '$.feed_id')) AS TEXT),
        CAST(json_extract(j, '$.app_name') AS TEXT),
        CASE WHEN json_type(j, '$.message') IN ('text', 'integer', 'real')
            AND length(trim(CAST(json_extract(j, '$.message') AS TEXT))) > 0 THEN 1 ELSE 0 END
    FROM (SELECT CAST(new.value AS TEXT) AS j);
END;
CREATE TRIGGER payment_blip10_delete AFTER DELETE ON payment_custom_records
WHEN old.key = 7629169
BEGIN
    DELETE FROM payment_blip10 WHERE payment_id = old.payment_id;
END;

INSERT INTO payment_blip10 (payment_id, action, podcast, feed_id, app_name, has_message)
    SELECT payment_id,
        lower(trim(CAST(json_extract(j, '$.action') AS TEXT))),
        CAST(json_extract(j, '$.podcast') AS TEXT),
        CAST(coalesce(json_extract(j, '$.feedID'), json_extract(j, '$.feedId'),
            json_extract(j, '$.feed_id')) AS TEXT),
        CAST(json_extract(j, '$.app_name') AS TEXT),
        CASE WHEN json_type(j, '$.message') IN ('text', 'integer', 'real')
            AND length(trim(CAST(json_extract(j, '$.message') AS TEXT))) > 0 THEN 1 ELSE 0 END
    FROM (SELECT payment_id, CAST(value AS TEXT) AS j FROM payment_custom_records
        WHERE key = 7629169)
    WHERE CASE WHEN json_valid(j) THEN json_type(j) END = 'object';
"#;

/// Version 12: BOLT 12 offers and refunds.
/// - `offers`: the offers we issued (LDK recognises its own offers from their derived metadata
///   without this table; it is what `list_offers` shows and where `disable_offer` is recorded).
/// - `bolt12_intents`: an offer or refund payment before its invoice arrives. Its payment hash
///   is unknown until then, so it cannot be a `payments` row yet; it is keyed by LDK's
///   `PaymentId`. The `payments` row is written when the invoice arrives, before any HTLC.
/// - four nullable `payments` columns for the BOLT 12 facts of a row (added in place: no table
///   rebuild), with an index for the `offer_id` filter.
const V12_BOLT12: &str = r#"
CREATE TABLE offers (
    offer_id     BLOB    PRIMARY KEY CHECK (length(offer_id) = 32),
    offer        TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    amount_msat  INTEGER CHECK (amount_msat IS NULL OR amount_msat > 0),
    quantity_max INTEGER CHECK (quantity_max IS NULL OR quantity_max >= 0),
    expires_at   INTEGER,
    issuer       TEXT,
    created_at   INTEGER NOT NULL,
    disabled_at  INTEGER
) WITHOUT ROWID;

CREATE TABLE bolt12_intents (
    payment_id      BLOB    PRIMARY KEY CHECK (length(payment_id) = 32),
    kind            TEXT    NOT NULL CHECK (kind IN ('offer', 'refund')),
    bolt12          TEXT    NOT NULL,
    offer_id        BLOB    CHECK (offer_id IS NULL OR length(offer_id) = 32),
    description     TEXT    NOT NULL,
    amount_msat     INTEGER NOT NULL CHECK (amount_msat >= 0),
    quantity        INTEGER CHECK (quantity IS NULL OR quantity > 0),
    payer_note      TEXT,
    fee_limit_msat  INTEGER NOT NULL CHECK (fee_limit_msat >= 0),
    metadata        TEXT,
    webhook_url     TEXT,
    idempotency_key TEXT    UNIQUE,
    fingerprint     BLOB,
    status          TEXT    NOT NULL CHECK (status IN ('awaiting_invoice', 'paying', 'failed')),
    payment_hash    BLOB    CHECK (payment_hash IS NULL OR length(payment_hash) = 32),
    failure_reason  TEXT,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;

ALTER TABLE payments ADD COLUMN bolt12 TEXT CHECK (bolt12 IS NULL OR bolt12 IN ('offer', 'refund'));
ALTER TABLE payments ADD COLUMN offer_id BLOB CHECK (offer_id IS NULL OR length(offer_id) = 32);
ALTER TABLE payments ADD COLUMN payer_note TEXT;
ALTER TABLE payments ADD COLUMN quantity INTEGER CHECK (quantity IS NULL OR quantity > 0);
CREATE INDEX payments_by_offer ON payments (offer_id, last_updated, id) WHERE offer_id IS NOT NULL;
"#;

/// Version 13: the description fragment index (see `description_fragments.rs`), beside the
/// trigram index, so a word's matches are counted from one doclist instead of checked trigram
/// by trigram. The triggers call `mmln_description_fragments`, which every ledger connection
/// registers before it migrates or writes.
///
/// The range indexes also carry `last_updated`: a page of a range filter keeps the newest ten
/// of its matches, and with the sort key in the index SQLite drops the older ones without
/// reading their rows (a day's 2,700 payments: 13 ms to 1 ms at a million rows). And direction
/// and status lead a second amount index, so a count of "outbound, succeeded, between two
/// amounts" reads only those entries, not every payment in the amount range (19 ms to 4).
const V13_DESCRIPTION_FRAGMENTS: &str = r#"
DROP INDEX payments_by_created_at;
DROP INDEX payments_by_amount;
DROP INDEX payments_by_fee;
CREATE INDEX payments_by_created_at ON payments (created_at, status, direction, last_updated);
CREATE INDEX payments_by_amount     ON payments (amount_msat, status, direction, last_updated);
CREATE INDEX payments_by_fee        ON payments (fee_paid_msat, status, direction, last_updated);
CREATE INDEX payments_by_kind_amount ON payments (direction, status, amount_msat);

CREATE VIRTUAL TABLE payments_description_fragments USING fts5 (
    fragments, content = '', contentless_delete = 1, tokenize = 'ascii', detail = none,
    prefix = '1 2 3 4 5 6 7 8 9'
);
INSERT INTO payments_description_fragments (rowid, fragments)
    SELECT id, mmln_description_fragments(description) FROM payments;

CREATE TRIGGER payments_description_fragments_insert AFTER INSERT ON payments BEGIN
    INSERT INTO payments_description_fragments (rowid, fragments)
        VALUES (new.id, mmln_description_fragments(new.description));
END;
CREATE TRIGGER payments_description_fragments_delete AFTER DELETE ON payments BEGIN
    DELETE FROM payments_description_fragments WHERE rowid = old.id;
END;
CREATE TRIGGER payments_description_fragments_update AFTER UPDATE OF description ON payments
WHEN old.description IS NOT new.description
BEGIN
    DELETE FROM payments_description_fragments WHERE rowid = old.id;
    INSERT INTO payments_description_fragments (rowid, fragments)
        VALUES (new.id, mmln_description_fragments(new.description));
END;
"#;

/// The migration steps; step `i` takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    V1_PAYMENTS,
    V2_COUNTS,
    V3_DESCRIPTION_INDEX,
    V4_CHANNELS,
    V5_CLAIMED_HTLC_SETS,
    V6_EVENTS,
    V7_HOLD_INVOICES,
    V8_SENDPAY_PARTS,
    V9_UPDATE_TALLIES,
    V10_ACCESS_KEYS,
    V11_VALUE_FOR_VALUE,
    V12_BOLT12,
    V13_DESCRIPTION_FRAGMENTS,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Brings the database up to the newest version, or refuses a database from a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    migrate_with(conn, MIGRATIONS)
}

/// [`migrate`] over an explicit list of steps (tests use longer lists).
pub(crate) fn migrate_with(conn: &mut Connection, steps: &[&str]) -> Result<(), LedgerError> {
    // Migration 13 and its triggers call it.
    crate::ledger::description_fragments::register(conn).map_err(LedgerError::QueryFailed)?;
    let supported = steps.len() as u32;
    let found = user_version(conn)?;
    if found > supported {
        return Err(LedgerError::NewerSchema {
            path: conn.path().unwrap_or_default().to_string(),
            found,
            supported,
        });
    }
    for (index, step) in steps.iter().enumerate().skip(found as usize) {
        let version = index as u32 + 1;
        let failed = |source| LedgerError::MigrationFailed { version, source };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        // Another process may have migrated while we waited for the write lock.
        if user_version(&tx).map_err(failed)? >= version {
            continue;
        }
        tx.execute_batch(step).map_err(failed)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let rows = stmt.query_map([], |row| row.get(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    #[test]
    fn migrates_an_empty_database_to_the_newest_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        let tables = table_names(&conn);
        for t in [
            "payments",
            "payment_custom_records",
            "payment_history",
            "ledger_counters",
        ] {
            assert!(
                tables.iter().any(|n| n == t),
                "missing table {t}: {tables:?}"
            );
        }
        // Running again is a no-op.
        migrate(&mut conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn applies_only_the_missing_steps_and_leaves_foreign_tables_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE bdk_schemas (name TEXT PRIMARY KEY, version INTEGER)")
            .unwrap();
        migrate_with(&mut conn, &["CREATE TABLE a (x INTEGER)"]).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 1);
        // Step 1 would fail if re-run (table exists), so success proves it was skipped.
        let steps = ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER)"];
        migrate_with(&mut conn, &steps).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 2);
        assert_eq!(table_names(&conn), vec!["a", "b", "bdk_schemas"]);
    }

    #[test]
    fn a_failing_step_rolls_back_and_keeps_the_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = [
            "CREATE TABLE a (x INTEGER)",
            "CREATE TABLE c (z); SELECT * FROM nope",
        ];
        let err = migrate_with(&mut conn, &steps).unwrap_err();
        assert!(
            matches!(err, LedgerError::MigrationFailed { version: 2, .. }),
            "{err}"
        );
        assert_eq!(user_version(&conn).unwrap(), 1);
        assert_eq!(table_names(&conn), vec!["a"]);
    }

    #[test]
    fn version_6_widens_the_status_check_in_place_and_keeps_the_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let mut conn = Connection::open(&path).unwrap();
        migrate_with(&mut conn, &MIGRATIONS[..5]).unwrap();
        conn.execute_batch(
            "INSERT INTO payments (payment_hash, direction, kind, description, status, \
             created_at, last_updated, created_index, updated_index) VALUES \
             (randomblob(32), 'inbound', 'invoice', 'burger', 'pending', 1, 1, 1, 1)",
        )
        .unwrap();
        let held = "INSERT INTO payments (payment_hash, direction, kind, description, status, \
             created_at, last_updated, created_index, updated_index, hold) VALUES \
             (randomblob(32), 'inbound', 'invoice', 'swap', 'held', 1, 1, 2, 2, 1)";
        assert!(conn.execute_batch(held).is_err(), "no hold column yet");
        migrate(&mut conn).unwrap();
        // The migrating connection uses the new CHECK at once...
        conn.execute_batch(held).unwrap();
        conn.execute("UPDATE payments SET status = 'canceled' WHERE id = 1", [])
            .unwrap();
        let bogus = conn.execute("UPDATE payments SET status = 'bogus' WHERE id = 1", []);
        assert!(bogus.is_err(), "the CHECK still refuses unknown words");
        // ... and so does a fresh one, and the file is sound.
        drop(conn);
        let conn = Connection::open(&path).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let counts: Vec<(String, i64)> = conn
            .prepare("SELECT status, n FROM payment_counts WHERE n > 0 ORDER BY 1")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            counts,
            vec![("canceled".to_string(), 1), ("held".to_string(), 1)]
        );
        assert!(conn
            .execute("UPDATE payments SET status = 'bogus' WHERE id = 1", [])
            .is_err());
        let hold: i64 = conn
            .query_row("SELECT hold FROM payments WHERE id = 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(hold, 0, "existing rows are not hold invoices");
    }

    #[test]
    fn later_steps_index_rows_written_under_version_1() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_with(&mut conn, &MIGRATIONS[..1]).unwrap();
        conn.execute_batch(
            "INSERT INTO payments (payment_hash, direction, kind, destination, description, \
             status, created_at, last_updated, created_index, updated_index) VALUES \
             (zeroblob(32), 'outbound', 'keysend', zeroblob(33), 'Blokaccino', 'failed', 1, 1, 1, 1), \
             (randomblob(32), 'inbound', 'keysend', NULL, 'keysend', 'succeeded', 1, 1, 2, 2), \
             (randomblob(32), 'inbound', 'invoice', NULL, 'burger', 'succeeded', 1, 1, 3, 3)",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let counts: Vec<(String, String, i64)> = conn
            .prepare("SELECT direction, status, n FROM payment_counts ORDER BY 1, 2")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let expected = [("inbound", "succeeded", 2), ("outbound", "failed", 1)];
        let expected: Vec<(String, String, i64)> = expected
            .iter()
            .map(|(d, s, n)| (d.to_string(), s.to_string(), *n))
            .collect();
        assert_eq!(counts, expected);
        let found: i64 = conn
            .query_row(
                "SELECT rowid FROM payments_description WHERE payments_description MATCH '\"okac\"'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1);
        // The triggers keep both up to date from now on.
        conn.execute(
            "UPDATE payments SET status = 'succeeded', description = 'tea' WHERE id = 1",
            [],
        )
        .unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT n FROM payment_counts WHERE direction = 'outbound' AND status = 'succeeded'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
        let stale: i64 = conn
            .query_row(
                "SELECT count(*) FROM payments_description WHERE payments_description MATCH 'okac'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stale, 0);
        // The fragment index (version 13) indexed the old rows and follows the update too.
        let fragments = |needle: &str| -> Vec<i64> {
            conn.prepare(
                "SELECT rowid FROM payments_description_fragments \
                 WHERE payments_description_fragments MATCH ?1 ORDER BY 1",
            )
            .unwrap()
            .query_map([needle], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
        };
        assert_eq!(fragments("\"okac\" *"), Vec::<i64>::new());
        assert_eq!(fragments("\"ea\" *"), vec![1]);
        assert_eq!(fragments("\"urg\" *"), vec![3]);
        assert_eq!(fragments("\"keysend\" *"), vec![2]);
    }

    #[test]
    fn refuses_a_database_from_a_newer_build() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(
            matches!(err, LedgerError::NewerSchema { found, supported, .. }
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{err}"
        );
        assert!(err.to_string().contains("newer than this build supports"));
    }
}
