//! Paging and filters over hundreds of payments, through HTTP, on a ledger filled before the
//! daemon starts; and start-up reconciliation of rows a stop left pending.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mmln::ledger::{
    FailureCode, Ledger, LedgerOptions, NewInboundInvoice, NewOutbound, PaymentKind,
};
use serde_json::{json, Value};

use crate::common::{Chain, Daemon};

const LIST: &str = "lightning::payments::list_payments_by_filter";
const DETAILS: &str = "lightning::payments::get_payment_details";

/// What the test wrote, to compute the expected answers independently of the ledger's queries.
#[derive(Clone)]
struct Row {
    id: u64,
    hash: String,
    inbound: bool,
    destination: Option<String>,
    description: String,
    amount: u64,
    status: &'static str,
    created_at: u64,
    last_updated: u64,
}

fn pubkey(seed: u8) -> [u8; 33] {
    let secp = bitcoin::secp256k1::Secp256k1::new();
    bitcoin::secp256k1::SecretKey::from_slice(&[seed; 32])
        .unwrap()
        .public_key(&secp)
        .serialize()
}

fn hash(i: u64) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&i.to_be_bytes());
    h[31] = 0x5a;
    h
}

/// A real, signed regtest invoice for `hash` from a key no daemon in the test owns, so stored
/// rows carry invoice text a client can parse.
fn signed_invoice(hash: [u8; 32], description: &str) -> String {
    use bitcoin::hashes::Hash;
    let secp = bitcoin::secp256k1::Secp256k1::new();
    let key = bitcoin::secp256k1::SecretKey::from_slice(&[7; 32]).unwrap();
    lightning_invoice::InvoiceBuilder::new(lightning_invoice::Currency::Regtest)
        .description(description.to_string())
        .payment_hash(bitcoin::hashes::sha256::Hash::from_byte_array(hash))
        .payment_secret(lightning::types::payment::PaymentSecret([1; 32]))
        .duration_since_epoch(std::time::Duration::from_secs(1_700_000_000))
        .min_final_cltv_expiry_delta(144)
        .build_signed(|m| secp.sign_ecdsa_recoverable(m, &key))
        .expect("invoice")
        .to_string()
}

const DESCRIPTIONS: [&str; 6] = [
    "Coffee 100% arabica",
    "under_score",
    "O'Brien's tip",
    "plain burger",
    "100 percent",
    "underscore-free",
];

/// Fills the ledger: 240 rows, a third inbound invoices, the rest outbound to two destinations,
/// some succeeded or failed later. Times come from an injected clock, one second per write.
fn fill(path: &std::path::Path) -> Vec<Row> {
    let now = Arc::new(AtomicU64::new(1_700_000_000));
    let clock = Arc::clone(&now);
    let ledger = Ledger::open_with(
        path,
        LedgerOptions {
            clock: Some(Arc::new(move || clock.load(Ordering::SeqCst))),
            ..LedgerOptions::default()
        },
    )
    .expect("ledger");
    let mut rows = Vec::new();
    for i in 0..240u64 {
        let t = now.fetch_add(1, Ordering::SeqCst);
        let description = DESCRIPTIONS[(i % 6) as usize].to_string();
        let amount = 1_000 + i * 10;
        let inbound = i % 3 == 0;
        let destination = (!inbound).then(|| pubkey(if i % 2 == 0 { 1 } else { 2 }));
        if inbound {
            ledger
                .insert_inbound_invoice(&NewInboundInvoice {
                    payment_hash: hash(i),
                    description: description.clone(),
                    amount_msat: Some(amount),
                    payment_secret: None,
                    preimage: Some([i as u8; 32]),
                    invoice: signed_invoice(hash(i), &description),
                    // Far in the future: reconciliation must leave these alone.
                    expires_at: Some(4_000_000_000),
                    metadata: None,
                })
                .expect("insert inbound");
        } else {
            ledger
                .insert_outbound_intent(&NewOutbound {
                    payment_hash: hash(i),
                    kind: PaymentKind::Keysend,
                    destination: destination.unwrap(),
                    description: description.clone(),
                    amount_msat: Some(amount),
                    fee_limit_msat: Some(5_000),
                    payment_secret: None,
                    preimage: Some([i as u8; 32]),
                    invoice: None,
                    expires_at: None,
                    custom_records: vec![],
                    metadata: None,
                })
                .expect("insert outbound");
        }
        rows.push(Row {
            id: i + 1,
            hash: hex::encode(hash(i)),
            inbound,
            destination: destination.map(hex::encode),
            description,
            amount,
            status: "pending",
            created_at: t,
            last_updated: t,
        });
    }
    // Settle most of them, in a shuffled order, so last_updated differs from created_at.
    for i in (0..240u64).map(|k| (k * 7) % 240) {
        let row = &mut rows[i as usize];
        let t = now.fetch_add(1, Ordering::SeqCst);
        if i % 5 == 4 {
            ledger
                .mark_failed(&hash(i), FailureCode::RouteNotFound, "no route")
                .expect("fail");
            row.status = "failed";
        } else {
            ledger
                .mark_succeeded(&hash(i), &[i as u8; 32], Some(i % 4), None)
                .expect("succeed");
            row.status = "succeeded";
        }
        row.last_updated = t;
    }
    rows
}

