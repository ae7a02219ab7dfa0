//! The ledger's reader connections: a few, shared, instead of one per concurrent read.
//!
//! A busy node finishes payments in waves (a batch of fulfills arrives together), and every
//! finished payment's waiter then reads its row: a hundred reads at once. Opening a connection
//! for each read beyond the pooled few cost more than the reads themselves: the schema is
//! parsed again, the statement cache starts cold, and closing the connection unmaps its memory
//! map, which interrupts every core to flush its TLB. A read takes well under a millisecond,
//! so waiting for a pooled connection is cheaper. The wait is bounded: after [`WAIT`] a read
//! opens a connection of its own (closed after use), so a read made while the same thread
//! holds another, or a few long scans, can never stall the rest.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::error::LedgerError;

/// Longest a read waits for a pooled connection before it opens one of its own.
const WAIT: Duration = Duration::from_millis(20);

pub(super) struct Readers {
    pool: Mutex<Pool>,
    returned: Condvar,
    max: usize,
    wait: Duration,
}

struct Pool {
    idle: Vec<Connection>,
    /// Pooled connections open, idle or lent.
    open: usize,
}

/// A connection lent for one read. Dropping it gives a pooled connection back (also when the
/// read panicked: the pool never shrinks) and closes a read's own.
pub(super) struct Lent<'a> {
    conn: Option<Connection>,
    pooled: bool,
    readers: &'a Readers,
}

impl Lent<'_> {
    pub fn conn(&mut self) -> Result<&mut Connection, LedgerError> {
        // Taken only by `drop`, so always there.
        self.conn
            .as_mut()
            .ok_or_else(|| LedgerError::TaskFailed("reader connection given back".to_string()))
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let (true, Some(conn)) = (self.pooled, self.conn.take()) {
            self.readers.lock().idle.push(conn);
            self.readers.returned.notify_one();
        }
    }
}

impl Readers {
    /// A pool of at most `max` connections (at least one).
    pub fn new(max: usize) -> Readers {
        Readers::with_wait(max, WAIT)
    }

    fn with_wait(max: usize, wait: Duration) -> Readers {
        Readers {
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
            max: max.max(1),
            wait,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        // Poisoned only by a panic elsewhere; the pool's two fields stay consistent.
        self.pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle pooled connection, a new pooled one while fewer than `max` are open, or else
    /// the first one given back within [`WAIT`]; past that, a connection of the read's own.
    pub fn lend(
        &self,
        open: impl FnOnce() -> Result<Connection, LedgerError>,
    ) -> Result<Lent<'_>, LedgerError> {
        let deadline = Instant::now() + self.wait;
        let mut pool = self.lock();
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Ok(self.lent(conn, true));
            }
            if pool.open < self.max {
                pool.open += 1;
                drop(pool);
                return match open() {
                    Ok(conn) => Ok(self.lent(conn, true)),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                drop(pool);
                return open().map(|conn| self.lent(conn, false));
            }
            pool = self
                .returned
                .wait_timeout(pool, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    fn lent(&self, conn: Connection, pooled: bool) -> Lent<'_> {
        Lent {
            conn: Some(conn),
            pooled,
            readers: self,
        }
    }

    /// Pooled connections open now (tests).
    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.lock().open
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};

    use super::*;

    fn memory() -> Result<Connection, LedgerError> {
        Ok(Connection::open_in_memory()?)
    }

    #[test]
    fn concurrent_reads_share_at_most_max_connections() {
        // A wait long enough that no read opens its own, however slow the machine.
        let readers = Arc::new(Readers::with_wait(2, Duration::from_secs(60)));
        let start = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (readers, start) = (readers.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..50 {
                        let mut lent = readers.lend(memory).unwrap();
                        lent.conn()
                            .unwrap()
                            .query_row("SELECT 1", [], |_| Ok(()))
                            .unwrap();
                        assert!(lent.pooled);
                        assert!(readers.open() <= 2);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (open, idle) = (readers.open(), readers.lock().idle.len());
        assert!(open <= 2);
        assert_eq!(idle, open);
    }

    #[test]
    fn a_read_beyond_max_waits_for_a_connection_given_back() {
        let readers = Arc::new(Readers::with_wait(2, Duration::from_secs(60)));
        let first = readers.lend(memory).unwrap();
        let _second = readers.lend(memory).unwrap();
        let given_back = Arc::new(AtomicBool::new(false));
        let third = {
            let (readers, given_back) = (readers.clone(), given_back.clone());
            std::thread::spawn(move || {
                let lent = readers.lend(memory).unwrap();
                (given_back.load(Ordering::SeqCst), lent.pooled)
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        given_back.store(true, Ordering::SeqCst);
        drop(first);
        let (waited, pooled) = third.join().unwrap();
        assert!(waited, "a third read got a connection while two were lent");
        assert!(pooled);
        assert_eq!(readers.open(), 2);
    }

    #[test]
    fn a_read_that_waits_too_long_opens_its_own_connection() {
        let readers = Readers::new(1);
        let held = readers.lend(memory).unwrap();
        let started = Instant::now();
        let own = readers.lend(memory).unwrap();
        assert!(started.elapsed() >= WAIT);
        assert!(!own.pooled);
        drop(own);
        drop(held);
        assert_eq!(readers.open(), 1);
        assert_eq!(readers.lock().idle.len(), 1);
    }

    #[test]
    fn a_failed_open_frees_its_place() {
        let readers = Readers::new(1);
        let failed = readers.lend(|| Err(LedgerError::TaskFailed("no disk".to_string())));
        assert!(failed.is_err());
        assert_eq!(readers.open(), 0);
        let lent = readers.lend(memory).unwrap();
        assert!(lent.pooled);
    }

    #[test]
    fn a_read_that_panics_gives_its_connection_back() {
        let readers = Readers::new(1);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _lent = readers.lend(memory).unwrap();
            panic!("a read failed");
        }));
        assert!(panicked.is_err());
        assert_eq!(readers.lock().idle.len(), 1);
        assert!(readers.lend(memory).unwrap().pooled);
    }
}
