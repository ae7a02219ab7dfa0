//! Access keys (issue 16): scoped tokens with optional spending limits.
//!
//! - [`scope`]: what a key may call, the one rule every surface asks.
//! - [`manage`]: create, list and revoke on a [`Ledger`] alone (the daemon's `lightning::keys::*`
//!   methods and the offline `mmln keys` subcommands share it).
//! - [`KeyRing`] (here): the daemon's live view of the keys, kept in memory so that checking a
//!   token costs no ledger read, and updated by the same calls that write the ledger, so that a
//!   revocation takes effect on the next request and closes open subscriptions.
//!
//! A token is `<prefix><64 hex digits>` (256 random bits); only its SHA-256 is stored. It is
//! found by that digest: what a lookup's timing could reveal is about the digest, which tells
//! nothing usable about a token.

pub mod manage;
pub mod scope;

use std::collections::HashMap;
use std::sync::RwLock;

use tokio::sync::watch;

use crate::ledger::{KeyBudget, KeyCharge, KeyUsage, Ledger, LedgerError};

pub use manage::{BudgetPeriod, CreatedKey, KeyError, KeySpec};
pub use scope::{Access, Scope};

// The stored key, as the RPC layer sees it through this service.
pub use crate::ledger::AccessKeyRow;

/// The last-used time is written to the ledger at most this often per key (it is kept in
/// memory between writes), so authenticating a request costs no write.
const LAST_USED_WRITE_SECS: u64 = 60;

/// Who is calling, once authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Caller {
    /// The password, the unix socket, or the daemon itself: everything is permitted.
    #[default]
    Admin,
    /// The access key with this id.
    Key(u64),
}

impl Caller {
    /// The key's id; `None` for the admin.
    pub fn key_id(self) -> Option<u64> {
        match self {
            Caller::Admin => None,
            Caller::Key(id) => Some(id),
        }
    }
}

/// Why a key may not make a call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("access key {0} was revoked")]
    Revoked(u64),
    #[error("access key {0} has expired")]
    Expired(u64),
    #[error("access key {0} no longer exists")]
    Unknown(u64),
    #[error("access key {id} (scope {scope}) may not call {method}")]
    OutOfScope {
        id: u64,
        scope: &'static str,
        method: String,
    },
    #[error(
        "access key {id} has spending limits, and {method} moves funds outside them; only \
         lightning::payments::send_payment is charged to a budget"
    )]
    UnbudgetedSpend { id: u64, method: String },
}

/// What checking a presented token found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    /// No key has this token.
    Unknown,
    /// A key that is revoked or expired: refused, but not a guess.
    Unusable(u64),
    /// A usable key.
    Usable(u64),
}

/// A key as the daemon checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveKey {
    pub row: AccessKeyRow,
    pub scope: Scope,
    pub period: Option<BudgetPeriod>,
}

impl LiveKey {
    fn from_row(row: AccessKeyRow) -> LiveKey {
        let scope = manage::scope_of(&row);
        let period = row.budget_period.as_deref().and_then(BudgetPeriod::parse);
        LiveKey { row, scope, period }
    }

    fn usable_at(&self, now: u64) -> Result<(), Denied> {
        if self.row.revoked_at.is_some() {
            return Err(Denied::Revoked(self.row.id));
        }
        if self.row.expires_at.is_some_and(|at| now >= at) {
            return Err(Denied::Expired(self.row.id));
        }
        Ok(())
    }

    fn has_limits(&self) -> bool {
        self.row.max_payment_msat.is_some() || self.row.budget_msat.is_some()
    }

    /// What a payment made with this key is charged against.
    pub fn charge(&self) -> KeyCharge {
        KeyCharge {
            key_id: self.row.id,
            max_payment_msat: self.row.max_payment_msat,
            budget: self
                .row
                .budget_msat
                .zip(self.period)
                .map(|(budget_msat, period)| KeyBudget {
                    budget_msat,
                    window_secs: period.secs(),
                }),
        }
    }
}

#[derive(Default)]
struct State {
    by_id: HashMap<u64, LiveKey>,
    by_hash: HashMap<[u8; 32], u64>,
    /// In-memory last use per key, and the value last written to the ledger.
    last_used: HashMap<u64, (u64, u64)>,
}

/// The daemon's keys. Shared as `Arc<KeyRing>`.
pub struct KeyRing {
    ledger: Ledger,
    state: RwLock<State>,
    /// Bumped on every revocation, so open subscriptions re-check their key.
    revocations: watch::Sender<u64>,
}

impl KeyRing {
    /// Loads every key from `ledger`.
    pub fn load(ledger: Ledger) -> Result<KeyRing, LedgerError> {
        let ring = KeyRing {
            state: RwLock::new(State::default()),
            revocations: watch::Sender::new(0),
            ledger,
        };
        for row in ring.ledger.access_keys()? {
            ring.insert(row);
        }
        Ok(ring)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A poisoned lock means a panic mid-update of plain maps; they are still usable.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, row: AccessKeyRow) {
        let mut state = self.write();
        state.by_hash.insert(row.token_hash, row.id);
        let used = row.last_used_at.unwrap_or(0);
        state.last_used.entry(row.id).or_insert((used, used));
        state.by_id.insert(row.id, LiveKey::from_row(row));
    }

    /// The ledger's clock, so expiry and budgets agree with the rows.
    pub fn now(&self) -> u64 {
        self.ledger.now()
    }