fn expected_order(rows: &[Row], keep: impl Fn(&Row) -> bool) -> Vec<String> {
    let mut kept: Vec<&Row> = rows.iter().filter(|r| keep(r)).collect();
    kept.sort_by_key(|r| std::cmp::Reverse((r.last_updated, r.id)));
    kept.iter().map(|r| r.hash.clone()).collect()
}

fn hashes(page: &Value) -> Vec<String> {
    page["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .map(|p| p["payment_hash"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_filters_and_reconciliation_over_http() {
    let chain = Chain::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = fill(&dir.path().join("mmln.sqlite"));
    // Left pending by a "stop": one outbound intent never handed to the engine, one invoice
    // that expired unpaid.
    {
        let ledger = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
        ledger
            .insert_outbound_intent(&NewOutbound {
                payment_hash: hash(9_000),
                kind: PaymentKind::Invoice,
                destination: pubkey(3),
                description: "in flight at stop".into(),
                amount_msat: Some(77_000),
                fee_limit_msat: Some(5_000),
                payment_secret: None,
                preimage: None,
                invoice: None,
                expires_at: None,
                custom_records: vec![],
                metadata: Some("{\"k\":1}".into()),
            })
            .unwrap();
        ledger
            .insert_inbound_invoice(&NewInboundInvoice {
                payment_hash: hash(9_001),
                description: "expired unpaid".into(),
                amount_msat: Some(1_000),
                payment_secret: None,
                preimage: None,
                invoice: signed_invoice(hash(9_001), "expired unpaid"),
                expires_at: Some(1_000),
                metadata: None,
            })
            .unwrap();
    }
    let d = Daemon::start(&chain, dir.path().to_path_buf()).await;

    // Reconciled at start-up: nothing stays pending forever.
    let stuck = d
        .ok(DETAILS, json!({ "payment_hash": hex::encode(hash(9_000)) }))
        .await;
    assert_eq!(stuck["payment_details"]["status"], "failed", "{stuck}");
    assert_eq!(
        stuck["payment_details"]["failure_reason"],
        "not in flight after restart"
    );
    assert_eq!(stuck["payment_details"]["metadata"], json!({"k": 1}));
    let expired = d
        .ok(DETAILS, json!({ "payment_hash": hex::encode(hash(9_001)) }))
        .await;
    assert_eq!(expired["payment_details"]["status"], "failed", "{expired}");
    // Rows the test checks below are those it wrote; drop the two extra from every filter.
    let extra = [hex::encode(hash(9_000)), hex::encode(hash(9_001))];
    let ours = |r: &Row| !extra.contains(&r.hash);
    rows.retain(|r| ours(r));
    let not_extra =
        |v: Vec<String>| -> Vec<String> { v.into_iter().filter(|h| !extra.contains(h)).collect() };

    // Everything, page 3 of 50.
    let all = expected_order(&rows, |_| true);
    let page = d
        .ok(
            LIST,
            json!({ "limit": 50, "paging_options": {"PageNumber": 3} }),
        )
        .await;
    assert_eq!(page["total"], 242);
    assert_eq!(page["total_pages"], 5);
    assert_eq!(page["skipped"], 100);
    // The two reconciled rows changed last, so they lead; page 3 is rows 100..150 of all.
    let reconciled_first = hashes(&d.ok(LIST, json!({ "limit": 2 })).await);
    assert_eq!(
        reconciled_first
            .iter()
            .collect::<std::collections::BTreeSet<_>>(),
        extra.iter().collect::<std::collections::BTreeSet<_>>()
    );
    assert_eq!(not_extra(hashes(&page)), all[98..148].to_vec());

    // Inbound and succeeded, limit 7, page 2.
    let want = expected_order(&rows, |r| r.inbound && r.status == "succeeded");
    let page = d
        .ok(
            LIST,
            json!({ "filter": {"payment_type": {"type": "Inbound Payment"}, "status": "succeeded"},
                    "limit": 7, "paging_options": {"PageNumber": 2} }),
        )
        .await;
    assert_eq!(page["total"], want.len());
    assert_eq!(page["total_pages"], want.len().div_ceil(7));
    assert_eq!(page["skipped"], 7);
    assert_eq!(hashes(&page), want[7..14].to_vec());

    // FromId within the filtered set starts just after it.
    let page = d
        .ok(
            LIST,
            json!({ "filter": {"payment_type": {"type": "Inbound Payment"}, "status": "succeeded"},
                    "limit": 10, "paging_options": {"FromId": want[9]} }),
        )
        .await;
    assert_eq!(hashes(&page), want[10..20].to_vec());
    assert_eq!(page["skipped"], 10);
    // A hash outside the filtered set is not found.
    let outbound_hash = rows.iter().find(|r| !r.inbound).unwrap().hash.clone();
    d.error(
        LIST,
        json!({ "filter": {"payment_type": {"type": "Inbound Payment"}},
                "paging_options": {"FromId": outbound_hash} }),
        "NoSuchPayment",
        404,
    )
    .await;

    // Outbound to one destination, an amount range, and a created_at range (inclusive).
    let dest = hex::encode(pubkey(1));
    let from = rows[30].created_at;
    let to = rows[200].created_at;
    let want = expected_order(&rows, |r| {
        r.destination.as_deref() == Some(dest.as_str())
            && (1_500..=2_800).contains(&r.amount)
            && (from..=to).contains(&r.created_at)
    });
    let page = d
        .ok(
            LIST,
            json!({ "filter": {"payment_type": {"type": "Outbound Payment", "destination": dest},
                               "from_amount_msat": 1_500, "to_amount_msat": 2_800,
                               "from_timestamp": from, "to_timestamp": to},
                    "limit": 1000 }),
        )
        .await;
    assert!(!want.is_empty());
    assert_eq!(hashes(&page), want);
    assert_eq!(page["total"], want.len());

    // Description: `%`, `_` and `'` are literal characters, matching is case-insensitive.
    for (needle, check) in [
        ("100%", "100%"),
        ("_", "_"),
        ("'", "'"),
        ("COFFEE", "Coffee"),
    ] {
        let want = expected_order(&rows, |r| r.description.contains(check));
        let page = d
            .ok(
                LIST,
                json!({ "filter": {"description": needle}, "limit": 1000 }),
            )
            .await;
        assert_eq!(hashes(&page), want, "description filter {needle:?}");
        assert_eq!(page["total"], want.len());
    }

    // Past the end: an empty page, same totals.
    let page = d
        .ok(
            LIST,
            json!({ "limit": 10, "paging_options": {"PageNumber": 999} }),
        )
        .await;
    assert_eq!(page["payments"], json!([]));
    assert_eq!(page["total"], 242);
    assert_eq!(page["skipped"], 9980);

    // Defaults: limit 10, page 1.
    let page = d.ok(LIST, json!({})).await;
    assert_eq!(page["limit"], 10);
    assert_eq!(page["paging_options"], json!({"PageNumber": 1}));
    assert_eq!(hashes(&page).len(), 10);

    d.app.shutdown().await.expect("clean shutdown");
}
