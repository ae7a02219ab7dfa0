//! The `mmln` command line: `run` the daemon, `sandbox` a local network, or `chain` a regtest
//! chain on its own.

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
    /// Run the regtest development chain on its own (a stand-in for Bitcoin Core in development).
    Chain,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Chain => std::process::ExitCode::SUCCESS,
    }
}
