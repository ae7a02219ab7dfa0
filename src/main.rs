//! The `mmln` command line: `run` the daemon, `sandbox` a local network, or `chain` a regtest
//! chain on its own.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    Chain(ChainArgs),
}

/// A development regtest chain answering Bitcoin Core's JSON-RPC. Not for production: there,
/// point mmln at Bitcoin Core.
#[derive(Args)]
struct ChainArgs {
    /// Address to serve JSON-RPC on (Bitcoin Core's regtest port by default).
    #[arg(long, default_value = mmln::regtest::DEFAULT_BIND)]
    bind: SocketAddr,
    /// RPC user name.
    #[arg(long, default_value = mmln::regtest::DEFAULT_RPC_USER)]
    rpc_user: String,
    /// RPC password; a random one is generated and printed when absent.
    #[arg(long, env = "MMLN_CHAIN_RPC_PASSWORD", hide_env_values = true)]
    rpc_password: Option<String>,
    /// Keep the chain in this directory (survives restarts); in memory when absent.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Fee rate in sat/vB that estimatesmartfee answers; when absent it answers
    /// "Insufficient data or no feerate found", as a fresh Bitcoin Core does.
    #[arg(long)]
    fee_rate: Option<f64>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run_daemon(&args),
        Command::Sandbox(args) => mmln::sandbox::cli::run(&args),
        Command::Chain(args) => {
            mmln::app::init_tracing(None);
            run_chain(args)
        }
    }
}

fn run_chain(args: ChainArgs) -> std::process::ExitCode {
    if let Some(rate) = args.fee_rate {
        if !(rate.is_finite() && rate > 0.0) {
            eprintln!("error: --fee-rate must be a positive number of sat/vB, got {rate}");
            return std::process::ExitCode::FAILURE;
        }
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let config = mmln::regtest::RegtestConfig {
        bind: args.bind,
        rpc_user: Some(args.rpc_user),
        rpc_password: args.rpc_password,
        data_dir: args.data_dir,
        fee_rate_sat_per_vb: args.fee_rate,
    };
    let result = runtime.block_on(async move {
        let chain = mmln::regtest::RegtestServer::start(config).await?;
        let curl_body = r#"{"jsonrpc":"1.0","id":1,"method":"getblockchaininfo","params":[]}"#;
        let banner = format!(
            "regtest chain (development only) serving Bitcoin Core JSON-RPC\n\
             url:      {url}\n\
             user:     {user}\n\
             password: {password}\n\
             try:      curl -s --user {user}:{password} --data-binary '{curl_body}' {url}/\n",
            url = chain.url(),
            user = chain.user(),
            password = chain.password(),
        );
        // One write, and a closed stdout is no reason to stop serving.
        let mut stdout = std::io::stdout().lock();
        let _ = stdout
            .write_all(banner.as_bytes())
            .and_then(|()| stdout.flush());
        drop(stdout);
        wait_for_stop_signal().await;
        chain.shutdown().await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
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
