//! Building the sandbox network: three daemons on one chain, funded, connected and joined by
//! channels, each step checking the state that is already there so a restart on the same data
//! directory reuses wallets and channels instead of funding and opening them again.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::secp256k1::PublicKey;

use crate::app::{App, AppHandle};
use crate::config::Config;
use crate::node::{ChannelAmount, Node, OpenChannelOptions};
use crate::regtest::RegtestHandle;

use super::chain_rpc::{burn_address, ChainRpc};
use super::{Progress, SandboxError};

/// Size of every sandbox channel: large enough for many demo payments, below the non-wumbo
/// limit (2^24 sat).
pub const CHANNEL_SAT: u64 = 10_000_000;
/// What an opener must hold on-chain per channel: the channel plus a generous fee reserve.
const FUNDS_PER_CHANNEL_SAT: u64 = CHANNEL_SAT + 100_000;
/// Blocks that make a coinbase spendable.
const MATURITY_BLOCKS: u32 = 100;
/// Confirmations after which LDK announces a public channel.
const ANNOUNCEMENT_BLOCKS: u32 = 6;

/// Bounds of the waits below. Generous: each normally takes well under a second.
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);
const FUNDS_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USABLE_TIMEOUT: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(50);
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long announcements may take before one more block is mined to resend them.
const ANNOUNCE_NUDGE: Duration = Duration::from_secs(1);

/// Which daemon of the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The node the user drives (RPC on 7783 by default).
    User,
    Peer1,
    Peer2,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Peer1, Role::Peer2];

    /// The name in progress lines, the banner and the data directory.
    pub fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Peer1 => "peer1",
            Role::Peer2 => "peer2",
        }
    }

    fn index(self) -> usize {
        match self {
            Role::User => 0,
            Role::Peer1 => 1,
            Role::Peer2 => 2,
        }
    }
}

/// The channels of the sandbox, opener first: the user can pay (to peer1) and be paid (by
/// peer2), and peer1 -> peer2 closes the triangle so multi-hop routes exist both ways.
pub const CHANNEL_PLAN: [(Role, Role); 3] = [
    (Role::User, Role::Peer1),
    (Role::Peer2, Role::User),
    (Role::Peer1, Role::Peer2),
];

/// The three running daemons, indexed by [`Role`].
pub struct Daemons {
    apps: Vec<AppHandle>,
}

impl Daemons {
    pub fn get(&self, role: Role) -> &AppHandle {
        &self.apps[role.index()]
    }

    pub fn node(&self, role: Role) -> &Arc<Node> {
        self.get(role).node()
    }

    /// Stops the daemons in order (user first, so it takes no new requests while its peers go).
    pub async fn shutdown(self) -> Vec<(Role, crate::app::AppError)> {
        let mut failures = Vec::new();
        for (role, app) in Role::ALL.into_iter().zip(self.apps) {
            if let Err(e) = app.shutdown().await {
                failures.push((role, e));
            }
        }
        failures
    }
}

/// The daemon configuration of one sandbox member: regtest, on the sandbox chain, loopback only.
pub fn daemon_config(
    role: Role,
    sandbox_dir: &Path,
    rpc_port: u16,
    rpc_password: &str,
    chain: &RegtestHandle,
) -> Config {
    Config {
        rpc_password: Some(rpc_password.to_string()),
        rpcport: rpc_port,
        data_dir: sandbox_dir.join(role.name()),
        network: bitcoin::Network::Regtest,
        // P2P on an ephemeral loopback port: the sandbox connects its nodes itself.
        p2p_listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        bitcoind_rpc_url: Some(chain.url()),
        bitcoind_rpc_user: Some(chain.user().to_string()),
        bitcoind_rpc_password: Some(chain.password().to_string()),
        chain_poll_interval_ms: Some(100),
        ..Config::default()
    }
}

/// Starts the three daemons side by side. If one fails, the others are stopped again.
pub async fn start_daemons(
    configs: [Config; 3],
    router: &crate::rpc::Router,
) -> Result<Daemons, SandboxError> {
    let [user, peer1, peer2] = configs;
    let (a, b, c) = tokio::join!(
        App::start_with_router(user, router.clone()),
        App::start_with_router(peer1, router.clone()),
        App::start_with_router(peer2, router.clone()),
    );
    let mut apps = Vec::new();
    let mut failure = None;
    for (role, result) in Role::ALL.into_iter().zip([a, b, c]) {
        match result {
            Ok(app) => apps.push(app),
            Err(source) => {
                failure.get_or_insert(SandboxError::StartDaemonFailed {
                    role: role.name(),
                    source,
                });
            }
        }
    }
    if let Some(error) = failure {
        for app in apps {
            let _ = app.shutdown().await;
        }
        return Err(error);
    }
    Ok(Daemons { apps })
}

