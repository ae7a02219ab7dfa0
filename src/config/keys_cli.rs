//! `mmln keys create|list|revoke`: access keys on the data directory of a stopped node, so a
//! first key can be made without the RPC password in a shell history. Each takes the data
//! directory's lock first (see `data_dir_lock`), so it refuses while a daemon runs there: the
//! daemon keeps its keys in memory and would not see the change. Output is JSON on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::data_dir_lock::DataDirLock;
use crate::ledger::Ledger;
use crate::rpc::lightning::keys::create::known_methods;
use crate::rpc::lightning::keys::view::KeyView;
use crate::service::keys::{manage, KeySpec};

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// The data directory a subcommand works on.
#[derive(Debug, Args)]
pub struct DataDirArg {
    /// The node's data directory (the node must be stopped).
    #[arg(long, env = "MMLN_DATA_DIR", value_name = "PATH")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints it once, with its token (store the token now).
    Create {
        #[command(flatten)]
        dir: DataDirArg,
        /// What the key is for, e.g. "shop web server".
        #[arg(long)]
        label: String,
        /// readonly, invoice or admin (or give --methods).
        #[arg(long)]
        scope: Option<String>,
        /// An allow-list of method names, comma-separated.
        #[arg(long, value_delimiter = ',')]
        methods: Option<Vec<String>>,
        /// Largest single payment, amount plus fee limit, in msat.
        #[arg(long)]
        max_payment_msat: Option<u64>,
        /// Most spent per --budget-period (amount plus fees), in msat.
        #[arg(long)]
        budget_msat: Option<u64>,
        /// hour, day, week or month (a rolling window).
        #[arg(long)]
        budget_period: Option<String>,
        /// Unix seconds after which the key stops working.
        #[arg(long)]
        expires_at: Option<u64>,
    },
    /// List every key (never a token).
    List {
        #[command(flatten)]
        dir: DataDirArg,
    },
    /// Revoke a key by id.
    Revoke {
        #[command(flatten)]
        dir: DataDirArg,
        /// The key's id, from create or list.
        id: u64,
    },
}

#[derive(Debug, thiserror::Error)]
enum KeysCliError {
    #[error("could not create the data directory {}: {source}", path.display())]
    CreateDataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Locked(#[from] crate::data_dir_lock::DataDirLockError),
    #[error("{0}")]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("{0}")]
    Key(#[from] crate::service::keys::KeyError),
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Serialize)]
struct Created {
    token: String,
    #[serde(flatten)]
    key: KeyView,
}

/// Runs one `mmln keys` subcommand.
pub fn run(args: KeysArgs) -> ExitCode {
    match run_command(args.command) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the ledger of `dir` under its lock; the lock is held until the returned value drops.
fn open(dir: &DataDirArg) -> Result<(DataDirLock, Ledger), KeysCliError> {
    std::fs::create_dir_all(&dir.data_dir).map_err(|source| KeysCliError::CreateDataDir {
        path: dir.data_dir.clone(),
        source,
    })?;
    let lock = DataDirLock::acquire(&dir.data_dir)?;
    let ledger = Ledger::open(dir.data_dir.join("mmln.sqlite"))?;
    Ok((lock, ledger))
}

fn run_command(command: KeysCommand) -> Result<String, KeysCliError> {
    match command {
        KeysCommand::Create {
            dir,
            label,
            scope,
            methods,
            max_payment_msat,
            budget_msat,
            budget_period,
            expires_at,
        } => {
            let (_lock, ledger) = open(&dir)?;
            let spec = KeySpec {
                label,
                scope,
                methods,
                max_payment_msat,
                budget_msat,
                budget_period,
                expires_at,
            };
            let created = manage::create(&ledger, &spec, &known_methods())?;
            let key = KeyView::new(created.row, ledger.now());
            Ok(serde_json::to_string_pretty(&Created {
                token: created.token,
                key,
            })?)
        }
        KeysCommand::List { dir } => {
            let (_lock, ledger) = open(&dir)?;
            let now = ledger.now();
            let keys: Vec<KeyView> = ledger
                .access_keys()?
                .into_iter()
                .map(|row| KeyView::new(row, now))
                .collect();
            Ok(serde_json::to_string_pretty(&keys)?)
        }
        KeysCommand::Revoke { dir, id } => {
            let (_lock, ledger) = open(&dir)?;
            let row = manage::revoke(&ledger, id)?;
            Ok(serde_json::to_string_pretty(&KeyView::new(
                row,
                ledger.now(),
            ))?)
        }
    }
}
