//! `mmln run` as a user meets it: the binary, its flags, env vars, config file and exit codes.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

const STRONG: &str = "Str0ng!Secret";

/// `mmln run` with a clean environment (no stray `MMLN_*` from the developer's shell) and a
/// fresh data dir, so no `mmln.toml` is picked up by accident.
fn mmln_run(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mmln"));
    cmd.env_clear()
        .arg("run")
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null());
    cmd
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must fail at start-up and returns its stderr.
fn start_up_failure(cmd: &mut Command) -> String {
    let output = cmd.output().expect("run mmln");
    let stderr = stderr_of(&output);
    assert!(
        !output.status.success(),
        "mmln run should have failed; stderr: {stderr}"
    );
    stderr
}

#[test]
fn refuses_to_start_without_a_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stderr = start_up_failure(&mut mmln_run(dir.path()));
    assert!(stderr.contains("`rpc_password` is not set"), "{stderr}");
}

#[test]
fn weak_password_fails_with_the_first_rule_it_breaks() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (password, message) in [
        ("MyPassword1!", "Password can't contain the word password"),
        (
            "Ab1!",
            "Password length should be at least 8 characters long",
        ),
        ("abcdefgh", "Password should contain at least 1 digit"),
        (
            "ABCDEFG1",
            "Password should contain at least 1 lowercase character",
        ),
        (
            "abcdefg1",
            "Password should contain at least 1 uppercase character",
        ),
        (
            "Abcdefg1",
            "Password should contain at least 1 special character",
        ),
        (
            "Abcdeee1!",
            "Password can't contain the same character 3 times in a row",
        ),
    ] {
        let stderr = start_up_failure(mmln_run(dir.path()).env("MMLN_RPC_PASSWORD", password));
        assert!(stderr.contains(message), "{password}: {stderr}");
        assert!(
            stderr.contains("MMLN_RPC_PASSWORD"),
            "names the source: {stderr}"
        );
    }
}

#[test]
fn invalid_env_value_names_key_and_variable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stderr = start_up_failure(
        mmln_run(dir.path())
            .env("MMLN_RPC_PASSWORD", STRONG)
            .env("MMLN_RPCPORT", "port"),
    );
    assert!(
        stderr.contains("invalid value for `rpcport` (from MMLN_RPCPORT)"),
        "{stderr}"
    );
}

#[test]
fn unknown_key_in_config_file_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("mmln.toml");
    std::fs::write(
        &file,
        format!("rpc_password = \"{STRONG}\"\nrpc_port = 1\n"),
    )
    .expect("write");
    // Found as <data_dir>/mmln.toml, without --config.
    let stderr = start_up_failure(&mut mmln_run(dir.path()));
    assert!(stderr.contains("unknown key `rpc_port`"), "{stderr}");
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
}

#[test]
fn help_documents_every_key() {
    let output = Command::new(env!("CARGO_BIN_EXE_mmln"))
        .args(["run", "--help"])
        .output()
        .expect("run mmln run --help");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for key in mmln::config::KEYS {
        let flag = format!("--{}", key.flag());
        let env = format!("[env: {}]", key.env_var());
        let default = format!("[default: {}]", key.default);
        for needle in [&flag, &env, &default] {
            assert!(
                help.contains(needle.as_str()),
                "`mmln run --help` lacks {needle}:\n{help}"
            );
        }
    }
    assert!(help.contains("--config"), "{help}");
}

/// Reads the child's stderr on a thread and returns the address from the "listening" log line.
fn wait_for_rpc_addr(child: &mut Child) -> std::net::SocketAddr {
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[mmln] {line}");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("mmln run did not log its RPC address within 60 s");
    addr.parse()
        .unwrap_or_else(|e| panic!("bad address {addr:?} in log: {e}"))
}

/// Waits for the child to exit, bounded, killing it on timeout.
fn wait_for_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("mmln did not exit within {within:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// Multi-threaded: the test blocks its own thread reading the child's log while the in-process
// chain must keep answering the child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_version_and_stops_on_sigterm() {
    // `mmln run` starts the whole node, so it needs a chain to follow.
    let chain = mmln::regtest::RegtestServer::start(mmln::regtest::RegtestConfig::ephemeral())
        .await
        .expect("start regtest chain");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = mmln_run(dir.path())
        .env("MMLN_RPC_PASSWORD", STRONG)
        .env("MMLN_BITCOIND_RPC_PASSWORD", chain.password())
        .args(["--rpcport", "0", "--p2p-listen", "127.0.0.1:0"])
        .args([
            "--bitcoind-rpc-url",
            &chain.url(),
            "--bitcoind-rpc-user",
            chain.user(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mmln run");
    let addr = wait_for_rpc_addr(&mut child);

    let client = common::RpcClient::new(addr, STRONG);
    let version = client.ok("version", json!(null)).await;
    assert_eq!(version["result"], env!("CARGO_PKG_VERSION"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
    let exit = wait_for_exit(&mut child, Duration::from_secs(30));
    assert!(
        exit.success(),
        "mmln run should exit cleanly on SIGTERM, got {exit}"
    );
    chain.shutdown().await.expect("stop regtest chain");
}

/// `mmln keys` with a clean environment.
fn mmln_keys(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmln"))
        .env_clear()
        .arg("keys")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .output()
        .expect("run mmln keys")
}

fn json_of(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", stderr_of(output));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

// A first key made offline works once the node runs; while it runs, `mmln keys` refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_subcommands_work_on_a_stopped_node_only() {
    let chain = mmln::regtest::RegtestServer::start(mmln::regtest::RegtestConfig::ephemeral())
        .await
        .expect("start regtest chain");
    let dir = tempfile::tempdir().expect("temp dir");
    let created = json_of(&mmln_keys(
        dir.path(),
        &["create", "--label", "shop", "--scope", "invoice"],
    ));
    let token = created["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("mmln_inv_"), "{created}");
    let refused = mmln_keys(dir.path(), &["create", "--label", "x", "--scope", "root"]);
    assert!(!refused.status.success());
    assert!(
        stderr_of(&refused).contains("invalid scope"),
        "{}",
        stderr_of(&refused)
    );
    let listed = json_of(&mmln_keys(dir.path(), &["list"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert!(!listed.to_string().contains(&token), "{listed}");

    let mut child = mmln_run(dir.path())
        .env("MMLN_RPC_PASSWORD", STRONG)
        .env("MMLN_BITCOIND_RPC_PASSWORD", chain.password())
        .args(["--rpcport", "0", "--p2p-listen", "127.0.0.1:0"])
        .args([
            "--bitcoind-rpc-url",
            &chain.url(),
            "--bitcoind-rpc-user",
            chain.user(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mmln run");
    let addr = wait_for_rpc_addr(&mut child);
    let shop = common::RpcClient::new(addr, &token);
    shop.ok("version", json!(null)).await;
    shop.expect_error(
        "lightning::keys::list",
        json!({"coin": "tBTC-lightning"}),
        "Forbidden",
        403,
    )
    .await;
    let busy = mmln_keys(dir.path(), &["revoke", "1"]);
    assert!(!busy.status.success());
    assert!(
        stderr_of(&busy).contains("in use by a running mmln"),
        "{}",
        stderr_of(&busy)
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
    assert!(wait_for_exit(&mut child, Duration::from_secs(30)).success());
    let revoked = json_of(&mmln_keys(dir.path(), &["revoke", "1"]));
    assert_eq!(revoked["status"], "revoked", "{revoked}");
    chain.shutdown().await.expect("stop regtest chain");
}
