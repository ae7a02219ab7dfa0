//! The JSON-RPC connection to Bitcoin Core: lightning-block-sync's `RpcClient`, plus the three
//! things it does not do: re-read a rotated cookie, tell failures apart (unreachable, 401, RPC
//! error, bad answer), and log an outage once instead of on every poll.

use std::convert::{TryFrom, TryInto};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

use lightning_block_sync::http::{HttpEndpoint, JsonResponse};
use lightning_block_sync::rpc::{RpcClient, RpcError};

use super::config::{basic_auth_credentials, RpcAuth};
use super::error::ChainError;

/// What block-sync says about an answer with `Content-Length: 0`.
const EMPTY_BODY_ERROR: &str = "invalid response length: 0 bytes";
/// Bound for the status probe.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

const HEALTH_UNKNOWN: u8 = 0;
const HEALTH_UP: u8 = 1;
const HEALTH_DOWN: u8 = 2;

/// A failed call, sorted by what the caller can do about it.
#[derive(Debug)]
pub(crate) enum CallFailure {
    /// No answer: connection refused, reset, timed out.
    Unreachable(std::io::Error),
    /// Core answered with an HTTP error status (401, 403, 404, 503...).
    Http { status: String },
    /// Core answered with a JSON-RPC error.
    Rpc { code: i64, message: String },
    /// Core answered, but not in the expected shape.
    InvalidResponse(std::io::Error),
}

impl CallFailure {
    fn classify(error: std::io::Error) -> Self {
        if let Some(rpc) = error.get_ref().and_then(|e| e.downcast_ref::<RpcError>()) {
            return CallFailure::Rpc {
                code: rpc.code,
                message: rpc.message.clone(),
            };
        }
        // block-sync's HttpError is private; its Display is "status_code: <n>, contents: ...".
        if error.kind() == std::io::ErrorKind::Other {
            let text = error.to_string();
            if let Some(rest) = text.strip_prefix("status_code: ") {
                let status = rest.split(',').next().unwrap_or(rest).trim().to_string();
                return CallFailure::Http { status };
            }
        }
        match error.kind() {
            std::io::ErrorKind::InvalidData => CallFailure::InvalidResponse(error),
            _ => CallFailure::Unreachable(error),
        }
    }

    fn is_unauthorized(&self) -> bool {
        matches!(self, CallFailure::Http { status } if status == "401")
    }

    /// The chain-layer error for this failure of `method` against `url`.
    pub(crate) fn into_chain_error(self, url: &str, method: &str) -> ChainError {
        let url = url.to_string();
        match self {
            CallFailure::Unreachable(e) => ChainError::Unreachable {
                url,
                reason: e.to_string(),
            },
            CallFailure::Http { status } if status == "401" => ChainError::Unauthorized { url },
            CallFailure::Http { status } => ChainError::HttpStatus {
                url,
                method: method.to_string(),
                status,
            },
            CallFailure::Rpc { code, message } => ChainError::RpcFailed {
                url,
                method: method.to_string(),
                code,
                message,
            },
            CallFailure::InvalidResponse(e) => ChainError::InvalidResponse {
                url,
                method: method.to_string(),
                reason: e.to_string(),
            },
        }
    }

    pub(crate) fn into_io_error(self) -> std::io::Error {
        match self {
            CallFailure::Unreachable(e) | CallFailure::InvalidResponse(e) => e,
            CallFailure::Http { status } => std::io::Error::other(format!("HTTP status {status}")),
            CallFailure::Rpc { code, message } => std::io::Error::other(RpcError { code, message }),
        }
    }
}

/// One Bitcoin Core RPC endpoint. It implements lightning-block-sync's `BlockSource` and
/// `UtxoSource` (see `block_source.rs`), so it can be handed to the poller and to gossip
/// verification directly.
pub struct CoreRpc {
    url: String,
    host: String,
    port: u16,
    path: String,
    auth: RpcAuth,
    client: RwLock<Connection>,
    health: AtomicU8,
    /// Only to read the status of an error answer block-sync cannot parse (see `call_once`).
    probe: reqwest::Client,
}

/// The block-sync client and the base64 credentials it was built with.
struct Connection {
    client: Arc<RpcClient>,
    credentials: String,
}

