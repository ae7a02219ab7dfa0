//! Loading: precedence, unknown keys, bad values, the password checks, and the key table.

use std::collections::HashMap;
use std::io::Write;

use super::*;

const STRONG: &str = "Str0ng!Secret";

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config_file(contents: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(contents.as_bytes())
        .expect("write temp file");
    file
}

fn args_with_file(file: &tempfile::NamedTempFile, pairs: &[(&'static str, &str)]) -> RunArgs {
    let mut args = RunArgs::from_pairs(pairs);
    args.config = Some(file.path().to_path_buf());
    args
}

#[test]
fn defaults_apply_when_no_source_sets_a_key() {
    let args = RunArgs::from_pairs(&[("rpc_password", STRONG), ("data_dir", "/nonexistent/mmln")]);
    let config = load(&args, &env(&[])).expect("loads");
    let default = Config::default();
    assert_eq!(config.rpcport, default.rpcport);
    assert_eq!(config.rpcip, default.rpcip);
    assert_eq!(config.network, default.network);
    assert_eq!(config.rpc_max_body_bytes, default.rpc_max_body_bytes);
    assert!(config.rpc_local_only);
}

#[test]
fn flags_beat_env_beat_file_beat_defaults() {
    let file = config_file(&format!(
        "rpc_password = \"{STRONG}\"\nrpcport = 1111\nrpc_max_connections = 11\ncoin = \"FILE\"\n"
    ));
    let env = env(&[("MMLN_RPCPORT", "2222"), ("MMLN_COIN", "ENV")]);
    let args = args_with_file(&file, &[("rpcport", "3333")]);
    let config = load(&args, &env).expect("loads");
    assert_eq!(config.rpcport, 3333, "flag wins over env and file");
    assert_eq!(config.coin.as_deref(), Some("ENV"), "env wins over file");
    assert_eq!(config.rpc_max_connections, 11, "file wins over default");
    assert_eq!(
        config.rpc_max_failed_attempts, 10,
        "default when nothing sets it"
    );
}

#[test]
fn default_config_file_is_read_from_data_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("mmln.toml"),
        "network = \"signet\"\nallow_weak_password = true\n",
    )
    .expect("write config");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    let env = env(&[("MMLN_DATA_DIR", data_dir), ("MMLN_RPC_PASSWORD", "weak")]);
    let config = load(&RunArgs::default(), &env).expect("loads");
    assert_eq!(config.network, bitcoin::Network::Signet);
    assert_eq!(config.rpc_password.as_deref(), Some("weak"));
}

#[test]
fn explicit_config_file_must_exist() {
    let mut args = RunArgs::from_pairs(&[("rpc_password", STRONG)]);
    args.config = Some("/nonexistent/mmln.toml".into());
    let err = load(&args, &env(&[])).expect_err("missing file");
    assert!(matches!(err, ConfigError::ReadFileFailed { .. }), "{err}");
}

#[test]
fn unknown_file_key_is_an_error_naming_it() {
    let file = config_file("rpc_port = 7783\n");
    let err = load(&args_with_file(&file, &[]), &env(&[])).expect_err("unknown key");
    let message = err.to_string();
    assert!(message.contains("unknown key `rpc_port`"), "{message}");
    assert!(
        message.contains(&file.path().display().to_string()),
        "{message}"
    );
}

#[test]
fn bad_value_names_key_and_env_var() {
    let env = env(&[("MMLN_RPC_PASSWORD", STRONG), ("MMLN_RPCPORT", "seventy")]);
    let err = load(&RunArgs::default(), &env).expect_err("bad port");
    let message = err.to_string();
    assert!(
        message.starts_with("invalid value for `rpcport` (from MMLN_RPCPORT): "),
        "{message}"
    );
}

