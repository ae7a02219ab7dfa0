//! The `mmln run` flags, generated from the key table so every key has a flag and a help line
//! that names its env var and default.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use super::keys::KEYS;

const CONFIG_ARG: &str = "config";

const AFTER_HELP: &str = "\
Every key can be set in the TOML config file (`key = value`), as the env var MMLN_<KEY>, or as the
flag --<key> (with - for _). Precedence: flags > env vars > config file > defaults.
The config file is --config (or MMLN_CONFIG), else <data_dir>/mmln.toml if it exists. Unknown keys
in it are an error.";

/// The values given on the command line for `mmln run`, still unparsed: parsing happens in
/// [`super::load`] so a bad flag is reported like a bad env var or file entry.
#[derive(Debug, Clone, Default)]
pub struct RunArgs {
    /// `--config <path>`.
    pub config: Option<PathBuf>,
    /// `(key name, value)` for every key given as a flag.
    pub values: Vec<(&'static str, String)>,
}

impl RunArgs {
    /// Builds args from `(key, value)` pairs, as if given as flags (for tests and embedding).
    pub fn from_pairs(pairs: &[(&'static str, &str)]) -> Self {
        RunArgs {
            config: None,
            values: pairs.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        }
    }
}

impl Args for RunArgs {
    fn augment_args(cmd: Command) -> Command {
        let config = Arg::new(CONFIG_ARG)
            .long(CONFIG_ARG)
            .value_name("PATH")
            .value_parser(clap::value_parser!(PathBuf))
            .action(ArgAction::Set)
            .help(
                "TOML config file [env: MMLN_CONFIG] [default: <data_dir>/mmln.toml if it exists]",
            );
        let keys = KEYS.iter().map(|key| {
            let help = format!(
                "{} [env: {}] [default: {}]",
                key.help,
                key.env_var(),
                key.default
            );
            let arg = Arg::new(key.name)
                .long(key.flag())
                .value_name(key.value_name)
                .action(ArgAction::Set)
                .help_heading(key.heading)
                .help(help);
            if key.is_bool() {
                // `--allow-weak-password` alone means true; `--rpc-local-only=false` turns a
                // default-on switch off.
                arg.num_args(0..=1)
                    .require_equals(true)
                    .default_missing_value("true")
            } else {
                arg
            }
        });
        cmd.arg(config)
            .args(keys)
            .next_line_help(true)
            .after_help(AFTER_HELP)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for RunArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = RunArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        if let Some(path) = matches.get_one::<PathBuf>(CONFIG_ARG) {
            self.config = Some(path.clone());
        }
        for key in KEYS {
            if let Some(value) = matches.get_one::<String>(key.name) {
                self.values.retain(|(name, _)| *name != key.name);
                self.values.push((key.name, value.clone()));
            }
        }
        Ok(())
    }
}
