//! Confirming the sandbox's channels: mine their funding transactions until every channel is
//! usable on both sides, then until every node's graph has them announced.

use std::time::{Duration, Instant};

use super::chain_rpc::{burn_address, ChainRpc, ChainRpcError};
use super::network::{wait_for, Daemons, Role, CHANNEL_PLAN, POLL};
use super::{Progress, SandboxError};

/// Confirmations after which LDK announces a public channel.
const ANNOUNCEMENT_BLOCKS: u32 = 6;
const USABLE_TIMEOUT: Duration = Duration::from_secs(90);
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long announcements may take before one more block is mined to resend them.
const ANNOUNCE_NUDGE: Duration = Duration::from_secs(1);

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
    let mine_err = |e: ChainRpcError| SandboxError::MiningFailed(e.to_string());
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

/// Every graph holds every channel with an update from both ends, so a payment over two hops
/// can find its route.
fn all_announced(daemons: &Daemons) -> bool {
    Role::ALL
        .iter()
        .all(|r| daemons.node(*r).channels_routable_both_ways() >= CHANNEL_PLAN.len())
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
