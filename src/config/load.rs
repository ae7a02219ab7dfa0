//! Merging the sources into one [`Config`] and the checks that span keys.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use super::env::EnvSource;
use super::keys::{self, RawValue, KEYS};
use super::password_policy::{check_password_policy, PasswordPolicyError};
use super::{file, Config, RunArgs};

/// Name of the config file looked for in the data directory.
const DEFAULT_FILE_NAME: &str = "mmln.toml";
/// Env var that names the config file.
const CONFIG_ENV_VAR: &str = "MMLN_CONFIG";

/// Where a value came from, so an error can say which one to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File(path) => write!(f, "from {}", path.display()),
            Origin::Env(var) => write!(f, "from {var}"),
            Origin::Flag(flag) => write!(f, "from --{flag}"),
        }
    }
}

/// Why the configuration cannot be used. Each message names the key and where its value came
/// from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid value for `{key}` ({origin}): {reason}")]
    InvalidValue {
        key: &'static str,
        origin: Origin,
        reason: String,
    },
    #[error("unknown key `{key}` in {}; `mmln run --help` lists every key", path.display())]
    UnknownKey { key: String, path: PathBuf },
    #[error("could not read config file {}: {source}", path.display())]
    ReadFileFailed {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {} is not valid TOML: {reason}", path.display())]
    InvalidFile { path: PathBuf, reason: String },
    #[error(
        "`rpc_password` is not set: the daemon refuses to start without one. Set it with \
         --rpc-password, MMLN_RPC_PASSWORD or `rpc_password` in the config file"
    )]
    MissingRpcPassword,
    #[error(
        "`rpc_password` ({origin}) is too weak: {rule}. Choose a stronger one, or set \
         `allow_weak_password` to skip this check"
    )]
    WeakRpcPassword {
        origin: Origin,
        rule: PasswordPolicyError,
    },
    #[error("`{key}` ({origin}) is set but `{missing}` is not; set both or neither")]
    MissingCompanion {
        key: &'static str,
        origin: Origin,
        missing: &'static str,
    },
}

/// Builds the configuration from flags, env vars, the config file and defaults, and validates it.
pub fn load(args: &RunArgs, env: &dyn EnvSource) -> Result<Config, ConfigError> {
    let env_values = read_env(env)?;
    let mut loader = Loader {
        config: Config::default(),
        origins: HashMap::new(),
    };

    let (path, required) = config_file(args, env, &env_values);
    if required || path.exists() {
        let origin = Origin::File(path.clone());
        for (key, value) in file::read(&path)? {
            loader.set(key, &value, &origin)?;
        }
    }
    for (key, var, value) in &env_values {
        loader.set(
            key,
            &RawValue::Text(value.clone()),
            &Origin::Env(var.clone()),
        )?;
    }
    for (key, value) in &args.values {
        let flag = keys::find(key).map(|k| k.flag()).unwrap_or_default();
        loader.set(key, &RawValue::Text(value.clone()), &Origin::Flag(flag))?;
    }
    loader.validate()?;
    Ok(loader.config)
}

struct Loader {
    config: Config,
    origins: HashMap<&'static str, Origin>,
}

impl Loader {
    fn set(
        &mut self,
        key: &'static str,
        value: &RawValue,
        origin: &Origin,
    ) -> Result<(), ConfigError> {
        keys::apply(&mut self.config, key, value).map_err(|reason| ConfigError::InvalidValue {
            key,
            origin: origin.clone(),
            reason,
        })?;
        self.origins.insert(key, origin.clone());
        Ok(())
    }

    fn origin(&self, key: &'static str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// Checks that involve more than one key or the absence of one.
    fn validate(&self) -> Result<(), ConfigError> {
        let password = self
            .config
            .rpc_password
            .as_deref()
            .ok_or(ConfigError::MissingRpcPassword)?;
        if !self.config.allow_weak_password {
            check_password_policy(password).map_err(|rule| ConfigError::WeakRpcPassword {
                origin: self.origin("rpc_password"),
                rule,
            })?;
        }
        let pair = ("bitcoind_rpc_user", "bitcoind_rpc_password");
        match (
            &self.config.bitcoind_rpc_user,
            &self.config.bitcoind_rpc_password,
        ) {
            (Some(_), None) => return Err(self.missing_companion(pair.0, pair.1)),
            (None, Some(_)) => return Err(self.missing_companion(pair.1, pair.0)),
            _ => {}
        }
        Ok(())
    }

    fn missing_companion(&self, key: &'static str, missing: &'static str) -> ConfigError {
        ConfigError::MissingCompanion {
            key,
            origin: self.origin(key),
            missing,
        }
    }
}

/// `(key, env var, value)` for every `MMLN_<KEY>` that is set, in table order.
fn read_env(env: &dyn EnvSource) -> Result<Vec<(&'static str, String, String)>, ConfigError> {
    let mut values = Vec::new();
    for key in KEYS {
        let var = key.env_var();
        if let Some(raw) = env.get(&var) {
            let value = raw.into_string().map_err(|_| ConfigError::InvalidValue {
                key: key.name,
                origin: Origin::Env(var.clone()),
                reason: "is not valid UTF-8".to_string(),
            })?;
            values.push((key.name, var, value));
        }
    }
    Ok(values)
}

/// The config file to read and whether it must exist: an explicit path must, the default
/// `<data_dir>/mmln.toml` may be absent. The data dir here can only come from flags or env.
fn config_file(
    args: &RunArgs,
    env: &dyn EnvSource,
    env_values: &[(&'static str, String, String)],
) -> (PathBuf, bool) {
    if let Some(path) = &args.config {
        return (path.clone(), true);
    }
    if let Some(path) = env.get(CONFIG_ENV_VAR) {
        return (PathBuf::from(path), true);
    }
    let flag_dir = args
        .values
        .iter()
        .find(|(k, _)| *k == "data_dir")
        .map(|(_, v)| v);
    let env_dir = env_values
        .iter()
        .find(|(k, _, _)| *k == "data_dir")
        .map(|(_, _, v)| v);
    let data_dir = match flag_dir.or(env_dir) {
        Some(dir) => PathBuf::from(dir),
        None => Config::default().data_dir,
    };
    (data_dir.join(DEFAULT_FILE_NAME), false)
}
