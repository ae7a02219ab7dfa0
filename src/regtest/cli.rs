//! `mmln chain`: the regtest chain as a process of its own.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// A development regtest chain answering Bitcoin Core's JSON-RPC. Not for production: there,
/// point mmln at Bitcoin Core.
#[derive(Args, Debug)]
pub struct ChainArgs {
    /// Address to serve JSON-RPC on (Bitcoin Core's regtest port by default).
    #[arg(long, default_value = super::DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// RPC user name.
    #[arg(long, default_value = super::DEFAULT_RPC_USER)]
    pub rpc_user: String,
    /// RPC password; a random one is generated and printed when absent.
    #[arg(long, env = "MMLN_CHAIN_RPC_PASSWORD", hide_env_values = true)]
    pub rpc_password: Option<String>,
    /// Keep the chain in this directory (survives restarts); in memory when absent.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Fee rate in sat/vB that estimatesmartfee answers; when absent it answers
    /// "Insufficient data or no feerate found", as a fresh Bitcoin Core does.
    #[arg(long)]
    pub fee_rate: Option<f64>,
}

/// Serves the chain until SIGINT or SIGTERM.
pub fn run(args: ChainArgs) -> ExitCode {
    if let Some(rate) = args.fee_rate {
        if !(rate.is_finite() && rate > 0.0) {
            eprintln!("error: --fee-rate must be a positive number of sat/vB, got {rate}");
            return ExitCode::FAILURE;
        }
    }
    crate::app::init_tracing(None);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = super::RegtestConfig {
        bind: args.bind,
        rpc_user: Some(args.rpc_user),
        rpc_password: args.rpc_password,
        data_dir: args.data_dir,
        fee_rate_sat_per_vb: args.fee_rate,
    };
    let result: Result<(), String> = runtime.block_on(async move {
        // Installed before the server starts, so a signal during start-up is not lost.
        let signal = crate::app::shutdown_signal().map_err(|e| e.to_string())?;
        let chain = super::RegtestServer::start(config)
            .await
            .map_err(|e| e.to_string())?;
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
        signal.await;
        chain.shutdown().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
