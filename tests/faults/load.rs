//! The short form of `mmln bench load` (README reliability section has the 1,000-client
//! figures): 100 clients for a few seconds, keep-alive HTTP, WebSocket and slow trickling
//! bodies on one daemon. Every HTTP and WebSocket call is answered (a result or a documented
//! error); the slow clients are answered `BodyReadTimeout` (408) or closed, not served forever.

use std::process::Command;

use serde_json::Value;

#[test]
fn a_hundred_mixed_clients_are_all_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_mmln"))
        .args(["bench", "load", "--clients", "100", "--secs", "4"])
        .args(["--body-timeout-secs", "1", "--dir"])
        .arg(dir.path().join("load"))
        .output()
        .expect("mmln bench load runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stdout:\n{stdout}\nstderr:\n{stderr}"));
    println!("{report:#}");
    assert!(
        output.status.success(),
        "exit {}; report {report}; stderr:\n{stderr}",
        output.status
    );
    assert_eq!(report["unanswered"], 0, "{report}");
    assert!(
        report["classes"]["ok"].as_u64().unwrap_or(0) > 0,
        "{report}"
    );
    assert!(
        report["payments_accepted"].as_u64().unwrap_or(0) > 0,
        "{report}"
    );
    let slow = report["slow_clients"].as_object().expect("slow_clients");
    let cut: u64 = slow
        .iter()
        .filter(|(outcome, _)| *outcome == "http 408" || *outcome == "closed")
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum();
    assert!(cut > 0, "no slow client was cut off: {report}");
    assert!(report["process_peak_rss_mib"].as_f64().unwrap_or(0.0) > 0.0);
}
