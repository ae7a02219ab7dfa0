//! BOLT 11 input: random text and mutations of real invoices are parsed and checked without a
//! panic; each refusal has a readable reason.

use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::Network;
use lightning_invoice::{Currency, InvoiceBuilder, PaymentSecret};
use mmln::service::payments::invoice_checks::{check_invoice, parse_invoice};
use proptest::prelude::*;

use crate::strategies::{config, string};

const CREATED_AT: u64 = 1_700_000_000;

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).expect("key")
}

/// A real invoice, signed by key 2.
fn invoice(currency: Currency, amount_msat: Option<u64>, description: &str) -> String {
    let mut builder = InvoiceBuilder::new(currency)
        .description(description.to_string())
        .payment_hash(sha256::Hash::from_slice(&[7; 32]).expect("hash"))
        .payment_secret(PaymentSecret([42; 32]))
        .duration_since_epoch(Duration::from_secs(CREATED_AT))
        .min_final_cltv_expiry_delta(144)
        .expiry_time(Duration::from_secs(600));
    if let Some(amount) = amount_msat {
        builder = builder.amount_milli_satoshis(amount);
    }
    builder
        .build_signed(|hash| Secp256k1::new().sign_ecdsa_recoverable(hash, &key(2)))
        .expect("signed")
        .to_string()
}

/// Parses, then checks as a regtest node would; the reason of a refusal must be readable.
fn parse_and_check(text: &str, amount: Option<u64>) -> Result<(), TestCaseError> {
    match parse_invoice(text) {
        Ok(parsed) => {
            let us = PublicKey::from_secret_key(&Secp256k1::new(), &key(1));
            let now = Duration::from_secs(CREATED_AT + 1);
            if let Err(e) = check_invoice(&parsed, Network::Regtest, &us, now, amount) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
        Err(e) => {
            let reason = e.to_string();
            prop_assert!(!reason.is_empty());
            prop_assert!(!reason.contains("Bech32Error("), "a Debug dump: {}", reason);
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    Case(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let c = prop_oneof![
        proptest::sample::select(
            "qpzry9x8gf2tvdw0s3jn54khce6mua7l1"
                .chars()
                .collect::<Vec<_>>()
        ),
        any::<char>(),
    ];
    prop_oneof![
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), c).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        any::<usize>().prop_map(Mutation::Case),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let len = chars.len().max(1);
        match *m {
            Mutation::Replace(i, c) if !chars.is_empty() => chars[i % len] = c,
            Mutation::Insert(i, c) => chars.insert(i % (chars.len() + 1), c),
            Mutation::Delete(i) if !chars.is_empty() => {
                chars.remove(i % len);
            }
            Mutation::Truncate(i) => chars.truncate(i % (chars.len() + 1)),
            Mutation::Case(i) if !chars.is_empty() => {
                let c = chars[i % len];
                chars[i % len] = if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                };
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_bolt11_random_text(text in prop_oneof![
        string(),
        "ln(bc|tb|bcrt|sb)[0-9]{0,4}[munp]?1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{0,200}"
            .prop_map(String::from),
    ], amount in proptest::option::of(any::<u64>())) {
        parse_and_check(&text, amount)?;
    }

    #[test]
    fn fuzz_bolt11_mutated_invoices(
        currency in proptest::sample::select(vec![Currency::Regtest, Currency::Bitcoin, Currency::BitcoinTestnet]),
        amount in proptest::option::of(1u64..u64::MAX / 10),
        description in "[ -~]{0,40}",
        mutations in proptest::collection::vec(mutation(), 0..4),
        requested in proptest::option::of(any::<u64>()),
    ) {
        let original = invoice(currency, amount, &description);
        if mutations.is_empty() {
            prop_assert!(parse_invoice(&original).is_ok(), "{}", original);
        }
        parse_and_check(&mutate(&original, &mutations), requested)?;
        // Whitespace and a lightning: prefix around a real invoice.
        parse_and_check(&format!("  lightning:{original}\n"), requested)?;
    }
}
