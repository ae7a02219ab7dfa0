//! The table of configuration keys and the one function that turns a raw value into a field.
//!
//! Every source (file, environment, flags) goes through [`apply`], so a key is parsed and checked
//! the same way wherever it comes from, and the `--help` text is generated from the same table
//! that drives parsing: a key cannot exist without being documented.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

use bitcoin::Network;

use super::{Config, RpcSocket};

/// LDK's floor for fee rates; a lower fallback would make every fee estimate unusable.
const MIN_FEE_RATE_SAT_PER_KW: u32 = 253;

/// One configuration key, as documented in `mmln run --help`.
pub struct Key {
    /// The name in the TOML file; the flag is `--<name with - for _>`, the env var `MMLN_<NAME>`.
    pub name: &'static str,
    /// Placeholder shown in help, e.g. `PORT`. Boolean keys use `BOOL`.
    pub value_name: &'static str,
    /// The default as shown in help.
    pub default: &'static str,
    /// Help heading the key is listed under.
    pub heading: &'static str,
    pub help: &'static str,
}

impl Key {
    pub fn flag(&self) -> String {
        self.name.replace('_', "-")
    }

    pub fn env_var(&self) -> String {
        format!("MMLN_{}", self.name.to_ascii_uppercase())
    }

    pub fn is_bool(&self) -> bool {
        self.value_name == "BOOL"
    }
}

const RPC: &str = "RPC";
const NODE: &str = "Node";
const CORE: &str = "Bitcoin Core";
const PAYMENTS: &str = "Payments";
const LOG: &str = "Logging";
const FEEDS: &str = "Feeds";

