//! HTLCs resolved on chain: a daemon A pays a node B whose channel is force-closed while the
//! HTLC is in flight. B is a bare node whose event sink holds every claimable payment until the
//! test says so, which is how a payee that is slow to claim (or never claims) looks to A. A's
//! ledger must end final either way: `succeeded` with the preimage once B's claim is on chain,
//! `failed` once A's HTLC-timeout is.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lightning::events::Event;
use lightning::ln::channelmanager::Bolt11InvoiceParameters;
use lightning::types::payment::{PaymentHash, PaymentPreimage};
use lightning_invoice::{Bolt11InvoiceDescription, Description};
use serde_json::{json, Value};

use mmln::chain::{ChainConfig, RpcAuth};
use mmln::node::{
    ChannelClosedRecord, ChannelManager, Node, NodeConfig, NodeEventSink, SinkFuture,
};

use crate::harness::{mine_until, wait_until, Chain, Daemon, WAIT};

const SEND: &str = "lightning::payments::send_payment";
const DETAILS: &str = "lightning::payments::get_payment_details";
const CHANNEL_SAT: u64 = 1_000_000;
/// Well above the dust limit, so the HTLC has an output of its own on the commitment.
const AMOUNT_MSAT: u64 = 50_000_000;
/// Mining a block every 300 ms, this covers the invoice's CLTV delta several times over.
const ONCHAIN_WAIT: Duration = Duration::from_secs(240);

/// Holds every claimable payment: neither claims nor fails it back.
#[derive(Default)]
struct HoldingSink {
    held: Mutex<Vec<(PaymentHash, PaymentPreimage)>>,
    /// Every `PaymentClaimable`, in order (LDK hands one per HTLC set).
    claimable_events: Mutex<Vec<PaymentHash>>,
}

impl HoldingSink {
    fn held(&self) -> Vec<(PaymentHash, PaymentPreimage)> {
        self.held.lock().unwrap().clone()
    }

    fn claimable_events_for(&self, hash: &PaymentHash) -> usize {
        let events = self.claimable_events.lock().unwrap();
        events.iter().filter(|h| *h == hash).count()
    }
}