    /// Checks a presented token by its SHA-256; notes the use of a usable key.
    pub fn check_token(&self, digest: &[u8; 32]) -> TokenCheck {
        let now = self.now();
        let found = {
            let state = self.read();
            state
                .by_hash
                .get(digest)
                .and_then(|id| state.by_id.get(id))
                .map(|key| (key.row.id, key.usable_at(now).is_ok()))
        };
        match found {
            None => TokenCheck::Unknown,
            Some((id, false)) => TokenCheck::Unusable(id),
            Some((id, true)) => {
                self.note_used(id, now);
                TokenCheck::Usable(id)
            }
        }
    }

    fn note_used(&self, id: u64, now: u64) {
        let write_due = {
            let mut state = self.write();
            let entry = state.last_used.entry(id).or_insert((0, 0));
            entry.0 = entry.0.max(now);
            let due = now.saturating_sub(entry.1) >= LAST_USED_WRITE_SECS;
            if due {
                entry.1 = now;
            }
            due
        };
        if !write_due {
            return;
        }
        // Best effort: a lost write only makes `last_used_at` older.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let ledger = self.ledger.clone();
            handle.spawn_blocking(move || {
                if let Err(e) = ledger.note_access_key_used(id, now) {
                    tracing::warn!("could not record the use of access key {id}: {e}");
                }
            });
        }
    }

    /// May `caller` call `method` of class `access` now? The one check of every surface.
    pub fn authorize(&self, caller: Caller, method: &str, access: Access) -> Result<(), Denied> {
        let Caller::Key(id) = caller else {
            return Ok(());
        };
        let state = self.read();
        let key = state.by_id.get(&id).ok_or(Denied::Unknown(id))?;
        key.usable_at(self.now())?;
        if !key.scope.permits(method, access) {
            return Err(Denied::OutOfScope {
                id,
                scope: key.scope.as_str(),
                method: method.to_string(),
            });
        }
        if key.has_limits() && scope::UNBUDGETED_SPENDS.contains(&method) {
            return Err(Denied::UnbudgetedSpend {
                id,
                method: method.to_string(),
            });
        }
        Ok(())
    }

    /// What a payment by `caller` is charged against (`None` for the admin).
    pub fn charge_for(&self, caller: Caller) -> Option<KeyCharge> {
        let Caller::Key(id) = caller else {
            return None;
        };
        self.read().by_id.get(&id).map(LiveKey::charge)
    }

    /// Creates a key (see [`manage::create`]) and makes it usable at once.
    pub async fn create(
        &self,
        spec: KeySpec,
        known_methods: Vec<String>,
    ) -> Result<CreatedKey, KeyError> {
        let created = self
            .ledger
            .blocking(move |l| Ok(manage::create(l, &spec, &known_methods)))
            .await??;
        self.insert(created.row.clone());
        Ok(created)
    }

    /// Every key, with last-used times as known in memory.
    pub fn list(&self) -> Vec<AccessKeyRow> {
        let state = self.read();
        let mut rows: Vec<AccessKeyRow> = state
            .by_id
            .values()
            .map(|key| {
                let mut row = key.row.clone();
                if let Some((used, _)) = state.last_used.get(&row.id) {
                    row.last_used_at = row.last_used_at.max((*used > 0).then_some(*used));
                }
                row
            })
            .collect();
        rows.sort_by_key(|row| row.id);
        rows
    }

    /// Revokes key `id`: refused on the next request, open subscriptions closed.
    pub async fn revoke(&self, id: u64) -> Result<AccessKeyRow, KeyError> {
        let row = self
            .ledger
            .blocking(move |l| Ok(manage::revoke(l, id)))
            .await??;
        self.insert(row.clone());
        self.revocations.send_modify(|n| *n += 1);
        Ok(row)
    }

    /// Key `id` and what it spent in its current period (all time without a budget).
    pub async fn usage(&self, id: u64) -> Result<(LiveKey, KeyUsage), KeyError> {
        let key = self
            .read()
            .by_id
            .get(&id)
            .cloned()
            .ok_or(KeyError::NoSuchKey(id))?;
        let window = key.period.map(BudgetPeriod::secs);
        let usage = self
            .ledger
            .blocking(move |l| l.access_key_usage(id, window))
            .await?;
        Ok((key, usage))
    }

    /// Resolves once `caller` may no longer call anything: revoked or expired. Never resolves
    /// for the admin. Open subscriptions select on it.
    pub async fn unusable(&self, caller: Caller) -> Denied {
        let Caller::Key(id) = caller else {
            return std::future::pending().await;
        };
        let mut revocations = self.revocations.subscribe();
        loop {
            let now = self.now();
            let expires_at = {
                let state = self.read();
                let Some(key) = state.by_id.get(&id) else {
                    return Denied::Unknown(id);
                };
                if let Err(denied) = key.usable_at(now) {
                    return denied;
                }
                key.row.expires_at
            };
            let until_expiry = expires_at.map(|at| std::time::Duration::from_secs(at - now));
            tokio::select! {
                changed = revocations.changed() => {
                    if changed.is_err() {
                        return std::future::pending().await;
                    }
                }
                () = sleep_or_forever(until_expiry) => {}
            }
        }
    }
}

async fn sleep_or_forever(duration: Option<std::time::Duration>) {
    match duration {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
#[path = "ring_tests.rs"]
mod tests;