/// Every key the daemon reads, in the order `--help` lists them.
#[rustfmt::skip]
pub const KEYS: &[Key] = &[
    Key { name: "rpc_password", value_name: "PASSWORD", default: "none: required", heading: RPC,
          help: "The `userpass` every mmrpc request must carry. Must pass the password policy unless allow_weak_password is set. Prefer the file or the env var: flags are visible to other local users" },
    Key { name: "rpcip", value_name: "IP", default: "127.0.0.1", heading: RPC,
          help: "Address the mmrpc HTTP server binds to" },
    Key { name: "rpcport", value_name: "PORT", default: "7783", heading: RPC,
          help: "Port the mmrpc HTTP server binds to (0 picks a free port)" },
    Key { name: "rpc_local_only", value_name: "BOOL", default: "true", heading: RPC,
          help: "Refuse callers that are not on loopback with LocalHostOnly" },
    Key { name: "allow_weak_password", value_name: "BOOL", default: "false", heading: RPC,
          help: "Skip the start-up password policy for rpc_password" },
    Key { name: "rpc_max_body_bytes", value_name: "BYTES", default: "1048576", heading: RPC,
          help: "Largest accepted request body, in bytes" },
    Key { name: "rpc_max_connections", value_name: "N", default: "512", heading: RPC,
          help: "Most HTTP connections served at once" },
    Key { name: "rpc_max_connections_per_ip", value_name: "N", default: "128", heading: RPC,
          help: "Most HTTP connections served at once for one client IP; more are answered 503 TooManyConnections and closed, so one client cannot take every slot" },
    Key { name: "rpc_header_read_timeout_secs", value_name: "SECS", default: "10", heading: RPC,
          help: "A new connection must send a complete request head within this time, and a kept-alive one within this time of its next request's first byte; else it is closed" },
    Key { name: "rpc_body_read_timeout_secs", value_name: "SECS", default: "30", heading: RPC,
          help: "Once the head is in, the whole body must arrive within this time; else the request is answered 408 BodyReadTimeout and the connection closed" },
    Key { name: "rpc_keepalive_timeout_secs", value_name: "SECS", default: "30", heading: RPC,
          help: "A kept-alive connection with no request in progress that sends nothing for this long is closed" },
    Key { name: "rpc_max_failed_attempts", value_name: "N", default: "10", heading: RPC,
          help: "Wrong userpass attempts from one IP before it is answered with Banned" },
    Key { name: "rpc_failed_attempts_window_secs", value_name: "SECS", default: "600", heading: RPC,
          help: "A ban lifts once this many seconds pass with no further failed attempt" },
    Key { name: "rpc_socket", value_name: "PATH", default: "<data_dir>/lightning-rpc", heading: RPC,
          help: "Unix socket serving JSON-RPC 2.0 framed as Core Lightning's lightning-rpc (pyln-client's LightningRpc works on it). A relative path is taken from data_dir; empty disables the socket. Created with mode 0600 and no password: whoever can open it controls the node" },
    Key { name: "data_dir", value_name: "DIR", default: "mmln-data", heading: NODE,
          help: "Where the seed, LDK state and the SQLite ledger live; <data_dir>/mmln.toml is read if it exists" },
    Key { name: "network", value_name: "NETWORK", default: "regtest", heading: NODE,
          help: "Bitcoin network: bitcoin, testnet, testnet4, signet or regtest" },
    Key { name: "coin", value_name: "TICKER", default: "BTC-lightning on bitcoin, tBTC-lightning elsewhere", heading: NODE,
          help: "The lightning coin ticker clients pass as `coin`" },
    Key { name: "p2p_listen", value_name: "ADDR", default: "0.0.0.0:9735", heading: NODE,
          help: "Lightning peer-to-peer listen address" },
    Key { name: "accept_forwards_to_private_channels", value_name: "BOOL", default: "true", heading: NODE,
          help: "Forward payments onto unannounced channels, as a hub for wallets whose invoices carry route hints through it must" },
    Key { name: "bitcoind_rpc_url", value_name: "URL", default: "http://127.0.0.1:<network's Core RPC port>", heading: CORE,
          help: "Bitcoin Core JSON-RPC URL (http://host:port)" },
    Key { name: "bitcoind_rpc_user", value_name: "USER", default: "none", heading: CORE,
          help: "Bitcoin Core RPC user; needs bitcoind_rpc_password" },
    Key { name: "bitcoind_rpc_password", value_name: "PASSWORD", default: "none", heading: CORE,
          help: "Bitcoin Core RPC password; needs bitcoind_rpc_user" },
    Key { name: "bitcoind_rpc_cookie", value_name: "PATH", default: "none", heading: CORE,
          help: "Bitcoin Core cookie file, used when no user and password are set" },
    Key { name: "chain_poll_interval_ms", value_name: "MS", default: "250 on regtest, 5000 elsewhere", heading: CORE,
          help: "How often the chain tip is polled, in milliseconds" },
    Key { name: "fallback_fee_rate_sat_per_kw", value_name: "RATE", default: "2500", heading: CORE,
          help: "Fee rate used when Bitcoin Core has no estimate, in sat per 1000 weight units (at least 253)" },
    Key { name: "keysend_accepted_even_tlvs", value_name: "KEYS", default: KEYSEND_ACCEPTED_EVEN_TLVS_DEFAULT, heading: PAYMENTS,
          help: "Even custom record (TLV) keys an incoming payment may carry and still be claimed; odd keys are always accepted, other even keys make the payment fail back (BOLT 1). Comma-separated in flags and env vars, an integer array in the file; each key at least 65536 and not 5482373484 (the keysend preimage). Empty accepts no even key" },
    Key { name: "wallet_routing_tlvs", value_name: "KEYS", default: "112111100,696969", heading: PAYMENTS,
          help: "Custom record keys that route an incoming keysend into a sub-wallet, in priority order: the first one present tags the payment with its value as wallet_id (UTF-8, or hex of UTF-8 as some apps send it). Comma-separated in flags and env vars, an integer array in the file; each key at least 65536. An even key must also be in keysend_accepted_even_tlvs to be claimed at all. Empty turns routing off" },
    Key { name: "hold_invoice_cancel_before_blocks", value_name: "BLOCKS", default: "18", heading: PAYMENTS,
          help: "A held hold-invoice payment is canceled (its HTLCs failed back) this many blocks before its claim deadline, the height at which LDK would fail it back itself (the earliest HTLC expiry minus 39); at least 1" },
    Key { name: "sendpay_mpp_timeout_secs", value_name: "SECS", default: "60", heading: PAYMENTS,
          help: "Core Lightning sendpay multi-part groups: parts with the same hash and groupid are gathered until they add up to amount_msat, then sent together (LDK 0.2 cannot send one part alone); a group still incomplete after this many seconds fails. At least 1" },
    Key { name: "event_retention_days", value_name: "DAYS", default: "30", heading: FEEDS,
          help: "Events older than this are pruned from the event log; a cursor older than what is kept gets CursorExpired" },
    Key { name: "event_subscription_buffer", value_name: "EVENTS", default: "1000", heading: FEEDS,
          help: "Events read ahead for one WebSocket subscriber (subscribe_events); a slower subscriber is served from the log at its own pace, so this bounds the memory it costs" },
    Key { name: "event_subscription_stall_secs", value_name: "SECS", default: "30", heading: FEEDS,
          help: "A WebSocket subscriber that takes no notification for this long while its connection's buffer is full is closed with SubscriberStalled and the index to resume from" },
    Key { name: "webhook_urls", value_name: "URLS", default: "none", heading: FEEDS,
          help: "Webhook receivers: `URL` (every event) or `URL|kind,kind` (those kinds or categories: payment, channel, wallet, payment_succeeded, ...). Entries are separated by `;` in flags and env vars, an array of strings in the file. http:// only (put a TLS proxy in front for remote receivers)" },
    Key { name: "webhook_secret", value_name: "SECRET", default: "<data_dir>/webhook_secret, created on first start", heading: FEEDS,
          help: "HMAC-SHA256 key of the Mmln-Signature header of every webhook delivery" },
    Key { name: "webhook_allowed_hosts", value_name: "HOSTS", default: WEBHOOK_ALLOWED_HOSTS_DEFAULT, heading: FEEDS,
          help: "Hosts a per-call webhook_url (generate_invoice, send_payment) may name, comma-separated; others are refused so a caller cannot make the node call arbitrary hosts" },
    Key { name: "webhook_retry_base_ms", value_name: "MS", default: "1000", heading: FEEDS,
          help: "Delay before the first webhook retry; each later retry doubles it, up to 1 hour" },
    Key { name: "webhook_retry_horizon_secs", value_name: "SECS", default: "86400", heading: FEEDS,
          help: "A webhook delivery is retried until this long after its event, then given up" },
    Key { name: "webhook_timeout_secs", value_name: "SECS", default: "10", heading: FEEDS,
          help: "How long one webhook POST may take before it counts as failed" },
    Key { name: "log_level", value_name: "FILTER", default: "RUST_LOG, else info", heading: LOG,
          help: "Log filter in tracing's EnvFilter syntax, e.g. info or mmln=debug,lightning=info" },
];

