//! Scripts the way Bitcoin Core prints them: `asm` (Core's `ScriptToAsmStr`), `type`
//! (`GetTxnOutputType`), `address`, and `desc` (an inferred descriptor with its checksum).

use bitcoin::opcodes::all::{OP_CLTV, OP_CSV, OP_PUSHNUM_1, OP_PUSHNUM_16, OP_PUSHNUM_NEG1};
use bitcoin::script::Instruction;
use bitcoin::{Address, Network, Script};
use serde_json::{json, Value};

/// `{"asm", "desc", "hex", "address"?, "type"}`, as Core's `ScriptToUniv` with an address.
pub fn script_pubkey_json(script: &Script) -> Value {
    let mut object = json!({
        "asm": script_asm(script, false),
        "desc": inferred_descriptor(script),
        "hex": hex::encode(script.as_bytes()),
        "type": script_type(script),
    });
    if let Ok(address) = Address::from_script(script, Network::Regtest) {
        object["address"] = json!(address.to_string());
    }
    object
}

/// `{"asm", "hex"}` for a scriptSig; signatures show their sighash type as Core does (`[ALL]`).
pub fn script_sig_json(script: &Script) -> Value {
    json!({ "asm": script_asm(script, true), "hex": hex::encode(script.as_bytes()) })
}

/// Core's `ScriptToAsmStr`.
pub fn script_asm(script: &Script, decode_sighash: bool) -> String {
    let mut parts = Vec::new();
    for instruction in script.instructions() {
        match instruction {
            Err(_) => {
                parts.push("[error]".to_string());
                break;
            }
            Ok(Instruction::PushBytes(push)) => {
                let bytes = push.as_bytes();
                if bytes.len() <= 4 {
                    parts.push(script_num(bytes).to_string());
                } else if decode_sighash && !script.is_op_return() {
                    parts.push(signature_asm(bytes));
                } else {
                    parts.push(hex::encode(bytes));
                }
            }
            Ok(Instruction::Op(op)) => {
                let code = op.to_u8();
                let name = if op == OP_PUSHNUM_NEG1 {
                    "-1".to_string()
                } else if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&code) {
                    (code - OP_PUSHNUM_1.to_u8() + 1).to_string()
                } else if op == OP_CLTV {
                    "OP_CHECKLOCKTIMEVERIFY".to_string()
                } else if op == OP_CSV {
                    "OP_CHECKSEQUENCEVERIFY".to_string()
                } else {
                    let name = op.to_string();
                    if name.starts_with("OP_RETURN_") {
                        "OP_UNKNOWN".to_string()
                    } else {
                        name
                    }
                };
                parts.push(name);
            }
        }
    }
    parts.join(" ")
}

/// A minimally-encoded script number (little-endian, sign bit on the last byte).
fn script_num(bytes: &[u8]) -> i64 {
    let Some(last) = bytes.last() else {
        return 0;
    };
    let mut value: i64 = 0;
    for (i, byte) in bytes.iter().enumerate() {
        value |= i64::from(*byte) << (8 * i);
    }
    if last & 0x80 != 0 {
        let sign_bit = 0x80i64 << (8 * (bytes.len() - 1));
        -(value & !sign_bit)
    } else {
        value
    }
}

/// Hex, with a DER signature's trailing sighash byte shown as `[ALL]` etc.
fn signature_asm(bytes: &[u8]) -> String {
    if let Some((hash_type, der)) = bytes.split_last() {
        let name = match hash_type {
            0x01 => Some("ALL"),
            0x02 => Some("NONE"),
            0x03 => Some("SINGLE"),
            0x81 => Some("ALL|ANYONECANPAY"),
            0x82 => Some("NONE|ANYONECANPAY"),
            0x83 => Some("SINGLE|ANYONECANPAY"),
            _ => None,
        };
        if let Some(name) = name {
            if bitcoin::secp256k1::ecdsa::Signature::from_der(der).is_ok() {
                return format!("{}[{name}]", hex::encode(der));
            }
        }
    }
    hex::encode(bytes)
}

