//! The filter -> SQL builder.
//!
//! Every value reaches SQL as a bound parameter; the SQL text is assembled only from fixed
//! fragments, so no input can change a statement's shape.

use rusqlite::types::Value;

use crate::ledger::description_fragments::{fragment_query, FRAGMENT_MATCHES};
use crate::ledger::model::{Direction, PaymentFilter, PaymentTypeFilter};

/// A WHERE clause (always valid SQL, `1` when nothing is filtered) and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conditions {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Conditions {
    /// Adds a fragment that binds several parameters (numbered by the caller from
    /// [`Conditions::next_param`]).
    fn sql_push_many(&mut self, fragment: &str, values: Vec<Value>) {
        if !self.sql.is_empty() {
            self.sql.push_str(" AND ");
        }
        self.sql.push_str(fragment);
        self.params.extend(values);
    }

    fn push(&mut self, fragment: &str, value: Value) {
        if !self.sql.is_empty() {
            self.sql.push_str(" AND ");
        }
        self.sql.push_str(fragment);
        self.params.push(value);
    }

    /// Adds `<column_op> ?n` with the next parameter number.
    pub(crate) fn add(&mut self, column_op: &str, value: Value) {
        let n = self.next_param();
        self.push(&format!("{column_op} ?{n}"), value);
    }

    /// Parameters numbered after this clause's, for appended fragments.
    pub(crate) fn next_param(&self) -> usize {
        self.params.len() + 1
    }
}

/// Escapes `\`, `%` and `_` so the text matches only itself inside `LIKE ... ESCAPE '\'`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Ids of the rows whose description contains the phrase bound after it (see migration 3).
pub(crate) const DESCRIPTION_MATCHES: &str =
    "SELECT rowid FROM payments_description WHERE payments_description MATCH";

/// Whether the description index can answer a substring filter (trigrams need 3 characters).
pub(crate) fn indexable(text: &str) -> bool {
    text.chars().count() >= 3
}

/// A full-text query matching `text` as one literal phrase: for a trigram index, exactly the
/// rows containing it as a substring. ASCII-lowercased to match the indexed `lower(...)`.
pub(crate) fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.to_ascii_lowercase().replace('"', "\"\""))
}

/// The id subquery (its `MATCH` parameter follows it) and the parameter that find exactly the
/// rows whose description contains `text`: the fragment index for a word-character needle up
/// to its fragment length, else the trigram index for 3 characters or more, else none.
pub(crate) fn description_index(text: &str) -> Option<(&'static str, String)> {
    if let Some(query) = fragment_query(text) {
        Some((FRAGMENT_MATCHES, query))
    } else if indexable(text) {
        Some((DESCRIPTION_MATCHES, fts_phrase(text)))
    } else {
        None
    }
}

/// Stored integers are at most `i64::MAX`, so clamping a bound there keeps its meaning.
pub(crate) fn bound(value: u64) -> Value {
    Value::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

/// How range conditions (amount, fee, timestamp) and the description are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAccess {
    /// Plain columns and the description index: the planner may collect the matches through
    /// an index (then sort them).
    Indexed,
    /// `+column`: SQLite may not use an index for them, so it walks an order-preserving index
    /// and checks each row, stopping once the page is full.
    RowCheck,
}

/// Builds the WHERE clause for a filter. Parameters are numbered `?1..?n` in order.
pub(crate) fn conditions(filter: &PaymentFilter) -> Conditions {
    conditions_for(filter, RangeAccess::Indexed)
}