/// The default of `keysend_accepted_even_tlvs` as `--help` shows it; a unit test keeps it equal
/// to [`super::DEFAULT_KEYSEND_ACCEPTED_EVEN_TLVS`].
pub const KEYSEND_ACCEPTED_EVEN_TLVS_DEFAULT: &str =
    "818818,906608,7629168,34349334,112111100,133773310";

/// The default of `webhook_allowed_hosts`: loopback only.
pub const WEBHOOK_ALLOWED_HOSTS_DEFAULT: &str = "127.0.0.1,::1,localhost";

/// Custom record keys below this are reserved for the protocol (BOLT 4 onion payload types).
const MIN_CUSTOM_RECORD_KEY: u64 = 65_536;
/// The keysend preimage record: LDK reads it itself; it is never "accepted" by the allow-list.
const KEYSEND_PREIMAGE_KEY: u64 = 5_482_373_484;

/// Finds a key by its file name.
pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// A value before it is parsed: text from a flag or env var, or a typed TOML value.
#[derive(Debug, Clone)]
pub enum RawValue {
    Text(String),
    Toml(toml::Value),
}

/// Sets one field of `config` from a raw value. The error is the reason only; the caller names
/// the key and the source.
pub fn apply(config: &mut Config, key: &str, raw: &RawValue) -> Result<(), String> {
    match key {
        "rpc_password" => config.rpc_password = Some(non_empty(text(raw)?)?),
        "rpcip" => config.rpcip = parsed::<IpAddr>(raw, "an IP address")?,
        "rpcport" => config.rpcport = integer(raw)?,
        "rpc_local_only" => config.rpc_local_only = boolean(raw)?,
        "allow_weak_password" => config.allow_weak_password = boolean(raw)?,
        "rpc_max_body_bytes" => config.rpc_max_body_bytes = positive(integer(raw)?)?,
        "rpc_max_connections" => config.rpc_max_connections = positive(integer(raw)?)?,
        "rpc_max_connections_per_ip" => {
            config.rpc_max_connections_per_ip = positive(integer(raw)?)?
        }
        "rpc_header_read_timeout_secs" => {
            config.rpc_header_read_timeout_secs = positive(integer(raw)?)?
        }
        "rpc_body_read_timeout_secs" => {
            config.rpc_body_read_timeout_secs = positive(integer(raw)?)?
        }
        "rpc_keepalive_timeout_secs" => {
            config.rpc_keepalive_timeout_secs = positive(integer(raw)?)?
        }
        "rpc_max_failed_attempts" => config.rpc_max_failed_attempts = positive(integer(raw)?)?,
        "rpc_failed_attempts_window_secs" => {
            config.rpc_failed_attempts_window_secs = positive(integer(raw)?)?
        }
        "rpc_socket" => config.rpc_socket = rpc_socket(&text(raw)?),
        "data_dir" => config.data_dir = PathBuf::from(non_empty(text(raw)?)?),
        "network" => config.network = network(&text(raw)?)?,
        "coin" => config.coin = Some(non_empty(text(raw)?)?),
        "p2p_listen" => config.p2p_listen = parsed::<SocketAddr>(raw, "an IP:port address")?,
        "accept_forwards_to_private_channels" => {
            config.accept_forwards_to_private_channels = boolean(raw)?
        }
        "bitcoind_rpc_url" => config.bitcoind_rpc_url = Some(http_url(text(raw)?)?),
        "bitcoind_rpc_user" => config.bitcoind_rpc_user = Some(non_empty(text(raw)?)?),
        "bitcoind_rpc_password" => config.bitcoind_rpc_password = Some(non_empty(text(raw)?)?),
        "bitcoind_rpc_cookie" => {
            config.bitcoind_rpc_cookie = Some(PathBuf::from(non_empty(text(raw)?)?))
        }
        "chain_poll_interval_ms" => config.chain_poll_interval_ms = Some(positive(integer(raw)?)?),
        "fallback_fee_rate_sat_per_kw" => {
            let rate: u32 = integer(raw)?;
            if rate < MIN_FEE_RATE_SAT_PER_KW {
                return Err(format!(
                    "must be at least {MIN_FEE_RATE_SAT_PER_KW}, got {rate}"
                ));
            }
            config.fallback_fee_rate_sat_per_kw = rate;
        }
        "keysend_accepted_even_tlvs" => config.keysend_accepted_even_tlvs = even_tlv_keys(raw)?,
        "wallet_routing_tlvs" => config.wallet_routing_tlvs = tlv_keys(raw)?,
        "hold_invoice_cancel_before_blocks" => {
            config.hold_invoice_cancel_before_blocks = positive(integer(raw)?)?
        }
        "sendpay_mpp_timeout_secs" => config.sendpay_mpp_timeout_secs = positive(integer(raw)?)?,
        "event_retention_days" => config.event_retention_days = positive(integer(raw)?)?,
        "event_subscription_buffer" => config.event_subscription_buffer = positive(integer(raw)?)?,
        "event_subscription_stall_secs" => {
            config.event_subscription_stall_secs = positive(integer(raw)?)?
        }
        "webhook_urls" => config.webhook_urls = webhook_urls(raw)?,
        "webhook_secret" => config.webhook_secret = Some(non_empty(text(raw)?)?),
        "webhook_allowed_hosts" => config.webhook_allowed_hosts = host_list(&text(raw)?),
        "webhook_retry_base_ms" => config.webhook_retry_base_ms = positive(integer(raw)?)?,
        "webhook_retry_horizon_secs" => {
            config.webhook_retry_horizon_secs = positive(integer(raw)?)?
        }
        "webhook_timeout_secs" => config.webhook_timeout_secs = positive(integer(raw)?)?,
        "log_level" => {
            let filter = non_empty(text(raw)?)?;
            tracing_subscriber::EnvFilter::try_new(&filter).map_err(|e| e.to_string())?;
            config.log_level = Some(filter);
        }
        // The table and this match are kept in step by a unit test.
        other => return Err(format!("`{other}` is not a configuration key")),
    }
    Ok(())
}

