//! What a key may call: the one rule every surface asks ([`Scope::permits`]).
//!
//! Each routed method has an [`Access`] class, set where it is listed (`rpc/registry.rs`):
//! - `Read`: reads (get, list, info), waits and the event feed; answer without changing state;
//! - `Invoice`: `generate_invoice`, which creates an invoice to be paid to us and moves no
//!   funds out;
//! - `Admin`: everything else (sends, channels, peers, the wallet, keys). A method listed
//!   without a class is `Admin`, so a new method is closed to narrow keys until classified.
//!
//! Scopes: `readonly` permits `Read`; `invoice` permits `Read` and `Invoice`; `admin` permits
//! all; `methods` permits exactly the listed names. The password (and the unix socket, which is
//! guarded by its file mode) is admin.

use std::collections::BTreeSet;

/// The class of a method, for scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Invoice,
    Admin,
}

/// Methods that manage keys: never grantable through an allow-list, so a narrow key cannot
/// mint a wider one.
pub const KEY_METHOD_PREFIX: &str = "lightning::keys::";

/// Methods that move funds but are not charged to a budget: a key with limits may not call
/// them, even when its scope would allow it (only `send_payment` is budgeted).
pub const UNBUDGETED_SPENDS: &[&str] = &[
    "lightning::wallet::send_to_address",
    "lightning::channels::open_channel",
    "lightning::payments::send_value_split",
    "sendpay",
];

/// What a key may call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Readonly,
    Invoice,
    Admin,
    /// Exactly these method names.
    Methods(BTreeSet<String>),
}

impl Scope {
    /// The scope word stored and shown (`readonly`, `invoice`, `admin`, `methods`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::Readonly => "readonly",
            Scope::Invoice => "invoice",
            Scope::Admin => "admin",
            Scope::Methods(_) => "methods",
        }
    }

    /// The visible start of this scope's tokens.
    pub fn token_prefix(&self) -> &'static str {
        match self {
            Scope::Readonly => "mmln_ro_",
            Scope::Invoice => "mmln_inv_",
            Scope::Admin => "mmln_adm_",
            Scope::Methods(_) => "mmln_key_",
        }
    }

    /// A built-in scope by its word.
    pub fn builtin(word: &str) -> Option<Scope> {
        match word {
            "readonly" => Some(Scope::Readonly),
            "invoice" => Some(Scope::Invoice),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// Whether this scope may call `method` of class `access`.
    pub fn permits(&self, method: &str, access: Access) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Invoice => matches!(access, Access::Read | Access::Invoice),
            Scope::Readonly => access == Access::Read,
            Scope::Methods(names) => {
                !method.starts_with(KEY_METHOD_PREFIX) && names.contains(method)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scopes_nest() {
        for (scope, read, invoice, admin) in [
            (Scope::Readonly, true, false, false),
            (Scope::Invoice, true, true, false),
            (Scope::Admin, true, true, true),
        ] {
            assert_eq!(scope.permits("m", Access::Read), read);
            assert_eq!(scope.permits("m", Access::Invoice), invoice);
            assert_eq!(scope.permits("m", Access::Admin), admin);
            assert_eq!(Scope::builtin(scope.as_str()), Some(scope));
        }
    }

    #[test]
    fn an_allow_list_permits_its_names_only_and_never_key_methods() {
        let names = [
            "lightning::payments::send_payment",
            "lightning::keys::create",
        ];
        let scope = Scope::Methods(names.iter().map(|s| s.to_string()).collect());
        assert!(scope.permits("lightning::payments::send_payment", Access::Admin));
        assert!(!scope.permits("lightning::nodes::get_info", Access::Read));
        assert!(!scope.permits("lightning::keys::create", Access::Admin));
    }
}
