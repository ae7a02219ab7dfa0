//! Who may call: the local-only rule, the `userpass` check and the failed-attempt limit.
//!
//! `userpass` (or JSON-RPC's bearer token) is the password or an access key's token; both are
//! checked by their SHA-256, the password in constant time, a key by a lookup of that digest
//! (see `service/keys`). The answer is the [`Caller`], whose scope the dispatcher checks.
//!
//! Order per request element: `LocalHostOnly` (checked once per HTTP request, before the body is
//! read), then `Banned`, then `UserpassIsNotSet` / `UserpassIsInvalid`.
//!
//! Failed-attempt rule (KDF bans for the life of the process; we let the ban decay):
//! - every wrong `userpass` counts one failure against the caller's IP;
//! - a caller with `max_failed_attempts` failures is `Banned`;
//! - the count resets to zero once `window` has passed since the caller's last failure, so a
//!   ban lifts `window` after the last wrong attempt. Requests refused as `Banned` are not
//!   failures and do not extend it;
//! - a `window` of zero keeps no count, which turns the limit off;
//! - a missing `userpass` is not a failure (as in KDF), nor does a correct one clear the count
//!   (so a guesser cannot ride on a legitimate client sharing its IP).
//!
//! IPv6 callers are counted per /64 (one subscriber's usual allocation), IPv4-mapped IPv6 as
//! IPv4. At most [`MAX_TRACKED_IPS`] callers are tracked; when full, expired records are dropped
//! first, then the record with the oldest last failure.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use bitcoin::hashes::{sha256, Hash};
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::rpc::error::{MmError, MmResult, RpcError};
use crate::service::keys::{Caller, KeyRing, TokenCheck};

/// Most caller IPs whose failures are remembered at once.
pub const MAX_TRACKED_IPS: usize = 10_000;

/// Why a caller was refused.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum AuthError {
    #[error("Userpass is not set!")]
    UserpassIsNotSet,
    #[error("Userpass is invalid! - {0}")]
    UserpassIsInvalid(RateLimitError),
    #[error("Your ip is banned.")]
    Banned,
    #[error("Only local connections are allowed")]
    LocalHostOnly,
}

impl RpcError for AuthError {
    fn status(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }
}

/// How many wrong attempts the caller has left before it is banned.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum RateLimitError {
    #[error("Rate Limit attempts left: {0}")]
    NbAttemptsLeft(u32),
}

/// Whether `ip` is a loopback address, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) included.
pub fn is_loopback_peer(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Refuses a non-loopback caller when the daemon serves local callers only.
pub fn check_local_only(local_only: bool, peer: IpAddr) -> MmResult<(), AuthError> {
    if local_only && !is_loopback_peer(peer) {
        return MmError::err(AuthError::LocalHostOnly);
    }
    Ok(())
}

/// The failed-attempt limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Failures from one caller before it is banned.
    pub max_failed_attempts: u32,
    /// Quiet time after the last failure that resets a caller's count.
    pub window: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_failure: Instant,
}

/// Failure counts per caller, bounded in size.
#[derive(Debug)]
struct FailedAttempts {
    limit: RateLimit,
    by_caller: HashMap<IpAddr, Failures>,
}

impl FailedAttempts {
    fn live(&self, caller: IpAddr, now: Instant) -> Option<Failures> {
        self.by_caller
            .get(&caller)
            .copied()
            .filter(|f| now.saturating_duration_since(f.last_failure) < self.limit.window)
    }

    fn is_banned(&self, caller: IpAddr, now: Instant) -> bool {
        self.live(caller, now)
            .is_some_and(|f| f.count >= self.limit.max_failed_attempts)
    }

    /// The attempts the caller has left, counting nothing.
    fn left(&self, caller: IpAddr, now: Instant) -> u32 {
        let count = self.live(caller, now).map_or(0, |f| f.count);
        self.limit.max_failed_attempts.saturating_sub(count)
    }

