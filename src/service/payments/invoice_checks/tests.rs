use super::*;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use lightning_invoice::{InvoiceBuilder, PaymentSecret};

const CREATED_AT: u64 = 1_700_000_000;
const EXPIRY_SECS: u64 = 600;

/// The invoice from the KDF send_payment example (testnet, issued in 2022).
const KDF_TESTNET_INVOICE: &str = "lntb20u1p32wwxapp5p8gjy2e79jku5tshhq2nkdauv0malqqhzefnqmx9pjwa8h83cmwqdp8xys9xcmpd3sjqsmgd9czq3njv9c8qatrvd5kumcxqrrsscqp79qy9qsqsp5m473qknpecv6ajmwwtjw7keggrwxerymehx6723avhdrlnxmuvhs54zmyrumkasvjp0fvvk2np30cx5xpjs329alvm60rwy3payrnkmsd3n8ahnky3kuxaraa3u4k453yf3age7cszdxhjxjkennpt75erqpsfmy4y";

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}

fn node_id(byte: u8) -> PublicKey {
    PublicKey::from_secret_key(&Secp256k1::new(), &key(byte))
}

fn invoice(currency: Currency, signer: u8, amount_msat: Option<u64>) -> Bolt11Invoice {
    let mut builder = InvoiceBuilder::new(currency)
        .description("test".into())
        .payment_hash(sha256::Hash::from_slice(&[7; 32]).unwrap())
        .payment_secret(PaymentSecret([42; 32]))
        .duration_since_epoch(Duration::from_secs(CREATED_AT))
        .min_final_cltv_expiry_delta(144)
        .expiry_time(Duration::from_secs(EXPIRY_SECS));
    if let Some(amount) = amount_msat {
        builder = builder.amount_milli_satoshis(amount);
    }
    builder
        .build_signed(|hash| Secp256k1::new().sign_ecdsa_recoverable(hash, &key(signer)))
        .unwrap()
}

