//! The chain layer's error type.
//!
//! Every message is one line that names the Bitcoin Core URL and the problem, so that a failed
//! start-up tells the operator what to fix without a log dive.

use std::path::PathBuf;

/// What can go wrong talking to Bitcoin Core.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The configured URL cannot be used (bad syntax, not `http`, no host).
    #[error("invalid bitcoind RPC URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// The configuration does not say how to authenticate.
    #[error("invalid bitcoind RPC credentials for {url}: {reason}")]
    InvalidCredentials { url: String, reason: String },

    /// The cookie file could not be read or does not hold `user:password`.
    #[error("bitcoind at {url}: cannot use cookie file {}: {reason}", path.display())]
    CookieReadFailed {
        url: String,
        path: PathBuf,
        reason: String,
    },

    /// Nothing answered at the URL (refused, timed out, reset).
    #[error("bitcoind at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },

    /// Bitcoin Core answered 401: wrong user, password or cookie.
    #[error("bitcoind at {url} rejected the RPC credentials (HTTP 401 Unauthorized)")]
    Unauthorized { url: String },

    /// Bitcoin Core answered with a non-success HTTP status other than 401.
    #[error("bitcoind at {url} answered {method} with HTTP status {status}")]
    HttpStatus {
        url: String,
        method: String,
        status: String,
    },

    /// Bitcoin Core runs a different chain than the one configured.
    #[error(
        "bitcoind at {url} is on chain {actual:?}, but the node is configured for {expected:?}"
    )]
    WrongNetwork {
        url: String,
        expected: String,
        actual: String,
    },

    /// Bitcoin Core answered the call with a JSON-RPC error.
    #[error("bitcoind at {url}: {method} failed with RPC error {code}: {message}")]
    RpcFailed {
        url: String,
        method: String,
        code: i64,
        message: String,
    },

    /// The answer did not have the shape Bitcoin Core's answers have.
    #[error("bitcoind at {url}: invalid answer to {method}: {reason}")]
    InvalidResponse {
        url: String,
        method: String,
        reason: String,
    },

    /// Bringing the listeners to the chain tip failed.
    #[error("bitcoind at {url}: syncing the node to the chain tip failed: {reason}")]
    SyncFailed { url: String, reason: String },

    /// `start` was called a second time.
    #[error("the chain backend for {url} is already started")]
    AlreadyStarted { url: String },
}
