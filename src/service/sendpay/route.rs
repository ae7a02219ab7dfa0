//! Routes in Core Lightning's shape (`{id, channel, delay, amount_msat}` per hop, `channel` as
//! `BLOCKxTXxOUT`) to and from LDK's [`Path`].
//!
//! CLN gives each hop the amount and the total CLTV delay the node at its end expects; LDK
//! gives each hop the fee that node charges (the final hop: the amount delivered) and the CLTV
//! delta it needs. So `fee_i = amount_i - amount_{i+1}` and `delta_i = delay_i - delay_{i+1}`,
//! and a route whose amounts or delays grow towards the destination is refused.

use bitcoin::secp256k1::PublicKey;
use lightning::routing::gossip::{NetworkGraph, NodeId};
use lightning::routing::router::{Path, RouteHop};
use lightning::types::features::{ChannelFeatures, NodeFeatures};
use lightning::util::logger::Logger;
use std::ops::Deref;

/// One hop as CLN writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClnHop {
    pub id: PublicKey,
    pub channel: u64,
    pub delay: u32,
    pub amount_msat: u64,
}

/// Why a route was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("invalid short channel id {0:?}: expected BLOCKxTXxOUT, e.g. 103x1x0")]
    InvalidChannel(String),
    #[error("the route is empty; payments to self are not supported")]
    Empty,
    #[error(
        "hop {index}: amount_msat {amount} is less than the next hop's {next}; amounts must \
         not grow towards the destination"
    )]
    AmountGrows {
        index: usize,
        amount: u64,
        next: u64,
    },
    #[error(
        "hop {index}: delay {delay} is less than the next hop's {next}; delays must not grow \
         towards the destination"
    )]
    DelayGrows { index: usize, delay: u32, next: u32 },
}

/// `BLOCKxTXxOUT` (also `BLOCK:TX:OUT`) to the 64-bit short channel id.
pub fn parse_scid(text: &str) -> Result<u64, RouteError> {
    let refuse = || RouteError::InvalidChannel(text.to_string());
    let parts: Vec<&str> = if text.contains('x') {
        text.split('x').collect()
    } else {
        text.split(':').collect()
    };
    let [block, tx, out] = parts.as_slice() else {
        return Err(refuse());
    };
    let block: u64 = block.parse().map_err(|_| refuse())?;
    let tx: u64 = tx.parse().map_err(|_| refuse())?;
    let out: u64 = out.parse().map_err(|_| refuse())?;
    if block >= 1 << 24 || tx >= 1 << 24 || out >= 1 << 16 {
        return Err(refuse());
    }
    Ok(block << 40 | tx << 16 | out)
}

/// The 64-bit short channel id as `BLOCKxTXxOUT`.
pub fn format_scid(scid: u64) -> String {
    format!(
        "{}x{}x{}",
        scid >> 40,
        (scid >> 16) & 0xff_ffff,
        scid & 0xffff
    )
}

/// CLN's `direction` of a channel crossed from `from` to `to`: 0 when `from` is the smaller
/// node id (BOLT 7 `channel_flags`), else 1.
pub fn direction(from: &PublicKey, to: &PublicKey) -> u8 {
    u8::from(from.serialize() > to.serialize())
}

/// Identifies a path by its channels, to match an engine failure to the part that sent it.
pub fn route_key(channels: impl IntoIterator<Item = u64>) -> String {
    channels
        .into_iter()
        .map(format_scid)
        .collect::<Vec<_>>()
        .join(",")
}

/// The amount the destination gets from a CLN route.
pub fn delivered_msat(hops: &[ClnHop]) -> Result<u64, RouteError> {
    hops.last().map(|h| h.amount_msat).ok_or(RouteError::Empty)
}

