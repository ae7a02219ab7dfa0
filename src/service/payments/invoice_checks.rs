//! Checks on a BOLT11 invoice before paying it, with errors a client can act on.
//!
//! Order: network, expiry, payee, amount. Decisions:
//! - Network: the invoice's currency must be the one for the node's network (bitcoin: `lnbc`,
//!   testnet and testnet4: `lntb`, signet: `lntbs`, regtest: `lnbcrt`). BOLT11 has one
//!   prefix for both testnets. Simnet (`lnsb`) is btcd's network and is never accepted, although
//!   lightning-invoice maps it to regtest.
//! - An invoice expires at timestamp + expiry; paying at that very second is still allowed.
//! - Paying an invoice this node issued is refused: the router cannot route to ourselves.
//! - Amountless invoices need `amount_in_msat`. An invoice with an amount is paid that amount;
//!   an `amount_in_msat` that differs from it is refused rather than ignored (KDF ignores it,
//!   LDK would quietly overpay with a larger one and refuse a smaller one). A mismatch is far
//!   more often a client bug than an intended tip, and money must not move on a guess.
//! - A zero amount, from the invoice or the param, is refused.

use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use lightning_invoice::{
    Bolt11Invoice, Bolt11ParseError, Bolt11SemanticError, Currency, ParseOrSemanticError,
};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error_type", content = "error_data")]
pub enum InvoiceCheckError {
    #[error("invalid BOLT11 invoice: {reason}")]
    InvalidInvoice { reason: String },
    #[error("the invoice is for {invoice_currency} but this node runs on {node_network}")]
    WrongNetwork {
        invoice_currency: String,
        node_network: String,
    },
    #[error("the invoice expired at {expired_at} (unix time)")]
    ExpiredInvoice { expired_at: u64 },
    #[error("the invoice was issued by this node; a node cannot pay itself")]
    OwnInvoice,
    #[error("the invoice has no amount; pass amount_in_msat")]
    MissingAmount,
    #[error("the invoice asks for {invoice_msat} msat but amount_in_msat is {requested_msat}; omit amount_in_msat for invoices that carry an amount")]
    AmountMismatch {
        invoice_msat: u64,
        requested_msat: u64,
    },
    #[error("the amount to pay is zero")]
    ZeroAmount,
}

/// A checked invoice and the amount to pay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayableInvoice {
    pub amount_msat: u64,
    /// Whether the amount came from the caller (the invoice had none).
    pub amount_from_caller: bool,
    pub payee: PublicKey,
}

impl PayableInvoice {
    /// The `amount_msats` argument for LDK's `pay_for_bolt11_invoice`: set only for amountless
    /// invoices, so LDK uses the invoice's own amount otherwise.
    pub fn engine_amount_msat(&self) -> Option<u64> {
        self.amount_from_caller.then_some(self.amount_msat)
    }
}

/// Parses an invoice string. Surrounding whitespace and a `lightning:` URI prefix are accepted.
pub fn parse_invoice(text: &str) -> Result<Bolt11Invoice, InvoiceCheckError> {
    let text = text.trim();
    let text = match text.get(..10) {
        Some(prefix) if prefix.eq_ignore_ascii_case("lightning:") => &text[10..],
        _ => text,
    };
    // lightning-invoice checks the data length before the prefix; an address or a node id
    // pasted by mistake deserves the plainer answer.
    if !text.is_empty() && !text.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("ln")) {
        return Err(InvoiceCheckError::InvalidInvoice {
            reason: NOT_LN_PREFIX.to_string(),
        });
    }
    text.parse::<Bolt11Invoice>()
        .map_err(|e| InvoiceCheckError::InvalidInvoice {
            reason: parse_error_reason(&e),
        })
}

const NOT_LN_PREFIX: &str =
    "it does not start with \"ln\" (invoices look like lnbc1..., lntb1... or lnbcrt1...)";

/// Runs every check; `now` is the time since the unix epoch.
pub fn check_invoice(
    invoice: &Bolt11Invoice,
    node_network: Network,
    our_node_id: &PublicKey,
    now: Duration,
    amount_in_msat: Option<u64>,
) -> Result<PayableInvoice, InvoiceCheckError> {
    let currency = invoice.currency();
    if currency != currency_for_network(node_network) {
        return Err(InvoiceCheckError::WrongNetwork {
            invoice_currency: currency_name(currency).to_string(),
            node_network: node_network.to_string(),
        });
    }
    if invoice.would_expire(now) {
        // would_expire is false when expires_at overflows, so this is always Some.
        let expired_at = invoice.expires_at().map_or(u64::MAX, |at| at.as_secs());
        return Err(InvoiceCheckError::ExpiredInvoice { expired_at });
    }
    let payee = invoice.get_payee_pub_key();
    if payee == *our_node_id {
        return Err(InvoiceCheckError::OwnInvoice);
    }
    let (amount_msat, amount_from_caller) = match (invoice.amount_milli_satoshis(), amount_in_msat)
    {
        (None, None) => return Err(InvoiceCheckError::MissingAmount),
        (None, Some(requested)) => (requested, true),
        (Some(invoice_msat), None) => (invoice_msat, false),
        (Some(invoice_msat), Some(requested)) if invoice_msat == requested => (invoice_msat, false),
        (Some(invoice_msat), Some(requested_msat)) => {
            return Err(InvoiceCheckError::AmountMismatch {
                invoice_msat,
                requested_msat,
            })
        }
    };
    if amount_msat == 0 {
        return Err(InvoiceCheckError::ZeroAmount);
    }
    Ok(PayableInvoice {
        amount_msat,
        amount_from_caller,
        payee,
    })
}

/// The invoice currency a node on `network` pays and issues.
pub fn currency_for_network(network: Network) -> Currency {
    match network {
        Network::Bitcoin => Currency::Bitcoin,
        Network::Testnet | Network::Testnet4 => Currency::BitcoinTestnet,
        Network::Signet => Currency::Signet,
        Network::Regtest => Currency::Regtest,
    }
}

/// A currency as people say it, with its invoice prefix.
pub fn currency_name(currency: Currency) -> &'static str {
    match currency {
        Currency::Bitcoin => "bitcoin (lnbc)",
        Currency::BitcoinTestnet => "testnet (lntb)",
        Currency::Signet => "signet (lntbs)",
        Currency::Regtest => "regtest (lnbcrt)",
        Currency::Simnet => "simnet (lnsb)",
    }
}

/// A readable reason for a parse failure: our wording for the common cases, lightning-invoice's
/// own Display (which is readable) for the rest.
pub fn parse_error_reason(error: &ParseOrSemanticError) -> String {
    match error {
        ParseOrSemanticError::ParseError(parse) => match parse {
            Bolt11ParseError::Bech32Error(e) => {
                format!("not a bech32 string with a valid checksum ({e})")
            }
            Bolt11ParseError::BadPrefix => NOT_LN_PREFIX.to_string(),
            Bolt11ParseError::UnknownCurrency => {
                "unknown currency prefix (expected lnbc, lntb, lntbs or lnbcrt)".to_string()
            }
            Bolt11ParseError::UnknownSiPrefix | Bolt11ParseError::ParseAmountError(_) => {
                format!("the amount in the prefix is malformed ({parse})")
            }
            Bolt11ParseError::MalformedSignature(_) => "the signature is malformed".to_string(),
            other => other.to_string(),
        },
        ParseOrSemanticError::SemanticError(semantic) => match semantic {
            Bolt11SemanticError::InvalidSignature => {
                "the signature does not match the invoice (it was altered or corrupted)".to_string()
            }
            other => other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests;