/// Core's `GetTxnOutputType` names.
pub fn script_type(script: &Script) -> &'static str {
    let bytes = script.as_bytes();
    if bytes == [0x51, 0x02, 0x4e, 0x73] {
        "anchor"
    } else if script.is_p2pk() {
        "pubkey"
    } else if script.is_p2pkh() {
        "pubkeyhash"
    } else if script.is_p2sh() {
        "scripthash"
    } else if script.is_p2wpkh() {
        "witness_v0_keyhash"
    } else if script.is_p2wsh() {
        "witness_v0_scripthash"
    } else if script.is_p2tr() {
        "witness_v1_taproot"
    } else if script.is_witness_program() {
        "witness_unknown"
    } else if script.is_multisig() {
        "multisig"
    } else if script.is_op_return()
        && script
            .instructions()
            .skip(1)
            .all(|i| matches!(i, Ok(Instruction::PushBytes(_))))
    {
        "nulldata"
    } else {
        "nonstandard"
    }
}

/// What Core's `InferDescriptor` gives without key knowledge: `rawtr()` for taproot, `pk()`
/// for bare keys, `addr()` for other addressable scripts, `raw()` for the rest.
fn inferred_descriptor(script: &Script) -> String {
    let bytes = script.as_bytes();
    let body = if script.is_p2tr() {
        format!("rawtr({})", hex::encode(&bytes[2..]))
    } else if let Some(key) = script.p2pk_public_key() {
        format!("pk({key})")
    } else if let Ok(address) = Address::from_script(script, Network::Regtest) {
        format!("addr({address})")
    } else {
        format!("raw({})", hex::encode(bytes))
    };
    with_descriptor_checksum(&body)
}

/// Appends BIP380's descriptor checksum (`#` and eight characters).
pub fn with_descriptor_checksum(descriptor: &str) -> String {
    const INPUT_CHARSET: &str = "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
    const CHECKSUM_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let mut checksum: u64 = 1;
    let mut class_count = 0;
    let mut classes: u64 = 0;
    for c in descriptor.chars() {
        let Some(position) = INPUT_CHARSET.find(c) else {
            return descriptor.to_string();
        };
        let position = position as u64;
        checksum = polymod(checksum, position & 31);
        classes = classes * 3 + (position >> 5);
        class_count += 1;
        if class_count == 3 {
            checksum = polymod(checksum, classes);
            classes = 0;
            class_count = 0;
        }
    }
    if class_count > 0 {
        checksum = polymod(checksum, classes);
    }
    for _ in 0..8 {
        checksum = polymod(checksum, 0);
    }
    checksum ^= 1;
    let suffix: String = (0..8)
        .map(|i| CHECKSUM_CHARSET[((checksum >> (5 * (7 - i))) & 31) as usize] as char)
        .collect();
    format!("{descriptor}#{suffix}")
}

fn polymod(checksum: u64, value: u64) -> u64 {
    const GENERATOR: [u64; 5] = [
        0xf5dee51989,
        0xa9fdca3312,
        0x1bab10e32d,
        0x3706b1677a,
        0x644d626ffd,
    ];
    let top = checksum >> 35;
    let mut checksum = ((checksum & 0x7ffffffff) << 5) ^ value;
    for (i, generator) in GENERATOR.iter().enumerate() {
        if (top >> i) & 1 == 1 {
            checksum ^= generator;
        }
    }
    checksum
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    #[test]
    fn descriptor_checksum_matches_bip380_example() {
        assert_eq!(
            with_descriptor_checksum("raw(deadbeef)"),
            "raw(deadbeef)#89f8spxm"
        );
    }

    #[test]
    fn asm_matches_core_for_p2wpkh_and_numbers() {
        let script = ScriptBuf::from_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap();
        assert_eq!(
            script_asm(&script, false),
            "0 751e76e8199196d454941c45d1b3a323f1433bd6"
        );
        assert_eq!(script_type(&script), "witness_v0_keyhash");
        let numbers = ScriptBuf::from_hex("5102e803b2").unwrap();
        assert_eq!(script_asm(&numbers, false), "1 1000 OP_CHECKSEQUENCEVERIFY");
    }
}
