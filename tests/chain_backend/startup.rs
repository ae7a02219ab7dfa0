//! Start-up failures end with one line naming the URL and the problem; cookie auth works and
//! survives Core rewriting the cookie.

use std::sync::Arc;

use bitcoin::Network;
use mmln::chain::{ChainBackend, ChainError, RpcAuth};
use tokio::sync::watch;

use crate::support::*;

fn assert_one_line_naming(error: &ChainError, url: &str) {
    let text = error.to_string();
    eprintln!("start-up error: {text}");
    assert!(!text.contains('\n'), "one line: {text}");
    assert!(text.contains(url), "names {url}: {text}");
}

#[tokio::test]
async fn unreachable_url_fails_with_one_line() {
    // A port that was free a moment ago: nothing listens there now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let config = mmln::chain::ChainConfig {
        url: url.clone(),
        auth: RpcAuth::UserPass {
            user: "u".into(),
            password: "p".into(),
        },
        network: Network::Regtest,
        poll_interval: POLL_INTERVAL,
        fallback_fee_rate_sat_per_kw: 2_000,
    };
    let error = ChainBackend::connect(config).await.err().expect("fails");
    assert!(matches!(error, ChainError::Unreachable { .. }), "{error}");
    assert_one_line_naming(&error, &url);
}

#[tokio::test]
async fn wrong_password_fails_with_one_line() {
    let chain = start_chain(None, None).await;
    let mut config = config_for(&chain);
    config.auth = RpcAuth::UserPass {
        user: chain.user().to_string(),
        password: "not-the-password".into(),
    };
    let error = ChainBackend::connect(config).await.err().expect("fails");
    assert!(matches!(error, ChainError::Unauthorized { .. }), "{error}");
    assert_one_line_naming(&error, &chain.url());
    assert!(error.to_string().contains("401"), "{error}");
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn wrong_network_fails_with_one_line() {
    let chain = start_chain(None, None).await;
    let mut config = config_for(&chain);
    config.network = Network::Bitcoin;
    let error = ChainBackend::connect(config).await.err().expect("fails");
    assert!(matches!(error, ChainError::WrongNetwork { .. }), "{error}");
    assert_one_line_naming(&error, &chain.url());
    let text = error.to_string();
    assert!(
        text.contains("\"regtest\"") && text.contains("\"main\""),
        "{text}"
    );
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn unusable_url_and_missing_cookie_fail_with_one_line() {
    let mut config = mmln::chain::ChainConfig {
        url: "https://127.0.0.1:8332".into(),
        auth: RpcAuth::UserPass {
            user: "u".into(),
            password: "p".into(),
        },
        network: Network::Regtest,
        poll_interval: POLL_INTERVAL,
        fallback_fee_rate_sat_per_kw: 2_000,
    };
    let error = ChainBackend::connect(config.clone()).await.err().unwrap();
    assert!(matches!(error, ChainError::InvalidUrl { .. }), "{error}");
    assert_one_line_naming(&error, "https://127.0.0.1:8332");

    let dir = tempfile::tempdir().unwrap();
    config.url = "http://127.0.0.1:8332".into();
    config.auth = RpcAuth::Cookie(dir.path().join(".cookie"));
    let error = ChainBackend::connect(config).await.err().unwrap();
    assert!(
        matches!(error, ChainError::CookieReadFailed { .. }),
        "{error}"
    );
    assert_one_line_naming(&error, "http://127.0.0.1:8332");
    assert!(error.to_string().contains(".cookie"), "{error}");
}

#[tokio::test]
async fn cookie_auth_rereads_the_cookie_after_core_rewrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let cookie = dir.path().join(".cookie");
    let chain_dir = tempfile::tempdir().unwrap();
    let chain = start_chain(Some(chain_dir.path()), None).await;
    std::fs::write(&cookie, format!("{}:{}", chain.user(), chain.password())).unwrap();
    let rpc = rpc_for(&chain);
    let miner = TestWallet::new(5);
    rpc.mine(3, &miner.address).await;
    let start = rpc.tip().await;

    let mut config = config_for(&chain);
    config.auth = RpcAuth::Cookie(cookie.clone());
    let backend = ChainBackend::connect(config).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = backend
        .start(vec![(start.block_hash, recorder.clone())], shutdown_rx)
        .await
        .unwrap();

    // Core restarts with a fresh cookie: same port, new password.
    let mut restarted = chain.config().clone();
    chain.shutdown().await.unwrap();
    restarted.rpc_password = Some("fresh-cookie-password".into());
    let chain = mmln::regtest::RegtestServer::start(restarted)
        .await
        .unwrap();
    std::fs::write(&cookie, format!("{}:fresh-cookie-password", chain.user())).unwrap();

    let rpc = rpc_for(&chain);
    rpc.mine(2, &miner.address).await;
    wait_for_tip(&recorder, start, rpc.tip().await).await;
    assert_eq!(backend.best_block().await.unwrap(), rpc.tip().await);

    stop(shutdown, task).await;
    chain.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_listener_on_a_block_the_chain_does_not_know_fails_start_with_one_line() {
    use bitcoin::hashes::Hash;
    let chain = start_chain(None, None).await;
    let backend = ChainBackend::connect(config_for(&chain)).await.unwrap();
    let (_shutdown, shutdown_rx) = watch::channel(false);
    let unknown = bitcoin::BlockHash::from_byte_array([9; 32]);
    let recorder = Arc::new(Recorder::default());
    let error = backend
        .start(vec![(unknown, recorder)], shutdown_rx)
        .await
        .expect_err("fails");
    assert!(matches!(error, ChainError::SyncFailed { .. }), "{error}");
    assert_one_line_naming(&error, &chain.url());
    chain.shutdown().await.unwrap();
}

/// The node starts the backend from spawned tasks: its futures must be `Send`, and the backend
/// itself shareable as LDK's fee estimator and broadcaster.
#[test]
fn futures_are_send_and_the_backend_is_shareable() {
    fn send<T: Send>(_: &T) {}
    fn shareable<T: Send + Sync>() {}
    shareable::<ChainBackend>();
    let config = mmln::chain::ChainConfig {
        url: "http://127.0.0.1:1".into(),
        auth: RpcAuth::UserPass {
            user: "u".into(),
            password: "p".into(),
        },
        network: Network::Regtest,
        poll_interval: POLL_INTERVAL,
        fallback_fee_rate_sat_per_kw: 2_000,
    };
    send(&ChainBackend::connect(config));
    #[allow(dead_code)]
    fn start_is_send(backend: Arc<ChainBackend>) {
        let (_shutdown, shutdown_rx) = watch::channel(false);
        send(&backend.start(Vec::new(), shutdown_rx));
        send(&backend.best_block());
    }
}