/// Waits until every node has caught up with the chain tip, so the balance and channel checks
/// below read current state.
pub async fn wait_synced(daemons: &Daemons, chain: &RegtestHandle) -> Result<(), SandboxError> {
    let height = chain.height();
    wait_for("every node reaches the chain tip", SYNC_TIMEOUT, || async {
        Role::ALL
            .iter()
            .all(|r| daemons.node(*r).best_block().height >= height)
    })
    .await
}

/// The channels of the plan the opener does not have yet (open or pending).
pub fn missing_channels(daemons: &Daemons) -> Vec<(Role, Role)> {
    CHANNEL_PLAN
        .into_iter()
        .filter(|(opener, acceptor)| {
            let peer = daemons.node(*acceptor).node_id();
            !daemons
                .node(*opener)
                .list_channels()
                .iter()
                .any(|c| c.counterparty == peer && c.is_outbound)
        })
        .collect()
}

/// Gives each opener of a missing channel a matured coinbase, unless its wallet already holds
/// enough. Returns how many wallets were funded.
pub async fn fund_openers(
    daemons: &Daemons,
    chain: &ChainRpc,
    missing: &[(Role, Role)],
) -> Result<usize, SandboxError> {
    let mut needy = Vec::new();
    for role in Role::ALL {
        let channels = missing.iter().filter(|(opener, _)| *opener == role).count() as u64;
        let need = channels * FUNDS_PER_CHANNEL_SAT;
        if need > 0 && daemons.node(role).wallet_balance().spendable_sat < need {
            needy.push((role, need));
        }
    }
    if needy.is_empty() {
        return Ok(0);
    }
    for (role, _) in &needy {
        let address = daemons
            .node(*role)
            .new_address()
            .map_err(|e| SandboxError::FundingFailed(format!("{}: {e}", role.name())))?;
        chain
            .generate_to_address(1, &address.to_string())
            .await
            .map_err(|e| SandboxError::FundingFailed(e.to_string()))?;
    }
    chain
        .generate_to_address(MATURITY_BLOCKS, &burn_address())
        .await
        .map_err(|e| SandboxError::FundingFailed(e.to_string()))?;
    wait_for(
        "the funded wallets see their matured coinbase",
        FUNDS_TIMEOUT,
        || async {
            needy
                .iter()
                .all(|(role, need)| daemons.node(*role).wallet_balance().spendable_sat >= *need)
        },
    )
    .await?;
    Ok(needy.len())
}

/// Connects each pair of the plan (the opener dials), whether or not their channel exists yet:
/// P2P ports are ephemeral, so after a restart the peers must be told where the others are.
pub async fn connect_peers(daemons: &Daemons) -> Result<(), SandboxError> {
    for (opener, acceptor) in CHANNEL_PLAN {
        let target = daemons.node(acceptor);
        let Some(addr) = target.listening_addresses().first().copied() else {
            return Err(SandboxError::ConnectFailed {
                from: opener.name(),
                to: acceptor.name(),
                reason: "it listens on no address".into(),
            });
        };
        daemons
            .node(opener)
            .connect_peer(target.node_id(), &addr.to_string(), CONNECT_TIMEOUT)
            .await
            .map_err(|e| SandboxError::ConnectFailed {
                from: opener.name(),
                to: acceptor.name(),
                reason: e.to_string(),
            })?;
    }
    Ok(())
}

/// Opens the missing channels (public, so they are announced and routable).
pub fn open_channels(daemons: &Daemons, missing: &[(Role, Role)]) -> Result<(), SandboxError> {
    for (opener, acceptor) in missing {
        let options = OpenChannelOptions {
            public: true,
            ..Default::default()
        };
        daemons
            .node(*opener)
            .open_channel(
                daemons.node(*acceptor).node_id(),
                ChannelAmount::Sats(CHANNEL_SAT),
                0,
                options,
            )
            .map_err(|e| SandboxError::OpenChannelFailed {
                from: opener.name(),
                to: acceptor.name(),
                reason: e.to_string(),
            })?;
    }
    Ok(())
}

