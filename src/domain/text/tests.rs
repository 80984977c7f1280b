use super::*;

/// Values at the edges of the rules, for holding each pattern to its parser.
fn edge_cases() -> Vec<String> {
    let pieces = [
        "",
        " ",
        "a",
        "ab",
        "é",
        "e\u{301}",
        "\u{3000}",
        "\u{a0}",
        "\t",
        "\n",
        "\r",
        "\u{b}",
        "\u{c}",
        "\u{85}",
        "\0",
        "\u{1f}",
        "\u{7f}",
        "\u{9f}",
        "\u{200b}",
        "\u{200d}",
        "\u{2060}",
        "\u{feff}",
        "\u{202e}",
        "\u{2066}",
        "\u{200f}",
        "\u{61c}",
        "\u{1f600}",
        "-",
        ".",
        "@",
    ];
    let mut cases = Vec::new();
    for first in pieces {
        for second in pieces {
            cases.push(format!("{first}{second}"));
            for third in ["", " ", "x", "\t", "\0", "\u{200b}"] {
                cases.push(format!("{third}{first}x{second}{third}"));
            }
        }
    }
    cases
}

/// Patterns cannot compose characters: where NFC changes a value's length (a base letter and
/// its combining accent become one character), lengths count the composed text and the
/// pattern may admit what is one character short.
fn agree(pattern: &str, accepts: impl Fn(&str) -> bool) {
    use unicode_normalization::UnicodeNormalization;
    let regex = regex::Regex::new(pattern).unwrap();
    for case in edge_cases() {
        if case.nfc().count() != case.chars().count() {
            continue;
        }
        assert_eq!(
            regex.is_match(&case),
            accepts(&case),
            "pattern and parser disagree on {case:?}"
        );
    }
}

type Wide<const MIN: usize> = Line<MIN, { usize::MAX }>;

#[test]
fn line_patterns_admit_exactly_what_lines_accept() {
    agree(LINE_PATTERN, |s| Wide::<1>::parse(s).is_ok());
    agree(LINE_OF_TWO_PATTERN, |s| Wide::<2>::parse(s).is_ok());
}

#[test]
fn the_text_pattern_admits_exactly_what_text_accepts() {
    agree(TEXT_PATTERN, |s| Text::<{ usize::MAX }>::parse(s).is_ok());
}

#[test]
fn the_search_pattern_admits_exactly_what_search_terms_accept() {
    agree(SEARCH_PATTERN, |s| {
        SearchTerm::<{ usize::MAX }>::parse(s).is_ok()
    });
}

#[test]
fn lines_are_nfc_trimmed_of_whitespace_and_zero_width_and_bounded_in_characters() {
    assert_eq!(
        Line::<2, 200>::parse("  Hammer ").unwrap().as_str(),
        "Hammer"
    );
    assert_eq!(
        Line::<1, 100>::parse("\u{feff}\u{200b}Tools\u{200b}")
            .unwrap()
            .as_str(),
        "Tools"
    );
    assert_eq!(
        Line::<1, 100>::parse("Cafe\u{301}").unwrap().as_str(),
        "Caf\u{e9}",
        "stored composed"
    );
    assert!(Line::<2, 200>::parse(" a ").is_err());
    assert!(
        Line::<2, 200>::parse("e\u{301}").is_err(),
        "one character once composed"
    );
    assert!(Line::<2, 200>::parse(&"é".repeat(200)).is_ok());
    assert_eq!(
        Line::<2, 200>::parse(&"é".repeat(201)).unwrap_err().rule(),
        "must be at most 200 characters"
    );
    assert_eq!(
        Line::<1, 100>::parse("\t \u{200b}").unwrap_err().rule(),
        "must not be blank"
    );
    assert_eq!(
        Line::<1, 100>::parse("a\0b").unwrap_err().rule(),
        "must be one line, without control characters"
    );
    assert_eq!(
        Line::<1, 100>::parse("evil\u{202e}txt.exe")
            .unwrap_err()
            .rule(),
        "must not contain bidirectional control characters"
    );
}

#[test]
fn free_text_keeps_line_breaks_and_is_none_when_blank() {
    assert_eq!(Text::<2000>::parse("  ").unwrap().into_option(), None);
    assert_eq!(
        Text::<2000>::parse("line\nnext\tcol")
            .unwrap()
            .into_option()
            .as_deref(),
        Some("line\nnext\tcol")
    );
    assert!(Text::<2000>::parse("nul\0").is_err());
    assert!(Text::<2000>::parse("\u{2067}x").is_err());
    assert!(Text::<10>::parse(&"d".repeat(11)).is_err());
}

#[test]
fn values_come_from_json_with_their_rule_as_the_message() {
    let parsed: Line<1, 5> = serde_json::from_str("\" ok \"").unwrap();
    assert_eq!(parsed.as_str(), "ok");
    let err = serde_json::from_str::<Line<1, 5>>("\"toolong\"").unwrap_err();
    assert!(
        err.to_string().starts_with("must be at most 5 characters"),
        "{err}"
    );
    assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"ok\"");
}
