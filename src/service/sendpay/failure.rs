//! CLN's routing-failure object from LDK's `PaymentPathFailed`, and CLN's error codes.
//!
//! LDK names the channel it blames (`short_channel_id`), what it learned (`network_update`:
//! a channel or a node) and whether the destination failed the payment for good. From those,
//! and the path sent, come CLN's fields; nothing is invented:
//! - the destination failed it: 203, `erring_index` = the number of hops, `erring_node` = the
//!   destination, `erring_channel` = the last channel;
//! - a node failure: 204, that node and the channel into it;
//! - a channel failure (or only a blamed channel): 204, the channel, and the node that could
//!   not forward over it (the one before it; us for the first channel, index 0);
//! - the engine refused to send it (no HTLC left us): 204 at index 0 on the first channel.

use bitcoin::secp256k1::PublicKey;
use lightning::events::PathFailure;
use lightning::routing::gossip::NetworkUpdate;
use lightning::routing::router::Path;

use crate::ledger::{FailureCode, PartFailure};

use super::route::{direction, format_scid};

/// CLN: the payment is still in progress (`waitsendpay` timed out; or another send of the hash).
pub const PAY_IN_PROGRESS: u32 = 200;
/// CLN: already paid with this hash using a different amount or destination.
pub const PAY_RHASH_ALREADY_USED: u32 = 201;
/// CLN: permanent failure at the destination.
pub const PAY_DESTINATION_PERM_FAIL: u32 = 203;
/// CLN: failure along the route; retry another.
pub const PAY_TRY_OTHER_ROUTE: u32 = 204;
/// CLN: no such payment (`waitsendpay` for a hash never attempted).
pub const PAY_NO_SUCH_PAYMENT: u32 = 208;
/// CLN: the route could not be found (`getroute`).
pub const PAY_ROUTE_NOT_FOUND: u32 = 205;
/// CLN: `localinvreqid` refers to an invalid or used invoice request (BOLT 12).
pub const PAY_INVOICE_REQUEST_INVALID: u32 = 212;

/// What LDK said about one failed path.
pub struct PathFailed<'a> {
    pub path: &'a Path,
    pub failure: &'a PathFailure,
    pub short_channel_id: Option<u64>,
    pub payment_failed_permanently: bool,
    pub our_id: PublicKey,
}

/// The node at route index `index` (0 is us).
fn node_at(path: &Path, our_id: PublicKey, index: usize) -> PublicKey {
    match index {
        0 => our_id,
        i => path.hops.get(i - 1).map_or(our_id, |h| h.pubkey),
    }
}

/// CLN's routing-failure object for a failed path.
pub fn part_failure(f: &PathFailed<'_>) -> PartFailure {
    let hops = &f.path.hops;
    let n = hops.len();
    let channel_index = |scid: u64| hops.iter().position(|h| h.short_channel_id == scid);
    let at_channel = |index: usize, code: u32, message: String| {
        let channel = hops.get(index).map(|h| h.short_channel_id);
        let from = node_at(f.path, f.our_id, index);
        let to = hops.get(index).map(|h| h.pubkey);
        PartFailure {
            code: Some(code),
            message,
            erring_index: u32::try_from(index).ok(),
            erring_node: Some(from.serialize()),
            erring_channel: channel.map(format_scid),
            erring_direction: to.map(|to| direction(&from, &to)),
            failcode: None,
        }
    };
    if f.payment_failed_permanently {
        let last = n.saturating_sub(1);
        let mut failure = at_channel(
            last,
            PAY_DESTINATION_PERM_FAIL,
            "the destination refused the payment".to_string(),
        );
        failure.erring_index = u32::try_from(n).ok();
        failure.erring_node = hops.last().map(|h| h.pubkey.serialize());
        return failure;
    }
    match f.failure {
        PathFailure::InitialSend { err } => at_channel(
            0,
            PAY_TRY_OTHER_ROUTE,
            format!("the first hop could not take the payment: {err:?}"),
        ),
        PathFailure::OnPath {
            network_update: Some(NetworkUpdate::NodeFailure { node_id, .. }),
        } => {
            let index = hops
                .iter()
                .position(|h| h.pubkey == *node_id)
                .map_or(0, |i| i + 1);
            let channel = f.short_channel_id.or_else(|| {
                hops.get(index.saturating_sub(1))
                    .map(|h| h.short_channel_id)
            });
            let before = node_at(f.path, f.our_id, index.saturating_sub(1));
            PartFailure {
                code: Some(PAY_TRY_OTHER_ROUTE),
                message: format!("node {node_id} on the route failed the payment"),
                erring_index: u32::try_from(index).ok(),
                erring_node: Some(node_id.serialize()),
                erring_channel: channel.map(format_scid),
                erring_direction: Some(direction(&before, node_id)),
                failcode: None,
            }
        }
        PathFailure::OnPath { network_update } => {
            let blamed = match network_update {
                Some(NetworkUpdate::ChannelFailure {
                    short_channel_id, ..
                }) => Some(*short_channel_id),
                _ => f.short_channel_id,
            };
            match blamed.and_then(channel_index) {
                Some(index) => at_channel(
                    index,
                    PAY_TRY_OTHER_ROUTE,
                    format!(
                        "channel {} on the route could not carry the payment",
                        format_scid(hops[index].short_channel_id)
                    ),
                ),
                None => PartFailure {
                    code: Some(PAY_TRY_OTHER_ROUTE),
                    message: "a node on the route failed the payment with an error that \
                              names no hop"
                        .to_string(),
                    ..PartFailure::default()
                },
            }
        }
    }
}

/// The CLN code of a failed part whose path gave no details: the payment's own failure says
/// whether the destination refused it.
pub fn code_without_path(payment_failure: Option<FailureCode>) -> u32 {
    match payment_failure {
        Some(FailureCode::RecipientRejected) => PAY_DESTINATION_PERM_FAIL,
        _ => PAY_TRY_OTHER_ROUTE,
    }
}
