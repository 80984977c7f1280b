use super::*;

/// The base64 of 32 bytes of 0x01 (the test vector's seed).
const GOOD_SIGNING_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const GOOD_SECRET: &str = "0f9c2a7be41d4c8a9b3e6f1d2c5a8b7e4d1f0a9c";

fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("DATABASE_URL", "postgres://u:p@127.0.0.1:5432/db"),
        ("MONGODB_URL", "mongodb://127.0.0.1:27017"),
        ("JWT_SECRET", GOOD_SECRET),
        ("AUDIT_SIGNING_KEY", GOOD_SIGNING_KEY),
    ]
}

fn load(overrides: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
    let mut pairs = base();
    for (k, v) in overrides {
        pairs.retain(|(name, _)| name != k);
        pairs.push((k, v));
    }
    Config::from_reader(&EnvReader::from_pairs(&pairs))
}

#[test]
fn defaults_apply_when_only_required_variables_are_set() {
    let config = load(&[]).expect("valid config");
    assert_eq!(config.mongodb_database, "stockroom");
    assert_eq!(config.jwt.access_token_ttl, Duration::from_secs(900));
    assert_eq!(config.rate_limit_register_per_minute, 5);
    assert_eq!(config.rate_limit_login_per_minute, 10);
    assert_eq!(config.rate_limit_login_failures_per_minute, 5);
    assert_eq!(config.rate_limit_password_change_per_minute, 5);
    assert_eq!(config.bind_addr.port(), 8080);
    assert_eq!(config.log_format, LogFormat::Pretty);
}

#[test]
fn missing_jwt_secret_names_the_variable() {
    let err = load(&[("JWT_SECRET", "")]).err().expect("must fail");
    assert_eq!(err.variable, "JWT_SECRET");
}

#[test]
fn short_placeholder_and_repetitive_secrets_are_refused() {
    for weak in [
        "short-but-random-9f8e",
        "change-me-change-me-change-me-change-me",
        &"a".repeat(64),
    ] {
        let err = Config::from_reader(&EnvReader::from_pairs(&[
            ("DATABASE_URL", "postgres://127.0.0.1/db"),
            ("MONGODB_URL", "mongodb://127.0.0.1"),
            ("JWT_SECRET", weak),
        ]))
        .err()
        .expect("weak secret must be refused");
        assert_eq!(err.variable, "JWT_SECRET", "{weak}");
    }
}

#[test]
fn bad_urls_and_numbers_name_their_variable() {
    let cases: &[(&'static str, &'static str)] = &[
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "mysql://127.0.0.1/db"),
        ("MONGODB_URL", "http://127.0.0.1"),
        ("DATABASE_POOL_SIZE", "many"),
        ("DATABASE_POOL_SIZE", "0"),
        ("BIND_ADDR", "localhost"),
        ("LOG_FORMAT", "xml"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("MONGODB_DATABASE", "bad name"),
        ("RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE", "-1"),
        ("RATE_LIMIT_PASSWORD_CHANGE_PER_MINUTE", "often"),
        ("PASSWORD_HASH_CONCURRENCY", "0"),
        ("PASSWORD_HASH_QUEUE_TIMEOUT_MS", "0"),
    ];
    for (variable, value) in cases {
        let err = load(&[(variable, value)]).err().expect("must fail");
        assert_eq!(err.variable, *variable, "{variable}={value}");
        assert!(err.to_string().contains(variable), "{err}");
    }
}

#[test]
fn debug_output_redacts_the_jwt_secret() {
    let config = load(&[]).expect("valid config");
    let printed = format!("{:?}", config.jwt);
    assert!(!printed.contains(GOOD_SECRET));
    assert!(printed.contains("redacted"));
}

#[test]
fn trusted_proxies_match_addresses_and_blocks() {
    let config = load(&[("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7, ::1")]).expect("valid");
    let proxies = &config.trusted_proxies;
    assert!(proxies.contains("10.20.30.40".parse().unwrap()));
    assert!(proxies.contains("192.168.1.7".parse().unwrap()));
    assert!(!proxies.contains("192.168.1.8".parse().unwrap()));
    assert!(proxies.contains("::1".parse().unwrap()));
    assert!(!proxies.contains("11.0.0.1".parse().unwrap()));
}

#[test]
fn the_index_spec_folder_is_an_optional_override() {
    assert_eq!(load(&[]).expect("valid").mongo_indexes_dir, None);
    assert_eq!(
        load(&[("MONGO_INDEXES_DIR", "/srv/stockroom/specs")])
            .expect("valid")
            .mongo_indexes_dir,
        Some("/srv/stockroom/specs".into())
    );
}

