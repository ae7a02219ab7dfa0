//! Shared strategies: the run's configuration and JSON values biased towards what parsers
//! look for (known keys, numbers at type edges, odd strings).

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Cases per property in a plain `cargo test`; `PROPTEST_CASES` overrides it for long runs.
const SHORT_RUN_CASES: u32 = 64;

pub fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SHORT_RUN_CASES);
    ProptestConfig {
        cases,
        // Crashes become named tests in `regressions.rs`, not files next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Keys the params of the product methods use, and a few that none does.
const KEYS: &[&str] = &[
    "coin",
    "ticker",
    "uuid",
    "node_address",
    "amount",
    "type",
    "value",
    "push_msat",
    "channel_options",
    "channel_configs",
    "filter",
    "paging_options",
    "PageNumber",
    "FromId",
    "limit",
    "payment",
    "invoice",
    "destination",
    "amount_in_msat",
    "expiry",
    "custom_records",
    "metadata",
    "fee_limit_msat",
    "wait_timeout_secs",
    "payment_hash",
    "description",
    "to",
    "max",
    "force_close",
    "include_open_channels_balances",
    "task_id",
    "activation_params",
    "node_id",
    "status",
    "from_amount_msat",
    "to_amount_msat",
    "from_timestamp",
    "payment_type",
    "idempotency_key",
    "x",
    "",
];

const STRINGS: &[&str] = &[
    "tBTC-lightning",
    "tBTC",
    "BTC-lightning",
    "Exact",
    "Max",
    "invoice",
    "keysend",
    "Inbound Payment",
    "Outbound Payment",
    "pending",
    "succeeded",
    "failed",
    "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619",
    "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619@127.0.0.1:9735",
    "00000000-0000-0000-0000-000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "lnbcrt1",
    "0.001",
    "1e-8",
    "-1",
    "",
];

/// A number at or near the edges parsers trip over.
pub fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(i64::MIN)),
        Just(Value::from(0)),
        Just(Value::from(u64::from(u32::MAX) + 1)),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0.0f64..22.0).prop_map(Value::from),
    ]
}

pub fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(STRINGS).prop_map(str::to_string),
        any::<String>(),
        "[0-9a-f]{0,70}".prop_map(String::from),
        "[0-9]{1,25}".prop_map(String::from),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        string().prop_map(Value::String),
    ]
}

/// Any JSON value, objects keyed mostly by the methods' own param names.
pub fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            4 => proptest::sample::select(KEYS).prop_map(str::to_string),
            1 => any::<String>(),
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A JSON object, as params are.
pub fn object() -> impl Strategy<Value = Value> {
    let key = proptest::sample::select(KEYS).prop_map(str::to_string);
    proptest::collection::vec((key, json()), 0..7)
        .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>()))
}
