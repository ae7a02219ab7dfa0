//! The seeded test world: payments written through the public API, and a mirror of what
//! each row should hold, maintained without the ledger's help.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mmln::ledger::bench::Rng;
use mmln::ledger::*;

pub const START: u64 = 1_683_000_000;
pub const DESCRIPTIONS: [&str; 10] = [
    "Say \"hi\" there",
    "Café crème",
    "For the burger on Tuesday",
    "100% organic spinach",
    "snake_case tip",
    "Pressin' The Flesh and Kissin' Babies",
    "back\\slash",
    "BURGER deluxe",
    "1 Blokaccino",
    "",
];

/// What the test believes a row holds, maintained without the ledger's help.
#[derive(Debug, Clone)]
pub struct Mirror {
    pub id: i64,
    pub hash: [u8; 32],
    pub outbound: bool,
    pub destination: Option<[u8; 33]>,
    pub description: String,
    pub amount: Option<u64>,
    pub fee: Option<u64>,
    pub status: PaymentStatus,
    pub created_at: u64,
    pub last_updated: u64,
}

pub struct World {
    pub _dir: tempfile::TempDir,
    pub ledger: Ledger,
    pub clock: Arc<AtomicU64>,
    pub rows: Vec<Mirror>,
}

pub fn dest(n: u64) -> [u8; 33] {
    let mut d = [2u8; 33];
    d[1] = n as u8;
    d
}

pub fn hash_of(i: u64) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_be_bytes());
    h[31] = 0xaa;
    h
}

pub fn open(clock: &Arc<AtomicU64>) -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let source = clock.clone();
    let options = LedgerOptions {
        clock: Some(Arc::new(move || source.load(Ordering::SeqCst))),
        ..LedgerOptions::default()
    };
    let ledger = Ledger::open_with(dir.path().join("mmln.sqlite"), options).unwrap();
    (dir, ledger)
}