#[test]
fn password_hashing_defaults_to_one_slot_per_core_and_a_bounded_wait() {
    let config = load(&[]).expect("valid config");
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(config.password_hash.concurrency, cores);
    assert_eq!(config.password_hash.queue_timeout, Duration::from_secs(3));
    let tuned = load(&[
        ("PASSWORD_HASH_CONCURRENCY", "3"),
        ("PASSWORD_HASH_QUEUE_TIMEOUT_MS", "250"),
    ])
    .expect("valid config");
    assert_eq!(tuned.password_hash.concurrency, 3);
    assert_eq!(
        tuned.password_hash.queue_timeout,
        Duration::from_millis(250)
    );
}

#[test]
fn a_duration_takes_its_unit_from_its_name() {
    let env = EnvReader::from_pairs(&[
        ("A_MS", "250"),
        ("B_MINUTES", "2"),
        ("C_DAYS", "1"),
        ("NO_UNIT", "5"),
    ]);
    assert_eq!(
        env.duration_or("A_MS", 1, 1..=1_000),
        Ok(Duration::from_millis(250))
    );
    assert_eq!(
        env.duration_or("B_MINUTES", 1, 1..=10),
        Ok(Duration::from_secs(120))
    );
    assert_eq!(
        env.duration_or("C_DAYS", 1, 1..=10),
        Ok(Duration::from_secs(86_400))
    );
    let refused = env.duration_or("NO_UNIT", 1, 1..=10).unwrap_err();
    assert!(refused.to_string().contains("NO_UNIT"), "{refused}");
}

#[test]
fn rollups_are_on_by_default_and_outlive_raw_events() {
    let rollups = load(&[]).unwrap().activity.rollups;
    assert!(rollups.enabled);
    assert_eq!(rollups.interval, Duration::from_secs(60));
    assert_eq!(rollups.retention, Duration::from_secs(730 * 86_400));
    assert!(
        !load(&[("ACTIVITY_ROLLUPS", "Off")])
            .unwrap()
            .activity
            .rollups
            .enabled
    );
    let err = load(&[("ACTIVITY_ROLLUPS", "maybe")]).err().unwrap();
    assert_eq!(err.variable, "ACTIVITY_ROLLUPS");
    let err = load(&[
        ("ACTIVITY_RETENTION_DAYS", "400"),
        ("ACTIVITY_ROLLUP_RETENTION_DAYS", "365"),
    ])
    .err()
    .unwrap();
    assert_eq!(err.variable, "ACTIVITY_ROLLUP_RETENTION_DAYS");
}

#[test]
fn the_audit_signing_key_is_required_and_read_strictly() {
    let config = load(&[]).expect("valid config");
    assert_eq!(
        config.audit.keys.active_key_id(),
        "ed25519:34750f98bd59fcfc"
    );
    assert_eq!(config.audit.checkpoint.every, 1_000);
    assert_eq!(config.audit.checkpoint.interval, Duration::from_secs(60));
    let mut pairs = base();
    pairs.retain(|(name, _)| *name != "AUDIT_SIGNING_KEY");
    let missing = Config::from_reader(&EnvReader::from_pairs(&pairs))
        .err()
        .unwrap();
    assert_eq!(missing.variable, "AUDIT_SIGNING_KEY");
    for bad in [
        "AAAA",
        "not base64 at all!",
        "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ",
    ] {
        let err = load(&[("AUDIT_SIGNING_KEY", bad)]).err().expect(bad);
        assert_eq!(err.variable, "AUDIT_SIGNING_KEY", "{bad}");
        assert!(err.to_string().contains("stockroom audit keygen"), "{err}");
        assert!(
            !err.to_string().contains(bad),
            "the key is not echoed: {err}"
        );
    }
    let rotated = load(&[(
        "AUDIT_PREVIOUS_PUBLIC_KEYS",
        "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=, gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=",
    )])
    .expect("valid previous keys");
    assert_eq!(
        rotated.audit.keys.trusted().len(),
        2,
        "the active key listed once"
    );
    let err = load(&[("AUDIT_PREVIOUS_PUBLIC_KEYS", "AAAA")])
        .err()
        .unwrap();
    assert_eq!(err.variable, "AUDIT_PREVIOUS_PUBLIC_KEYS");
}

#[test]
fn the_catalogue_cache_is_bounded_and_the_benchmark_sink_is_opt_in() {
    let config = load(&[]).expect("valid config");
    assert_eq!(config.catalog_cache.product_entries, 50_000);
    assert_eq!(config.catalog_cache.product_bytes, 32 * 1_048_576);
    assert_eq!(config.catalog_cache.lifetime, Duration::from_secs(300));
    assert!(!config.activity.discard);
    let off = load(&[("PRODUCT_CACHE_ENTRIES", "0"), ("ACTIVITY_SINK", "discard")]).unwrap();
    assert_eq!(off.catalog_cache.product_entries, 0);
    assert!(off.activity.discard);
    for (name, value) in [
        ("ACTIVITY_SINK", "null"),
        ("PRODUCT_CACHE_MIB", "0"),
        ("PRODUCT_CACHE_LIFETIME_SECONDS", "0"),
    ] {
        let err = load(&[(name, value)]).err().expect("must fail");
        assert_eq!(err.variable, name);
    }
}
