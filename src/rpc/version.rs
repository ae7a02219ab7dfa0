//! `version`: the daemon's version, in the shape of KDF's `version` answer
//! (`{"result":"<version>","datetime":"<time>"}`).
//!
//! KDF reports its build time; we report the time the RPC server started (RFC 3339, UTC), which
//! needs no build script and tells a client when the daemon it talks to came up.

use serde::Serialize;

use super::context::{rfc3339_utc, RpcContext};
use super::error::{MmResult, NeverFails};
use super::method::{NoParams, RpcMethod};

/// The `version` method.
pub struct Version;

/// The result of `version`.
#[derive(Debug, Clone, Serialize)]
pub struct VersionResponse {
    /// The crate version, e.g. `0.1.0`.
    pub result: String,
    /// When the RPC server started, RFC 3339 UTC.
    pub datetime: String,
}

impl RpcMethod for Version {
    const NAME: &'static str = "version";
    const TAKES_COIN: bool = false;
    type Params = NoParams;
    type Output = VersionResponse;
    type Error = NeverFails;

    async fn handle(ctx: &RpcContext, _params: NoParams) -> MmResult<VersionResponse, NeverFails> {
        Ok(VersionResponse {
            result: env!("CARGO_PKG_VERSION").to_string(),
            datetime: rfc3339_utc(ctx.started_at()),
        })
    }
}
