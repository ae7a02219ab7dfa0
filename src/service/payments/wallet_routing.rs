//! Wallet routing: an incoming keysend whose routing record (`wallet_routing_tlvs`: LNPay's
//! `112111100`, then `696969` as LNPay and Alby use it) names a sub-wallet is tagged with that
//! `wallet_id`.
//!
//! Apps disagree on the value's encoding: most send the id as UTF-8 text (`wal_...`), some send
//! the hex of that text. The rules:
//! - the first key of the list that the payment carries decides; later keys are not consulted;
//! - a value that is hex (an even number of hex digits) whose bytes are printable UTF-8 is
//!   taken as hex of UTF-8 and decoded; an id that merely looks like hex but decodes to
//!   something else (`deadbeef`) stays as sent;
//! - surrounding whitespace is trimmed; an empty, non-UTF-8, over-long or control-character
//!   value routes nowhere (the payment is still received, without a wallet).
//!
//! BOLT 1 is untouched: an even routing key still has to be in `keysend_accepted_even_tlvs`
//! for the payment to be claimed at all; routing only tags what was claimed.

/// The longest wallet id kept, in bytes.
pub const MAX_WALLET_ID_BYTES: usize = 128;

/// The wallet a keysend's records route it to, if any.
pub fn wallet_id_of(records: &[(u64, Vec<u8>)], routing_keys: &[u64]) -> Option<String> {
    let value = routing_keys
        .iter()
        .find_map(|key| records.iter().find(|(k, _)| k == key).map(|(_, v)| v))?;
    let text = std::str::from_utf8(value).ok()?.trim();
    let id = decoded_hex(text).unwrap_or_else(|| text.to_string());
    let printable =
        !id.is_empty() && id.len() <= MAX_WALLET_ID_BYTES && !id.chars().any(char::is_control);
    printable.then_some(id)
}

/// `text` read as hex of printable UTF-8, when it is that.
fn decoded_hex(text: &str) -> Option<String> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    let bytes = hex::decode(text).ok()?;
    let decoded = String::from_utf8(bytes).ok()?;
    let printable = !decoded.trim().is_empty() && !decoded.chars().any(char::is_control);
    printable.then(|| decoded.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [u64; 2] = [112_111_100, 696_969];

    fn records(pairs: &[(u64, &[u8])]) -> Vec<(u64, Vec<u8>)> {
        pairs.iter().map(|(k, v)| (*k, v.to_vec())).collect()
    }

    #[test]
    fn plain_text_and_hex_of_text_route_alike_for_both_keys() {
        let hex_id = hex::encode("wal_JReJMmtQCxsFx3");
        for key in KEYS {
            for value in [b"wal_JReJMmtQCxsFx3".as_slice(), hex_id.as_bytes()] {
                assert_eq!(
                    wallet_id_of(&records(&[(key, value)]), &KEYS).as_deref(),
                    Some("wal_JReJMmtQCxsFx3"),
                    "key {key}"
                );
            }
        }
    }

    #[test]
    fn the_first_listed_key_wins_and_unlisted_keys_route_nowhere() {
        let both = records(&[(696_969, b"alby"), (112_111_100, b"wal_1")]);
        assert_eq!(wallet_id_of(&both, &KEYS).as_deref(), Some("wal_1"));
        assert_eq!(
            wallet_id_of(&both, &[696_969, 112_111_100]).as_deref(),
            Some("alby")
        );
        assert_eq!(wallet_id_of(&both, &[]), None);
        assert_eq!(wallet_id_of(&records(&[(7_629_169, b"x")]), &KEYS), None);
    }

    #[test]
    fn hex_looking_ids_that_decode_to_binary_stay_as_sent() {
        let r = records(&[(696_969, b"deadbeef")]);
        assert_eq!(wallet_id_of(&r, &KEYS).as_deref(), Some("deadbeef"));
    }

    #[test]
    fn unusable_values_route_nowhere() {
        for value in [
            b"".as_slice(),
            b"   ",
            b"\xff\xfe",
            b"a\nb",
            "x".repeat(129).as_bytes(),
        ] {
            assert_eq!(wallet_id_of(&records(&[(696_969, value)]), &KEYS), None);
        }
        assert_eq!(
            wallet_id_of(&records(&[(696_969, b" wal_2 ")]), &KEYS).as_deref(),
            Some("wal_2")
        );
    }
}