fn toml_type(value: &toml::Value) -> &'static str {
    value.type_str()
}

fn text(raw: &RawValue) -> Result<String, String> {
    match raw {
        RawValue::Text(s) => Ok(s.clone()),
        RawValue::Toml(toml::Value::String(s)) => Ok(s.clone()),
        RawValue::Toml(other) => Err(format!("expected a string, found {}", toml_type(other))),
    }
}

fn non_empty(s: String) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("must not be empty".to_string());
    }
    Ok(s)
}

fn parsed<T: FromStr>(raw: &RawValue, what: &str) -> Result<T, String> {
    let s = text(raw)?;
    s.trim()
        .parse()
        .map_err(|_| format!("expected {what}, got {s:?}"))
}

/// An integer of the field's type; out-of-range values name the range.
fn integer<T>(raw: &RawValue) -> Result<T, String>
where
    T: FromStr + TryFrom<i64> + Bounded,
{
    let range = || format!("an integer from {} to {}", T::MIN_TEXT, T::MAX_TEXT);
    match raw {
        RawValue::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("expected {}, got {s:?}", range())),
        RawValue::Toml(toml::Value::Integer(i)) => {
            T::try_from(*i).map_err(|_| format!("expected {}, got {i}", range()))
        }
        RawValue::Toml(other) => Err(format!("expected an integer, found {}", toml_type(other))),
    }
}