#[test]
fn bad_value_names_key_and_flag() {
    let args = RunArgs::from_pairs(&[("rpc_password", STRONG), ("network", "mainnet")]);
    let message = load(&args, &env(&[])).expect_err("bad network").to_string();
    assert!(
        message.starts_with("invalid value for `network` (from --network): "),
        "{message}"
    );
}

#[test]
fn bad_value_names_key_and_file() {
    let file = config_file(&format!(
        "rpc_password = \"{STRONG}\"\nrpcport = \"7783\"\n"
    ));
    let message = load(&args_with_file(&file, &[]), &env(&[]))
        .expect_err("bad type")
        .to_string();
    let expected = format!(
        "invalid value for `rpcport` (from {}): expected an integer",
        file.path().display()
    );
    assert!(message.starts_with(&expected), "{message}");
}

#[test]
fn out_of_range_and_zero_limits_are_rejected() {
    for (key, value) in [
        ("rpcport", "70000"),
        ("rpc_max_connections", "0"),
        ("rpc_max_body_bytes", "0"),
        ("rpc_max_failed_attempts", "0"),
        ("rpc_failed_attempts_window_secs", "0"),
        ("chain_poll_interval_ms", "0"),
        ("fallback_fee_rate_sat_per_kw", "252"),
        ("rpcip", "localhost"),
        ("p2p_listen", "9735"),
        ("bitcoind_rpc_url", "https://127.0.0.1:8332"),
        ("rpc_local_only", "maybe"),
        ("log_level", "[[["),
    ] {
        let args = RunArgs::from_pairs(&[("rpc_password", STRONG), (key, value)]);
        let message = load(&args, &env(&[])).expect_err(key).to_string();
        assert!(
            message.starts_with(&format!("invalid value for `{key}`")),
            "{message}"
        );
    }
}

#[test]
fn missing_password_refuses_to_start() {
    let err = load(&RunArgs::default(), &env(&[])).expect_err("no password");
    assert!(matches!(err, ConfigError::MissingRpcPassword));
    assert!(
        err.to_string().starts_with("`rpc_password` is not set"),
        "{err}"
    );
}

#[test]
fn empty_password_is_a_bad_value() {
    let env = env(&[("MMLN_RPC_PASSWORD", "")]);
    let message = load(&RunArgs::default(), &env)
        .expect_err("empty")
        .to_string();
    assert!(
        message.starts_with("invalid value for `rpc_password` (from MMLN_RPC_PASSWORD)"),
        "{message}"
    );
}

#[test]
fn weak_password_reports_first_rule_and_origin() {
    let env = env(&[("MMLN_RPC_PASSWORD", "abcdefgh")]);
    let err = load(&RunArgs::default(), &env).expect_err("weak");
    match &err {
        ConfigError::WeakRpcPassword { origin, rule } => {
            assert_eq!(*rule, PasswordPolicyError::PasswordMissDigit);
            assert_eq!(*origin, Origin::Env("MMLN_RPC_PASSWORD".into()));
        }
        other => panic!("expected WeakRpcPassword, got {other}"),
    }
    assert!(
        err.to_string()
            .contains("Password should contain at least 1 digit"),
        "{err}"
    );
}

#[test]
fn allow_weak_password_skips_the_policy() {
    let args = RunArgs::from_pairs(&[("rpc_password", "abc"), ("allow_weak_password", "true")]);
    let config = load(&args, &env(&[])).expect("weak allowed");
    assert!(config.allow_weak_password);
}

#[test]
fn bitcoind_user_needs_password() {
    let args = RunArgs::from_pairs(&[("rpc_password", STRONG), ("bitcoind_rpc_user", "alice")]);
    let message = load(&args, &env(&[])).expect_err("lonely user").to_string();
    assert!(
        message.contains("`bitcoind_rpc_user` (from --bitcoind-rpc-user)"),
        "{message}"
    );
    assert!(
        message.contains("`bitcoind_rpc_password` is not"),
        "{message}"
    );
}

