//! How to reach Bitcoin Core: URL, credentials, network, polling and fee fallback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use bitcoin::Network;

use super::error::ChainError;

/// How the node authenticates to Bitcoin Core's RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcAuth {
    /// `rpcuser` / `rpcpassword` (or an `rpcauth` entry) configured in bitcoin.conf.
    UserPass { user: String, password: String },
    /// Core's `.cookie` file, holding `user:password`. Core rewrites it on every restart, so it
    /// is read again whenever Core answers 401.
    Cookie(PathBuf),
}

/// Everything the chain backend needs to know.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// `http://host:port[/path]`. Bitcoin Core's RPC has no TLS.
    pub url: String,
    pub auth: RpcAuth,
    /// The chain Core must be on; start-up fails otherwise.
    pub network: Network,
    /// How often the tip is polled.
    pub poll_interval: Duration,
    /// Used for every target when Core has no estimate (always the case on a fresh regtest).
    pub fallback_fee_rate_sat_per_kw: u32,
}

impl ChainConfig {
    /// Derives the chain settings from the daemon's configuration.
    ///
    /// User and password win over a cookie; with neither, Core's default cookie location for the
    /// network (`~/.bitcoin/<network dir>/.cookie`) is used.
    pub fn from_config(cfg: &crate::config::Config) -> Result<Self, ChainError> {
        let url = cfg.bitcoind_url();
        let auth = match (
            &cfg.bitcoind_rpc_user,
            &cfg.bitcoind_rpc_password,
            &cfg.bitcoind_rpc_cookie,
        ) {
            (Some(user), Some(password), _) => RpcAuth::UserPass {
                user: user.clone(),
                password: password.clone(),
            },
            (Some(_), None, _) | (None, Some(_), _) => {
                return Err(ChainError::InvalidCredentials {
                    url,
                    reason: "set both bitcoind_rpc_user and bitcoind_rpc_password".to_string(),
                })
            }
            (None, None, Some(cookie)) => RpcAuth::Cookie(cookie.clone()),
            (None, None, None) => match default_cookie_path(cfg.network) {
                Some(path) => RpcAuth::Cookie(path),
                None => {
                    return Err(ChainError::InvalidCredentials {
                        url,
                        reason: "set bitcoind_rpc_user and bitcoind_rpc_password, or \
                                 bitcoind_rpc_cookie"
                            .to_string(),
                    })
                }
            },
        };
        Ok(ChainConfig {
            url,
            auth,
            network: cfg.network,
            poll_interval: cfg.chain_poll_interval(),
            fallback_fee_rate_sat_per_kw: cfg.fallback_fee_rate_sat_per_kw,
        })
    }
}

/// Where Bitcoin Core writes its cookie by default, when `$HOME` is known.
fn default_cookie_path(network: Network) -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let mut path = PathBuf::from(home).join(".bitcoin");
    match network {
        Network::Bitcoin => {}
        Network::Testnet => path.push("testnet3"),
        Network::Testnet4 => path.push("testnet4"),
        Network::Signet => path.push("signet"),
        _ => path.push("regtest"),
    }
    path.push(".cookie");
    Some(path)
}

/// Bitcoin Core's name for a network, as `getblockchaininfo` reports it in `chain`.
pub(crate) fn core_chain_name(network: Network) -> &'static str {
    match network {
        Network::Bitcoin => "main",
        Network::Testnet => "test",
        Network::Testnet4 => "testnet4",
        Network::Signet => "signet",
        _ => "regtest",
    }
}

/// The base64 `user:password` that HTTP basic auth wants, from either form of credentials.
pub(crate) fn basic_auth_credentials(url: &str, auth: &RpcAuth) -> Result<String, ChainError> {
    let user_pass = match auth {
        RpcAuth::UserPass { user, password } => format!("{user}:{password}"),
        RpcAuth::Cookie(path) => read_cookie(url, path)?,
    };
    Ok(base64::engine::general_purpose::STANDARD.encode(user_pass))
}

fn read_cookie(url: &str, path: &Path) -> Result<String, ChainError> {
    let fail = |reason: String| ChainError::CookieReadFailed {
        url: url.to_string(),
        path: path.to_path_buf(),
        reason,
    };
    let contents = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let cookie = contents.trim();
    if !cookie.contains(':') {
        return Err(fail("expected user:password".to_string()));
    }
    Ok(cookie.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_password_win_over_cookie() {
        let cfg = crate::config::Config {
            bitcoind_rpc_user: Some("u".into()),
            bitcoind_rpc_password: Some("p".into()),
            bitcoind_rpc_cookie: Some("/tmp/cookie".into()),
            ..Default::default()
        };
        let chain = ChainConfig::from_config(&cfg).unwrap();
        assert_eq!(
            chain.auth,
            RpcAuth::UserPass {
                user: "u".into(),
                password: "p".into()
            }
        );
        assert_eq!(chain.url, "http://127.0.0.1:18443");
    }

    #[test]
    fn half_credentials_are_refused() {
        let cfg = crate::config::Config {
            bitcoind_rpc_user: Some("u".into()),
            ..Default::default()
        };
        let err = ChainConfig::from_config(&cfg).unwrap_err();
        assert!(err.to_string().contains("bitcoind_rpc_password"), "{err}");
    }

    #[test]
    fn cookie_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".cookie");
        std::fs::write(&path, "__cookie__:secret\n").unwrap();
        let creds = basic_auth_credentials("u", &RpcAuth::Cookie(path.clone())).unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(creds)
            .unwrap();
        assert_eq!(decoded, b"__cookie__:secret");

        std::fs::write(&path, "no-colon").unwrap();
        let err = basic_auth_credentials("u", &RpcAuth::Cookie(path)).unwrap_err();
        assert!(err.to_string().contains("user:password"), "{err}");
    }
}