    /// Counts one failure; returns the attempts left.
    fn record_failure(&mut self, caller: IpAddr, now: Instant) -> u32 {
        let count = self
            .live(caller, now)
            .map_or(0, |f| f.count)
            .saturating_add(1);
        if !self.by_caller.contains_key(&caller) && self.by_caller.len() >= MAX_TRACKED_IPS {
            self.make_room(now);
        }
        self.by_caller.insert(
            caller,
            Failures {
                count,
                last_failure: now,
            },
        );
        self.limit.max_failed_attempts.saturating_sub(count)
    }

    fn make_room(&mut self, now: Instant) {
        let window = self.limit.window;
        self.by_caller
            .retain(|_, f| now.saturating_duration_since(f.last_failure) < window);
        if self.by_caller.len() >= MAX_TRACKED_IPS {
            let oldest = self
                .by_caller
                .iter()
                .min_by_key(|(_, f)| f.last_failure)
                .map(|(ip, _)| *ip);
            if let Some(ip) = oldest {
                self.by_caller.remove(&ip);
            }
        }
    }
}

/// The key failures are counted under: IPv4 as is, IPv6 by its /64.
fn caller_key(peer: IpAddr) -> IpAddr {
    match peer.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// Checks `userpass` against the configured password and the access keys, with the
/// failed-attempt limit.
pub struct Authenticator {
    password_digest: [u8; 32],
    /// The daemon's keys; `None` in transport tests without an engine (password only).
    keys: Option<Arc<KeyRing>>,
    attempts: Mutex<FailedAttempts>,
}

impl Authenticator {
    pub fn new(password: &str, limit: RateLimit) -> Self {
        Authenticator {
            password_digest: digest(password),
            keys: None,
            attempts: Mutex::new(FailedAttempts {
                limit,
                by_caller: HashMap::new(),
            }),
        }
    }

    /// This authenticator also accepting the tokens of `keys`.
    pub fn with_keys(mut self, keys: Option<Arc<KeyRing>>) -> Self {
        self.keys = keys;
        self
    }

    /// Authenticates one request element from `peer`; says who is calling.
    pub fn authenticate(
        &self,
        peer: IpAddr,
        userpass: Option<&str>,
    ) -> MmResult<Caller, AuthError> {
        self.authenticate_at(peer, userpass, Instant::now())
    }

    fn authenticate_at(
        &self,
        peer: IpAddr,
        userpass: Option<&str>,
        now: Instant,
    ) -> MmResult<Caller, AuthError> {
        let caller = caller_key(peer);
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still meaningful.
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if attempts.is_banned(caller, now) {
            return MmError::err(AuthError::Banned);
        }
        let Some(userpass) = userpass else {
            return MmError::err(AuthError::UserpassIsNotSet);
        };
        let presented = digest(userpass);
        // Comparing fixed-size digests in constant time leaks neither content nor length.
        if bool::from(presented.ct_eq(&self.password_digest)) {
            return Ok(Caller::Admin);
        }
        let check = self
            .keys
            .as_ref()
            .map_or(TokenCheck::Unknown, |keys| keys.check_token(&presented));
        match check {
            TokenCheck::Usable(id) => Ok(Caller::Key(id)),
            // A revoked or expired key is refused, but it is not a guess: it does not count
            // toward a ban (an app left holding an old key must not lock out its IP).
            TokenCheck::Unusable(_) => {
                let left = attempts.left(caller, now);
                MmError::err(AuthError::UserpassIsInvalid(
                    RateLimitError::NbAttemptsLeft(left),
                ))
            }
            TokenCheck::Unknown => {
                let left = attempts.record_failure(caller, now);
                MmError::err(AuthError::UserpassIsInvalid(
                    RateLimitError::NbAttemptsLeft(left),
                ))
            }
        }
    }
}

fn digest(secret: &str) -> [u8; 32] {
    sha256::Hash::hash(secret.as_bytes()).to_byte_array()
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
