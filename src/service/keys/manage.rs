//! Creating, listing and revoking keys on a [`Ledger`]: the rules of a key's parameters and the
//! making of its token. Synchronous, so the offline `mmln keys` subcommands use it as is.

use std::collections::BTreeSet;

use bitcoin::hashes::{sha256, Hash};
use rand::RngCore;

use super::scope::{Scope, KEY_METHOD_PREFIX};
use crate::ledger::{AccessKeyRow, Ledger, LedgerError, NewAccessKey};

/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// Hex characters of the random part shown in `token_hint`.
const HINT_HEX_CHARS: usize = 4;

/// A rolling budget period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetPeriod {
    Hour,
    Day,
    Week,
    /// 30 days.
    Month,
}

impl BudgetPeriod {
    pub fn parse(word: &str) -> Option<BudgetPeriod> {
        match word {
            "hour" => Some(BudgetPeriod::Hour),
            "day" => Some(BudgetPeriod::Day),
            "week" => Some(BudgetPeriod::Week),
            "month" => Some(BudgetPeriod::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BudgetPeriod::Hour => "hour",
            BudgetPeriod::Day => "day",
            BudgetPeriod::Week => "week",
            BudgetPeriod::Month => "month",
        }
    }

    /// The length of the rolling window.
    pub fn secs(self) -> u64 {
        match self {
            BudgetPeriod::Hour => 3_600,
            BudgetPeriod::Day => 86_400,
            BudgetPeriod::Week => 7 * 86_400,
            BudgetPeriod::Month => 30 * 86_400,
        }
    }
}

/// What to create.
#[derive(Debug, Clone, Default)]
pub struct KeySpec {
    pub label: String,
    /// A built-in scope word; exactly one of `scope` and `methods` is given.
    pub scope: Option<String>,
    pub methods: Option<Vec<String>>,
    pub max_payment_msat: Option<u64>,
    pub budget_msat: Option<u64>,
    /// `hour`, `day`, `week` or `month`; required with `budget_msat`.
    pub budget_period: Option<String>,
    /// Unix seconds; must be in the future.
    pub expires_at: Option<u64>,
}

/// A new key: the token, shown once and never stored, and the stored row.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub token: String,
    pub row: AccessKeyRow,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("invalid label: {0}")]
    InvalidLabel(String),
    #[error(
        "invalid scope {0:?}: one of readonly, invoice, admin (or give methods, a list of \
         method names)"
    )]
    InvalidScope(String),
    #[error("give exactly one of scope and methods")]
    ScopeOrMethods,
    #[error("invalid methods: {0}")]
    InvalidMethods(String),
    #[error("invalid budget: {0}")]
    InvalidBudget(String),
    #[error("invalid expires_at {expires_at}: it is not after now ({now})")]
    InvalidExpiry { expires_at: u64, now: u64 },
    #[error("No access key with id {0}")]
    NoSuchKey(u64),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

/// The scope a stored row describes (a row the ledger accepted always has one).
pub fn scope_of(row: &AccessKeyRow) -> Scope {
    match row.methods.as_ref() {
        Some(names) if row.scope == "methods" => Scope::Methods(names.iter().cloned().collect()),
        // The CHECK constraint allows only the built-in words here; an unreadable row gets the
        // narrowest scope rather than a wider one.
        _ => Scope::builtin(&row.scope).unwrap_or(Scope::Methods(BTreeSet::new())),
    }
}

