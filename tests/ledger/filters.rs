//! The filters the integration test checks: each field alone, edge cases, and combinations.

use mmln::ledger::*;

use super::world::{dest, START};

pub fn filters() -> Vec<(&'static str, PaymentFilter)> {
    let f = PaymentFilter::default;
    let outbound = |destination| Some(PaymentTypeFilter::Outbound { destination });
    vec![
        ("none", f()),
        (
            "inbound",
            PaymentFilter {
                payment_type: Some(PaymentTypeFilter::Inbound),
                ..f()
            },
        ),
        (
            "outbound",
            PaymentFilter {
                payment_type: outbound(None),
                ..f()
            },
        ),
        (
            "outbound to 1",
            PaymentFilter {
                payment_type: outbound(Some(dest(1))),
                ..f()
            },
        ),
        (
            "pending",
            PaymentFilter {
                status: Some(PaymentStatus::Pending),
                ..f()
            },
        ),
        (
            "claimable",
            PaymentFilter {
                status: Some(PaymentStatus::Claimable),
                ..f()
            },
        ),
        (
            "succeeded",
            PaymentFilter {
                status: Some(PaymentStatus::Succeeded),
                ..f()
            },
        ),
        (
            "failed",
            PaymentFilter {
                status: Some(PaymentStatus::Failed),
                ..f()
            },
        ),
        (
            "burger (any case)",
            PaymentFilter {
                description: Some("burger".into()),
                ..f()
            },
        ),
        (
            "percent",
            PaymentFilter {
                description: Some("100%".into()),
                ..f()
            },
        ),
        (
            "lone percent",
            PaymentFilter {
                description: Some("%".into()),
                ..f()
            },
        ),
        (
            "underscore",
            PaymentFilter {
                description: Some("e_c".into()),
                ..f()
            },
        ),
        (
            "lone underscore",
            PaymentFilter {
                description: Some("_".into()),
                ..f()
            },
        ),
        (
            "quote",
            PaymentFilter {
                description: Some("n' T".into()),
                ..f()
            },
        ),
        (
            "backslash",
            PaymentFilter {
                description: Some("k\\s".into()),
                ..f()
            },
        ),
        (
            "double quotes",
            PaymentFilter {
                description: Some("\"HI\" T".into()),
                ..f()
            },
        ),
        (
            "non-ascii",
            PaymentFilter {
                description: Some("CAFé".into()),
                ..f()
            },
        ),
        // LIKE folds ASCII only, so this matches nothing even though the index folds it.
        (
            "non-ascii case",
            PaymentFilter {
                description: Some("CAFÉ".into()),
                ..f()
            },
        ),
        (
            "keysend",
            PaymentFilter {
                description: Some("keysend".into()),
                ..f()
            },
        ),
        (
            "amount from",
            PaymentFilter {
                from_amount_msat: Some(50_000),
                ..f()
            },
        ),
        (
            "amount to",
            PaymentFilter {
                to_amount_msat: Some(20_000),
                ..f()
            },
        ),
        (
            "amount between",
            PaymentFilter {
                from_amount_msat: Some(10_000),
                to_amount_msat: Some(40_000),
                ..f()
            },
        ),
        (
            "amount exact",
            PaymentFilter {
                from_amount_msat: Some(10_000),
                to_amount_msat: Some(10_000),
                ..f()
            },
        ),
        (
            "fee from",
            PaymentFilter {
                from_fee_paid_msat: Some(1000),
                ..f()
            },
        ),
        (
            "fee between",
            PaymentFilter {
                from_fee_paid_msat: Some(0),
                to_fee_paid_msat: Some(500),
                ..f()
            },
        ),
        (
            "time from",
            PaymentFilter {
                from_timestamp: Some(START + 200),
                ..f()
            },
        ),
        (
            "time between",
            PaymentFilter {
                from_timestamp: Some(START + 100),
                to_timestamp: Some(START + 300),
                ..f()
            },
        ),
        (
            "huge bounds",
            PaymentFilter {
                to_amount_msat: Some(u64::MAX),
                to_timestamp: Some(u64::MAX),
                ..f()
            },
        ),
        (
            "inverted range",
            PaymentFilter {
                from_amount_msat: Some(50_000),
                to_amount_msat: Some(10_000),
                ..f()
            },
        ),
        (
            "kdf example",
            PaymentFilter {
                status: Some(PaymentStatus::Pending),
                from_amount_msat: Some(10_000),
                to_amount_msat: Some(40_000),
                ..f()
            },
        ),
        (
            "outbound succeeded with fee",
            PaymentFilter {
                payment_type: outbound(None),
                status: Some(PaymentStatus::Succeeded),
                from_fee_paid_msat: Some(100),
                ..f()
            },
        ),
        (
            "inbound burger in time",
            PaymentFilter {
                payment_type: Some(PaymentTypeFilter::Inbound),
                description: Some("BURGER".into()),
                from_timestamp: Some(START + 50),
                to_timestamp: Some(START + 500),
                ..f()
            },
        ),
        (
            "dest 2 failed cheap",
            PaymentFilter {
                payment_type: outbound(Some(dest(2))),
                status: Some(PaymentStatus::Failed),
                to_amount_msat: Some(60_000),
                ..f()
            },
        ),
        (
            "nothing",
            PaymentFilter {
                description: Some("no such text".into()),
                ..f()
            },
        ),
    ]
}
