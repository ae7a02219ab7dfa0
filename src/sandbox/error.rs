//! The sandbox's errors: start-up and shutdown, and `sandbox::mine`'s wire error (the sandbox
//! namespace's `error.rs`, as each `rpc/` namespace has one).

use std::path::PathBuf;
use std::time::Duration;

use axum::http::StatusCode;
use serde::Serialize;

use crate::app::AppError;
use crate::config::PasswordPolicyError;
use crate::regtest::RegtestError;
use crate::rpc::RpcError;

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

/// Errors of `sandbox::mine`.
#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
pub enum MineError {
    /// `blocks` outside 1..=MAX_BLOCKS_PER_CALL.
    #[error("blocks must be between 1 and {max}, got {got}", max = super::mine_method::MAX_BLOCKS_PER_CALL)]
    InvalidBlocks { got: u32 },
    /// The chain refused or did not answer.
    #[error("Mining failed: {0}")]
    MiningFailed(String),
}

impl RpcError for MineError {
    fn status(&self) -> StatusCode {
        match self {
            MineError::InvalidBlocks { .. } => StatusCode::BAD_REQUEST,
            MineError::MiningFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
