use std::net::{Ipv4Addr, Ipv6Addr};

use super::*;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn auth(max: u32, window_secs: u64) -> Authenticator {
    Authenticator::new(
        "Pass-w0rd!",
        RateLimit {
            max_failed_attempts: max,
            window: Duration::from_secs(window_secs),
        },
    )
}

fn kind<T>(r: MmResult<T, AuthError>) -> Option<AuthError> {
    r.err().map(MmError::into_inner)
}

#[test]
fn loopback_predicate_covers_v4_v6_and_mapped() {
    for ip in [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:127.1.2.3",
    ] {
        assert!(is_loopback_peer(ip.parse().unwrap()), "{ip}");
    }
    for ip in [
        "10.0.0.1",
        "192.168.1.1",
        "0.0.0.0",
        "::",
        "::ffff:10.0.0.1",
        "fe80::1",
        "2001:db8::1",
    ] {
        assert!(!is_loopback_peer(ip.parse().unwrap()), "{ip}");
    }
}

#[test]
fn local_only_refuses_remote_callers_only_when_enabled() {
    let remote: IpAddr = "192.0.2.7".parse().unwrap();
    assert_eq!(
        kind(check_local_only(true, remote)),
        Some(AuthError::LocalHostOnly)
    );
    assert_eq!(kind(check_local_only(false, remote)), None);
    assert_eq!(kind(check_local_only(true, LOCAL)), None);
}

#[test]
fn right_missing_and_wrong_userpass() {
    let a = auth(3, 60);
    assert_eq!(kind(a.authenticate(LOCAL, Some("Pass-w0rd!"))), None);
    assert_eq!(
        kind(a.authenticate(LOCAL, None)),
        Some(AuthError::UserpassIsNotSet)
    );
    assert_eq!(
        kind(a.authenticate(LOCAL, Some("Pass-w0rd"))),
        Some(AuthError::UserpassIsInvalid(
            RateLimitError::NbAttemptsLeft(2)
        ))
    );
    // A missing userpass is not a failure.
    assert_eq!(
        kind(a.authenticate(LOCAL, Some(""))),
        Some(AuthError::UserpassIsInvalid(
            RateLimitError::NbAttemptsLeft(1)
        ))
    );
}

#[test]
fn the_ban_starts_at_the_limit_and_decays_after_a_quiet_window() {
    let a = auth(2, 60);
    let t0 = Instant::now();
    let wrong = Some("nope");
    let at = |secs| t0 + Duration::from_secs(secs);
    assert_eq!(
        kind(a.authenticate_at(LOCAL, wrong, at(0))),
        Some(AuthError::UserpassIsInvalid(
            RateLimitError::NbAttemptsLeft(1)
        ))
    );
    assert_eq!(
        kind(a.authenticate_at(LOCAL, wrong, at(10))),
        Some(AuthError::UserpassIsInvalid(
            RateLimitError::NbAttemptsLeft(0)
        ))
    );
    // Banned, even with the right password, and being refused does not extend the ban.
    assert_eq!(
        kind(a.authenticate_at(LOCAL, Some("Pass-w0rd!"), at(20))),
        Some(AuthError::Banned)
    );
    assert_eq!(
        kind(a.authenticate_at(LOCAL, wrong, at(69))),
        Some(AuthError::Banned)
    );
    // The window has passed since the last failure (at 10): the count is reset.
    assert_eq!(
        kind(a.authenticate_at(LOCAL, Some("Pass-w0rd!"), at(70))),
        None
    );
    assert_eq!(
        kind(a.authenticate_at(LOCAL, wrong, at(71))),
        Some(AuthError::UserpassIsInvalid(
            RateLimitError::NbAttemptsLeft(1)
        ))
    );
}

#[test]
fn failures_are_counted_per_caller() {
    let a = auth(1, 60);
    let other: IpAddr = "127.0.0.2".parse().unwrap();
    let _ = a.authenticate(LOCAL, Some("x"));
    assert_eq!(
        kind(a.authenticate(LOCAL, Some("x"))),
        Some(AuthError::Banned)
    );
    assert_eq!(kind(a.authenticate(other, Some("Pass-w0rd!"))), None);
}

#[test]
fn callers_are_keyed_by_v4_or_v6_slash_64() {
    let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
    assert_eq!(caller_key(mapped), LOCAL);
    let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
    let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
    let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(caller_key(a), caller_key(b));
    assert_ne!(caller_key(a), caller_key(c));
    assert_eq!(
        caller_key(a),
        IpAddr::V6("2001:db8:1:2::".parse::<Ipv6Addr>().unwrap())
    );
}

#[test]
fn the_caller_map_is_bounded() {
    let a = auth(5, 60);
    let t0 = Instant::now();
    for i in 0..(MAX_TRACKED_IPS as u32 + 50) {
        let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
        let _ = a.authenticate_at(ip, Some("x"), t0 + Duration::from_millis(u64::from(i)));
    }
    let attempts = a.attempts.lock().unwrap();
    assert_eq!(attempts.by_caller.len(), MAX_TRACKED_IPS);
    // The oldest were dropped, the newest kept.
    assert!(!attempts
        .by_caller
        .contains_key(&IpAddr::V4(Ipv4Addr::from(0x0a00_0000))));
    let newest = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + MAX_TRACKED_IPS as u32 + 49));
    assert!(attempts.by_caller.contains_key(&newest));
}

#[test]
fn expired_records_are_dropped_first_when_full() {
    let a = auth(5, 1);
    let t0 = Instant::now();
    for i in 0..MAX_TRACKED_IPS as u32 {
        let _ = a.authenticate_at(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), Some("x"), t0);
    }
    let later = t0 + Duration::from_secs(5);
    let _ = a.authenticate_at(LOCAL, Some("x"), later);
    assert_eq!(a.attempts.lock().unwrap().by_caller.len(), 1);
}

#[tokio::test]
async fn keys_authenticate_and_a_revoked_one_is_refused_without_counting() {
    use crate::ledger::Ledger;
    use crate::service::keys::{manage, KeyRing, KeySpec};

    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path().join("mmln.sqlite")).unwrap();
    let spec = KeySpec {
        label: "shop".into(),
        scope: Some("invoice".into()),
        ..KeySpec::default()
    };
    let created = manage::create(&ledger, &spec, &[]).unwrap();
    let ring = Arc::new(KeyRing::load(ledger).unwrap());
    let a = auth(3, 60).with_keys(Some(Arc::clone(&ring)));
    let token = created.token.as_str();

    assert_eq!(
        a.authenticate(LOCAL, Some(token)).unwrap(),
        Caller::Key(created.row.id)
    );
    assert_eq!(
        a.authenticate(LOCAL, Some("Pass-w0rd!")).unwrap(),
        Caller::Admin
    );
    // An unknown token is a wrong password: it counts.
    assert_eq!(
        kind(a.authenticate(LOCAL, Some("mmln_inv_00"))),
        Some(AuthError::UserpassIsInvalid(
            RateLimitError::NbAttemptsLeft(2)
        ))
    );
    ring.revoke(created.row.id).await.unwrap();
    for _ in 0..5 {
        assert_eq!(
            kind(a.authenticate(LOCAL, Some(token))),
            Some(AuthError::UserpassIsInvalid(
                RateLimitError::NbAttemptsLeft(2)
            ))
        );
    }
    // The same token under the password-only authenticator is just wrong.
    assert!(auth(3, 60).authenticate(LOCAL, Some(token)).is_err());
}