fn positive<T: PartialEq + Default>(value: T) -> Result<T, String> {
    if value == T::default() {
        return Err("must be greater than 0".to_string());
    }
    Ok(value)
}

fn boolean(raw: &RawValue) -> Result<bool, String> {
    match raw {
        RawValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(format!("expected true or false, got {s:?}")),
        },
        RawValue::Toml(toml::Value::Boolean(b)) => Ok(*b),
        RawValue::Toml(other) => Err(format!("expected a boolean, found {}", toml_type(other))),
    }
}

fn network(s: &str) -> Result<Network, String> {
    match s.trim() {
        "bitcoin" => Ok(Network::Bitcoin),
        "testnet" => Ok(Network::Testnet),
        "testnet4" => Ok(Network::Testnet4),
        "signet" => Ok(Network::Signet),
        "regtest" => Ok(Network::Regtest),
        _ => Err(format!(
            "expected one of bitcoin, testnet, testnet4, signet, regtest, got {s:?}"
        )),
    }
}

/// A list of even custom record keys: `a,b,c` as text, an integer array in TOML. Sorted and
/// without duplicates, so the list compares equal however it was written.
/// `wallet_routing_tlvs`: custom record keys of either parity, in the order given (priority),
/// without repeats.
pub(super) fn tlv_keys(raw: &RawValue) -> Result<Vec<u64>, String> {
    let listed = integer_list(raw)?;
    let mut keys = Vec::with_capacity(listed.len());
    for key in listed {
        if key < MIN_CUSTOM_RECORD_KEY {
            return Err(format!(
                "{key} is below {MIN_CUSTOM_RECORD_KEY}; custom record keys start there"
            ));
        }
        if key == KEYSEND_PREIMAGE_KEY {
            return Err(format!(
                "{key} is the keysend preimage record, which the node handles itself"
            ));
        }
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

pub(super) fn even_tlv_keys(raw: &RawValue) -> Result<Vec<u64>, String> {
    let mut keys = integer_list(raw)?;
    for key in &keys {
        if *key < MIN_CUSTOM_RECORD_KEY {
            return Err(format!(
                "{key} is below {MIN_CUSTOM_RECORD_KEY}; custom record keys start there"
            ));
        }
        if key % 2 != 0 {
            return Err(format!(
                "{key} is odd; odd keys are always accepted, list only even ones"
            ));
        }
        if *key == KEYSEND_PREIMAGE_KEY {
            return Err(format!(
                "{key} is the keysend preimage record, which the node handles itself"
            ));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    Ok(keys)
}

/// A comma-separated list of integers (text) or an integer array (TOML).
fn integer_list(raw: &RawValue) -> Result<Vec<u64>, String> {
    let keys = match raw {
        RawValue::Text(s) => s
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<u64>().map_err(|_| {
                    format!("expected a comma-separated list of integers, got {item:?}")
                })
            })
            .collect::<Result<Vec<u64>, String>>()?,
        RawValue::Toml(toml::Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                toml::Value::Integer(i) => u64::try_from(*i)
                    .map_err(|_| format!("expected a non-negative integer, got {i}")),
                other => Err(format!("expected an integer, found {}", toml_type(other))),
            })
            .collect::<Result<Vec<u64>, String>>()?,
        RawValue::Toml(other) => {
            return Err(format!(
                "expected an array of integers, found {}",
                toml_type(other)
            ))
        }
    };
    Ok(keys)
}

/// `rpc_socket`: empty (or blank) disables the socket.
fn rpc_socket(s: &str) -> RpcSocket {
    if s.trim().is_empty() {
        RpcSocket::Disabled
    } else {
        RpcSocket::At(PathBuf::from(s))
    }
}

/// `webhook_urls`: `;`-separated entries in text, an array of strings in TOML; each entry is
/// `URL` or `URL|kind,kind`.
fn webhook_urls(raw: &RawValue) -> Result<Vec<super::WebhookUrl>, String> {
    let entries: Vec<String> = match raw {
        RawValue::Text(s) => s.split(';').map(str::to_string).collect(),
        RawValue::Toml(toml::Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                toml::Value::String(s) => Ok(s.clone()),
                other => Err(format!("expected a string, found {}", toml_type(other))),
            })
            .collect::<Result<_, _>>()?,
        RawValue::Toml(other) => {
            return Err(format!(
                "expected an array of strings, found {}",
                toml_type(other)
            ))
        }
    };
    let mut urls = Vec::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let (url, kinds) = match entry.split_once('|') {
            Some((url, kinds)) => (url.trim(), Some(kinds)),
            None => (entry, None),
        };
        webhook_url(url)?;
        let kinds = match kinds {
            None => None,
            Some(list) => {
                let words: Vec<String> = list
                    .split(',')
                    .map(|w| w.trim().to_string())
                    .filter(|w| !w.is_empty())
                    .collect();
                for word in &words {
                    if crate::ledger::EventKind::matching(word).is_empty() {
                        return Err(format!(
                            "unknown event kind {word:?} for {url}: use a kind such as \
                             payment_succeeded or a category (payment, channel, wallet)"
                        ));
                    }
                }
                if words.is_empty() {
                    return Err(format!("no event kinds after `|` for {url}"));
                }
                Some(words)
            }
        };
        urls.push(super::WebhookUrl {
            url: url.to_string(),
            kinds,
        });
    }
    Ok(urls)
}

