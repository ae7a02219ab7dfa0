//! Random and mutated bodies: never a panic, always a well-formed mmrpc reply (checked by
//! `read_reply`) with an expected status.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use crate::common::*;
use crate::test_methods::test_router;

const ROUNDS: usize = 2500;
const STATUSES: [u16; 7] = [200, 400, 403, 404, 405, 413, 500];
const KEYS: [&str; 9] = [
    "mmrpc",
    "userpass",
    "method",
    "params",
    "id",
    "coin",
    "description",
    "amount_in_msat",
    "x",
];
const METHODS: [&str; 5] = [
    "version",
    "test::invoice",
    "nope",
    "",
    "lightning::payments::send_payment",
];

fn random_string(rng: &mut StdRng) -> String {
    let len = rng.gen_range(0..12);
    (0..len)
        .map(|_| match rng.gen_range(0..4) {
            0 => char::from(rng.gen_range(0x20u8..0x7f)),
            1 => rng.gen_range('\u{80}'..'\u{2000}'),
            _ => char::from(rng.gen_range(b'a'..=b'z')),
        })
        .collect()
}

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    let pick = if depth == 0 {
        rng.gen_range(0..5)
    } else {
        rng.gen_range(0..7)
    };
    match pick {
        0 => Value::Null,
        1 => Value::Bool(rng.gen()),
        2 => match rng.gen_range(0..3) {
            0 => json!(rng.gen::<u64>()),
            1 => json!(rng.gen::<i64>()),
            _ => json!(rng.gen::<f64>()),
        },
        3 => Value::String(random_string(rng)),
        4 => Value::String(
            ["2.0", PASSWORD, "tBTC-lightning", "tBTC", "version"][rng.gen_range(0..5)].into(),
        ),
        5 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.gen_range(0..5) {
                let key = KEYS[rng.gen_range(0..KEYS.len())].to_string();
                map.insert(key, random_value(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// A mostly valid request with one or two fields replaced by random values.
fn near_valid_request(rng: &mut StdRng) -> Value {
    let method = METHODS[rng.gen_range(0..METHODS.len())];
    let mut body = request(
        method,
        json!({"coin": "tBTC-lightning", "description": "d"}),
        rng.gen_range(0..100),
    );
    for _ in 0..rng.gen_range(0..3) {
        let key = KEYS[rng.gen_range(0..KEYS.len())];
        if rng.gen_bool(0.3) {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = random_value(rng, 2);
        }
    }
    body
}

fn mutate_bytes(rng: &mut StdRng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..rng.gen_range(1..4) {
        if bytes.is_empty() {
            bytes.push(rng.gen());
            continue;
        }
        let at = rng.gen_range(0..bytes.len());
        match rng.gen_range(0..3) {
            0 => bytes[at] = rng.gen(),
            1 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, b"{}[]\",:0\\"[rng.gen_range(0..9)]),
        }
    }
    bytes
}

fn random_body(rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..6) {
        0 => random_value(rng, 3).to_string().into_bytes(),
        1 | 2 => near_valid_request(rng).to_string().into_bytes(),
        3 => {
            let batch: Vec<Value> = (0..rng.gen_range(0..4))
                .map(|_| near_valid_request(rng))
                .collect();
            Value::Array(batch).to_string().into_bytes()
        }
        4 => {
            let valid = near_valid_request(rng).to_string().into_bytes();
            mutate_bytes(rng, valid)
        }
        _ => (0..rng.gen_range(0..64)).map(|_| rng.gen()).collect(),
    }
}

#[tokio::test]
async fn random_bodies_always_get_well_formed_replies() {
    let mut cfg = test_config();
    cfg.rpc_max_failed_attempts = u32::MAX;
    cfg.rpc_max_body_bytes = 512;
    let server = TestServer::start_with(cfg, test_router()).await;
    let mut rng = StdRng::seed_from_u64(0x6d6d_726e_6320);
    let mut seen = std::collections::BTreeSet::new();
    for round in 0..ROUNDS {
        let body = random_body(&mut rng);
        let fut = server.client.post(&server.url).body(body.clone()).send();
        let resp = tokio::time::timeout(WAIT, fut)
            .await
            .expect("reply within the wait bound")
            .unwrap_or_else(|e| {
                panic!(
                    "round {round}: no reply ({e}) to {:?}",
                    String::from_utf8_lossy(&body)
                )
            });
        let (status, v) = read_reply(resp).await;
        assert!(
            STATUSES.contains(&status.as_u16()),
            "round {round}: status {status} for {v}"
        );
        if let Some(t) = v.get("error_type").and_then(Value::as_str) {
            seen.insert(t.to_string());
        }
    }
    // The generator reached the interesting classes.
    for t in [
        "InvalidRequest",
        "NoSuchMethod",
        "InvalidMmRpcVersion",
        "UserpassIsInvalid",
    ] {
        assert!(seen.contains(t), "never produced {t}: {seen:?}");
    }
}
