use super::*;

#[test]
fn emails_are_trimmed_lowercased_and_validated() {
    assert_eq!(
        Email::parse("  Alice@Example.COM ").unwrap().as_str(),
        "alice@example.com"
    );
    for bad in [
        "",
        "alice",
        "alice@",
        "@example.com",
        "a b@example.com",
        "alice@localhost",
        "alice@example.com\n.x",
        "a@.com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad:?}");
    }
    assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    assert!(Email::parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
    for good in ["o'neil+tag@mail.example.co", "x@a-b.c0", "\u{3000}x@y.z\t"] {
        assert!(Email::parse(good).is_ok(), "{good:?}");
    }
    for bad in [
        ".a@example.com",
        "a.@example.com",
        "a@-x.com",
        "é@example.com",
        "a@b_c.com",
    ] {
        assert!(Email::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn passwords_are_8_to_128_characters_and_never_printed() {
    assert!(Password::parse("1234567").is_err());
    assert!(Password::parse("1234567x").is_ok());
    assert!(
        Password::parse(&"é".repeat(128)).is_ok(),
        "characters, not bytes"
    );
    assert!(Password::parse(&"x".repeat(129)).is_err());
    assert!(!format!("{:?}", Password::parse("hunter22!").unwrap()).contains("hunter"));
}

#[test]
fn the_most_common_passwords_are_refused_in_plain_words() {
    for common in ["12345678", "Password123", "QWERTYUIOP"] {
        assert_eq!(
            Password::parse(common).err(),
            Some(Invalid::new(
                "is one of the most commonly used passwords; choose another"
            )),
            "{common}"
        );
    }
    assert_eq!(
        Password::parse("1234567").err(),
        Some(Invalid::new("must be 8 to 128 characters")),
        "too short is said first"
    );
}

#[test]
fn full_names_are_trimmed_and_bounded() {
    assert_eq!(
        FullName::parse("  Ada Lovelace ").unwrap().as_str(),
        "Ada Lovelace"
    );
    assert!(FullName::parse("   ").is_err());
    assert!(FullName::parse(&"x".repeat(256)).is_err());
    assert!(FullName::parse("bad\u{0}name").is_err());
}

#[test]
fn permissions_round_trip_by_name() {
    for permission in Permission::all() {
        assert_eq!(Permission::parse(permission.as_str()), Some(permission));
    }
    assert_eq!(Permission::parse("users:delete"), None);
}

#[test]
fn role_names_follow_the_pattern() {
    assert!(RoleName::parse("support-team_2").is_ok());
    for bad in ["A", "x", "Admin", "1role", "role!", &"r".repeat(51)] {
        assert!(RoleName::parse(bad).is_err(), "{bad}");
    }
}
