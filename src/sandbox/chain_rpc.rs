//! A small Bitcoin Core JSON-RPC client for what the sandbox does to its chain: look at the
//! mempool and mine. It speaks to the regtest chain over HTTP, as any Core client would, so the
//! `sandbox::mine` method and the block timer work the same against real Core in regtest.

use std::time::Duration;

use serde_json::{json, Value};

/// Bound on one call; mining a few hundred blocks in-process takes well under this.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a chain call failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainRpcError {
    #[error("the chain at {url} did not answer {method}: {reason}")]
    UnreachableChain {
        url: String,
        method: &'static str,
        reason: String,
    },
    #[error("the chain refused {method}: {message}")]
    RpcFailed {
        method: &'static str,
        message: String,
    },
    #[error("the chain's answer to {method} has an unexpected shape: {answer}")]
    InvalidAnswer {
        method: &'static str,
        answer: String,
    },
}

/// Where the chain is and how to log in.
#[derive(Clone)]
pub struct ChainRpc {
    http: reqwest::Client,
    url: String,
    user: String,
    password: String,
}

/// The chain's tip after mining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub height: u64,
    pub hash: String,
}

impl ChainRpc {
    pub fn new(url: String, user: String, password: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .unwrap_or_default();
        ChainRpc {
            http,
            url,
            user,
            password,
        }
    }

    /// The client a daemon's configuration points at (`bitcoind_rpc_*`); `None` when it logs in
    /// with a cookie file, which the sandbox never configures.
    pub fn from_config(config: &crate::config::Config) -> Option<Self> {
        Some(ChainRpc::new(
            config.bitcoind_url(),
            config.bitcoind_rpc_user.clone()?,
            config.bitcoind_rpc_password.clone()?,
        ))
    }

    async fn call(&self, method: &'static str, params: Value) -> Result<Value, ChainRpcError> {
        let body = json!({"jsonrpc": "1.0", "id": "sandbox", "method": method, "params": params});
        let unreachable = |reason: String| ChainRpcError::UnreachableChain {
            url: self.url.clone(),
            method,
            reason,
        };
        let response = self
            .http
            .post(&self.url)
            .basic_auth(&self.user, Some(&self.password))
            .json(&body)
            .send()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        // Core answers RPC errors with HTTP 500 and a JSON body, so read the body first.
        let answer: Value = response
            .json()
            .await
            .map_err(|e| unreachable(format!("HTTP {status}: {e}")))?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| error.to_string());
            return Err(ChainRpcError::RpcFailed { method, message });
        }
        answer
            .get("result")
            .cloned()
            .ok_or_else(|| ChainRpcError::InvalidAnswer {
                method,
                answer: answer.to_string(),
            })
    }

    /// How many transactions wait in the mempool.
    pub async fn mempool_len(&self) -> Result<usize, ChainRpcError> {
        let result = self.call("getrawmempool", json!([])).await?;
        result
            .as_array()
            .map(Vec::len)
            .ok_or_else(|| ChainRpcError::InvalidAnswer {
                method: "getrawmempool",
                answer: result.to_string(),
            })
    }

    /// Mines `blocks` blocks paying `address`; returns their hashes.
    pub async fn generate_to_address(
        &self,
        blocks: u32,
        address: &str,
    ) -> Result<Vec<String>, ChainRpcError> {
        let result = self
            .call("generatetoaddress", json!([blocks, address]))
            .await?;
        serde_json::from_value(result.clone()).map_err(|_| ChainRpcError::InvalidAnswer {
            method: "generatetoaddress",
            answer: result.to_string(),
        })
    }

    /// The active chain's height and best block hash.
    pub async fn tip(&self) -> Result<Tip, ChainRpcError> {
        let info = self.call("getblockchaininfo", json!([])).await?;
        let height = info.get("blocks").and_then(Value::as_u64);
        let hash = info.get("bestblockhash").and_then(Value::as_str);
        match (height, hash) {
            (Some(height), Some(hash)) => Ok(Tip {
                height,
                hash: hash.to_string(),
            }),
            _ => Err(ChainRpcError::InvalidAnswer {
                method: "getblockchaininfo",
                answer: info.to_string(),
            }),
        }
    }
}

/// A regtest address nobody owns, for blocks whose reward should go nowhere in particular
/// (confirmations, not funds). Fixed, so restarts and tests see the same one.
pub fn burn_address() -> String {
    // P2WSH of a script starting with OP_RETURN: the output can never be spent.
    let script = bitcoin::script::Builder::new()
        .push_opcode(bitcoin::opcodes::all::OP_RETURN)
        .push_slice(b"mmln sandbox")
        .into_script();
    bitcoin::Address::p2wsh(&script, bitcoin::KnownHrp::Regtest).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burn_address_is_a_valid_regtest_address() {
        let address = burn_address();
        assert!(address.starts_with("bcrt1q"), "{address}");
        let parsed: bitcoin::Address<bitcoin::address::NetworkUnchecked> = address.parse().unwrap();
        assert!(parsed.is_valid_for_network(bitcoin::Network::Regtest));
        assert_eq!(burn_address(), address);
    }
}
