//! The daemon's configuration.
//!
//! [`Config`] is the settled shape: every key, its type and its default. [`load`] fills it from a
//! TOML file, `MMLN_*` environment variables and `mmln run` flags, with precedence
//! flags > env > file > defaults, then checks what no single key can check alone: that
//! `rpc_password` is set and passes the password policy.
//!
//! - `keys`: the key table (drives parsing and `--help`) and the per-key parsers.
//! - `cli`, `env`, `file`: the three sources.
//! - `password_policy`: KDF's seven rules.

mod cli;
mod env;
mod file;
mod keys;
pub mod keys_cli;
mod load;
mod password_policy;

pub use cli::RunArgs;
pub use env::{EnvSource, ProcessEnv};
pub use keys::{webhook_url as check_webhook_url, Key, KEYS};
pub use load::{load, ConfigError, Origin};
pub use password_policy::{check_password_policy, PasswordPolicyError};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use bitcoin::Network;

/// Where the JSON-RPC unix socket listens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RpcSocket {
    /// `<data_dir>/lightning-rpc`, where Core Lightning keeps its own.
    #[default]
    InDataDir,
    /// This path; a relative one is taken from `data_dir`.
    At(PathBuf),
    /// No socket (`rpc_socket = ""`).
    Disabled,
}

/// The socket's file name in the data directory.
pub const RPC_SOCKET_FILE: &str = "lightning-rpc";

/// The default of `wallet_routing_tlvs`: LNPay's wallet id record, then LNPay's and Alby's
/// wallet destination record.
pub const DEFAULT_WALLET_ROUTING_TLVS: [u64; 2] = [112_111_100, 696_969];

/// The default of `keysend_accepted_even_tlvs`: the value-for-value keys wallets send (LNPay
/// wallet id, Hive, Fountain, Sphinx, Whatsat message) and the even keys of the well-known
/// records, sorted. The payments service derives the same list from its own tables; its unit
/// test keeps the two equal (config sits below the services and does not import them).
pub const DEFAULT_KEYSEND_ACCEPTED_EVEN_TLVS: [u64; 6] = [
    818_818,
    906_608,
    7_629_168,
    34_349_334,
    112_111_100,
    133_773_310,
];
/// The default of `sendpay_mpp_timeout_secs`.
pub const DEFAULT_SENDPAY_MPP_TIMEOUT_SECS: u64 = 60;
/// The default of `hold_invoice_cancel_before_blocks`.
pub const DEFAULT_HOLD_CANCEL_BEFORE_BLOCKS: u32 = 18;

/// One entry of `webhook_urls`: a URL and the event kinds or categories it wants (`None`:
/// every event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    pub url: String,
    pub kinds: Option<Vec<String>>,
}

/// Every setting the daemon reads. Key names follow KDF where KDF has one.
#[derive(Debug, Clone)]
pub struct Config {
    // --- RPC (KDF names) ---
    /// The `userpass` clients must send. The daemon refuses to start without it.
    pub rpc_password: Option<String>,
    /// Address the mmrpc HTTP server binds to.
    pub rpcip: IpAddr,
    /// Port the mmrpc HTTP server binds to.
    pub rpcport: u16,
    /// Answer `LocalHostOnly` to callers that are not on loopback.
    pub rpc_local_only: bool,
    /// Skip the start-up password policy.
    pub allow_weak_password: bool,

    // --- RPC limits (ours) ---
    /// Largest accepted request body, in bytes.
    pub rpc_max_body_bytes: usize,
    /// Most HTTP connections served at once.
    pub rpc_max_connections: usize,
    /// Most HTTP connections served at once for one client IP; more are refused.
    pub rpc_max_connections_per_ip: usize,
    /// Time a connection has to deliver a request head (see the key's help).
    pub rpc_header_read_timeout_secs: u64,
    /// Time a request's whole body has to arrive once its head is in.
    pub rpc_body_read_timeout_secs: u64,
    /// Time a kept-alive connection may stay silent between requests.
    pub rpc_keepalive_timeout_secs: u64,
    /// Wrong `userpass` attempts from one IP before it is refused with `Banned`.
    pub rpc_max_failed_attempts: u32,
    /// Window over which failed attempts decay: a ban lifts once the window has passed with no
    /// further failures.
    pub rpc_failed_attempts_window_secs: u64,
    /// The JSON-RPC unix socket.
    pub rpc_socket: RpcSocket,

    // --- Node ---
    /// Where the seed, LDK state and the SQLite ledger live.
    pub data_dir: PathBuf,
    /// The Bitcoin network the node runs on.
    pub network: Network,
    /// The lightning coin ticker clients pass as `coin`. Derived from the network when unset.
    pub coin: Option<String>,
    /// Lightning P2P listen address.
    pub p2p_listen: SocketAddr,
    /// Forward payments onto unannounced channels (reached through invoice route hints).
    pub accept_forwards_to_private_channels: bool,

    // --- Bitcoin Core ---
    /// Bitcoin Core JSON-RPC URL. Derived from the network's default port when unset.
    pub bitcoind_rpc_url: Option<String>,
    pub bitcoind_rpc_user: Option<String>,
    pub bitcoind_rpc_password: Option<String>,
    /// Cookie file used when no user/password is configured.
    pub bitcoind_rpc_cookie: Option<PathBuf>,
    /// Tip polling interval in milliseconds. Derived from the network when unset.
    pub chain_poll_interval_ms: Option<u64>,
    /// Fee rate used when Bitcoin Core has no estimate, in sat per 1000 weight units.
    pub fallback_fee_rate_sat_per_kw: u32,