impl CoreRpc {
    /// Parses the URL and reads the credentials; does not touch the network.
    pub(crate) fn new(url: &str, auth: RpcAuth) -> Result<Self, ChainError> {
        let invalid = |reason: &str| ChainError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
        if parsed.scheme() != "http" {
            return Err(invalid(
                "only http:// is supported (Bitcoin Core's RPC has no TLS)",
            ));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| invalid("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = parsed.port_or_known_default().unwrap_or(80);
        let path = parsed.path().to_string();
        // Shown in every message: never with credentials embedded.
        let display_url = format!("http://{}:{port}{path}", parsed.host_str().unwrap_or(""));
        let display_url = display_url.trim_end_matches('/').to_string();
        let credentials = basic_auth_credentials(&display_url, &auth)?;
        let client = Arc::new(RpcClient::new(&credentials, endpoint(&host, port, &path)));
        let probe = reqwest::Client::builder()
            .timeout(PROBE_TIMEOUT)
            .build()
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(CoreRpc {
            url: display_url,
            host,
            port,
            path,
            auth,
            client: RwLock::new(Connection {
                client,
                credentials,
            }),
            health: AtomicU8::new(HEALTH_UNKNOWN),
            probe,
        })
    }

    /// The URL, without credentials, for messages.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// False while an outage is under way (the last call found nothing listening).
    pub(crate) fn is_reachable(&self) -> bool {
        self.health.load(Ordering::Acquire) != HEALTH_DOWN
    }

    /// The current block-sync client. It is replaced when a rotated cookie is re-read.
    pub(crate) fn client(&self) -> Arc<RpcClient> {
        Arc::clone(&self.connection().0)
    }

    fn connection(&self) -> (Arc<RpcClient>, String) {
        let connection = self.client.read().unwrap_or_else(|p| p.into_inner());
        (
            Arc::clone(&connection.client),
            connection.credentials.clone(),
        )
    }

    /// Calls `method` and converts the answer, re-reading the cookie once on a 401.
    pub(crate) async fn call<T>(
        &self,
        method: &str,
        params: &[serde_json::Value],
    ) -> Result<T, CallFailure>
    where
        JsonResponse: TryFrom<Vec<u8>, Error = std::io::Error> + TryInto<T, Error = std::io::Error>,
    {
        let mut result = self.call_once(method, params).await;
        if let Err(failure) = &result {
            if failure.is_unauthorized() && self.reload_cookie() {
                result = self.call_once(method, params).await;
            }
        }
        self.note_health(&result);
        result
    }

    /// Calls `method` and maps a failure to a [`ChainError`] naming the URL.
    pub(crate) async fn call_checked<T>(
        &self,
        method: &str,
        params: &[serde_json::Value],
    ) -> Result<T, ChainError>
    where
        JsonResponse: TryFrom<Vec<u8>, Error = std::io::Error> + TryInto<T, Error = std::io::Error>,
    {
        self.call(method, params)
            .await
            .map_err(|f| f.into_chain_error(&self.url, method))
    }

    async fn call_once<T>(
        &self,
        method: &str,
        params: &[serde_json::Value],
    ) -> Result<T, CallFailure>
    where
        JsonResponse: TryFrom<Vec<u8>, Error = std::io::Error> + TryInto<T, Error = std::io::Error>,
    {
        let (client, credentials) = self.connection();
        let error = match client.call_method(method, params).await {
            Ok(answer) => return Ok(answer),
            Err(error) => error,
        };
        // block-sync refuses an error answer with an empty body (Core's 401 and 403) before
        // looking at its status; ask once more to learn the status.
        if error.to_string() == EMPTY_BODY_ERROR {
            if let Some(status) = self.probe_status(&credentials).await {
                return Err(CallFailure::Http { status });
            }
        }
        Err(CallFailure::classify(error))
    }

    /// The HTTP status of a harmless call with these credentials, when it is not a success.
    async fn probe_status(&self, credentials: &str) -> Option<String> {
        let body = serde_json::json!({
            "jsonrpc": "1.0", "id": "probe", "method": "getblockchaininfo", "params": []
        });
        let url = format!("http://{}:{}{}", self.host_for_url(), self.port, self.path);
        let response = self
            .probe
            .post(url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Basic {credentials}"),
            )
            .json(&body)
            .send()
            .await
            .ok()?;
        let status = response.status();
        (!status.is_success()).then(|| status.as_u16().to_string())
    }

    fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// Re-reads the cookie file and, if Core wrote a new one, swaps in a client using it.
    /// Returns whether it did (and so whether a retry can help).
    fn reload_cookie(&self) -> bool {
        if !matches!(self.auth, RpcAuth::Cookie(_)) {
            return false;
        }
        match basic_auth_credentials(&self.url, &self.auth) {
            Ok(credentials) if credentials == self.connection().1 => false,
            Ok(credentials) => {
                let client = Arc::new(RpcClient::new(
                    &credentials,
                    endpoint(&self.host, self.port, &self.path),
                ));
                let mut slot = self.client.write().unwrap_or_else(|p| p.into_inner());
                *slot = Connection {
                    client,
                    credentials,
                };
                tracing::info!(url = %self.url, "re-read the bitcoind cookie after a 401");
                true
            }
            // The caller reports the 401 itself; this runs on every failing poll.
            Err(e) => {
                tracing::debug!("{e}");
                false
            }
        }
    }

    /// Logs an outage once when it starts and once when it ends, however often we poll.
    fn note_health<T>(&self, result: &Result<T, CallFailure>) {
        let now = match result {
            Err(CallFailure::Unreachable(_)) => HEALTH_DOWN,
            _ => HEALTH_UP,
        };
        let before = self.health.swap(now, Ordering::AcqRel);
        match (before, now, result) {
            (HEALTH_UP, HEALTH_DOWN, Err(CallFailure::Unreachable(e))) => {
                tracing::warn!(url = %self.url, error = %e, "lost the connection to bitcoind; retrying with backoff");
            }
            (HEALTH_DOWN, HEALTH_UP, _) => {
                tracing::info!(url = %self.url, "connection to bitcoind restored");
            }
            _ => {}
        }
    }
}

fn endpoint(host: &str, port: u16, path: &str) -> HttpEndpoint {
    HttpEndpoint::for_host(host.to_string())
        .with_port(port)
        .with_path(path.to_string())
}