/// [`conditions`] with an explicit choice of range access.
pub(crate) fn conditions_for(filter: &PaymentFilter, access: RangeAccess) -> Conditions {
    let mut c = Conditions {
        sql: String::new(),
        params: Vec::new(),
    };
    match &filter.payment_type {
        None => {}
        Some(PaymentTypeFilter::Inbound) => {
            c.add(
                "direction =",
                Value::Text(Direction::Inbound.as_str().into()),
            );
        }
        Some(PaymentTypeFilter::Outbound { destination }) => {
            c.add(
                "direction =",
                Value::Text(Direction::Outbound.as_str().into()),
            );
            if let Some(destination) = destination {
                c.add("destination =", Value::Blob(destination.to_vec()));
            }
        }
    }
    if let Some(status) = filter.status {
        c.add("status =", Value::Text(status.as_str().into()));
    }
    if let Some(text) = &filter.description {
        let n = c.next_param();
        match description_index(text) {
            Some((matches, query)) if access == RangeAccess::Indexed => {
                c.push(&format!("id IN ({matches} ?{n})"), Value::Text(query));
            }
            _ => {
                // No index answers it, or walking the list order: test each row.
                c.push(
                    &format!("description LIKE ?{n} ESCAPE '\\'"),
                    Value::Text(format!("%{}%", escape_like(text))),
                );
            }
        }
    }
    let prefix = match access {
        RangeAccess::Indexed => "",
        RangeAccess::RowCheck => "+",
    };
    let ranges = [
        (
            "amount_msat",
            filter.from_amount_msat,
            filter.to_amount_msat,
        ),
        (
            "fee_paid_msat",
            filter.from_fee_paid_msat,
            filter.to_fee_paid_msat,
        ),
        ("created_at", filter.from_timestamp, filter.to_timestamp),
    ];
    for (column, from, to) in ranges {
        if let Some(from) = from {
            c.add(&format!("{prefix}{column} >="), bound(from));
        }
        if let Some(to) = to {
            c.add(&format!("{prefix}{column} <="), bound(to));
        }
    }
    if let Some(key_id) = filter.key_id {
        // Answered by the partial index `payments_by_key`.
        c.add("key_id =", bound(key_id));
    }
    add_value_for_value(&mut c, filter, access);
    if c.sql.is_empty() {
        c.sql.push('1');
    }
    c
}

/// Ids of the payments carrying the custom record whose key is bound after it.
pub(crate) const RECORD_KEY_MATCHES: &str =
    "SELECT payment_id FROM payment_custom_records WHERE key =";

/// `podcast = ?n AND +action = ?m ...` over `payment_blip10` for the filter's bLIP-10 fields
/// and `has_message: true`, parameters numbered from `first`; `None` when it has neither.
///
/// Fields go most selective first (a show, an app, an action, then "has a message"), and
/// every field after the first is written `+column`, which keeps the planner off its index.
/// The daemon never runs ANALYZE, and without statistics SQLite took the one index that is not
/// partial, `has_message`, for a show's boostagrams: 15,000 rows read for 15 at a million.
fn blip10_conditions(filter: &PaymentFilter, first: usize) -> Option<(String, Vec<Value>)> {
    let b = &filter.blip10;
    let mut fields: Vec<(&str, Value)> = [
        ("podcast", b.podcast.clone()),
        ("feed_id", b.feed_id.clone()),
        ("app_name", b.app_name.clone()),
        ("action", b.action.as_ref().map(|a| a.trim().to_lowercase())),
    ]
    .into_iter()
    .filter_map(|(column, value)| value.map(|v| (column, Value::Text(v))))
    .collect();
    if filter.has_message == Some(true) {
        fields.push(("has_message", Value::Integer(1)));
    }
    if fields.is_empty() {
        return None;
    }
    let mut sql = String::new();
    let mut params = Vec::with_capacity(fields.len());
    for (i, (column, value)) in fields.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(" AND +");
        }
        sql.push_str(&format!("{column} = ?{}", first + i));
        params.push(value);
    }
    Some((sql, params))
}

/// `SELECT payment_id FROM payment_blip10 WHERE ...`: see [`blip10_conditions`].
fn blip10_matches(filter: &PaymentFilter, first: usize) -> Option<(String, Vec<Value>)> {
    blip10_conditions(filter, first).map(|(sql, params)| {
        (
            format!("SELECT payment_id FROM payment_blip10 WHERE {sql}"),
            params,
        )
    })
}

