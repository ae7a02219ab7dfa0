//! Start-up progress lines, sent wherever the caller wants them (stdout for `mmln sandbox`,
//! a vector in tests, nowhere by default).

use std::sync::Arc;

use super::STEPS;

/// Receives the start-up progress lines ("[3/7] funding wallets").
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<ProgressSink>>);

/// A function receiving progress lines.
type ProgressSink = dyn Fn(&str) + Send + Sync;

impl Progress {
    /// Progress reported to `sink`.
    pub fn to(sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(sink)))
    }

    /// Progress dropped (the default).
    pub fn silent() -> Self {
        Progress(None)
    }

    pub fn report(&self, line: &str) {
        if let Some(sink) = &self.0 {
            sink(line);
        }
        tracing::debug!("sandbox: {line}");
    }

    pub(super) fn step(&self, n: usize, what: &str) {
        self.report(&format!("[{n}/{STEPS}] {what}"));
    }
}