fn at(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

fn check(
    invoice: &Bolt11Invoice,
    amount: Option<u64>,
) -> Result<PayableInvoice, InvoiceCheckError> {
    check_invoice(
        invoice,
        Network::Regtest,
        &node_id(1),
        at(CREATED_AT + 1),
        amount,
    )
}

#[test]
fn invoice_with_amount_is_payable() {
    let paid = check(&invoice(Currency::Regtest, 2, Some(21_000)), None).unwrap();
    assert_eq!(paid.amount_msat, 21_000);
    assert_eq!(paid.payee, node_id(2));
    assert_eq!(paid.engine_amount_msat(), None);
    // Repeating the same amount is harmless.
    let same = check(&invoice(Currency::Regtest, 2, Some(21_000)), Some(21_000)).unwrap();
    assert_eq!(same.engine_amount_msat(), None);
}

#[test]
fn amountless_invoice_takes_the_callers_amount() {
    let amountless = invoice(Currency::Regtest, 2, None);
    let paid = check(&amountless, Some(5_000)).unwrap();
    assert_eq!(paid.amount_msat, 5_000);
    assert_eq!(paid.engine_amount_msat(), Some(5_000));
    assert_eq!(
        check(&amountless, None).unwrap_err(),
        InvoiceCheckError::MissingAmount
    );
    let err = check(&amountless, Some(0)).unwrap_err();
    assert_eq!(err, InvoiceCheckError::ZeroAmount);
}

#[test]
fn a_different_amount_is_refused() {
    let err = check(&invoice(Currency::Regtest, 2, Some(21_000)), Some(30_000)).unwrap_err();
    assert_eq!(
        err,
        InvoiceCheckError::AmountMismatch {
            invoice_msat: 21_000,
            requested_msat: 30_000
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("21000") && message.contains("30000"),
        "{message}"
    );
}

#[test]
fn wrong_network_names_both_sides() {
    let err = check(&invoice(Currency::BitcoinTestnet, 2, Some(1_000)), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the invoice is for testnet (lntb) but this node runs on regtest"
    );
    let simnet = invoice(Currency::Simnet, 2, Some(1_000));
    assert!(matches!(
        check(&simnet, None),
        Err(InvoiceCheckError::WrongNetwork { .. })
    ));
    let mainnet = invoice(Currency::Bitcoin, 2, Some(1_000));
    let err =
        check_invoice(&mainnet, Network::Signet, &node_id(1), at(CREATED_AT), None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the invoice is for bitcoin (lnbc) but this node runs on signet"
    );
}

#[test]
fn both_testnets_pay_lntb_invoices() {
    let testnet = invoice(Currency::BitcoinTestnet, 2, Some(1_000));
    for network in [Network::Testnet, Network::Testnet4] {
        check_invoice(&testnet, network, &node_id(1), at(CREATED_AT), None).unwrap();
    }
    assert_eq!(currency_for_network(Network::Bitcoin), Currency::Bitcoin);
    assert_eq!(currency_for_network(Network::Signet), Currency::Signet);
    assert_eq!(currency_for_network(Network::Regtest), Currency::Regtest);
}

#[test]
fn expiry_is_checked_against_now() {
    let inv = invoice(Currency::Regtest, 2, Some(1_000));
    let expires_at = CREATED_AT + EXPIRY_SECS;
    let pay_at = |now| check_invoice(&inv, Network::Regtest, &node_id(1), at(now), None);
    pay_at(expires_at).unwrap();
    let err = pay_at(expires_at + 1).unwrap_err();
    assert_eq!(
        err,
        InvoiceCheckError::ExpiredInvoice {
            expired_at: expires_at
        }
    );
    assert!(err.to_string().contains(&expires_at.to_string()), "{err}");
}

#[test]
fn own_invoice_is_refused() {
    let ours = invoice(Currency::Regtest, 1, Some(1_000));
    assert_eq!(
        check(&ours, None).unwrap_err(),
        InvoiceCheckError::OwnInvoice
    );
}

#[test]
fn parse_accepts_uri_prefix_case_and_whitespace() {
    let inv = invoice(Currency::Regtest, 2, Some(1_000));
    let text = inv.to_string();
    assert_eq!(parse_invoice(&text).unwrap(), inv);
    assert_eq!(
        parse_invoice(&format!("  lightning:{text}\n")).unwrap(),
        inv
    );
    assert_eq!(
        parse_invoice(&format!("LIGHTNING:{}", text.to_uppercase())).unwrap(),
        inv
    );
}

#[test]
fn kdf_example_invoice_parses_and_is_checked() {
    let inv = parse_invoice(KDF_TESTNET_INVOICE).unwrap();
    assert_eq!(inv.amount_milli_satoshis(), Some(2_000_000));
    let now = at(1_800_000_000);
    let err = check_invoice(&inv, Network::Regtest, &node_id(1), now, None).unwrap_err();
    assert!(matches!(err, InvoiceCheckError::WrongNetwork { .. }));
    let err = check_invoice(&inv, Network::Testnet, &node_id(1), now, None).unwrap_err();
    assert!(
        matches!(err, InvoiceCheckError::ExpiredInvoice { .. }),
        "{err:?}"
    );
}

#[test]
fn parse_errors_are_readable() {
    let cases = [
        ("", "not a bech32 string"),
        ("hello", "does not start with \"ln\""),
        ("lnbcrt1", "not a bech32 string"),
        // A valid bech32 address, but not an invoice.
        (
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "does not start with \"ln\"",
        ),
    ];
    for (text, expected) in cases {
        let err = parse_invoice(text).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("invalid BOLT11 invoice: "), "{message}");
        assert!(message.contains(expected), "{text:?}: {message}");
    }
    // One altered character breaks the checksum.
    let mut altered = KDF_TESTNET_INVOICE.to_string();
    altered.replace_range(40..41, if &altered[40..41] == "q" { "p" } else { "q" });
    let message = parse_invoice(&altered).unwrap_err().to_string();
    assert!(message.contains("checksum"), "{message}");
    assert!(
        !message.contains("Bech32Error("),
        "no Debug dump: {message}"
    );
}

#[test]
fn semantic_errors_use_our_wording() {
    let reason = parse_error_reason(&ParseOrSemanticError::SemanticError(
        Bolt11SemanticError::InvalidSignature,
    ));
    assert!(reason.contains("altered or corrupted"), "{reason}");
    let reason = parse_error_reason(&ParseOrSemanticError::ParseError(
        Bolt11ParseError::UnknownCurrency,
    ));
    assert!(reason.contains("lnbcrt"), "{reason}");
}