/// 400 payments created, then 400 random updates; the clock moves 0-2 s per step so that
/// `last_updated` ties are common and the `id` tie-breaker matters. During the updates it also
/// jumps now and then by up to a day and a half, so that `last_updated` spreads over minutes
/// and days (the paging tallies' buckets) while `created_at` stays in the filters' windows.
pub fn build_world(seed: u64) -> World {
    let clock = Arc::new(AtomicU64::new(START));
    let (dir, ledger) = open(&clock);
    let mut rng = Rng::new(seed);
    let mut rows: Vec<Mirror> = Vec::new();
    // Returns the time the ledger will read for the next write.
    let step = |rng: &mut Rng, jumps: bool| {
        let d = if jumps && rng.below(25) == 0 {
            rng.below(129_600)
        } else {
            rng.below(3)
        };
        clock.fetch_add(d, Ordering::SeqCst) + d
    };
    for i in 0..400u64 {
        let now = step(&mut rng, false);
        let hash = hash_of(i);
        let description = DESCRIPTIONS[rng.below(DESCRIPTIONS.len() as u64) as usize].to_string();
        let amount = (rng.below(5) > 0).then(|| 1000 * (1 + rng.below(100)));
        let row = match rng.below(3) {
            0 => {
                let destination = dest(rng.below(4));
                let new = NewOutbound {
                    payment_hash: hash,
                    kind: PaymentKind::Invoice,
                    destination,
                    description: description.clone(),
                    amount_msat: amount,
                    fee_limit_msat: Some(5000),
                    payment_secret: Some([1; 32]),
                    preimage: None,
                    invoice: Some(format!("lnbcrt{i}")),
                    expires_at: Some(now + 3600),
                    custom_records: vec![],
                    metadata: Some(format!("{{\"n\":{i}}}")),
                };
                let OutboundIntent::Created(p) = ledger.insert_outbound_intent(&new).unwrap()
                else {
                    panic!("fresh hash must create");
                };
                Mirror {
                    id: p.id,
                    hash,
                    outbound: true,
                    destination: Some(destination),
                    description,
                    amount,
                    fee: None,
                    status: PaymentStatus::Pending,
                    created_at: now,
                    last_updated: now,
                }
            }
            1 => {
                let new = NewInboundInvoice {
                    payment_hash: hash,
                    description: description.clone(),
                    amount_msat: amount,
                    payment_secret: Some([2; 32]),
                    preimage: Some([5; 32]),
                    invoice: format!("lnbcrt-in{i}"),
                    expires_at: Some(now + 3600),
                    metadata: None,
                };
                let p = ledger.insert_inbound_invoice(&new).unwrap().payment;
                Mirror {
                    id: p.id,
                    hash,
                    outbound: false,
                    destination: None,
                    description,
                    amount,
                    fee: None,
                    status: PaymentStatus::Pending,
                    created_at: now,
                    last_updated: now,
                }
            }
            _ => {
                let amount = 1000 * (1 + rng.below(100));
                let claim = InboundClaimable {
                    payment_hash: hash,
                    amount_msat: amount,
                    preimage: Some([5; 32]),
                    custom_records: vec![CustomRecord {
                        key: 7629169,
                        value: b"{}".to_vec(),
                    }],
                    htlc_set: Some(hash),
                    claim_deadline_height: None,
                };
                let p = match ledger.record_inbound_claimable(&claim).unwrap() {
                    ClaimableOutcome::Claim(applied) => applied.payment,
                    other => panic!("expected a claim, got {other:?}"),
                };
                Mirror {
                    id: p.id,
                    hash,
                    outbound: false,
                    destination: None,
                    description: "keysend".into(),
                    amount: Some(amount),
                    fee: None,
                    status: PaymentStatus::Claimable,
                    created_at: now,
                    last_updated: now,
                }
            }
        };
        rows.push(row);
    }
    for _ in 0..400 {
        let now = step(&mut rng, true);
        let m = &mut rows[rng.below(400) as usize];
        match (m.status, rng.below(2)) {
            (PaymentStatus::Pending | PaymentStatus::Claimable, 0) => {
                let fee = m.outbound.then(|| rng.below(2000));
                let amount = m.amount.is_none().then_some(777_000);
                assert!(
                    ledger
                        .mark_succeeded(&m.hash, &[5; 32], fee, amount)
                        .unwrap()
                        .changed
                );
                m.status = PaymentStatus::Succeeded;
                m.fee = fee;
                m.amount = m.amount.or(amount);
                m.last_updated = now;
            }
            (PaymentStatus::Pending | PaymentStatus::Claimable, _) => {
                assert!(
                    ledger
                        .mark_failed(&m.hash, FailureCode::RouteNotFound, "no route")
                        .unwrap()
                        .changed
                );
                m.status = PaymentStatus::Failed;
                m.last_updated = now;
            }
            (PaymentStatus::Failed, _) if m.outbound => {
                let p = ledger.get_payment(&m.hash).unwrap().unwrap();
                let retry = NewOutbound {
                    payment_hash: m.hash,
                    kind: p.kind,
                    destination: p.destination.unwrap(),
                    description: p.description,
                    amount_msat: p.amount_msat,
                    fee_limit_msat: p.fee_limit_msat,
                    payment_secret: p.payment_secret,
                    preimage: p.preimage,
                    invoice: p.invoice,
                    expires_at: p.expires_at,
                    custom_records: vec![],
                    metadata: p.metadata,
                };
                assert!(matches!(
                    ledger.insert_outbound_intent(&retry).unwrap(),
                    OutboundIntent::Retrying(_)
                ));
                m.status = PaymentStatus::Pending;
                m.last_updated = now;
            }
            // Replays must change nothing.
            (PaymentStatus::Succeeded, _) => {
                assert!(
                    !ledger
                        .mark_failed(&m.hash, FailureCode::Other, "late")
                        .unwrap()
                        .changed
                );
            }
            _ => {
                assert!(
                    !ledger
                        .mark_failed(&m.hash, FailureCode::Other, "again")
                        .unwrap()
                        .changed
                );
            }
        }
    }
    World {
        _dir: dir,
        ledger,
        clock,
        rows,
    }
}

pub fn matches(m: &Mirror, f: &PaymentFilter) -> bool {
    let in_range = |v: Option<u64>, from: Option<u64>, to: Option<u64>| {
        (from.is_none() && to.is_none())
            || v.is_some_and(|v| from.is_none_or(|f| v >= f) && to.is_none_or(|t| v <= t))
    };
    let type_ok = match &f.payment_type {
        None => true,
        Some(PaymentTypeFilter::Inbound) => !m.outbound,
        Some(PaymentTypeFilter::Outbound { destination }) => {
            m.outbound && destination.is_none_or(|d| m.destination == Some(d))
        }
    };
    type_ok
        && f.status.is_none_or(|s| m.status == s)
        && f.description.as_ref().is_none_or(|d| {
            m.description
                .to_ascii_lowercase()
                .contains(&d.to_ascii_lowercase())
        })
        && in_range(m.amount, f.from_amount_msat, f.to_amount_msat)
        && in_range(m.fee, f.from_fee_paid_msat, f.to_fee_paid_msat)
        && in_range(Some(m.created_at), f.from_timestamp, f.to_timestamp)
}

/// The filtered rows in list order, computed over the mirror.
pub fn expected(w: &World, f: &PaymentFilter) -> Vec<Mirror> {
    let mut rows: Vec<Mirror> = w.rows.iter().filter(|m| matches(m, f)).cloned().collect();
    rows.sort_by_key(|m| std::cmp::Reverse((m.last_updated, m.id)));
    rows
}

pub fn hashes(payments: &[Payment]) -> Vec<[u8; 32]> {
    payments.iter().map(|p| p.payment_hash).collect()
}
