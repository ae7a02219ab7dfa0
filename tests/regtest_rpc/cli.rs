//! `mmln chain`: documented flags, prints URL and credentials, serves, stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

#[test]
fn chain_help_documents_its_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_mmln"))
        .args(["chain", "--help"])
        .output()
        .expect("run mmln");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--bind",
        "--rpc-user",
        "--rpc-password",
        "--data-dir",
        "--fee-rate",
        "127.0.0.1:18443",
    ] {
        assert!(
            help.contains(flag),
            "`mmln chain --help` does not mention {flag}:\n{help}"
        );
    }
}

#[tokio::test]
async fn chain_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mmln"))
        .args([
            "chain",
            "--bind",
            "127.0.0.1:0",
            "--rpc-user",
            "alice",
            "--fee-rate",
            "3",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mmln chain");
    let stdout = child.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take(5)
            .collect::<Vec<_>>()
    });
    let lines = tokio::time::timeout(Duration::from_secs(30), lines)
        .await
        .expect("mmln chain printed its URL within 30 s")
        .unwrap();
    let field = |name: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no {name} line in {lines:?}"))
    };
    let (url, user, password) = (field("url:"), field("user:"), field("password:"));
    assert_eq!(user, "alice");
    assert!(password.len() >= 16, "a generated password is printed");

    let estimate = crate::core_rpc::CoreClient::new(&url, &user, &password)
        .call("estimatesmartfee", json!([6]))
        .await;
    assert_eq!(estimate["feerate"], 0.00003);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait());
    let status = tokio::time::timeout(Duration::from_secs(30), status)
        .await
        .expect("mmln chain exits within 30 s of SIGTERM")
        .unwrap()
        .unwrap();
    assert!(status.success(), "clean exit on SIGTERM, got {status}");
}
