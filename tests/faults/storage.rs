//! Storage at start-up: a truncated or overwritten ledger (`mmln.sqlite`) or LDK store
//! (`ldk.sqlite`), or either one written by a newer build, stops `mmln run` with a non-zero
//! exit and a message naming the file; never a panic, and nothing is written to the file.
//! The same data dir, restored, starts again.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::common::daemons::{Daemon, ProcessChain, COIN};

/// One way to damage a file, and what the refusal must say about it.
struct Damage {
    what: &'static str,
    file: &'static str,
    apply: fn(&Path),
    says: &'static str,
}

fn truncate_to_half(path: &Path) {
    let len = std::fs::metadata(path).expect("file").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    file.set_len(len / 2).expect("truncate");
}

fn truncate_inside_a_page(path: &Path) {
    let len = std::fs::metadata(path).expect("file").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open");
    file.set_len(len - 1000).expect("truncate");
}

/// Garbage over every page but the first: the header is sound, the b-trees are not.
fn overwrite_pages(path: &Path) {
    let mut bytes = std::fs::read(path).expect("file");
    let len = bytes.len();
    for (i, b) in bytes[4096..len].iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    std::fs::write(path, bytes).expect("write");
}

fn not_a_database(path: &Path) {
    std::fs::write(path, "this is not what mmln wrote\n").expect("write");
}

fn newer_version(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "user_version", 9_999)
        .expect("user_version");
}

/// The file and its WAL and shared-memory companions.
fn companions(path: &Path) -> [PathBuf; 3] {
    let name = path.display().to_string();
    [
        path.to_path_buf(),
        PathBuf::from(format!("{name}-wal")),
        PathBuf::from(format!("{name}-shm")),
    ]
}

/// Each file with its companions as they are (a WAL may still hold committed pages).
fn save(dir: &Path, files: &[&str]) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    files
        .iter()
        .flat_map(|f| companions(&dir.join(f)))
        .map(|path| {
            let bytes = std::fs::read(&path).ok();
            (path, bytes)
        })
        .collect()
}

fn restore(saved: &[(PathBuf, Option<Vec<u8>>)]) {
    for (path, bytes) in saved {
        match bytes {
            Some(bytes) => std::fs::write(path, bytes).expect("restore"),
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_newer_data_dir_stops_start_up_naming_the_file() {
    let chain = ProcessChain::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut daemon = Daemon::new("A", dir.path(), &chain);
    daemon.start().await;
    // Rows in the ledger, so its file has pages to damage.
    let client = daemon.client();
    for i in 0..40 {
        client
            .ok(
                "lightning::payments::generate_invoice",
                json!({"coin": COIN, "description": format!("row {i} {}", "x".repeat(200)),
                       "amount_in_msat": 1000 + i}),
            )
            .await;
    }
    daemon.stop();

    let saved = save(dir.path(), &["mmln.sqlite", "ldk.sqlite"]);
    let damages = [
        Damage {
            what: "ledger truncated to half",
            file: "mmln.sqlite",
            apply: truncate_to_half,
            says: "truncated",
        },
        Damage {
            what: "ledger cut inside a page",
            file: "mmln.sqlite",
            apply: truncate_inside_a_page,
            says: "truncated",
        },
        Damage {
            what: "ledger pages overwritten",
            file: "mmln.sqlite",
            apply: overwrite_pages,
            says: "damaged",
        },
        Damage {
            what: "ledger replaced by text",
            file: "mmln.sqlite",
            apply: not_a_database,
            says: "not a SQLite database",
        },
        Damage {
            what: "ledger from a newer build",
            file: "mmln.sqlite",
            apply: newer_version,
            says: "newer mmln",
        },
        Damage {
            what: "LDK store truncated to half",
            file: "ldk.sqlite",
            apply: truncate_to_half,
            says: "truncated",
        },
        Damage {
            what: "LDK store pages overwritten",
            file: "ldk.sqlite",
            apply: overwrite_pages,
            says: "damaged",
        },
        Damage {
            what: "LDK store from a newer build",
            file: "ldk.sqlite",
            apply: newer_version,
            says: "newer mmln",
        },
    ];
    for damage in &damages {
        restore(&saved);
        let path = dir.path().join(damage.file);
        (damage.apply)(&path);
        let damaged = std::fs::read(&path).expect("damaged file");
        let (status, log) = daemon.start_expecting_exit().await;
        let what = damage.what;
        assert!(
            !status.success(),
            "{what}: exited with {status}; log:\n{log}"
        );
        assert!(!log.contains("panicked"), "{what}: a panic; log:\n{log}");
        let error_line = log
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_else(|| panic!("{what}: no `error:` line; log:\n{log}"));
        println!("{what}: {error_line}");
        assert!(
            error_line.contains(&path.display().to_string()),
            "{what}: the message does not name {}: {error_line}",
            path.display()
        );
        assert!(
            error_line.contains(damage.says),
            "{what}: the message does not say {:?}: {error_line}",
            damage.says
        );
        // Refused before anything was written: the damaged file is as we left it.
        assert_eq!(
            std::fs::read(&path).expect("file"),
            damaged,
            "{what}: the file was written to"
        );
    }

    // The same data dir, restored, is fine: the refusals were about the damage.
    restore(&saved);
    daemon.start().await;
    let r = daemon
        .client()
        .ok(
            "lightning::payments::list_payments_by_filter",
            json!({"coin": COIN, "limit": 100}),
        )
        .await;
    assert_eq!(r["total"], json!(40), "{r}");
    daemon.stop();
}