    // --- Payments ---
    /// Even custom record keys an inbound payment may carry and still be claimed (sorted).
    pub keysend_accepted_even_tlvs: Vec<u64>,
    /// Custom record keys that route an incoming keysend into a sub-wallet, in priority order.
    pub wallet_routing_tlvs: Vec<u64>,
    /// Blocks before a held payment's claim deadline at which it is canceled automatically.
    pub hold_invoice_cancel_before_blocks: u32,
    /// Seconds a `sendpay` multi-part group is gathered before it fails (LDK 0.2).
    pub sendpay_mpp_timeout_secs: u64,

    // --- Feeds ---
    /// Events older than this many days are pruned from the event log.
    pub event_retention_days: u32,
    /// Events read ahead for one WebSocket subscriber.
    pub event_subscription_buffer: usize,
    /// A WebSocket subscriber that takes nothing for this many seconds is closed.
    pub event_subscription_stall_secs: u64,
    /// Webhook URLs every event (or the listed kinds) is POSTed to.
    pub webhook_urls: Vec<WebhookUrl>,
    /// HMAC-SHA256 key of `Mmln-Signature`; `<data_dir>/webhook_secret` is created when unset.
    pub webhook_secret: Option<String>,
    /// Hosts a per-call `webhook_url` (generate_invoice, send_payment) may name.
    pub webhook_allowed_hosts: Vec<String>,
    /// First retry delay in milliseconds; each later retry doubles it (capped at 1 h).
    pub webhook_retry_base_ms: u64,
    /// A delivery is given up this many seconds after its event.
    pub webhook_retry_horizon_secs: u64,
    /// How long one webhook POST may take.
    pub webhook_timeout_secs: u64,

    // --- Logging ---
    /// Log filter (tracing EnvFilter syntax). When unset, `RUST_LOG` applies, else `info`.
    pub log_level: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rpc_password: None,
            rpcip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            rpcport: 7783,
            rpc_local_only: true,
            allow_weak_password: false,
            rpc_max_body_bytes: 1024 * 1024,
            rpc_max_connections: 512,
            rpc_max_connections_per_ip: 128,
            rpc_header_read_timeout_secs: 10,
            rpc_body_read_timeout_secs: 30,
            rpc_keepalive_timeout_secs: 30,
            rpc_max_failed_attempts: 10,
            rpc_failed_attempts_window_secs: 600,
            rpc_socket: RpcSocket::InDataDir,
            data_dir: PathBuf::from("mmln-data"),
            network: Network::Regtest,
            coin: None,
            p2p_listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9735),
            accept_forwards_to_private_channels: true,
            bitcoind_rpc_url: None,
            bitcoind_rpc_user: None,
            bitcoind_rpc_password: None,
            bitcoind_rpc_cookie: None,
            chain_poll_interval_ms: None,
            fallback_fee_rate_sat_per_kw: 2500,
            keysend_accepted_even_tlvs: DEFAULT_KEYSEND_ACCEPTED_EVEN_TLVS.to_vec(),
            wallet_routing_tlvs: DEFAULT_WALLET_ROUTING_TLVS.to_vec(),
            hold_invoice_cancel_before_blocks: DEFAULT_HOLD_CANCEL_BEFORE_BLOCKS,
            sendpay_mpp_timeout_secs: DEFAULT_SENDPAY_MPP_TIMEOUT_SECS,
            event_retention_days: 30,
            event_subscription_buffer: 1000,
            event_subscription_stall_secs: 30,
            webhook_urls: Vec::new(),
            webhook_secret: None,
            webhook_allowed_hosts: default_webhook_allowed_hosts(),
            webhook_retry_base_ms: 1000,
            webhook_retry_horizon_secs: 86_400,
            webhook_timeout_secs: 10,
            log_level: None,
        }
    }
}

/// `webhook_allowed_hosts` by default: loopback only.
pub fn default_webhook_allowed_hosts() -> Vec<String> {
    keys::WEBHOOK_ALLOWED_HOSTS_DEFAULT
        .split(',')
        .map(str::to_string)
        .collect()
}

impl Config {
    /// The ticker clients must pass as `coin`.
    pub fn coin_ticker(&self) -> String {
        if let Some(coin) = &self.coin {
            return coin.clone();
        }
        match self.network {
            Network::Bitcoin => "BTC-lightning".to_string(),
            _ => "tBTC-lightning".to_string(),
        }
    }

    /// Bitcoin Core's default RPC URL for the configured network.
    pub fn bitcoind_url(&self) -> String {
        if let Some(url) = &self.bitcoind_rpc_url {
            return url.clone();
        }
        let port = match self.network {
            Network::Bitcoin => 8332,
            Network::Testnet => 18332,
            Network::Testnet4 => 48332,
            Network::Signet => 38332,
            _ => 18443,
        };
        format!("http://127.0.0.1:{port}")
    }

    /// The path of the JSON-RPC unix socket, `None` when it is disabled.
    pub fn rpc_socket_path(&self) -> Option<PathBuf> {
        match &self.rpc_socket {
            RpcSocket::InDataDir => Some(self.data_dir.join(RPC_SOCKET_FILE)),
            RpcSocket::At(path) => Some(self.data_dir.join(path)),
            RpcSocket::Disabled => None,
        }
    }

    /// How often the chain tip is polled: fast on regtest, where tests mine on demand.
    pub fn chain_poll_interval(&self) -> std::time::Duration {
        let ms = self.chain_poll_interval_ms.unwrap_or(match self.network {
            Network::Regtest => 250,
            _ => 5_000,
        });
        std::time::Duration::from_millis(ms)
    }
}

#[cfg(test)]
mod tests;