/// A CLN route as an LDK path. Node features come from the graph where it knows the node
/// (LDK reads them for the final hop's onion), otherwise empty.
pub fn to_path<L: Deref>(hops: &[ClnHop], graph: &NetworkGraph<L>) -> Result<Path, RouteError>
where
    L::Target: Logger,
{
    if hops.is_empty() {
        return Err(RouteError::Empty);
    }
    let read = graph.read_only();
    let mut out = Vec::with_capacity(hops.len());
    for (index, hop) in hops.iter().enumerate() {
        let (fee_msat, cltv_expiry_delta) = match hops.get(index + 1) {
            None => (hop.amount_msat, hop.delay),
            Some(next) => {
                let fee = hop.amount_msat.checked_sub(next.amount_msat).ok_or(
                    RouteError::AmountGrows {
                        index,
                        amount: hop.amount_msat,
                        next: next.amount_msat,
                    },
                )?;
                let delta = hop
                    .delay
                    .checked_sub(next.delay)
                    .ok_or(RouteError::DelayGrows {
                        index,
                        delay: hop.delay,
                        next: next.delay,
                    })?;
                (fee, delta)
            }
        };
        let node_features = read
            .node(&NodeId::from_pubkey(&hop.id))
            .and_then(|n| n.announcement_info.as_ref().map(|a| a.features().clone()))
            .unwrap_or_else(NodeFeatures::empty);
        out.push(RouteHop {
            pubkey: hop.id,
            node_features,
            short_channel_id: hop.channel,
            channel_features: ChannelFeatures::empty(),
            fee_msat,
            cltv_expiry_delta,
            maybe_announced_channel: read.channel(hop.channel).is_some(),
        });
    }
    Ok(Path {
        hops: out,
        blinded_tail: None,
    })
}

/// An LDK path as CLN hops (the inverse of [`to_path`]).
pub fn from_path(path: &Path) -> Vec<ClnHop> {
    let mut amount = 0u64;
    let mut delay = 0u32;
    let mut hops: Vec<ClnHop> = path
        .hops
        .iter()
        .rev()
        .map(|hop| {
            amount = amount.saturating_add(hop.fee_msat);
            delay = delay.saturating_add(hop.cltv_expiry_delta);
            ClnHop {
                id: hop.pubkey,
                channel: hop.short_channel_id,
                delay,
                amount_msat: amount,
            }
        })
        .collect();
    hops.reverse();
    hops
}

/// The route as the ledger keeps it: `id/channel/delay/amount_msat` per hop, comma separated.
pub fn encode_route(hops: &[ClnHop]) -> String {
    hops.iter()
        .map(|h| {
            format!(
                "{}/{}/{}/{}",
                h.id,
                format_scid(h.channel),
                h.delay,
                h.amount_msat
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The inverse of [`encode_route`]; `None` for text it did not write.
pub fn decode_route(text: &str) -> Option<Vec<ClnHop>> {
    text.split(',')
        .map(|hop| {
            let mut fields = hop.split('/');
            let id = fields.next()?.parse().ok()?;
            let channel = parse_scid(fields.next()?).ok()?;
            let delay = fields.next()?.parse().ok()?;
            let amount_msat = fields.next()?.parse().ok()?;
            Some(ClnHop {
                id,
                channel,
                delay,
                amount_msat,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scids_round_trip_in_both_spellings() {
        let scid = parse_scid("103x1x0").unwrap();
        assert_eq!(scid, 103 << 40 | 1 << 16);
        assert_eq!(format_scid(scid), "103x1x0");
        assert_eq!(parse_scid("103:1:0").unwrap(), scid);
        for bad in ["", "103x1", "axbxc", "16777216x0x0", "1x1x65536", "1x1x0x0"] {
            assert!(parse_scid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fees_and_deltas_come_from_consecutive_hops() {
        let key = |b: u8| {
            let secp = bitcoin::secp256k1::Secp256k1::new();
            let sk = bitcoin::secp256k1::SecretKey::from_slice(&[b; 32]).unwrap();
            PublicKey::from_secret_key(&secp, &sk)
        };
        let graph = NetworkGraph::new(
            bitcoin::Network::Regtest,
            std::sync::Arc::new(crate::node::NodeLogger::new("t".into())),
        );
        let hops = vec![
            ClnHop {
                id: key(1),
                channel: 1,
                delay: 24,
                amount_msat: 4211,
            },
            ClnHop {
                id: key(2),
                channel: 2,
                delay: 16,
                amount_msat: 3710,
            },
            ClnHop {
                id: key(3),
                channel: 3,
                delay: 8,
                amount_msat: 3210,
            },
        ];
        let path = to_path(&hops, &graph).unwrap();
        let fees: Vec<u64> = path.hops.iter().map(|h| h.fee_msat).collect();
        let deltas: Vec<u32> = path.hops.iter().map(|h| h.cltv_expiry_delta).collect();
        assert_eq!(fees, vec![501, 500, 3210]);
        assert_eq!(deltas, vec![8, 8, 8]);
        assert_eq!(from_path(&path), hops);
        assert_eq!(decode_route(&encode_route(&hops)), Some(hops.clone()));
        let mut growing = hops.clone();
        growing[1].amount_msat = 5000;
        assert!(matches!(
            to_path(&growing, &graph),
            Err(RouteError::AmountGrows { index: 0, .. })
        ));
    }
}
