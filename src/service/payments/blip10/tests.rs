use super::*;
use serde_json::json;

fn parse(value: Value) -> Blip10Metadata {
    Blip10Metadata::parse(value.to_string().as_bytes()).expect("an object parses")
}

#[test]
fn lnpay_seed_stream_record() {
    let raw = br#"{"time":"00:35:57","action":"stream","feedID":"920666","episode":"Episode 45: Pressin' The Flesh and Kissin' Babies","podcast":"Podcasting 2.0"}"#;
    let view = Blip10Metadata::parse(raw).unwrap();
    assert_eq!(view.action, Some(Blip10Action::Stream));
    assert_eq!(view.time.as_deref(), Some("00:35:57"));
    assert_eq!(view.feed_id.as_deref(), Some("920666"));
    assert_eq!(view.podcast.as_deref(), Some("Podcasting 2.0"));
    assert_eq!(
        view.episode.as_deref(),
        Some("Episode 45: Pressin' The Flesh and Kissin' Babies")
    );
    assert!(view.extra.is_empty());
    assert!(!view.is_boostagram());
}

#[test]
fn full_boostagram_in_any_key_order() {
    let view = parse(json!({
        "value_msat_total": 100000, "message": "Great show!", "action": "boost",
        "app_name": "Fountain", "app_version": "1.2.3", "sender_name": "alice",
        "sender_id": "a1", "name": "host", "value_msat": 95000, "ts": 1234,
        "podcast": "P", "url": "https://feed", "guid": "g-1", "episode": "E1",
        "itemID": 55, "episode_guid": "eg", "boost_link": "https://b", "speed": "1.5",
        "uuid": "u-1", "boost_uuid": "bu-1", "reply_address": "03ab", "seconds_back": 30,
        "feedID": 920666
    }));
    assert!(view.is_boostagram());
    assert_eq!(view.value_msat, Some(95000));
    assert_eq!(view.value_msat_total, Some(100000));
    assert_eq!(view.item_id.as_deref(), Some("55"));
    assert_eq!(view.feed_id.as_deref(), Some("920666"));
    assert_eq!(view.ts, Some(1234));
    assert_eq!(view.seconds_back, Some(30));
    assert_eq!(view.speed.as_deref(), Some("1.5"));
    assert_eq!(view.reply_address.as_deref(), Some("03ab"));
    assert!(view.extra.is_empty(), "{:?}", view.extra);
}

#[test]
fn real_world_deviations_are_read_leniently() {
    let view = parse(json!({
        "action": "streaming", "itemID": "12345", "message": null, "ts": "61",
        "value_msat": "5000", "seconds_back": 2.9, "remote_feed_guid": "rf", "app": {"x": 1}
    }));
    assert_eq!(
        view.action,
        Some(Blip10Action::Other("streaming".to_string()))
    );
    assert_eq!(view.item_id.as_deref(), Some("12345"));
    assert_eq!(view.message, None);
    assert_eq!(view.ts, Some(61));
    assert_eq!(view.value_msat, Some(5000));
    assert_eq!(view.seconds_back, Some(2));
    assert_eq!(view.extra.get("remote_feed_guid"), Some(&json!("rf")));
    assert_eq!(view.extra.get("app"), Some(&json!({"x": 1})));
    assert!(
        !view.extra.contains_key("message"),
        "null is absent, not extra"
    );
}

#[test]
fn action_matching_ignores_case_and_spaces_but_keeps_unknowns_verbatim() {
    assert_eq!(Blip10Action::parse(" Boost "), Blip10Action::Boost);
    assert_eq!(Blip10Action::parse("STREAM"), Blip10Action::Stream);
    assert_eq!(Blip10Action::parse("auto"), Blip10Action::Auto);
    assert_eq!(Blip10Action::parse("Tip").as_str(), "Tip");
}

#[test]
fn unreadable_values_move_to_extra() {
    let view = parse(json!({
        "ts": -5, "value_msat": "lots", "value_msat_total": 1.5e30, "podcast": ["a"],
        "action": 7, "message": {"text": "hi"}, "seconds_back": "NaN"
    }));
    assert_eq!(view.ts, None);
    assert_eq!(view.value_msat, None);
    assert_eq!(view.value_msat_total, None);
    assert_eq!(view.podcast, None);
    assert_eq!(view.action, None);
    assert_eq!(view.message, None);
    assert_eq!(view.seconds_back, None);
    for key in [
        "ts",
        "value_msat",
        "value_msat_total",
        "podcast",
        "action",
        "message",
        "seconds_back",
    ] {
        assert!(view.extra.contains_key(key), "{key} missing from extra");
    }
}

#[test]
fn second_spelling_of_a_key_is_kept_in_extra() {
    let view = parse(json!({"feedID": "1", "feed_id": "2"}));
    // "feedID" comes first both as written and in sorted order.
    assert_eq!(view.feed_id.as_deref(), Some("1"));
    assert_eq!(view.extra.get("feed_id"), Some(&json!("2")));
}

#[test]
fn boostagram_needs_boost_and_a_non_blank_message() {
    assert!(parse(json!({"action": "boost", "message": "hi"})).is_boostagram());
    assert!(!parse(json!({"action": "boost", "message": "  "})).is_boostagram());
    assert!(!parse(json!({"action": "boost", "message": null})).is_boostagram());
    assert!(!parse(json!({"action": "boost"})).is_boostagram());
    assert!(!parse(json!({"action": "stream", "message": "hi"})).is_boostagram());
}

#[test]
fn non_objects_and_invalid_bytes_have_no_view() {
    for raw in [
        &b"not json"[..],
        b"",
        b"[1,2]",
        b"\"boost\"",
        b"42",
        b"{\"action\":\"boost\"",
        b"{\"message\":\"\xff\"}",
    ] {
        assert_eq!(Blip10Metadata::parse(raw), None, "{raw:?}");
    }
}

#[test]
fn utf8_bom_and_whitespace_are_tolerated() {
    let view = Blip10Metadata::parse(b"\xef\xbb\xbf  {\"action\":\"auto\"}\n").unwrap();
    assert_eq!(view.action, Some(Blip10Action::Auto));
}

#[test]
fn serializes_snake_case_and_omits_absent_fields() {
    let view =
        parse(json!({"action": "streaming", "feedID": 7, "itemID": "9", "ts": "3", "x": true}));
    assert_eq!(
        serde_json::to_value(&view).unwrap(),
        json!({"action": "streaming", "feed_id": "7", "item_id": "9", "ts": 3, "extra": {"x": true}})
    );
    assert_eq!(
        serde_json::to_value(Blip10Metadata::default()).unwrap(),
        json!({})
    );
}