/// A webhook receiver's URL: `http://host[:port][/path]` (the client has no TLS).
pub fn webhook_url(url: &str) -> Result<(), String> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("invalid webhook URL {url:?}: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(format!(
            "webhook URL {url:?} must be http:// (put a TLS proxy in front for remote receivers)"
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("webhook URL {url:?} has no host"));
    }
    Ok(())
}

fn host_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(|h| {
            h.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase()
        })
        .filter(|h| !h.is_empty())
        .collect()
}

/// Bitcoin Core speaks plain HTTP; lightning-block-sync's client has no TLS.
fn http_url(s: String) -> Result<String, String> {
    let rest = s
        .strip_prefix("http://")
        .ok_or_else(|| format!("expected an http://host:port URL, got {s:?}"))?;
    if rest.is_empty() || rest.starts_with('/') || rest.starts_with(':') {
        return Err(format!("the URL {s:?} has no host"));
    }
    Ok(s)
}

/// The printable range of an integer type, for error messages.
trait Bounded {
    const MIN_TEXT: &'static str;
    const MAX_TEXT: &'static str;
}

impl Bounded for u16 {
    const MIN_TEXT: &'static str = "0";
    const MAX_TEXT: &'static str = "65535";
}

impl Bounded for u32 {
    const MIN_TEXT: &'static str = "0";
    const MAX_TEXT: &'static str = "4294967295";
}

impl Bounded for u64 {
    const MIN_TEXT: &'static str = "0";
    const MAX_TEXT: &'static str = "18446744073709551615";
}

impl Bounded for usize {
    const MIN_TEXT: &'static str = "0";
    const MAX_TEXT: &'static str = "18446744073709551615";
}
