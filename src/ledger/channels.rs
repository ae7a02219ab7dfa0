//! Channel history (schema v4, table `channels`).
//!
//! LDK lists only live channels. Every channel the node sees open is recorded here (the first
//! sighting fixes `created_at`), and completed when it closes: reason, closing transaction,
//! and the transaction that swept our balance back into the wallet. The closed list is read
//! whole and filtered by the service: a node has at most thousands of closed channels, and
//! the same filter code then serves open (in-memory) and closed channels alike.
//!
//! Live channels are recorded by the service's history task about once a second; an inbound
//! channel that opens and closes between two sightings is recorded at close without its
//! direction and visibility (both then read `false`).

use rusqlite::{params, OptionalExtension, Row};

use super::error::LedgerError;
use super::events::{append_channel_event, EventKind};
use super::Ledger;

/// Where a live channel is in its life; it only moves forward (a sighting of an earlier state
/// is ignored). Each step appends its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChannelState {
    /// Funding not yet confirmed enough (`channel_opened` is appended at first sighting).
    Opening,
    /// `channel_ready` exchanged: payments can flow.
    Usable,
    /// A cooperative close has started.
    Closing,
}

impl ChannelState {
    fn as_str(self) -> &'static str {
        match self {
            ChannelState::Opening => "opening",
            ChannelState::Usable => "usable",
            ChannelState::Closing => "closing",
        }
    }

    fn from_db(word: &str) -> ChannelState {
        match word {
            "usable" => ChannelState::Usable,
            "closing" => ChannelState::Closing,
            _ => ChannelState::Opening,
        }
    }

    fn event(self) -> EventKind {
        match self {
            ChannelState::Opening => EventKind::ChannelOpened,
            ChannelState::Usable => EventKind::ChannelUsable,
            ChannelState::Closing => EventKind::ChannelClosing,
        }
    }
}

/// A channel as the history knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRecord {
    pub uuid: String,
    /// Hex of LDK's channel id.
    pub channel_id: String,
    pub counterparty_node_id: Option<String>,
    pub funding_tx: Option<String>,
    pub funding_tx_output_index: Option<u32>,
    pub funding_value_sats: Option<u64>,
    pub is_outbound: bool,
    pub is_public: bool,
    pub created_at: u64,
    pub is_closed: bool,
    pub closure_reason: Option<String>,
    pub closing_tx: Option<String>,
    pub claiming_tx: Option<String>,
    pub claimed_balance_sats: Option<u64>,
    pub last_local_balance_msat: Option<u64>,
    pub closed_at: Option<u64>,
}

/// What is known of a live channel; recorded (or refreshed) whenever the node lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenChannelSighting {
    pub uuid: String,
    pub channel_id: String,
    pub counterparty_node_id: String,
    pub funding_tx: Option<String>,
    pub funding_tx_output_index: Option<u32>,
    pub funding_value_sats: u64,
    pub is_outbound: bool,
    pub is_public: bool,
    pub state: ChannelState,
}

/// A channel closing, from LDK's `ChannelClosed` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelClosure {
    pub uuid: String,
    pub channel_id: String,
    pub counterparty_node_id: Option<String>,
    pub funding_tx: Option<String>,
    pub funding_tx_output_index: Option<u32>,
    pub funding_value_sats: Option<u64>,
    pub closure_reason: String,
    pub last_local_balance_msat: Option<u64>,
    pub closed_at: u64,
}

const COLUMNS: &str = "uuid, channel_id, counterparty_node_id, funding_tx, \
    funding_tx_output_index, funding_value_sats, is_outbound, is_public, created_at, is_closed, \
    closure_reason, closing_tx, claiming_tx, claimed_balance_sats, last_local_balance_msat, \
    closed_at";

