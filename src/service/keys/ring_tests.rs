//! The key ring: revocation and expiry reach open sessions; limits keep a key to the
//! budgeted send.

use super::*;
use std::sync::Arc;

fn ring_with(spec: KeySpec) -> (tempfile::TempDir, Arc<KeyRing>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
    let created = manage::create(&ledger, &spec, &[]).unwrap();
    (
        dir,
        Arc::new(KeyRing::load(ledger).unwrap()),
        created.row.id,
    )
}

#[tokio::test]
async fn open_sessions_learn_of_revocation_and_expiry() {
    let spec = KeySpec {
        label: "dashboard".into(),
        scope: Some("readonly".into()),
        ..KeySpec::default()
    };
    let (_dir, ring, id) = ring_with(spec.clone());
    let waiter = tokio::spawn({
        let ring = Arc::clone(&ring);
        async move { ring.unusable(Caller::Key(id)).await }
    });
    assert!(ring
        .authorize(Caller::Key(id), "version", Access::Read)
        .is_ok());
    ring.revoke(id).await.unwrap();
    assert_eq!(waiter.await.unwrap(), Denied::Revoked(id));
    assert_eq!(
        ring.authorize(Caller::Key(id), "version", Access::Read),
        Err(Denied::Revoked(id))
    );

    // Two seconds ahead, not one: the new ledger's clock may already be a second later (a slow
    // machine crossed a second boundary here once), and an expiry at "now" is refused.
    let expiring = KeySpec {
        expires_at: Some(ring.now() + 2),
        ..spec
    };
    let (_dir, ring, id) = ring_with(expiring);
    assert_eq!(ring.unusable(Caller::Key(id)).await, Denied::Expired(id));
    assert_eq!(
        ring.authorize(Caller::Key(id), "version", Access::Read),
        Err(Denied::Expired(id))
    );
}

#[tokio::test]
async fn limits_keep_a_key_to_the_budgeted_send() {
    let (_dir, ring, id) = ring_with(KeySpec {
        label: "podcast".into(),
        scope: Some("admin".into()),
        budget_msat: Some(1_000),
        budget_period: Some("day".into()),
        ..KeySpec::default()
    });
    let key = Caller::Key(id);
    assert!(ring
        .authorize(key, "lightning::payments::send_payment", Access::Admin)
        .is_ok());
    for method in scope::UNBUDGETED_SPENDS {
        assert!(matches!(
            ring.authorize(key, method, Access::Admin),
            Err(Denied::UnbudgetedSpend { .. })
        ));
    }
    let charge = ring.charge_for(key).unwrap();
    assert_eq!(charge.budget.map(|b| b.window_secs), Some(86_400));
    assert_eq!(ring.charge_for(Caller::Admin), None);
}