/// Mines whatever waits in the mempool (funding transactions) until every planned channel is
/// usable on both sides. `opened` is how many funding transactions this run broadcasts: they are
/// awaited first, so one block confirms them all. Then, for freshly opened channels, buries
/// them deep enough to be announced.
pub async fn confirm_channels(
    daemons: &Daemons,
    chain: &ChainRpc,
    opened: usize,
    progress: &Progress,
) -> Result<(), SandboxError> {
    let mine_err = |e: super::chain_rpc::ChainRpcError| SandboxError::MiningFailed(e.to_string());
    if opened > 0 {
        wait_for(
            "the funding transactions reach the mempool",
            USABLE_TIMEOUT,
            || async {
                chain
                    .mempool_len()
                    .await
                    .map(|n| n >= opened)
                    .unwrap_or(false)
            },
        )
        .await?;
    }
    let deadline = Instant::now() + USABLE_TIMEOUT;
    loop {
        if all_usable(daemons) {
            break;
        }
        if Instant::now() >= deadline {
            return Err(SandboxError::Timeout {
                what: format!("the channels become usable ({})", channel_states(daemons)),
                after: USABLE_TIMEOUT,
            });
        }
        if chain.mempool_len().await.map_err(mine_err)? > 0 {
            chain
                .generate_to_address(1, &burn_address())
                .await
                .map_err(mine_err)?;
        }
        tokio::time::sleep(POLL).await;
    }
    if opened > 0 {
        progress.report("      burying the funding transactions so the channels are announced");
        chain
            .generate_to_address(ANNOUNCEMENT_BLOCKS, &burn_address())
            .await
            .map_err(mine_err)?;
    }
    Ok(())
}

/// Waits until every node's graph holds every planned channel, so multi-hop routes work from
/// the start. The six confirmations reach the three nodes a poll apart, and a node that sends
/// its `announcement_signatures` before its peer has seen the sixth block has them refused
/// ("prior to the required six confirmations", logged by LDK); signatures are sent again on
/// each new block, so one more block settles it. Not fatal: direct payments work regardless.
pub async fn wait_announced(daemons: &Daemons, chain: &ChainRpc, progress: &Progress) {
    let deadline = Instant::now() + ANNOUNCE_TIMEOUT;
    let mut next_block = Instant::now() + ANNOUNCE_NUDGE;
    while !all_announced(daemons) {
        if Instant::now() >= deadline {
            progress.report(
                "      the channels are not announced yet; payments between direct peers work",
            );
            return;
        }
        if Instant::now() >= next_block {
            if let Err(e) = chain.generate_to_address(1, &burn_address()).await {
                tracing::warn!("sandbox: mining a block for announcements failed: {e}");
            }
            next_block = Instant::now() + ANNOUNCE_NUDGE;
        }
        tokio::time::sleep(POLL).await;
    }
}

fn all_announced(daemons: &Daemons) -> bool {
    Role::ALL.iter().all(|r| {
        daemons
            .node(*r)
            .network_graph()
            .read_only()
            .channels()
            .len()
            >= CHANNEL_PLAN.len()
    })
}

fn usable_between(daemons: &Daemons, a: Role, b: Role) -> bool {
    let peer = daemons.node(b).node_id();
    daemons
        .node(a)
        .list_channels()
        .iter()
        .any(|c| c.counterparty == peer && c.is_usable)
}

fn all_usable(daemons: &Daemons) -> bool {
    CHANNEL_PLAN
        .iter()
        .all(|(a, b)| usable_between(daemons, *a, *b) && usable_between(daemons, *b, *a))
}

/// "user->peer1 usable, peer2->user pending, ..." for a timeout message.
fn channel_states(daemons: &Daemons) -> String {
    CHANNEL_PLAN
        .iter()
        .map(|(a, b)| {
            let state = if usable_between(daemons, *a, *b) {
                "usable"
            } else {
                "not usable"
            };
            format!("{}->{} {state}", a.name(), b.name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The node ids, for the banner.
pub fn node_ids(daemons: &Daemons) -> [PublicKey; 3] {
    Role::ALL.map(|r| daemons.node(r).node_id())
}

/// Polls `check` every [`POLL`] until it holds, or fails with what was awaited.
async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<(), SandboxError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(SandboxError::Timeout {
                what: what.to_string(),
                after: timeout,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}
