//! The TOML config file: a flat table of `key = value` pairs using the same key names as the
//! flags and env vars.

use std::path::Path;

use super::keys::{self, RawValue};
use super::ConfigError;

/// Reads the file and returns its entries in file order. Unknown keys are an error naming the key,
/// so a typo cannot silently fall back to a default.
pub fn read(path: &Path) -> Result<Vec<(&'static str, RawValue)>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFileFailed {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses the file's text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Vec<(&'static str, RawValue)>, ConfigError> {
    let table: toml::Table =
        text.parse()
            .map_err(|e: toml::de::Error| ConfigError::InvalidFile {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
    let mut entries = Vec::with_capacity(table.len());
    for (name, value) in table {
        let key = keys::find(&name).ok_or_else(|| ConfigError::UnknownKey {
            key: name.clone(),
            path: path.to_path_buf(),
        })?;
        entries.push((key.name, RawValue::Toml(value)));
    }
    Ok(entries)
}
