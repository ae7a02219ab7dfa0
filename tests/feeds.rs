//! Feeds through HTTP and the WebSocket (`subscribe_events`) with the schema-validating clients, on full daemons over a regtest chain
//! started by the test: the event log followed by `lightning::events::wait` and by signed
//! webhooks, cursors (resume, expiry), CLN `wait`, index paging, webhook retries and
//! per-call URLs, and webhooks owed across a SIGKILL of a real `mmln run` process.

mod common;

#[path = "feeds/crash.rs"]
mod crash;
#[path = "feeds/follow.rs"]
mod follow;
#[path = "feeds/receiver.rs"]
#[allow(dead_code)]
mod receiver;
#[path = "feeds/subscribe.rs"]
mod subscribe;
