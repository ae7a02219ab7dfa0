//! Reading `MMLN_*` environment variables through a trait, so tests can hand the loader a map
//! instead of mutating the process environment (which is shared by every test thread).

use std::collections::HashMap;
use std::ffi::OsString;

/// Where environment variables come from.
pub trait EnvSource {
    /// The variable's value, or `None` when it is not set.
    fn get(&self, name: &str) -> Option<OsString>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
}

impl EnvSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<OsString> {
        HashMap::get(self, name).map(OsString::from)
    }
}
