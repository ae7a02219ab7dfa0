//! What the benchmark prints: process usage (CPU, peak RSS), the durability settings a run used,
//! the JSON report on stdout and progress lines on stderr.

use std::io::Write;

use serde::Serialize;

/// `/proc` reports CPU time in USER_HZ ticks, which Linux fixes at 100 per second on every
/// architecture (independent of the kernel's internal HZ).
const USER_HZ: f64 = 100.0;

/// CPU time and memory of this process. The benchmark's nodes run in-process, so these figures
/// cover both nodes, the regtest chain and the load generator together.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ProcessUsage {
    pub user_cpu_secs: f64,
    pub system_cpu_secs: f64,
    /// Peak resident set size (VmHWM) in KiB.
    pub peak_rss_kib: u64,
    /// Current resident set size (VmRSS) in KiB.
    pub rss_kib: u64,
}

impl ProcessUsage {
    /// Reads `/proc/self`; fields that cannot be read (not Linux) stay zero.
    pub fn now() -> ProcessUsage {
        let mut usage = ProcessUsage::default();
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            if let Some((user, system)) = parse_cpu_ticks(&stat) {
                usage.user_cpu_secs = user as f64 / USER_HZ;
                usage.system_cpu_secs = system as f64 / USER_HZ;
            }
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            usage.peak_rss_kib = status_kib(&status, "VmHWM:").unwrap_or(0);
            usage.rss_kib = status_kib(&status, "VmRSS:").unwrap_or(0);
        }
        usage
    }

    pub fn cpu_secs(&self) -> f64 {
        self.user_cpu_secs + self.system_cpu_secs
    }
}

/// CPU spent between two readings, with the peak RSS at the later one.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct UsageDelta {
    pub cpu_secs: f64,
    pub user_cpu_secs: f64,
    pub system_cpu_secs: f64,
    /// CPU seconds per wall-clock second: 2.0 means both of two cores were busy.
    pub cpu_utilisation: f64,
    pub peak_rss_mib: f64,
    pub scope: &'static str,
}

impl UsageDelta {
    pub fn between(before: ProcessUsage, after: ProcessUsage, wall_secs: f64) -> UsageDelta {
        let user = after.user_cpu_secs - before.user_cpu_secs;
        let system = after.system_cpu_secs - before.system_cpu_secs;
        let cpu = user + system;
        UsageDelta {
            cpu_secs: super::stats::round3(cpu),
            user_cpu_secs: super::stats::round3(user),
            system_cpu_secs: super::stats::round3(system),
            cpu_utilisation: if wall_secs > 0.0 {
                super::stats::round3(cpu / wall_secs)
            } else {
                0.0
            },
            peak_rss_mib: super::stats::round3(after.peak_rss_kib as f64 / 1024.0),
            scope: "one process: both nodes, the regtest chain and the load generator run \
                    in-process, so CPU and peak RSS (VmHWM) are for all of them together",
        }
    }
}

/// `(utime, stime)` in ticks from `/proc/<pid>/stat`. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let user = fields.get(11)?.parse().ok()?;
    let system = fields.get(12)?.parse().ok()?;
    Some((user, system))
}

/// A `kB` figure of `/proc/<pid>/status`.
pub fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The durability settings of a run, so figures are never quoted without them.
#[derive(Debug, Clone, Serialize)]
pub struct Durability {
    pub ledger_sqlite: &'static str,
    pub ldk_monitor_writes: &'static str,
}

impl Durability {
    /// What the daemons run with: the production settings.
    pub fn production() -> Durability {
        Durability {
            ledger_sqlite: "journal_mode=WAL, synchronous=FULL (fsync on every commit)",
            ldk_monitor_writes: "deferred and group-committed: ChannelMonitor changes are \
                                 queued (InProgress) and written with the ChannelManager that \
                                 knows them in one SQLite transaction (<data_dir>/ldk.sqlite, \
                                 journal_mode=WAL, synchronous=FULL), then released",
        }
    }
}

/// Prints the report as pretty JSON on stdout.
pub fn print_json(report: &impl Serialize) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// A progress line on stderr (stdout carries only the JSON report).
pub fn progress(line: &str) {
    eprintln!("[bench] {line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    250 75 0 0 20 0 8 0 12345 1000000 500 18446744073709551615";
        assert_eq!(parse_cpu_ticks(stat), Some((250, 75)));
        assert_eq!(parse_cpu_ticks("garbage"), None);
    }

    #[test]
    fn status_figures_are_read_in_kib() {
        let status = "Name:\tmmln\nVmHWM:\t  123456 kB\nVmRSS:\t   65432 kB\n";
        assert_eq!(status_kib(status, "VmHWM:"), Some(123_456));
        assert_eq!(status_kib(status, "VmRSS:"), Some(65_432));
        assert_eq!(status_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn this_process_has_a_resident_set() {
        let usage = ProcessUsage::now();
        if cfg!(target_os = "linux") {
            assert!(usage.peak_rss_kib > 0);
            assert!(usage.peak_rss_kib >= usage.rss_kib);
        }
    }
}
