//! The BOLT 4 failure codes of our failed payment paths, as LDK decoded them.
//!
//! LDK 0.2 decodes the failure code of a failed path but leaves it out of
//! `Event::PaymentPathFailed` (only its test builds carry `error_code`). It does log it, once,
//! as `Onion Error[from <node>: <name>(<0xcode>)...]` with the payment hash as the record's
//! context, before it queues the event. The node's logger keeps those few facts here, so the
//! payment service can answer Core Lightning's `failcode` with the code LDK decoded, nothing
//! guessed. The list is bounded (oldest dropped) and entries are taken once.
//!
//! It is process-wide: only the node that sent a payment decodes its failures, and an entry is
//! keyed by payment hash and failing node, so nodes sharing a process do not mix.

use std::collections::VecDeque;
use std::sync::Mutex;

use bitcoin::secp256k1::PublicKey;

/// How many decoded failures are kept before the oldest is dropped.
const KEPT: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decoded {
    hash: [u8; 32],
    node: PublicKey,
    code: u16,
}

static DECODED: Mutex<VecDeque<Decoded>> = Mutex::new(VecDeque::new());

/// `(node, code)` from LDK's `Onion Error[from <node>: <name>(0x<code>)...` line.
fn parse(line: &str) -> Option<(PublicKey, u16)> {
    let rest = line.strip_prefix("Onion Error[from ")?;
    let (node, rest) = rest.split_once(": ")?;
    let node = node.parse().ok()?;
    let hex_start = rest.find("(0x")? + 3;
    let hex_len = rest[hex_start..].find(')')?;
    let code = u16::from_str_radix(&rest[hex_start..hex_start + hex_len], 16).ok()?;
    Some((node, code))
}

/// Keeps the code of a decoded onion failure from one of LDK's log lines (others are ignored).
pub(crate) fn note(hash: [u8; 32], line: &str) {
    let Some((node, code)) = parse(line) else {
        return;
    };
    let mut kept = DECODED.lock().unwrap_or_else(|e| e.into_inner());
    if kept.len() >= KEPT {
        kept.pop_front();
    }
    kept.push_back(Decoded { hash, node, code });
}

/// The BOLT 4 code `node` failed payment `hash` with, if LDK decoded one; taken once.
pub fn take_failcode(hash: &[u8; 32], node: &PublicKey) -> Option<u16> {
    let mut kept = DECODED.lock().unwrap_or_else(|e| e.into_inner());
    let at = kept
        .iter()
        .position(|d| &d.hash == hash && &d.node == node)?;
    kept.remove(at).map(|d| d.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: &str = "02e6c8e11da84f4446ba56667c2c5a7f23127a90a03cfdbe05222a34914476f384";

    #[test]
    fn ldk_lines_give_node_and_code_once() {
        let hash = [9u8; 32];
        note(
            hash,
            &format!(
                "Onion Error[from {NODE}: TemporaryChannelFailure(0x1007) channel_update(00)]"
            ),
        );
        note(hash, "something else entirely");
        let node: PublicKey = NODE.parse().unwrap();
        assert_eq!(take_failcode(&hash, &node), Some(0x1007));
        assert_eq!(take_failcode(&hash, &node), None, "taken once");
        note(
            hash,
            &format!("Onion Error[from {NODE}: IncorrectPaymentDetails(0x400f)]"),
        );
        assert_eq!(take_failcode(&[1; 32], &node), None, "another payment");
        assert_eq!(take_failcode(&hash, &node), Some(0x400f));
    }
}