fn u64_col(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<u64>> {
    Ok(row.get::<_, Option<i64>>(i)?.map(|v| v.max(0) as u64))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ChannelRecord> {
    Ok(ChannelRecord {
        uuid: row.get(0)?,
        channel_id: row.get(1)?,
        counterparty_node_id: row.get(2)?,
        funding_tx: row.get(3)?,
        funding_tx_output_index: row.get::<_, Option<i64>>(4)?.map(|v| v as u32),
        funding_value_sats: u64_col(row, 5)?,
        is_outbound: row.get(6)?,
        is_public: row.get(7)?,
        created_at: u64_col(row, 8)?.unwrap_or(0),
        is_closed: row.get(9)?,
        closure_reason: row.get(10)?,
        closing_tx: row.get(11)?,
        claiming_tx: row.get(12)?,
        claimed_balance_sats: u64_col(row, 13)?,
        last_local_balance_msat: u64_col(row, 14)?,
        closed_at: u64_col(row, 15)?,
    })
}

/// SQLite stores i64; sat and msat amounts are far below i64::MAX, but never wrap silently.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Ledger {
    /// Records live channels: inserts unknown ones, refreshes funding data of known open ones.
    /// Rows already marked closed are left alone.
    pub fn record_open_channels(&self, seen: &[OpenChannelSighting]) -> Result<(), LedgerError> {
        if seen.is_empty() {
            return Ok(());
        }
        let now = self.now();
        self.write(|tx| {
            for c in seen {
                let known: Option<(String, bool)> = tx
                    .prepare_cached("SELECT state, is_closed FROM channels WHERE uuid = ?1")?
                    .query_row([&c.uuid], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                if known.as_ref().is_some_and(|(_, closed)| *closed) {
                    continue;
                }
                let before = known
                    .as_ref()
                    .map(|(state, _)| ChannelState::from_db(state));
                let state = before.map_or(c.state, |b| b.max(c.state));
                tx.prepare_cached(
                    "INSERT INTO channels (uuid, channel_id, counterparty_node_id, funding_tx, \
                     funding_tx_output_index, funding_value_sats, is_outbound, is_public, \
                     created_at, state) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                     ON CONFLICT (uuid) DO UPDATE SET channel_id = excluded.channel_id, \
                       funding_tx = coalesce(excluded.funding_tx, funding_tx), \
                       funding_tx_output_index = coalesce(excluded.funding_tx_output_index, \
                                                          funding_tx_output_index), \
                       funding_value_sats = excluded.funding_value_sats, \
                       is_public = excluded.is_public, state = excluded.state \
                     WHERE is_closed = 0",
                )?
                .execute(params![
                    c.uuid,
                    c.channel_id,
                    c.counterparty_node_id,
                    c.funding_tx,
                    c.funding_tx_output_index,
                    to_i64(c.funding_value_sats),
                    c.is_outbound,
                    c.is_public,
                    to_i64(now),
                    state.as_str(),
                ])?;
                if before.is_none() {
                    append_channel_event(tx, &c.uuid, EventKind::ChannelOpened, now)?;
                }
                if before.map_or(state > ChannelState::Opening, |b| state > b) {
                    append_channel_event(tx, &c.uuid, state.event(), now)?;
                }
            }
            Ok(())
        })
    }

    /// Marks a channel closed, creating its row if it was never seen open (e.g. a channel
    /// that closed before it was funded). Idempotent: a replayed event changes nothing.
    pub fn record_channel_closed(&self, c: &ChannelClosure) -> Result<(), LedgerError> {
        self.write(|tx| {
            let changed = tx.execute(
                "INSERT INTO channels (uuid, channel_id, counterparty_node_id, funding_tx, \
                 funding_tx_output_index, funding_value_sats, created_at, is_closed, \
                 closure_reason, last_local_balance_msat, closed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?7) \
                 ON CONFLICT (uuid) DO UPDATE SET is_closed = 1, \
                   channel_id = excluded.channel_id, \
                   counterparty_node_id = coalesce(counterparty_node_id, \
                                                   excluded.counterparty_node_id), \
                   funding_tx = coalesce(funding_tx, excluded.funding_tx), \
                   funding_tx_output_index = coalesce(funding_tx_output_index, \
                                                      excluded.funding_tx_output_index), \
                   funding_value_sats = coalesce(funding_value_sats, \
                                                 excluded.funding_value_sats), \
                   closure_reason = excluded.closure_reason, \
                   last_local_balance_msat = excluded.last_local_balance_msat, \
                   closed_at = excluded.closed_at \
                 WHERE is_closed = 0",
                params![
                    c.uuid,
                    c.channel_id,
                    c.counterparty_node_id,
                    c.funding_tx,
                    c.funding_tx_output_index,
                    c.funding_value_sats.map(to_i64),
                    to_i64(c.closed_at),
                    c.closure_reason,
                    c.last_local_balance_msat.map(to_i64),
                ],
            )?;
            if changed > 0 {
                append_channel_event(tx, &c.uuid, EventKind::ChannelClosed, c.closed_at)?;
            }
            Ok(())
        })
    }

    /// Sets the transaction that spent the funding output.
    pub fn set_closing_tx(&self, uuid: &str, closing_tx: &str) -> Result<(), LedgerError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE channels SET closing_tx = ?2 WHERE uuid = ?1",
                params![uuid, closing_tx],
            )?;
            Ok(())
        })
    }

    /// Sets the transaction that paid our balance back into the wallet, and how much it paid.
    pub fn set_claiming_tx(
        &self,
        uuid: &str,
        claiming_tx: &str,
        claimed_balance_sats: u64,
    ) -> Result<(), LedgerError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE channels SET claiming_tx = ?2, claimed_balance_sats = ?3 WHERE uuid = ?1",
                params![uuid, claiming_tx, to_i64(claimed_balance_sats)],
            )?;
            Ok(())
        })
    }

    /// One channel by uuid, open or closed.
    pub fn channel_record(&self, uuid: &str) -> Result<Option<ChannelRecord>, LedgerError> {
        self.read(|tx| {
            let sql = format!("SELECT {COLUMNS} FROM channels WHERE uuid = ?1");
            Ok(tx.query_row(&sql, [uuid], from_row).optional()?)
        })
    }

    /// Closed channels still missing their closing or claiming transaction.
    pub fn incomplete_closed_channels(&self) -> Result<Vec<ChannelRecord>, LedgerError> {
        self.read(|tx| {
            let sql = format!(
                "SELECT {COLUMNS} FROM channels WHERE is_closed = 1 \
                 AND (closing_tx IS NULL OR claiming_tx IS NULL) ORDER BY id"
            );
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([], from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Every closed channel, most recently closed first.
    pub fn closed_channels(&self) -> Result<Vec<ChannelRecord>, LedgerError> {
        self.read(|tx| {
            let sql = format!(
                "SELECT {COLUMNS} FROM channels WHERE is_closed = 1 \
                 ORDER BY closed_at DESC, id DESC"
            );
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([], from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sighting(uuid: &str) -> OpenChannelSighting {
        OpenChannelSighting {
            uuid: uuid.into(),
            channel_id: "aa".repeat(32),
            counterparty_node_id: "02".to_string() + &"11".repeat(32),
            funding_tx: None,
            funding_tx_output_index: None,
            funding_value_sats: 100_000,
            is_outbound: true,
            is_public: false,
            state: ChannelState::Opening,
        }
    }

    #[test]
    fn open_then_closed_keeps_what_was_seen_open() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(dir.path().join("l.sqlite")).unwrap();
        ledger.record_open_channels(&[sighting("u1")]).unwrap();
        let mut funded = sighting("u1");
        funded.funding_tx = Some("bb".repeat(32));
        funded.funding_tx_output_index = Some(1);
        ledger.record_open_channels(&[funded]).unwrap();
        let closure = ChannelClosure {
            uuid: "u1".into(),
            channel_id: "aa".repeat(32),
            counterparty_node_id: None,
            funding_tx: None,
            funding_tx_output_index: None,
            funding_value_sats: None,
            closure_reason: "cooperative".into(),
            last_local_balance_msat: Some(5),
            closed_at: 42,
        };
        ledger.record_channel_closed(&closure).unwrap();
        // A replay changes nothing.
        let mut replay = closure.clone();
        replay.closed_at = 99;
        ledger.record_channel_closed(&replay).unwrap();
        assert_eq!(ledger.incomplete_closed_channels().unwrap().len(), 1);
        ledger.set_closing_tx("u1", "cc").unwrap();
        ledger.set_claiming_tx("u1", "dd", 7).unwrap();
        assert!(ledger.incomplete_closed_channels().unwrap().is_empty());
        let closed = ledger.closed_channels().unwrap();
        assert_eq!(closed.len(), 1);
        let c = &closed[0];
        assert!(c.is_closed && c.is_outbound);
        assert_eq!(c.funding_tx.as_deref(), Some("bb".repeat(32).as_str()));
        assert_eq!(c.funding_tx_output_index, Some(1));
        assert_eq!(c.closed_at, Some(42));
        assert_eq!(c.closing_tx.as_deref(), Some("cc"));
        assert_eq!(c.claimed_balance_sats, Some(7));
        // A sighting after the close does not reopen it.
        ledger.record_open_channels(&[sighting("u1")]).unwrap();
        assert!(ledger.channel_record("u1").unwrap().unwrap().is_closed);
        assert!(ledger.channel_record("nope").unwrap().is_none());
    }
}
