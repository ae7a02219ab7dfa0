//! A full disk at runtime, for real: daemon A's data dir is a small tmpfs, filled to the last
//! byte while A runs with a channel to B.
//! - A's calls that must write fail with a clear error (the ledger says the disk is full) and
//!   leave nothing half-written (no payment row);
//! - a payment B sends A meanwhile waits (A's LDK store holds the channel update until it can
//!   write it) instead of failing the channel;
//! - when space returns A recovers by itself: the payment completes and is in both ledgers,
//!   A's writes work again, no channel closed, nothing pending.
//!
//! Needs `mount -t tmpfs` (root in a container that allows it); elsewhere it says so and
//! passes without running.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::common::daemons::{
    keysend, ledger, node_id, open_channels_between, usable_channels, wait_for, wait_none_pending,
    Daemon, ProcessChain, COIN,
};

const WAIT: Duration = Duration::from_secs(120);

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(megabytes: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("tempdir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs {
            path: dir.path().to_path_buf(),
            _dir: dir,
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// Writes a filler file until the filesystem has no space left.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0x5a; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let small = [0x5a; 512];
    while file.write_all(&small).is_ok() {}
    let _ = file.flush();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_clearly_and_the_daemon_recovers_when_space_returns() {
    let Some(tmpfs) = Tmpfs::mount(64) else {
        println!("skipped: this machine cannot mount a tmpfs (needs root and CAP_SYS_ADMIN)");
        return;
    };
    let chain = ProcessChain::start().await;
    let dir_b = tempfile::tempdir().expect("tempdir");
    let mut a = Daemon::new("A", &tmpfs.path, &chain);
    let mut b = Daemon::new("B", dir_b.path(), &chain);
    a.start().await;
    b.start().await;
    open_channels_between(&chain, &a, &b, 0.02, false).await;
    let (ca, cb) = (a.client(), b.client());
    let (id_a, id_b) = (node_id(&ca).await, node_id(&cb).await);
    // B needs a balance above its channel reserve to pay A back.
    let hash = keysend(ca.clone(), id_b.clone(), 60_000_000)
        .await
        .expect("keysend");
    wait_for("A's first payment succeeds", WAIT, || async {
        ledger(&ca)
            .await
            .get(&hash)
            .is_some_and(|p| p["status"] == json!("succeeded"))
    })
    .await;
    let rows_before = ledger(&ca).await.len();

    // 1. The disk fills up.
    let filler = fill(&tmpfs.path);

    // 2. A's writes fail with a clear error and leave no payment behind.
    let invoice = ca
        .try_call(
            "lightning::payments::generate_invoice",
            json!({"coin": COIN, "description": "disk full", "amount_in_msat": 1000}),
        )
        .await
        .expect("an answer");
    assert_ne!(
        invoice.status, 200,
        "an invoice was created on a full disk: {}",
        invoice.body
    );
    let message = invoice.body["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    println!(
        "generate_invoice on a full disk: HTTP {} {message}",
        invoice.status
    );
    assert!(
        message.contains("full"),
        "the error does not say the disk is full: {}",
        invoice.body
    );
    let send = ca
        .try_call(
            "lightning::payments::send_payment",
            json!({"coin": COIN, "payment": {"type": "keysend", "destination": id_b,
                   "amount_in_msat": 2000}}),
        )
        .await
        .expect("an answer");
    assert_ne!(
        send.status, 200,
        "a payment was accepted on a full disk: {}",
        send.body
    );
    assert_eq!(
        ledger(&ca).await.len(),
        rows_before,
        "a payment was half-written"
    );

    // 3. B pays A meanwhile: it cannot complete while A cannot write, and must not fail the
    //    channel.
    let incoming = keysend(cb.clone(), id_a.clone(), 1_000_000)
        .await
        .expect("B accepts its keysend");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        usable_channels(&cb).await,
        1,
        "the channel stopped being usable"
    );

    // 4. Space returns: A recovers by itself.
    std::fs::remove_file(&filler).expect("filler removed");
    wait_for("B's payment to A completes", WAIT, || async {
        ledger(&cb)
            .await
            .get(&incoming)
            .is_some_and(|p| p["status"] != json!("pending"))
    })
    .await;
    let lb = ledger(&cb).await;
    assert_eq!(
        lb[&incoming]["status"],
        json!("succeeded"),
        "{}",
        lb[&incoming]
    );
    wait_for("A's ledger records the receipt", WAIT, || async {
        ledger(&ca)
            .await
            .get(&incoming)
            .is_some_and(|p| p["status"] == json!("succeeded"))
    })
    .await;
    // A's writes work again: an invoice, paid by B (an open invoice would stay pending).
    let invoice = ca
        .ok(
            "lightning::payments::generate_invoice",
            json!({"coin": COIN, "description": "space is back", "amount_in_msat": 1000}),
        )
        .await;
    cb.ok(
        "lightning::payments::send_payment",
        json!({"coin": COIN, "payment": {"type": "invoice", "invoice": invoice["invoice"]}}),
    )
    .await;
    let again = keysend(ca.clone(), id_b.clone(), 3000)
        .await
        .expect("A sends again");
    wait_for("A's new payment succeeds", WAIT, || async {
        ledger(&ca)
            .await
            .get(&again)
            .is_some_and(|p| p["status"] == json!("succeeded"))
    })
    .await;
    wait_none_pending(&ca, &cb, WAIT).await;
    // The LDK store held B's channel update while the disk was full and wrote it after.
    let log = a.log();
    assert!(
        log.contains("space is back, writes resumed"),
        "A's LDK store never waited for space; log:\n{log}"
    );
    let closed = ca
        .ok(
            "lightning::channels::list_closed_channels_by_filter",
            json!({"coin": COIN}),
        )
        .await;
    assert_eq!(closed["total"], json!(0), "a channel closed: {closed}");
    a.stop();
    b.stop();
    drop(tmpfs);
}
