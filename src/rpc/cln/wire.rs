//! Core Lightning's wire forms shared by the `sendpay` family: amounts in any of CLN's forms,
//! public keys, and a part (a `sendpay` row) as CLN writes it.

use bitcoin::secp256k1::PublicKey;
use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::service::sendpay::{format_scid, parse_msat, SendpayPart, SendpayStatus};

/// An amount: a JSON integer of msat, or a string in CLN's forms (`"1000msat"`, `"1sat"`,
/// `"0.001btc"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClnMsat(pub u64);

impl<'de> Deserialize<'de> for ClnMsat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer).map_err(|_| {
            D::Error::custom("expected an amount: msat as an integer, or a string like 1000msat, 1sat or 0.001btc")
        })? {
            Raw::Number(n) => Ok(ClnMsat(n)),
            Raw::Text(t) => parse_msat(&t).map(ClnMsat).map_err(D::Error::custom),
        }
    }
}

/// A compressed public key in hex.
pub fn parse_pubkey(field: &str, text: &str) -> Result<PublicKey, String> {
    text.parse()
        .map_err(|_| format!("invalid {field} {text:?}: expected a 33-byte public key in hex"))
}

/// A 32-byte value in hex.
pub fn parse_hex32(field: &str, text: &str) -> Result<[u8; 32], String> {
    hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| format!("invalid {field} {text:?}: expected 32 bytes in hex"))
}

/// Which method a part is written for: `sendpay` adds `message` while pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartShape {
    Sendpay,
    Listed,
}

/// A part as CLN writes it in `sendpay`, `waitsendpay` and `listsendpays` results.
pub fn part_object(part: &SendpayPart, shape: PartShape) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("created_index".into(), part.created_index.into());
    if let Some(u) = part.updated_index {
        o.insert("updated_index".into(), u.into());
    }
    o.insert("id".into(), part.created_index.into());
    o.insert("groupid".into(), part.groupid.into());
    if part.partid > 0 {
        o.insert("partid".into(), part.partid.into());
    }
    o.insert("payment_hash".into(), hex::encode(part.payment_hash).into());
    o.insert("status".into(), part.status.as_str().into());
    o.insert("amount_msat".into(), part.amount_msat.into());
    o.insert("destination".into(), hex::encode(part.destination).into());
    o.insert("created_at".into(), part.created_at.into());
    if let Some(at) = part.completed_at {
        o.insert("completed_at".into(), at.into());
    }
    o.insert("amount_sent_msat".into(), part.amount_sent_msat.into());
    if let Some(label) = &part.label {
        o.insert("label".into(), label.clone().into());
    }
    if let Some(bolt11) = &part.bolt11 {
        o.insert("bolt11".into(), bolt11.clone().into());
    }
    if shape == PartShape::Listed {
        if let Some(d) = &part.description {
            o.insert("description".into(), d.clone().into());
        }
    }
    match part.status {
        SendpayStatus::Complete => {
            if let Some(p) = part.preimage {
                o.insert("payment_preimage".into(), hex::encode(p).into());
            }
        }
        SendpayStatus::Pending if shape == PartShape::Sendpay => {
            o.insert(
                "message".into(),
                "Monitor status with listpays or waitsendpay".into(),
            );
        }
        _ => {}
    }
    o
}

/// CLN's `data` of a failed `waitsendpay`: the part and its routing-failure object.
pub fn failure_data(part: &SendpayPart) -> Map<String, Value> {
    let mut o = part_object(part, PartShape::Listed);
    if let Some(f) = &part.failure {
        if let Some(i) = f.erring_index {
            o.insert("erring_index".into(), i.into());
        }
        if let Some(code) = f.failcode {
            o.insert("failcode".into(), code.into());
        }
        if let Some(n) = f.erring_node {
            o.insert("erring_node".into(), hex::encode(n).into());
        }
        if let Some(c) = &f.erring_channel {
            o.insert("erring_channel".into(), c.clone().into());
        }
        if let Some(d) = f.erring_direction {
            o.insert("erring_direction".into(), d.into());
        }
    }
    o
}

/// `BLOCKxTXxOUT` for a hop.
pub fn scid_text(scid: u64) -> String {
    format_scid(scid)
}
