//! The `mmln` command line: `run` the daemon, `sandbox` a local network, `chain` a regtest
//! chain on its own, or manage access `keys` offline. Each subcommand's flags and runner live in the library, next to what it runs.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "mmln",
    version,
    about = "A Lightning node daemon that speaks mmrpc 2.0"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Lightning node daemon and its mmrpc 2.0 server.
    Run(mmln::config::RunArgs),
    /// Start a local Lightning network to develop against (your node on 7783, two peers).
    ///
    /// One process runs a regtest chain and three mmln daemons, funds them and opens channels
    /// both ways, then prints the userpass and ready curl commands. Ctrl-C stops it.
    Sandbox(mmln::sandbox::SandboxArgs),
    /// Run the regtest development chain on its own (a stand-in for Bitcoin Core in development).
    Chain(mmln::regtest::cli::ChainArgs),
    /// Access keys on a stopped node's data directory: create, list, revoke (JSON on stdout).
    ///
    /// Makes a first key without the RPC password in a shell history. Refuses while a daemon
    /// runs on the directory.
    Keys(mmln::config::keys_cli::KeysArgs),
    /// Benchmark a network built in-process (invoice, keysend or ledger mode); JSON on stdout.
    Bench(mmln::bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run_daemon(&args),
        Command::Sandbox(args) => mmln::sandbox::cli::run(&args),
        Command::Chain(args) => mmln::regtest::cli::run(args),
        Command::Keys(args) => mmln::config::keys_cli::run(args),
        Command::Bench(args) => mmln::bench::run(args),
    }
}

/// `mmln run`: load and check the config, start logging, run until SIGINT or SIGTERM.
fn run_daemon(args: &mmln::config::RunArgs) -> std::process::ExitCode {
    let config = match mmln::config::load(args, &mmln::config::ProcessEnv) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    mmln::app::init_tracing(config.log_level.as_deref());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(mmln::app::run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
