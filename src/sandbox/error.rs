//! The sandbox's errors.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::AppError;
use crate::config::PasswordPolicyError;
use crate::regtest::RegtestError;

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the RPC password is too weak: {0}")]
    WeakPassword(PasswordPolicyError),
    #[error("could not create the sandbox directory {}: {source}", path.display())]
    CreateDirFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not read {}: {source}", path.display())]
    ReadStateFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not write {}: {source}", path.display())]
    WriteStateFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("could not start the regtest chain: {0}")]
    StartChainFailed(#[source] RegtestError),
    #[error("could not start the {role} daemon: {source}")]
    StartDaemonFailed {
        role: &'static str,
        #[source]
        source: AppError,
    },
    #[error("could not fund the wallets: {0}")]
    FundingFailed(String),
    #[error("{from} could not connect to {to}: {reason}")]
    ConnectFailed {
        from: &'static str,
        to: &'static str,
        reason: String,
    },
    #[error("{from} could not open a channel to {to}: {reason}")]
    OpenChannelFailed {
        from: &'static str,
        to: &'static str,
        reason: String,
    },
    #[error("could not mine on the sandbox chain: {0}")]
    MiningFailed(String),
    #[error("timed out after {after:?} waiting until {what}")]
    Timeout { what: String, after: Duration },
}

/// Some part of the sandbox did not stop cleanly.
#[derive(Debug, thiserror::Error)]
#[error("the sandbox did not stop cleanly: {0}")]
pub struct ShutdownError(pub(super) String);
