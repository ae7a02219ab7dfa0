//! Client-chosen idempotency keys: the key's rules and the request fingerprint.
//!
//! A key is 1 to 64 bytes of printable text (no control characters), chosen by the client per
//! logical request (e.g. one per listened minute). The ledger stores it with a fingerprint: a
//! SHA-256 over the method name and the caller-chosen fields of the request, each written
//! with its length so no two requests can encode alike. What is fingerprinted:
//! - `send_payment`: the type, destination, invoice, amount, effective fee limit, custom
//!   records and metadata (never the random keysend hash);
//! - `send_value_split`: the total, every recipient (name, destination, split, fee flag,
//!   custom records), the common records, the fee limit and metadata;
//! - `sendpay`: hash, route, amounts, part and group ids, label, bolt11, secret, description.

use bitcoin::hashes::{sha256, Hash, HashEngine};

use crate::ledger::NewOutbound;

/// The longest key accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyError {
    #[error("invalid idempotency_key: it must not be empty")]
    Empty,
    #[error("invalid idempotency_key: {0} bytes, at most {MAX_IDEMPOTENCY_KEY_BYTES}")]
    TooLong(usize),
    #[error("invalid idempotency_key: control characters are not allowed")]
    ControlCharacter,
}

/// Checks a key's shape.
pub fn check_key_text(key: &str) -> Result<(), IdempotencyError> {
    if key.is_empty() {
        return Err(IdempotencyError::Empty);
    }
    if key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
        return Err(IdempotencyError::TooLong(key.len()));
    }
    if key.chars().any(char::is_control) {
        return Err(IdempotencyError::ControlCharacter);
    }
    Ok(())
}

/// Builds a fingerprint field by field; each field is length-prefixed.
pub struct Fingerprint(sha256::HashEngine);

impl Fingerprint {
    pub fn new(method: &str) -> Self {
        let mut f = Fingerprint(sha256::Hash::engine());
        f.bytes(method.as_bytes());
        f
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.input(&(bytes.len() as u64).to_be_bytes());
        self.0.input(bytes);
        self
    }

    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes(&value.to_be_bytes())
    }

    /// An absent value differs from every present one.
    pub fn opt_u64(&mut self, value: Option<u64>) -> &mut Self {
        match value {
            None => self.bytes(b"none"),
            Some(v) => self.bytes(b"some").u64(v),
        }
    }

    pub fn opt_bytes(&mut self, value: Option<&[u8]>) -> &mut Self {
        match value {
            None => self.bytes(b"none"),
            Some(v) => self.bytes(b"some").bytes(v),
        }
    }

    pub fn records(&mut self, records: &[(u64, &[u8])]) -> &mut Self {
        self.u64(records.len() as u64);
        for (key, value) in records {
            self.u64(*key).bytes(value);
        }
        self
    }

    pub fn finish(&self) -> [u8; 32] {
        sha256::Hash::from_engine(self.0.clone()).to_byte_array()
    }
}

/// The fingerprint of an outbound payment request (see the module docs).
pub fn fingerprint_outbound(method: &str, new: &NewOutbound) -> [u8; 32] {
    let mut f = Fingerprint::new(method);
    let records: Vec<(u64, &[u8])> = new
        .custom_records
        .iter()
        .map(|r| (r.key, r.value.as_slice()))
        .collect();
    f.bytes(new.kind.as_str().as_bytes())
        .bytes(&new.destination)
        .opt_bytes(new.invoice.as_deref().map(str::as_bytes))
        .opt_u64(new.amount_msat)
        .opt_u64(new.fee_limit_msat)
        .records(&records)
        .opt_bytes(new.metadata.as_deref().map(str::as_bytes));
    f.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{CustomRecord, PaymentKind};

    fn keysend(amount: u64) -> NewOutbound {
        NewOutbound {
            payment_hash: [1; 32],
            kind: PaymentKind::Keysend,
            destination: [2; 33],
            description: String::new(),
            amount_msat: Some(amount),
            fee_limit_msat: Some(5),
            payment_secret: None,
            preimage: Some([3; 32]),
            invoice: None,
            expires_at: None,
            custom_records: vec![CustomRecord {
                key: 7_629_169,
                value: b"{}".to_vec(),
            }],
            metadata: None,
        }
    }

    #[test]
    fn keys_are_short_printable_text() {
        assert!(check_key_text("minute-42").is_ok());
        assert!(check_key_text(&"k".repeat(64)).is_ok());
        assert_eq!(check_key_text(""), Err(IdempotencyError::Empty));
        assert_eq!(
            check_key_text(&"k".repeat(65)),
            Err(IdempotencyError::TooLong(65))
        );
        assert_eq!(
            check_key_text("a\nb"),
            Err(IdempotencyError::ControlCharacter)
        );
    }

    #[test]
    fn the_random_hash_is_not_part_of_a_keysend_fingerprint() {
        let a = keysend(1000);
        let mut b = keysend(1000);
        b.payment_hash = [9; 32];
        b.preimage = Some([8; 32]);
        assert_eq!(
            fingerprint_outbound("send_payment", &a),
            fingerprint_outbound("send_payment", &b)
        );
        assert_ne!(
            fingerprint_outbound("send_payment", &a),
            fingerprint_outbound("send_payment", &keysend(1001))
        );
        let mut c = keysend(1000);
        c.custom_records[0].value = b"{\"a\":1}".to_vec();
        assert_ne!(
            fingerprint_outbound("send_payment", &a),
            fingerprint_outbound("send_payment", &c)
        );
        assert_ne!(
            fingerprint_outbound("send_payment", &a),
            fingerprint_outbound("send_value_split", &a)
        );
    }
}
