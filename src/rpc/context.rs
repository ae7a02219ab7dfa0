//! What every method handler can reach.
//!
//! The configuration and the coin ticker always; the services' [`Engine`] (the running node,
//! its ledger and the payments hub) once app start-up has attached it with
//! [`RpcContext::with_engine`]. A context without it exists only in transport tests, which
//! route no lightning method; should a lightning method run there anyway,
//! [`RpcContext::engine`] answers [`EngineNotRunning`] ("No such coin", as KDF answers for a
//! lightning coin that is not enabled) instead of panicking.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::service::keys::{Caller, KeyRing};
use crate::service::Engine;

/// Shared, cheaply cloned state handed to every method.
#[derive(Clone)]
pub struct RpcContext {
    config: Arc<Config>,
    coin_ticker: Arc<str>,
    started_at: SystemTime,
    engine: Option<Engine>,
    activation_tasks: Arc<crate::rpc::task::enable_lightning::ActivationTasks>,
    /// Who is calling: set by the transport per request (the admin unless a key was used).
    caller: Caller,
}

/// The context has no engine attached (only possible in transport tests). Methods turn it into
/// their `NoSuchCoin` variant (the `no_such_coin_without_engine!` macro in `rpc/error.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("No such coin {ticker}")]
pub struct EngineNotRunning {
    pub ticker: String,
}

impl RpcContext {
    /// A context over `config`, stamped with the current time as the daemon's start time.
    pub fn new(config: Arc<Config>) -> Self {
        let coin_ticker: Arc<str> = config.coin_ticker().into();
        RpcContext {
            config,
            coin_ticker,
            started_at: SystemTime::now(),
            engine: None,
            activation_tasks: Arc::default(),
            caller: Caller::Admin,
        }
    }

    /// This context for a call made by `caller`.
    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }

    /// Who is calling.
    pub fn caller(&self) -> Caller {
        self.caller
    }

    /// The access keys, when the engine runs (transport tests have none, and no keys).
    pub fn keys(&self) -> Option<&Arc<KeyRing>> {
        self.engine.as_ref().map(Engine::keys)
    }

    /// This context with the services' engine attached (app start-up).
    pub fn with_engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// The services over the running node.
    pub fn engine(&self) -> Result<&Engine, EngineNotRunning> {
        self.engine.as_ref().ok_or_else(|| self.not_running())
    }

    /// Task ids handed out by `task::enable_lightning::init`.
    pub fn activation_tasks(&self) -> &crate::rpc::task::enable_lightning::ActivationTasks {
        &self.activation_tasks
    }

    fn not_running(&self) -> EngineNotRunning {
        EngineNotRunning {
            ticker: self.coin_ticker.to_string(),
        }
    }

    /// The daemon's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configured lightning ticker clients pass as `coin`, e.g. `tBTC-lightning`.
    pub fn coin_ticker(&self) -> &str {
        &self.coin_ticker
    }

    /// When this context (and so the RPC server) was created.
    pub fn started_at(&self) -> SystemTime {
        self.started_at
    }
}

/// Formats a time as RFC 3339 in UTC with second precision, e.g. `2026-11-21T11:31:38Z`.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day); Howard Hinnant's
/// `civil_from_days` algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // leap day 2000
        assert_eq!(rfc3339_utc(t), "2000-02-29T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_779_098);
        assert_eq!(rfc3339_utc(t), "2026-11-27T11:31:38Z");
    }
}