/// A count answered by a side table alone, for a filter made only of a record key, or only of
/// bLIP-10 fields and `has_message: true`: every side-table row belongs to exactly one payment
/// (foreign key, ON DELETE CASCADE), so counting it equals counting the payments, without a
/// row lookup per match.
pub(crate) fn side_table_count(filter: &PaymentFilter) -> Option<(String, Vec<Value>)> {
    let rest = PaymentFilter {
        custom_record_key: None,
        blip10: Default::default(),
        has_message: None,
        ..filter.clone()
    };
    if rest != PaymentFilter::default() {
        return None;
    }
    match (filter.custom_record_key, filter.has_message) {
        (Some(key), None) if filter.blip10.is_empty() => Some((
            format!("SELECT count(*) FROM ({RECORD_KEY_MATCHES} ?1)"),
            vec![Value::Integer(key as i64)],
        )),
        (None, None | Some(true)) => blip10_matches(filter, 1)
            .map(|(sql, params)| (format!("SELECT count(*) FROM ({sql})"), params)),
        _ => None,
    }
}

/// The value-for-value filters (migration 9), written for the access path.
///
/// Indexed: record and bLIP-10 conditions are id sets read from their own indexes, so they
/// cost the matches, not a scan of every row's records, and SQLite may drive the page from
/// the smallest set.
///
/// Walking the list order (see `prefer_order_walk`): each row visited is looked up in the
/// side table by its primary key instead. An id set would first be built whole (22,000 ids for
/// `action: boost` at a million rows, 6 ms) to answer the ~450 rows a page visits (0.4 ms).
fn add_value_for_value(c: &mut Conditions, filter: &PaymentFilter, access: RangeAccess) {
    let walk = access == RangeAccess::RowCheck;
    if let Some(key) = filter.custom_record_key {
        let n = c.next_param();
        let sql = if walk {
            format!(
                "EXISTS (SELECT 1 FROM payment_custom_records \
                 WHERE payment_id = payments.id AND key = ?{n})"
            )
        } else {
            format!("id IN ({RECORD_KEY_MATCHES} ?{n})")
        };
        c.push(&sql, Value::Integer(key as i64));
    }
    // One condition for every bLIP-10 field, so SQLite picks the most selective of the side
    // table's indexes for them together.
    let blip10 = if walk {
        blip10_conditions(filter, c.next_param()).map(|(fields, params)| {
            let sql = format!(
                "EXISTS (SELECT 1 FROM payment_blip10 WHERE payment_id = payments.id AND {fields})"
            );
            (sql, params)
        })
    } else {
        blip10_matches(filter, c.next_param())
            .map(|(ids, params)| (format!("id IN ({ids})"), params))
    };
    if let Some((sql, params)) = blip10 {
        c.sql_push_many(&sql, params);
    }
    if filter.has_message == Some(false) {
        let n = c.next_param();
        let sql = if walk {
            format!(
                "NOT EXISTS (SELECT 1 FROM payment_blip10 \
                 WHERE payment_id = payments.id AND has_message = ?{n})"
            )
        } else {
            format!("id NOT IN (SELECT payment_id FROM payment_blip10 WHERE has_message = ?{n})")
        };
        c.push(&sql, Value::Integer(1));
    }
    if let Some(split_id) = &filter.split_id {
        c.add("split_id =", Value::Text(split_id.clone()));
    }
    if let Some(wallet_id) = &filter.wallet_id {
        c.add("wallet_id =", Value::Text(wallet_id.clone()));
    }
    if let Some(offer_id) = &filter.offer_id {
        c.add("offer_id =", Value::Blob(offer_id.to_vec()));
    }
}

/// The part of a filter that `payment_counts` can answer: direction, destination, status.
pub(crate) fn equality_part(filter: &PaymentFilter) -> PaymentFilter {
    PaymentFilter {
        payment_type: filter.payment_type.clone(),
        status: filter.status,
        ..PaymentFilter::default()
    }
}

