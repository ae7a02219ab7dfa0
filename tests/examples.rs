//! `examples/curl`: one script per routed method and no script for a method nobody routes; every
//! script parses, prints its usage, and speaks the real envelope to a live daemon.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "Str0ng!Secret";

fn curl_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/curl")
}

/// Every method a daemon can route: the sandbox's router is the product router plus
/// `sandbox::mine`, and the sandbox is what the scripts are written against.
fn routed() -> BTreeSet<String> {
    mmln::sandbox::router()
        .method_names()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The scripts, by the method their path names: `lightning/payments/send_payment.sh` is
/// `lightning::payments::send_payment`. Files starting with `_` are helpers.
fn scripts() -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read examples/curl") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "sh") {
                out.push(path);
            }
        }
    }
    let root = curl_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('_'))
        })
        .map(|p| {
            let relative = p.strip_prefix(&root).expect("under examples/curl");
            let method = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("::");
            (method, p)
        })
        .collect()
}

#[test]
fn every_routed_method_has_a_script_and_every_script_a_method() {
    let routed = routed();
    let scripted: BTreeSet<String> = scripts().into_iter().map(|(m, _)| m).collect();
    let missing: Vec<_> = routed.difference(&scripted).collect();
    let unrouted: Vec<_> = scripted.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routed methods without examples/curl/<namespace>/<method>.sh: {missing:?}"
    );
    assert!(
        unrouted.is_empty(),
        "scripts for methods nobody routes: {unrouted:?}"
    );
}

#[test]
fn every_script_calls_the_method_its_path_names() {
    for (method, path) in scripts() {
        let text = std::fs::read_to_string(&path).expect("read script");
        assert!(
            text.contains(&format!("mmrpc {method}"))
                || text.contains(&format!("mmrpc \"{method}\"")),
            "{} does not call `mmrpc {method}`",
            path.display()
        );
        assert!(
            text.contains("set -euo pipefail"),
            "{} lacks set -euo pipefail",
            path.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
            assert!(mode & 0o111 != 0, "{} is not executable", path.display());
        }
    }
}

fn bash(args: &[&str], envs: &[(&str, String)]) -> Output {
    Command::new("bash")
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("run bash")
}

#[test]
fn every_script_parses_and_prints_its_usage() {
    for (method, path) in scripts() {
        let path = path.to_string_lossy();
        let syntax = bash(&["-n", &path], &[]);
        assert!(
            syntax.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&syntax.stderr)
        );
        let help = bash(&[&path, "--help"], &[]);
        let usage = String::from_utf8_lossy(&help.stderr);
        assert!(help.status.success(), "{path} --help failed: {usage}");
        assert!(
            usage.starts_with(&method),
            "{path} --help should start with the method name, got: {usage}"
        );
    }
}

/// The shared helper against the real daemon: a good request prints the result and exits 0; an
/// error reply is printed too, and the script exits 1.
#[tokio::test]
async fn scripts_speak_to_a_live_daemon() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The daemon needs a chain; the regtest chain stands in for Bitcoin Core.
    let chain = mmln::regtest::RegtestServer::start(mmln::regtest::RegtestConfig::ephemeral())
        .await
        .expect("start regtest chain");
    let config = mmln::config::Config {
        rpc_password: Some(PASSWORD.to_string()),
        rpcport: 0,
        data_dir: dir.path().to_path_buf(),
        p2p_listen: "127.0.0.1:0".parse().expect("p2p address"),
        bitcoind_rpc_url: Some(chain.url()),
        bitcoind_rpc_user: Some(chain.user().to_string()),
        bitcoind_rpc_password: Some(chain.password().to_string()),
        ..Default::default()
    };
    let app = mmln::app::start(config).await.expect("start mmln");
    let port = app.rpc_addr().port().to_string();
    let script = curl_dir().join("version.sh");
    let script = script.to_string_lossy().into_owned();

    let run = |userpass: &str| {
        let envs = [
            ("MMLN_USERPASS", userpass.to_string()),
            ("MMLN_PORT", port.clone()),
        ];
        let script = script.clone();
        async move {
            tokio::task::spawn_blocking(move || bash(&[&script], &envs))
                .await
                .expect("script thread")
        }
    };

    let ok = run(PASSWORD).await;
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "version.sh failed: {stdout} {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let reply: serde_json::Value = serde_json::from_str(&stdout).expect("version.sh prints JSON");
    assert_eq!(reply["result"]["result"], env!("CARGO_PKG_VERSION"));

    let refused = run("Wr0ng!Secret").await;
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a refused call exits 1: {stdout}"
    );
    let reply: serde_json::Value =
        serde_json::from_str(&stdout).expect("the error reply is printed");
    assert_eq!(reply["error_type"], "UserpassIsInvalid");

    app.shutdown().await.expect("clean shutdown");
    chain.shutdown().await.expect("chain shutdown");
}
