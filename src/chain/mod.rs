//! The Bitcoin Core JSON-RPC chain backend.
//!
//! Built on lightning-block-sync: its `RpcClient` talks to Core, `synchronize_listeners` brings
//! the node's listeners to the tip at start-up, and `SpvClient` + `ChainPoller` follow the tip
//! afterwards. Around that, this module adds what a node needs from its chain:
//!
//! - `config`: URL, user/password or cookie, network, poll interval, fallback fee rate;
//! - `rpc`: the connection, with cookie re-reading and outage logging (once per outage);
//! - `fanout`: one `Listen` that hands each block to every registered listener, in order;
//! - `fees`: `estimatesmartfee` per LDK confirmation target, cached for synchronous reads;
//! - `broadcast`: `sendrawtransaction`, re-broadcast on new blocks until buried;
//! - `backend`: `ChainBackend`, which ties them together;
//! - `lookup`: confirmed transactions and blocks by id or height (closed-channel history).

mod backend;
mod block_source;
mod broadcast;
mod cache;
mod config;
mod error;
mod fanout;
mod fees;
mod lookup;
mod rpc;

pub use backend::ChainBackend;
pub use broadcast::{FORGET_AFTER_CONFIRMATIONS, MAX_REJECTIONS};
pub use cache::HeaderCache;
pub use config::{ChainConfig, RpcAuth};
pub use error::ChainError;
pub use fanout::{ListenerFanout, SharedListener};
pub use fees::{btc_per_kvb_to_sat_per_kw, query_for, rate_for, EstimateMode, EstimateQuery};
pub use rpc::CoreRpc;
