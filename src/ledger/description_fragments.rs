//! The description fragment index (migration 13): counting a common word's matches at a
//! million rows within a few milliseconds, exactly as `description LIKE '%word%'` counts them.
//!
//! Why a second index: the trigram index (migration 3) finds a phrase by checking the
//! positions of every trigram of it in every row that has them all, about 40 ms for a word in
//! 6% of a million rows, and `list_payments` must count every match for its `total`.
//! This index stores no positions (`detail=none`): each row is indexed under the start (up to
//! [`FRAGMENT_CHARS`] characters) of every suffix of every word in its description, so a
//! needle made only of word characters is contained in a description exactly when it begins
//! one of that row's fragments, and one prefix-index lookup finds the rows (`prefix` covers
//! lengths 1 to 9; a 10-character needle is a whole fragment).
//!
//! Words are split as FTS5's `ascii` tokenizer splits them (ASCII letters and digits and every
//! non-ASCII character are word characters), and ASCII letters are lowercased, as `LIKE` folds
//! them; so the tokenizer finds in each fragment list exactly the fragments written here.
//! Needles with other characters (a space, `#`), or longer than [`FRAGMENT_CHARS`], use the
//! trigram index.
//!
//! SQLite cannot split words inside a trigger, so the fragments come from an application
//! function, [`FRAGMENTS_FUNCTION`], registered on every ledger connection ([`register`]). A
//! connection without it (the `sqlite3` shell, say) can read the ledger but cannot insert a
//! payment: the insert fails whole, it never leaves the index behind.

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

/// The longest fragment, and so the longest needle this index answers.
pub(crate) const FRAGMENT_CHARS: usize = 10;

/// The SQL function the migration and the triggers call.
pub(crate) const FRAGMENTS_FUNCTION: &str = "mmln_description_fragments";

/// Ids of the rows with a fragment matching the FTS5 query bound after it.
pub(crate) const FRAGMENT_MATCHES: &str =
    "SELECT rowid FROM payments_description_fragments WHERE payments_description_fragments MATCH";

fn is_word_char(c: char) -> bool {
    !c.is_ascii() || c.is_ascii_alphanumeric()
}

/// The space-separated fragments of `description`: for every word, the first
/// [`FRAGMENT_CHARS`] characters of each of its suffixes, ASCII-lowercased.
pub(crate) fn fragments(description: &str) -> String {
    let folded: Vec<char> = description
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut out = String::with_capacity(folded.len() * 4);
    for word in folded.split(|c| !is_word_char(*c)) {
        for start in 0..word.len() {
            let end = (start + FRAGMENT_CHARS).min(word.len());
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(&word[start..end]);
        }
    }
    out
}

/// The FTS5 query for `needle` when this index can answer it: 1 to [`FRAGMENT_CHARS`] word
/// characters. Shorter needles are prefix queries; a full-length one is a whole fragment.
pub(crate) fn fragment_query(needle: &str) -> Option<String> {
    let length = needle.chars().count();
    if length == 0 || length > FRAGMENT_CHARS || !needle.chars().all(is_word_char) {
        return None;
    }
    let folded = needle.to_ascii_lowercase();
    Some(if length == FRAGMENT_CHARS {
        format!("\"{folded}\"")
    } else {
        format!("\"{folded}\" *")
    })
}

/// Makes [`FRAGMENTS_FUNCTION`] available on `conn`. Deterministic, so SQLite may use it in
/// triggers; NULL gives no fragments.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        FRAGMENTS_FUNCTION,
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.as_deref().map(fragments).unwrap_or_default())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_the_heads_of_every_suffix_of_every_word() {
        assert_eq!(fragments("Burger #12"), "burger urger rger ger er r 12 2");
        assert_eq!(fragments(""), "");
        assert_eq!(fragments("  -- "), "");
        // Long words give fragments of at most FRAGMENT_CHARS characters.
        let long = fragments("abcdefghijklm");
        assert!(long.starts_with("abcdefghij bcdefghijk cdefghijkl defghijklm efghijklm "));
        // Non-ASCII characters are word characters and keep their case (LIKE folds ASCII only).
        assert_eq!(fragments("Café"), "café afé fé é");
        assert_eq!(fragments("ÉA"), "Éa a");
    }

    #[test]
    fn only_word_character_needles_up_to_the_fragment_length_are_answered() {
        assert_eq!(fragment_query("Burg").as_deref(), Some("\"burg\" *"));
        assert_eq!(
            fragment_query("abcdefghij").as_deref(),
            Some("\"abcdefghij\"")
        );
        assert_eq!(fragment_query("abcdefghijk"), None);
        assert_eq!(fragment_query("#12"), None);
        assert_eq!(fragment_query("a b"), None);
        assert_eq!(fragment_query("a\"b"), None);
        assert_eq!(fragment_query(""), None);
        assert_eq!(fragment_query("é").as_deref(), Some("\"é\" *"));
    }

    /// Every needle the index answers counts the rows `LIKE` counts, over descriptions chosen
    /// to hit word boundaries, long words, case and non-ASCII text.
    #[test]
    fn the_index_agrees_with_like() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        conn.execute_batch(
            "CREATE TABLE p (id INTEGER PRIMARY KEY, description TEXT NOT NULL);
             CREATE VIRTUAL TABLE payments_description_fragments USING fts5 (
                 fragments, content = '', contentless_delete = 1, tokenize = 'ascii',
                 detail = none, prefix = '1 2 3 4 5 6 7 8 9');",
        )
        .unwrap();
        let descriptions = [
            "Burger #12",
            "cheeseburger and fries",
            "BURGERS!",
            "rent",
            "current-rental",
            "Café au lait",
            "CAFÉ",
            "abcdefghijklmnop",
            "x",
            "",
            "über-burger 2024",
            "tip: 100%_off",
        ];
        for (i, d) in descriptions.iter().enumerate() {
            conn.execute("INSERT INTO p VALUES (?1, ?2)", (i as i64 + 1, d))
                .unwrap();
            conn.execute(
                &format!(
                    "INSERT INTO payments_description_fragments (rowid, fragments) \
                     VALUES (?1, {FRAGMENTS_FUNCTION}(?2))"
                ),
                (i as i64 + 1, d),
            )
            .unwrap();
        }
        let needles = [
            "burger",
            "BURG",
            "urge",
            "r",
            "rent",
            "ent",
            "caf",
            "café",
            "afé",
            "É",
            "lait",
            "abcdefghij",
            "bcdefghijk",
            "ghij",
            "x",
            "2",
            "20",
            "ber",
            "über",
            "off",
            "tip",
            "nomatch",
            "s",
        ];
        for needle in needles {
            let query = fragment_query(needle).unwrap();
            let indexed: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM ({FRAGMENT_MATCHES} ?1)"),
                    [&query],
                    |row| row.get(0),
                )
                .unwrap();
            let scanned: i64 = conn
                .query_row(
                    "SELECT count(*) FROM p WHERE description LIKE ?1 ESCAPE '\\'",
                    [format!("%{}%", crate::ledger::filter::escape_like(needle))],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(indexed, scanned, "needle {needle:?}");
        }
    }
}
