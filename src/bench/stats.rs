//! Latency statistics: percentiles by the nearest-rank method, in milliseconds.

use std::time::Duration;

use serde::Serialize;

/// Latency figures of a set of samples, in milliseconds (fractional, so sub-millisecond
/// queries stay readable).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencyStats {
    pub samples: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LatencyStats {
    /// The figures of `samples` (any order). All zero for no samples.
    pub fn from_samples(samples: &[Duration]) -> LatencyStats {
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let total: Duration = sorted.iter().sum();
        let mean_ms = if sorted.is_empty() {
            0.0
        } else {
            ms(total) / sorted.len() as f64
        };
        LatencyStats {
            samples: sorted.len(),
            mean_ms: round3(mean_ms),
            p50_ms: round3(ms(percentile(&sorted, 50.0))),
            p95_ms: round3(ms(percentile(&sorted, 95.0))),
            p99_ms: round3(ms(percentile(&sorted, 99.0))),
            max_ms: round3(ms(sorted.last().copied().unwrap_or_default())),
        }
    }
}

/// The nearest-rank `p`th percentile of ascending `sorted`: the smallest sample such that at
/// least `p` percent of the samples are at or below it. Zero for no samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Events per second over `elapsed`; zero when no time passed.
pub fn rate_per_sec(events: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        round3(events as f64 / secs)
    } else {
        0.0
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Three decimals are plenty for a report and keep the JSON readable.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_millis(v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles_of_one_to_hundred() {
        let sorted = millis(&(1..=100).collect::<Vec<_>>());
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 95.0), Duration::from_millis(95));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&sorted, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&sorted, 0.0), Duration::from_millis(1));
    }

    #[test]
    fn percentile_of_small_sets_rounds_rank_up() {
        let sorted = millis(&[10, 20, 30, 40]);
        // 50% of 4 is rank 2; 51% needs rank 3.
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(20));
        assert_eq!(percentile(&sorted, 51.0), Duration::from_millis(30));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(40));
        assert_eq!(percentile(&millis(&[7]), 50.0), Duration::from_millis(7));
    }

    #[test]
    fn percentile_of_nothing_is_zero_and_p_is_clamped() {
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
        let sorted = millis(&[1, 2, 3]);
        assert_eq!(percentile(&sorted, 250.0), Duration::from_millis(3));
        assert_eq!(percentile(&sorted, -5.0), Duration::from_millis(1));
    }

    #[test]
    fn stats_sort_their_input() {
        let stats = LatencyStats::from_samples(&millis(&[40, 10, 30, 20]));
        assert_eq!(stats.samples, 4);
        assert_eq!(stats.p50_ms, 20.0);
        assert_eq!(stats.p99_ms, 40.0);
        assert_eq!(stats.max_ms, 40.0);
        assert_eq!(stats.mean_ms, 25.0);
    }

    #[test]
    fn stats_keep_sub_millisecond_precision() {
        let stats = LatencyStats::from_samples(&[Duration::from_micros(1_234)]);
        assert_eq!(stats.p50_ms, 1.234);
        assert_eq!(stats.mean_ms, 1.234);
    }

    #[test]
    fn empty_stats_are_zero() {
        let stats = LatencyStats::from_samples(&[]);
        assert_eq!(stats.samples, 0);
        assert_eq!(stats.max_ms, 0.0);
        assert_eq!(stats.mean_ms, 0.0);
    }

    #[test]
    fn rate_is_events_over_seconds() {
        assert_eq!(rate_per_sec(300, Duration::from_secs(2)), 150.0);
        assert_eq!(rate_per_sec(5, Duration::ZERO), 0.0);
    }
}