impl NodeEventSink for HoldingSink {
    fn payment_event<'a>(&'a self, event: Event, _: &'a Arc<ChannelManager>) -> SinkFuture<'a> {
        if let Event::PaymentClaimable {
            payment_hash,
            purpose,
            ..
        } = &event
        {
            let preimage = purpose.preimage().expect("B's own invoice");
            self.claimable_events.lock().unwrap().push(*payment_hash);
            let mut held = self.held.lock().unwrap();
            if !held.iter().any(|(h, _)| h == payment_hash) {
                held.push((*payment_hash, preimage));
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn channel_closed(&self, _: ChannelClosedRecord) -> SinkFuture<'_> {
        Box::pin(async { Ok(()) })
    }
}

struct Setup {
    chain: Chain,
    a: Daemon,
    b: Arc<Node>,
    sink: Arc<HoldingSink>,
    /// A's channel uuid.
    uuid: String,
    _dirs: [tempfile::TempDir; 2],
}

async fn start_payee(chain: &Chain, dir: &std::path::Path) -> (Arc<Node>, Arc<HoldingSink>) {
    let mut config = NodeConfig::new(
        dir.to_path_buf(),
        bitcoin::Network::Regtest,
        "127.0.0.1:0".parse().unwrap(),
        ChainConfig {
            url: chain.handle.url(),
            auth: RpcAuth::UserPass {
                user: chain.handle.user().to_string(),
                password: chain.handle.password().to_string(),
            },
            network: bitcoin::Network::Regtest,
            poll_interval: Duration::from_millis(100),
            fallback_fee_rate_sat_per_kw: 500,
        },
    );
    config.minimum_depth = 1;
    let sink = Arc::new(HoldingSink::default());
    let node = Node::start(config, Arc::clone(&sink) as Arc<dyn NodeEventSink>)
        .await
        .expect("B starts");
    (node, sink)
}

/// How many payments each test holds at once: several HTLCs on one commitment, as in a busy
/// node, so that claims and timeouts may be batched.
const HELD: usize = 3;

/// A (a full daemon) with a usable channel to B, and [`HELD`] HTLCs of A's payments held by B.
async fn held_payments() -> (Setup, Vec<Value>) {
    held_payments_of(&[AMOUNT_MSAT; HELD]).await
}

/// A with a usable channel to B, and HTLCs of A's payments of `amounts` held by B.
async fn held_payments_of(amounts: &[u64]) -> (Setup, Vec<Value>) {
    let chain = Chain::start().await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = Daemon::start(&chain, dirs[0].path().to_path_buf()).await;
    let (b, sink) = start_payee(&chain, dirs[1].path()).await;
    a.fund(&chain, 1).await;
    chain.mine(100).await;
    wait_until("A's coinbase matures", WAIT, || async {
        a.spendable_sats().await > 0
    })
    .await;
    let b_address = format!("{}@{}", b.node_id(), b.listening_addresses()[0]);
    let opened = a
        .ok(
            "lightning::channels::open_channel",
            json!({ "node_address": b_address, "amount": {"type": "Exact", "value": 0.01} }),
        )
        .await;
    let uuid = opened["uuid"].as_str().unwrap().to_string();
    mine_until(&chain, "A->B is usable", WAIT, || async {
        a.open_channel(&uuid)
            .await
            .is_some_and(|c| c["is_usable"] == true)
    })
    .await;

    let mut hashes = Vec::new();
    for (i, amount) in amounts.iter().enumerate() {
        let invoice = b
            .channel_manager()
            .create_bolt11_invoice(Bolt11InvoiceParameters {
                amount_msats: Some(*amount),
                description: Bolt11InvoiceDescription::Direct(
                    Description::new(format!("held {i}")).unwrap(),
                ),
                ..Default::default()
            })
            .expect("B's invoice");
        let sent = a
            .ok(
                SEND,
                json!({ "payment": {"type": "invoice", "invoice": invoice.to_string()} }),
            )
            .await;
        let hash = sent["payment_hash"].clone();
        assert_eq!(details(&a, &hash).await["status"], "pending", "{sent}");
        hashes.push(hash);
    }
    wait_until("B holds every HTLC", WAIT, || async {
        sink.held().len() == amounts.len()
    })
    .await;

    // With HTLCs in flight the two sides and the HTLCs add up to the capacity.
    let ours = a.open_channel(&uuid).await.unwrap()["balance_msat"]
        .as_u64()
        .unwrap();
    let theirs = b.list_channels()[0].balance_msat;
    let in_flight: u64 = amounts.iter().sum();
    assert_eq!(ours + theirs + in_flight, CHANNEL_SAT * 1000);
    assert_eq!(theirs, 0, "B had nothing and has not claimed yet");

    let setup = Setup {
        chain,
        a,
        b,
        sink,
        uuid,
        _dirs: dirs,
    };
    (setup, hashes)
}

/// Which side broadcasts its commitment.
#[derive(Debug, Clone, Copy)]
enum Closer {
    Payer,
    Payee,
}

/// The peers go apart, then `closer` force-closes and its commitment is mined: from here on
/// the HTLCs can only be resolved on chain.
async fn force_close(s: &Setup, closer: Closer) {
    let a_id = s.a.app.node().node_id();
    s.a.app.node().disconnect_peer(&s.b.node_id());
    s.b.disconnect_peer(&a_id);
    match closer {
        Closer::Payer => {
            s.a.ok(
                "lightning::channels::close_channel",
                json!({ "uuid": s.uuid, "force_close": true }),
            )
            .await;
        }
        Closer::Payee => {
            let b_uuid = s.b.list_channels()[0].uuid;
            s.b.close_channel(b_uuid, true).expect("B force-closes");
        }
    }
    s.chain.mine(1).await;
}

/// Mines until every payment is final on A, and returns A's rows.
async fn mine_until_final(s: &Setup, hashes: &[Value]) -> Vec<Value> {
    mine_until(&s.chain, "A's payments are final", ONCHAIN_WAIT, || async {
        for hash in hashes {
            if details(&s.a, hash).await["status"] == "pending" {
                return false;
            }
        }
        true
    })
    .await;
    let mut rows = Vec::new();
    for hash in hashes {
        rows.push(details(&s.a, hash).await);
    }
    rows
}

/// B claims only once the channel is closed, so each preimage reaches A through the chain.
async fn payer_succeeds_when_the_payee_claims_on_chain(closer: Closer) {
    let (s, hashes) = held_payments().await;
    force_close(&s, closer).await;
    for (_, preimage) in s.sink.held() {
        s.b.channel_manager().claim_funds(preimage);
    }
    let rows = mine_until_final(&s, &hashes).await;
    for (hash, preimage) in s.sink.held() {
        let row = rows
            .iter()
            .find(|r| r["payment_hash"] == hex::encode(hash.0))
            .expect("A's row");
        assert_eq!(row["status"], "succeeded", "{closer:?}: {row}");
        assert_eq!(row["preimage"], hex::encode(preimage.0), "{row}");
    }
    assert!(s.a.closed_channel(&s.uuid).await.is_some());
    stop(s).await;
}

/// B never claims: A must get its money back through the HTLC timeouts.
async fn payer_fails_when_the_htlcs_time_out_on_chain(closer: Closer) {
    let (s, hashes) = held_payments().await;
    force_close(&s, closer).await;
    for row in mine_until_final(&s, &hashes).await {
        assert_eq!(row["status"], "failed", "{closer:?}: {row}");
        assert!(row["preimage"].is_null(), "{row}");
    }
    stop(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_succeeds_when_the_payee_claims_from_its_own_commitment() {
    payer_succeeds_when_the_payee_claims_on_chain(Closer::Payee).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_succeeds_when_the_payee_claims_from_the_payers_commitment() {
    payer_succeeds_when_the_payee_claims_on_chain(Closer::Payer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_fails_when_the_htlcs_time_out_on_its_own_commitment() {
    payer_fails_when_the_htlcs_time_out_on_chain(Closer::Payer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_fails_when_the_htlcs_time_out_on_the_payees_commitment() {
    payer_fails_when_the_htlcs_time_out_on_chain(Closer::Payee).await;
}

async fn details(a: &Daemon, hash: &Value) -> Value {
    a.ok(DETAILS, json!({ "payment_hash": hash })).await["payment_details"].clone()
}

async fn stop(s: Setup) {
    s.a.app.shutdown().await.expect("A stops");
    s.b.stop().await;
}

/// The payer is down while the payee closes and claims on chain, and catches up at start-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_learns_the_preimages_from_the_chain_after_a_restart() {
    let (mut s, hashes) = held_payments().await;
    let dir = s.a.dir.clone();
    s.a.app.shutdown().await.expect("A stops");
    let b_uuid = s.b.list_channels()[0].uuid;
    s.b.close_channel(b_uuid, true).expect("B force-closes");
    s.chain.mine(1).await;
    for (_, preimage) in s.sink.held() {
        s.b.channel_manager().claim_funds(preimage);
    }
    // Blocks while A is down: B's claims (broadcast as soon as it claims) confirm in them.
    // Should they be late, they confirm after A is back, which the test also accepts.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        s.chain.mine(1).await;
    }
    s.a = Daemon::start(&s.chain, dir).await;
    let rows = mine_until_final(&s, &hashes).await;
    for (hash, preimage) in s.sink.held() {
        let row = rows
            .iter()
            .find(|r| r["payment_hash"] == hex::encode(hash.0))
            .expect("A's row");
        assert_eq!(row["status"], "succeeded", "{row}");
        assert_eq!(row["preimage"], hex::encode(preimage.0), "{row}");
    }
    stop(s).await;
}

/// A dust HTLC has no output on the commitment, so the payee cannot claim it on chain even with
/// the preimage: the payer must not wait for a claim that cannot come.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payer_ends_final_for_dust_htlcs_claimed_after_a_force_close() {
    let (s, hashes) = held_payments_of(&[10_000, 20_000, AMOUNT_MSAT]).await;
    force_close(&s, Closer::Payer).await;
    for (_, preimage) in s.sink.held() {
        s.b.channel_manager().claim_funds(preimage);
    }
    // Final: the large one through B's claim on chain, the dust ones failed once A's
    // commitment is six blocks deep (LDK then retries them and finds no channel left).
    for row in mine_until_final(&s, &hashes).await {
        let want = if row["amount_in_msat"] == AMOUNT_MSAT {
            "succeeded"
        } else {
            "failed"
        };
        assert_eq!(row["status"], want, "{row}");
    }
    stop(s).await;
}

/// How a payment can stay pending on the payer long after the payee claimed it: B claims a
/// dust HTLC after the channel was force-closed (nothing reaches the chain), A's HTLC fails
/// once the commitment is deep enough, and LDK retries the payment over A's other channel.
/// That second HTLC reaches a payee that has already settled the hash. A payee that neither
/// claims nor fails it back (what mmln's `PaymentClaimable` handler did for a settled hash)
/// keeps A pending until the HTLC nears its expiry, tens of blocks later. B here holds every
/// HTLC, as that handler did; the fix belongs to the payee, which must fail it back at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_an_onchain_failure_reaches_a_payee_that_already_claimed() {
    let (s, hashes) = held_payments_of(&[10_000]).await;
    let b_address = format!("{}@{}", s.b.node_id(), s.b.listening_addresses()[0]);
    let second =
        s.a.ok(
            "lightning::channels::open_channel",
            json!({ "node_address": b_address, "amount": {"type": "Exact", "value": 0.01} }),
        )
        .await;
    let second = second["uuid"].as_str().unwrap().to_string();
    mine_until(&s.chain, "A's second channel is usable", WAIT, || async {
        s.a.open_channel(&second)
            .await
            .is_some_and(|c| c["is_usable"] == true)
    })
    .await;
    s.a.ok(
        "lightning::channels::close_channel",
        json!({ "uuid": s.uuid, "force_close": true }),
    )
    .await;
    s.chain.mine(1).await;
    let (hash, preimage) = s.sink.held()[0];
    s.b.channel_manager().claim_funds(preimage);
    mine_until(&s.chain, "A's retry reaches B", WAIT, || async {
        s.sink.claimable_events_for(&hash) >= 2
    })
    .await;
    let row = details(&s.a, &hashes[0]).await;
    assert_eq!(row["status"], "pending", "held by the payee: {row}");
    stop(s).await;
}
