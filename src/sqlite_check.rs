//! Start-up checks of a SQLite database file, shared by the ledger (`mmln.sqlite`) and the LDK
//! key-value store (`ldk.sqlite`).
//!
//! Why: SQLite opens a damaged file without complaint and fails only when a query reaches the
//! damaged page, which for a truncated ledger may be hours later, in the middle of a payment.
//! The daemon instead refuses to start on such a file, with a message naming it, so the
//! operator restores a backup before anything more is written.
//!
//! Two checks: the file header (cheap, catches a file that is not a database and most
//! truncations even before SQLite reads it), then `PRAGMA quick_check` on the open connection
//! (reads every page once: catches damaged b-tree pages and truncation anywhere).

use std::io::Read;
use std::path::Path;

use rusqlite::Connection;

/// The first 16 bytes of every SQLite 3 database.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_LEN: usize = 100;

/// What is wrong with the file, in words for an operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileDamage {
    #[error("not a SQLite database ({0})")]
    NotADatabase(String),
    #[error("truncated: {actual} bytes on disk, its header says {expected}")]
    Truncated { expected: u64, actual: u64 },
    #[error("damaged: {0}")]
    Damaged(String),
}

/// Checks the header of the file at `path`. An absent or empty file is fine (SQLite creates
/// the database in it).
pub fn check_header(path: &Path) -> Result<(), FileDamage> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        // Absent: a new data directory. Other open errors are reported by SQLite's own open,
        // with its reason.
        Err(_) => return Ok(()),
    };
    let actual = file.metadata().map(|m| m.len()).unwrap_or(0);
    if actual == 0 {
        return Ok(());
    }
    let mut header = [0u8; HEADER_LEN];
    let mut read = 0;
    while read < HEADER_LEN {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(FileDamage::Damaged(format!("cannot read its header: {e}"))),
        }
    }
    if read < HEADER_LEN {
        return Err(FileDamage::NotADatabase(format!(
            "{read} bytes, shorter than a SQLite header"
        )));
    }
    if &header[..16] != MAGIC {
        return Err(FileDamage::NotADatabase("no SQLite header".to_string()));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536u64,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        n => {
            return Err(FileDamage::NotADatabase(format!(
                "invalid page size {n} in its header"
            )))
        }
    };
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let (change_counter, page_count, valid_for) = (be32(24), be32(28), be32(92));
    // SQLite trusts the page count only when "version-valid-for" matches the change counter;
    // older writers left it stale, and then the file size is the truth.
    let expected = u64::from(page_count) * page_size;
    if page_count > 0 && change_counter == valid_for && actual < expected {
        return Err(FileDamage::Truncated { expected, actual });
    }
    // SQLite only ever writes whole pages.
    if actual % page_size != 0 {
        return Err(FileDamage::Truncated {
            expected: actual.div_ceil(page_size) * page_size,
            actual,
        });
    }
    Ok(())
}

/// Runs `PRAGMA quick_check` (every page read once; indexes not cross-checked against their
/// tables, which is what makes it quick). Reports the first problems SQLite lists.
pub fn quick_check(conn: &Connection) -> Result<(), FileDamage> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(|e| FileDamage::Damaged(e.to_string()))?;
    let rows = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(|e| FileDamage::Damaged(e.to_string()))?;
    let mut problems = Vec::new();
    for row in rows {
        let line = row.map_err(|e| FileDamage::Damaged(e.to_string()))?;
        if line != "ok" {
            problems.push(line);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(FileDamage::Damaged(problems.join("; ")))
    }
}

/// Whether a SQLite error means the file itself is damaged (as opposed to busy, full, ...).
pub fn is_damage(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("db.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (x BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
             INSERT INTO t SELECT randomblob(500) FROM n;",
        )
        .unwrap();
        drop(conn);
        path
    }

    #[test]
    fn a_sound_file_passes_both_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path());
        check_header(&path).unwrap();
        quick_check(&Connection::open(&path).unwrap()).unwrap();
        check_header(&dir.path().join("absent.sqlite")).unwrap();
    }

    #[test]
    fn truncation_at_a_page_boundary_and_inside_a_page_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path());
        let len = std::fs::metadata(&path).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(len / 2 / 4096 * 4096).unwrap();
        assert!(matches!(
            check_header(&path),
            Err(FileDamage::Truncated { .. })
        ));
        file.set_len(len / 2 + 7).unwrap();
        assert!(matches!(
            check_header(&path),
            Err(FileDamage::Truncated { .. })
        ));
        file.set_len(50).unwrap();
        assert!(matches!(
            check_header(&path),
            Err(FileDamage::NotADatabase(_))
        ));
    }

    #[test]
    fn garbage_over_the_pages_is_found_by_quick_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let len = bytes.len();
        for b in &mut bytes[4096..len] {
            *b = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();
        check_header(&path).unwrap();
        let conn = Connection::open(&path).unwrap();
        let err = quick_check(&conn).map(|_| ()).unwrap_err();
        assert!(matches!(err, FileDamage::Damaged(_)), "{err}");
    }
}
