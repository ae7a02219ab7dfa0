//! The `mmln sandbox` subcommand: flags, progress on stdout, the banner, and a clean stop on
//! SIGINT or SIGTERM (exit status 0).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{banner, Progress, Sandbox, SandboxConfig};

/// Flags of `mmln sandbox`.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// RPC port of your node (KDF's default, so its docs' examples run as written).
    #[arg(long, default_value_t = super::DEFAULT_USER_RPC_PORT)]
    pub rpcport: u16,
    /// RPC port of peer1.
    #[arg(long, default_value_t = super::DEFAULT_PEER_RPC_PORTS[0])]
    pub peer1_rpcport: u16,
    /// RPC port of peer2.
    #[arg(long, default_value_t = super::DEFAULT_PEER_RPC_PORTS[1])]
    pub peer2_rpcport: u16,
    /// RPC port of the regtest chain (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub chain_rpcport: u16,
    /// The `userpass` of all three daemons; must pass the password policy. When absent, the
    /// one kept in the data directory, else a generated one (printed).
    #[arg(long, env = "MMLN_SANDBOX_RPC_PASSWORD", hide_env_values = true)]
    pub rpc_password: Option<String>,
    /// Keep the sandbox (chain, nodes, channels) here across restarts. When absent, a fresh
    /// temporary directory, deleted on exit.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// How often the block timer mines pending transactions, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub mine_interval_ms: u64,
    /// Log filter for the daemons' logs on stderr (tracing syntax); RUST_LOG when absent, else
    /// `warn`, so the progress lines stay readable.
    #[arg(long)]
    pub log_level: Option<String>,
}

impl SandboxArgs {
    /// The library configuration these flags ask for, reporting progress on stdout.
    pub fn to_config(&self) -> SandboxConfig {
        SandboxConfig {
            data_dir: self.data_dir.clone(),
            rpc_password: self.rpc_password.clone(),
            user_rpc_port: self.rpcport,
            peer_rpc_ports: [self.peer1_rpcport, self.peer2_rpcport],
            chain_rpc_port: self.chain_rpcport,
            mine_interval: Duration::from_millis(self.mine_interval_ms.max(10)),
            progress: Progress::to(|line| print_now(&format!("{line}\n"))),
        }
    }
}

/// `mmln sandbox`: start, print the banner, run until SIGINT or SIGTERM, stop.
pub fn run(args: &SandboxArgs) -> ExitCode {
    let level = match (&args.log_level, std::env::var_os("RUST_LOG")) {
        (Some(level), _) => Some(level.as_str()),
        (None, Some(_)) => None,
        (None, None) => Some("warn"),
    };
    crate::app::init_tracing(level);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        // Handlers first, so a signal during start-up is kept and acted on once start-up ends
        // (which is bounded), rather than killing the process halfway through.
        let stop = match crate::app::shutdown_signal() {
            Ok(stop) => stop,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        print_now("mmln sandbox: starting a regtest chain and three Lightning nodes\n");
        let sandbox = match Sandbox::start(args.to_config()).await {
            Ok(sandbox) => sandbox,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        print_now(&banner::render(&sandbox));
        stop.await;
        print_now("stopping the sandbox...\n");
        match sandbox.shutdown().await {
            Ok(()) => {
                print_now("sandbox stopped\n");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Writes and flushes at once: a script reading our stdout through a pipe must see the ready
/// line when it is printed. A closed stdout is no reason to stop.
fn print_now(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