/// Whether walking the list order and checking each row (reading about
/// `wanted * candidates / matches` rows) beats collecting every match through a range index
/// and sorting it (about `matches` rows). `candidates` are the rows the equality part of the
/// filter leaves; `wanted` is how far into the matches the page reaches.
pub(crate) fn prefer_order_walk(candidates: u64, matches: u64, wanted: u64) -> bool {
    u128::from(wanted) * u128::from(candidates) <= u128::from(matches) * u128::from(matches)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::model::PaymentStatus;

    #[test]
    fn an_empty_filter_matches_everything() {
        let c = conditions(&PaymentFilter::default());
        assert_eq!(c.sql, "1");
        assert!(c.params.is_empty());
    }

    #[test]
    fn every_field_becomes_a_numbered_bound_parameter() {
        let filter = PaymentFilter {
            payment_type: Some(PaymentTypeFilter::Outbound {
                destination: Some([2; 33]),
            }),
            description: Some("burger".into()),
            status: Some(PaymentStatus::Succeeded),
            from_amount_msat: Some(1),
            to_amount_msat: Some(2),
            from_fee_paid_msat: Some(3),
            to_fee_paid_msat: Some(4),
            from_timestamp: Some(5),
            to_timestamp: Some(u64::MAX),
            key_id: Some(7),
            ..Default::default()
        };
        let c = conditions(&filter);
        assert_eq!(
            c.sql,
            "direction = ?1 AND destination = ?2 AND status = ?3 \
             AND id IN (SELECT rowid FROM payments_description_fragments \
             WHERE payments_description_fragments MATCH ?4) \
             AND amount_msat >= ?5 AND amount_msat <= ?6 \
             AND fee_paid_msat >= ?7 AND fee_paid_msat <= ?8 AND created_at >= ?9 \
             AND created_at <= ?10 AND key_id = ?11"
        );
        let walk = conditions_for(&filter, RangeAccess::RowCheck);
        assert_eq!(
            walk.sql,
            "direction = ?1 AND destination = ?2 AND status = ?3 \
             AND description LIKE ?4 ESCAPE '\\' AND +amount_msat >= ?5 AND +amount_msat <= ?6 \
             AND +fee_paid_msat >= ?7 AND +fee_paid_msat <= ?8 AND +created_at >= ?9 \
             AND +created_at <= ?10 AND key_id = ?11"
        );
        assert_eq!(
            c.params,
            vec![
                Value::Text("outbound".into()),
                Value::Blob(vec![2; 33]),
                Value::Text("succeeded".into()),
                Value::Text("\"burger\" *".into()),
                Value::Integer(1),
                Value::Integer(2),
                Value::Integer(3),
                Value::Integer(4),
                Value::Integer(5),
                Value::Integer(i64::MAX),
                Value::Integer(7),
            ]
        );
    }

    #[test]
    fn value_for_value_filters_are_id_sets_from_their_indexes() {
        let filter = PaymentFilter {
            custom_record_key: Some(7_629_169),
            blip10: crate::ledger::model::Blip10Filter {
                action: Some(" Boost ".into()),
                feed_id: Some("920666".into()),
                ..Default::default()
            },
            has_message: Some(true),
            split_id: Some("s".into()),
            wallet_id: Some("wal_1".into()),
            ..Default::default()
        };
        let c = conditions(&filter);
        assert_eq!(
            c.sql,
            "id IN (SELECT payment_id FROM payment_custom_records WHERE key = ?1) \
             AND id IN (SELECT payment_id FROM payment_blip10 WHERE feed_id = ?2 \
             AND +action = ?3 AND +has_message = ?4) \
             AND split_id = ?5 AND wallet_id = ?6"
        );
        assert_eq!(c.params[2], Value::Text("boost".into()));
        let without = conditions(&PaymentFilter {
            has_message: Some(false),
            ..Default::default()
        });
        assert_eq!(
            without.sql,
            "id NOT IN (SELECT payment_id FROM payment_blip10 WHERE has_message = ?1)"
        );
        // Counted from the side tables alone when nothing else is filtered.
        assert!(side_table_count(&filter).is_none());
        let boosts = PaymentFilter {
            blip10: crate::ledger::model::Blip10Filter {
                action: Some("boost".into()),
                ..Default::default()
            },
            has_message: Some(true),
            ..Default::default()
        };
        assert_eq!(
            side_table_count(&boosts).unwrap().0,
            "SELECT count(*) FROM (SELECT payment_id FROM payment_blip10 WHERE action = ?1 \
             AND +has_message = ?2)"
        );
        let key = PaymentFilter {
            custom_record_key: Some(7),
            ..Default::default()
        };
        assert_eq!(
            side_table_count(&key).unwrap().0,
            "SELECT count(*) FROM (SELECT payment_id FROM payment_custom_records WHERE key = ?1)"
        );
        assert!(side_table_count(&PaymentFilter {
            has_message: Some(false),
            ..Default::default()
        })
        .is_none());
        assert!(side_table_count(&PaymentFilter::default()).is_none());
    }

    #[test]
    fn outbound_without_destination_filters_on_direction_only() {
        let filter = PaymentFilter {
            payment_type: Some(PaymentTypeFilter::Outbound { destination: None }),
            ..Default::default()
        };
        let c = conditions(&filter);
        assert_eq!(c.sql, "direction = ?1");
        assert_eq!(c.params, vec![Value::Text("outbound".into())]);
    }

    #[test]
    fn like_metacharacters_are_escaped_and_quotes_stay_data() {
        assert_eq!(escape_like("100%_off\\now"), "100\\%\\_off\\\\now");
        assert_eq!(escape_like("Pressin' The Flesh"), "Pressin' The Flesh");
        let text = "50%' OR 1=1 --";
        let filter = PaymentFilter {
            description: Some(text.into()),
            ..Default::default()
        };
        let walk = conditions_for(&filter, RangeAccess::RowCheck);
        assert_eq!(walk.sql, "description LIKE ?1 ESCAPE '\\'");
        assert_eq!(walk.params, vec![Value::Text("%50\\%' OR 1=1 --%".into())]);
        let indexed = conditions(&filter);
        assert_eq!(
            indexed.params,
            vec![Value::Text("\"50%' or 1=1 --\"".into())]
        );
        assert_eq!(fts_phrase("Say \"Hi\""), "\"say \"\"hi\"\"\"");
        // Too short for trigrams and not a word: LIKE even when indexes may be used; a short
        // word goes to the fragment index.
        let short = conditions(&PaymentFilter {
            description: Some("_%".into()),
            ..Default::default()
        });
        assert_eq!(short.sql, "description LIKE ?1 ESCAPE '\\'");
        let word = conditions(&PaymentFilter {
            description: Some("Tä".into()),
            ..Default::default()
        });
        assert!(word.sql.contains("payments_description_fragments MATCH ?1"));
        assert_eq!(word.params, vec![Value::Text("\"tä\" *".into())]);
    }

    #[test]
    fn escaped_patterns_match_literally_in_sqlite() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let matches = |text: &str, needle: &str| -> bool {
            conn.query_row(
                "SELECT ?1 LIKE ?2 ESCAPE '\\'",
                (text, format!("%{}%", escape_like(needle))),
                |row| row.get(0),
            )
            .unwrap()
        };
        assert!(matches("save 100% now", "100%"));
        assert!(!matches("save 1000 now", "100%"));
        assert!(matches("a_b", "a_b"));
        assert!(!matches("axb", "a_b"));
        assert!(matches("back\\slash", "k\\s"));
        assert!(!matches("back/slash", "k\\s"));
        assert!(matches("Pressin' The Flesh", "n' t"));
    }
}