#[test]
fn every_key_in_the_table_is_parsed() {
    // A key in the table that `apply` does not know would be documented but unusable.
    let samples: HashMap<&str, &str> = [
        ("rpc_password", STRONG),
        ("rpcip", "127.0.0.1"),
        ("rpcport", "7783"),
        ("rpc_local_only", "true"),
        ("allow_weak_password", "false"),
        ("rpc_max_body_bytes", "1048576"),
        ("rpc_max_connections", "512"),
        ("rpc_max_connections_per_ip", "128"),
        ("rpc_header_read_timeout_secs", "10"),
        ("rpc_body_read_timeout_secs", "30"),
        ("rpc_keepalive_timeout_secs", "30"),
        ("rpc_max_failed_attempts", "10"),
        ("rpc_failed_attempts_window_secs", "600"),
        ("rpc_socket", "lightning-rpc"),
        ("data_dir", "mmln-data"),
        ("network", "regtest"),
        ("coin", "tBTC-lightning"),
        ("p2p_listen", "0.0.0.0:9735"),
        ("accept_forwards_to_private_channels", "true"),
        ("bitcoind_rpc_url", "http://127.0.0.1:18443"),
        ("bitcoind_rpc_user", "u"),
        ("bitcoind_rpc_password", "p"),
        ("bitcoind_rpc_cookie", "/tmp/.cookie"),
        ("chain_poll_interval_ms", "250"),
        ("fallback_fee_rate_sat_per_kw", "2500"),
        ("keysend_accepted_even_tlvs", "818818,906608"),
        ("wallet_routing_tlvs", "696969,112111100"),
        ("hold_invoice_cancel_before_blocks", "18"),
        ("sendpay_mpp_timeout_secs", "60"),
        ("event_retention_days", "30"),
        ("event_subscription_buffer", "1000"),
        ("event_subscription_stall_secs", "30"),
        (
            "webhook_urls",
            "http://127.0.0.1:8099/hook;http://localhost/x|payment,channel_closed",
        ),
        ("webhook_secret", "s3cret"),
        ("webhook_allowed_hosts", "127.0.0.1,[::1]"),
        ("webhook_retry_base_ms", "1000"),
        ("webhook_retry_horizon_secs", "86400"),
        ("webhook_timeout_secs", "10"),
        ("log_level", "info"),
    ]
    .into_iter()
    .collect();
    for key in KEYS {
        let sample = samples
            .get(key.name)
            .unwrap_or_else(|| panic!("no sample for {}", key.name));
        let mut config = Config::default();
        keys::apply(
            &mut config,
            key.name,
            &keys::RawValue::Text(sample.to_string()),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", key.name));
    }
    assert_eq!(
        samples.len(),
        KEYS.len(),
        "a sample names a key the table lacks"
    );
}

#[test]
fn wallet_routing_keys_keep_their_priority_order_and_take_either_parity() {
    let mut config = Config::default();
    assert_eq!(config.wallet_routing_tlvs, vec![112_111_100, 696_969]);
    keys::apply(
        &mut config,
        "wallet_routing_tlvs",
        &keys::RawValue::Text("696969, 112111100,696969".into()),
    )
    .unwrap();
    assert_eq!(config.wallet_routing_tlvs, vec![696_969, 112_111_100]);
    let low = keys::apply(
        &mut config,
        "wallet_routing_tlvs",
        &keys::RawValue::Text("100".into()),
    );
    assert!(low.unwrap_err().contains("below 65536"));
    let mut parsed = Config::default();
    let shown = keys::find("wallet_routing_tlvs").unwrap().default;
    keys::apply(
        &mut parsed,
        "wallet_routing_tlvs",
        &keys::RawValue::Text(shown.into()),
    )
    .unwrap();
    assert_eq!(
        parsed.wallet_routing_tlvs,
        Config::default().wallet_routing_tlvs
    );
}

#[test]
fn documented_numeric_defaults_match_config_default() {
    // `--help` shows the table's defaults; they must be the ones `Config::default()` uses.
    let mut parsed = Config::default();
    for key in KEYS {
        let value = keys::RawValue::Text(key.default.to_string());
        if keys::apply(&mut parsed, key.name, &value).is_err() {
            continue; // Defaults such as "none" or "derived from network" are prose.
        }
    }
    let default = Config::default();
    assert_eq!(parsed.rpcip, default.rpcip);
    assert_eq!(parsed.rpcport, default.rpcport);
    assert_eq!(parsed.rpc_local_only, default.rpc_local_only);
    assert_eq!(parsed.allow_weak_password, default.allow_weak_password);
    assert_eq!(parsed.rpc_max_body_bytes, default.rpc_max_body_bytes);
    assert_eq!(parsed.rpc_max_connections, default.rpc_max_connections);
    assert_eq!(
        parsed.rpc_max_failed_attempts,
        default.rpc_max_failed_attempts
    );
    assert_eq!(
        parsed.rpc_failed_attempts_window_secs,
        default.rpc_failed_attempts_window_secs
    );
    assert_eq!(parsed.data_dir, default.data_dir);
    assert_eq!(parsed.network, default.network);
    assert_eq!(parsed.p2p_listen, default.p2p_listen);
    assert_eq!(
        parsed.accept_forwards_to_private_channels,
        default.accept_forwards_to_private_channels
    );
    assert_eq!(
        parsed.fallback_fee_rate_sat_per_kw,
        default.fallback_fee_rate_sat_per_kw
    );
    assert_eq!(
        parsed.keysend_accepted_even_tlvs,
        default.keysend_accepted_even_tlvs
    );
}

#[test]
fn accepted_even_tlvs_default_is_shown_in_help() {
    let shown = keys::find("keysend_accepted_even_tlvs")
        .expect("key")
        .default;
    let parsed = keys::even_tlv_keys(&keys::RawValue::Text(shown.to_string())).expect("parses");
    assert_eq!(parsed, Config::default().keysend_accepted_even_tlvs);
}

#[test]
fn accepted_even_tlvs_parse_from_every_source() {
    let file = config_file(&format!(
        "rpc_password = \"{STRONG}\"\nkeysend_accepted_even_tlvs = [818818, 65538, 818818]\n"
    ));
    let config = load(&args_with_file(&file, &[]), &env(&[])).expect("file array loads");
    assert_eq!(config.keysend_accepted_even_tlvs, vec![65_538, 818_818]);

    let env = env(&[("MMLN_KEYSEND_ACCEPTED_EVEN_TLVS", " 906608 , 70000 ")]);
    let config = load(&args_with_file(&file, &[]), &env).expect("env list loads");
    assert_eq!(config.keysend_accepted_even_tlvs, vec![70_000, 906_608]);

    let args = args_with_file(&file, &[("keysend_accepted_even_tlvs", "")]);
    let config = load(&args, &env).expect("empty flag loads");
    assert!(
        config.keysend_accepted_even_tlvs.is_empty(),
        "flag wins, empty list"
    );
}

#[test]
fn accepted_even_tlvs_reject_odd_small_and_preimage_keys() {
    for (value, expected) in [
        ("818819", "is odd"),
        ("1000", "below 65536"),
        ("5482373484", "keysend preimage"),
        ("818818,x", "comma-separated list of integers"),
    ] {
        let args = RunArgs::from_pairs(&[
            ("rpc_password", STRONG),
            ("data_dir", "/nonexistent/mmln"),
            ("keysend_accepted_even_tlvs", value),
        ]);
        let message = load(&args, &env(&[])).expect_err(value).to_string();
        assert!(message.contains("keysend_accepted_even_tlvs"), "{message}");
        assert!(message.contains(expected), "{value}: {message}");
    }
    let file = config_file(&format!(
        "rpc_password = \"{STRONG}\"\nkeysend_accepted_even_tlvs = \"818818\"\n"
    ));
    let message = load(&args_with_file(&file, &[]), &env(&[]))
        .expect_err("a string is not an array")
        .to_string();
    assert!(
        message.contains("expected an array of integers"),
        "{message}"
    );
}

#[test]
fn hold_invoice_cancel_before_blocks_is_a_positive_block_count() {
    let mut config = Config::default();
    assert_eq!(config.hold_invoice_cancel_before_blocks, 18);
    keys::apply(
        &mut config,
        "hold_invoice_cancel_before_blocks",
        &keys::RawValue::Text("6".into()),
    )
    .unwrap();
    assert_eq!(config.hold_invoice_cancel_before_blocks, 6);
    for bad in ["0", "-1", "many"] {
        let err = keys::apply(
            &mut config,
            "hold_invoice_cancel_before_blocks",
            &keys::RawValue::Text(bad.into()),
        )
        .unwrap_err();
        assert!(!err.is_empty(), "{bad}");
    }
}

#[test]
fn rpc_socket_defaults_to_the_data_dir_and_empty_disables_it() {
    let mut config = Config {
        data_dir: PathBuf::from("/srv/mmln"),
        ..Config::default()
    };
    assert_eq!(
        config.rpc_socket_path(),
        Some(PathBuf::from("/srv/mmln/lightning-rpc"))
    );
    keys::apply(
        &mut config,
        "rpc_socket",
        &keys::RawValue::Text("rpc.sock".into()),
    )
    .unwrap();
    assert_eq!(
        config.rpc_socket_path(),
        Some(PathBuf::from("/srv/mmln/rpc.sock"))
    );
    keys::apply(
        &mut config,
        "rpc_socket",
        &keys::RawValue::Text("/run/x.sock".into()),
    )
    .unwrap();
    assert_eq!(config.rpc_socket_path(), Some(PathBuf::from("/run/x.sock")));
    keys::apply(
        &mut config,
        "rpc_socket",
        &keys::RawValue::Text(String::new()),
    )
    .unwrap();
    assert_eq!(config.rpc_socket_path(), None);
}

#[test]
fn webhook_urls_take_kinds_per_url_and_refuse_bad_entries() {
    let mut config = Config::default();
    let text = "http://127.0.0.1:8099/hook ; http://localhost/x|payment, channel_closed";
    keys::apply(
        &mut config,
        "webhook_urls",
        &keys::RawValue::Text(text.into()),
    )
    .unwrap();
    assert_eq!(
        config.webhook_urls,
        vec![
            super::WebhookUrl {
                url: "http://127.0.0.1:8099/hook".into(),
                kinds: None
            },
            super::WebhookUrl {
                url: "http://localhost/x".into(),
                kinds: Some(vec!["payment".into(), "channel_closed".into()])
            },
        ]
    );
    let toml = keys::RawValue::Toml(toml::Value::Array(vec![toml::Value::String(
        "http://127.0.0.1:1/a|wallet".into(),
    )]));
    keys::apply(&mut config, "webhook_urls", &toml).unwrap();
    assert_eq!(config.webhook_urls.len(), 1);
    for bad in [
        "https://example.com/hook",
        "http://127.0.0.1/x|payments",
        "http://127.0.0.1/x|",
        "not a url",
    ] {
        let err = keys::apply(
            &mut config,
            "webhook_urls",
            &keys::RawValue::Text(bad.into()),
        )
        .unwrap_err();
        assert!(!err.is_empty(), "{bad}");
    }
    keys::apply(
        &mut config,
        "webhook_allowed_hosts",
        &keys::RawValue::Text("Example.COM, [::1]".into()),
    )
    .unwrap();
    assert_eq!(config.webhook_allowed_hosts, vec!["example.com", "::1"]);
    assert_eq!(
        Config::default().webhook_allowed_hosts,
        vec!["127.0.0.1", "::1", "localhost"]
    );
}