fn validate(spec: &KeySpec, known_methods: &[String], now: u64) -> Result<Scope, KeyError> {
    let label = spec.label.trim();
    if label.is_empty() {
        return Err(KeyError::InvalidLabel("it is empty".into()));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(KeyError::InvalidLabel(format!(
            "longer than {MAX_LABEL_CHARS} characters"
        )));
    }
    let scope = match (&spec.scope, &spec.methods) {
        (Some(word), None) => {
            Scope::builtin(word).ok_or_else(|| KeyError::InvalidScope(word.clone()))?
        }
        (None, Some(names)) => {
            if names.is_empty() {
                return Err(KeyError::InvalidMethods("the list is empty".into()));
            }
            for name in names {
                if name.starts_with(KEY_METHOD_PREFIX) {
                    return Err(KeyError::InvalidMethods(format!(
                        "{name} manages keys and is for admin keys only"
                    )));
                }
                if !known_methods.iter().any(|known| known == name) {
                    return Err(KeyError::InvalidMethods(format!(
                        "no method is named {name}"
                    )));
                }
            }
            Scope::Methods(names.iter().cloned().collect())
        }
        _ => return Err(KeyError::ScopeOrMethods),
    };
    match (spec.budget_msat, spec.budget_period.as_deref()) {
        (Some(_), Some(word)) if BudgetPeriod::parse(word).is_none() => {
            return Err(KeyError::InvalidBudget(format!(
                "budget_period {word:?} is not one of hour, day, week, month"
            )))
        }
        (Some(_), None) => {
            return Err(KeyError::InvalidBudget(
                "budget_msat needs a budget_period (hour, day, week or month)".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(KeyError::InvalidBudget(
                "budget_period is given without budget_msat".into(),
            ))
        }
        _ => {}
    }
    if let Some(expires_at) = spec.expires_at {
        if expires_at <= now {
            return Err(KeyError::InvalidExpiry { expires_at, now });
        }
    }
    Ok(scope)
}

/// Creates a key. `known_methods` are the names an allow-list may use.
pub fn create(
    ledger: &Ledger,
    spec: &KeySpec,
    known_methods: &[String],
) -> Result<CreatedKey, KeyError> {
    let scope = validate(spec, known_methods, ledger.now())?;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let random = hex::encode(secret);
    let prefix = scope.token_prefix();
    let token = format!("{prefix}{random}");
    let new = NewAccessKey {
        token_hash: token_digest(&token),
        token_hint: format!("{prefix}{}", &random[..HINT_HEX_CHARS]),
        label: spec.label.trim().to_string(),
        scope: scope.as_str().to_string(),
        methods: match &scope {
            Scope::Methods(names) => Some(names.iter().cloned().collect()),
            _ => None,
        },
        max_payment_msat: spec.max_payment_msat,
        budget_msat: spec.budget_msat,
        budget_period: spec.budget_period.clone(),
        expires_at: spec.expires_at,
    };
    let row = ledger.insert_access_key(&new)?;
    Ok(CreatedKey { token, row })
}

/// Revokes key `id`.
pub fn revoke(ledger: &Ledger, id: u64) -> Result<AccessKeyRow, KeyError> {
    ledger.revoke_access_key(id)?.ok_or(KeyError::NoSuchKey(id))
}

/// The digest a token is stored and found by.
pub fn token_digest(token: &str) -> [u8; 32] {
    sha256::Hash::hash(token.as_bytes()).to_byte_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> KeySpec {
        KeySpec {
            label: "shop".into(),
            scope: Some("invoice".into()),
            ..KeySpec::default()
        }
    }

    #[test]
    fn parameters_are_checked() {
        let known = vec!["lightning::payments::send_payment".to_string()];
        assert!(validate(&spec(), &known, 10).is_ok());
        let bad = |f: fn(&mut KeySpec)| {
            let mut s = spec();
            f(&mut s);
            validate(&s, &known, 10).unwrap_err().to_string()
        };
        assert!(bad(|s| s.label = " ".into()).contains("label"));
        assert!(bad(|s| s.scope = Some("root".into())).contains("invalid scope"));
        assert!(bad(|s| s.methods = Some(vec![])).contains("exactly one"));
        assert!(bad(|s| {
            s.scope = None;
            s.methods = Some(vec!["nope".into()]);
        })
        .contains("no method is named nope"));
        assert!(bad(|s| {
            s.scope = None;
            s.methods = Some(vec!["lightning::keys::create".into()]);
        })
        .contains("admin keys only"));
        assert!(bad(|s| s.budget_msat = Some(5)).contains("needs a budget_period"));
        assert!(bad(|s| {
            s.budget_msat = Some(5);
            s.budget_period = Some("year".into());
        })
        .contains("not one of"));
        assert!(bad(|s| s.expires_at = Some(10)).contains("not after now"));
    }
}
