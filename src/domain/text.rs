//! Text rules several fields share, and the patterns that state them in the OpenAPI
//! document. Each pattern admits exactly what its parser accepts (the tests below hold them
//! together on a corpus of edge cases), so clients and conformance tools can tell a valid
//! value from the document alone. Length bounds are separate (`minLength`/`maxLength` on the
//! raw value, and the parsers' bounds after trimming).

use super::identity::Invalid;

// What `str::trim` removes (Unicode White_Space) and what `char::is_control` is (Unicode Cc),
// spelled as ECMA-262 / Python / Rust-regex compatible class contents.
macro_rules! whitespace {
    () => {
        r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}
macro_rules! controls {
    () => {
        r"\u0000-\u001f\u007f-\u009f"
    };
}
// Controls other than tab, line feed and carriage return.
macro_rules! controls_but_line_breaks {
    () => {
        r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    };
}

/// One line of text with at least one visible character once trimmed, and no control
/// characters inside (see [`line`]).
pub const LINE_PATTERN: &str = concat!(
    "^[",
    whitespace!(),
    "]*[^",
    whitespace!(),
    controls!(),
    "]([^",
    controls!(),
    "]*[^",
    whitespace!(),
    controls!(),
    "])?[",
    whitespace!(),
    "]*$"
);

/// As [`LINE_PATTERN`], with at least two characters once trimmed.
pub const LINE_OF_TWO_PATTERN: &str = concat!(
    "^[",
    whitespace!(),
    "]*[^",
    whitespace!(),
    controls!(),
    "][^",
    controls!(),
    "]*[^",
    whitespace!(),
    controls!(),
    "][",
    whitespace!(),
    "]*$"
);

/// Free text (see [`optional_text`]): anything but control characters other than line
/// breaks and tabs between its first and last visible characters.
pub const TEXT_PATTERN: &str = concat!(
    "^[",
    whitespace!(),
    "]*([^",
    whitespace!(),
    controls!(),
    "]([^",
    controls_but_line_breaks!(),
    "]*[^",
    whitespace!(),
    controls!(),
    "])?)?[",
    whitespace!(),
    "]*$"
);

/// A search term: no control characters.
pub const NO_CONTROLS_PATTERN: &str = concat!("^[^", controls!(), "]*$");

/// An email address as [`super::identity::Email::parse`] takes it: surrounding whitespace,
/// then a local part of 1 to 64 of the RFC 5322 atom characters and dots (not first or last),
/// `@`, and a domain of two or more LDH labels of 1 to 63 characters. ASCII only.
pub const EMAIL_PATTERN: &str = concat!(
    "^[",
    whitespace!(),
    "]*",
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{0,62}[A-Za-z0-9!#$%&'*+/=?^_`{|}~-])?",
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
    "[",
    whitespace!(),
    "]*$"
);

/// [`LINE_PATTERN`] in words, for a reader of the document.
pub const LINE_IN_WORDS: &str = "One line: no control characters, and not blank (surrounding \
    whitespace is trimmed).";
/// [`LINE_OF_TWO_PATTERN`] in words.
pub const LINE_OF_TWO_IN_WORDS: &str = "One line: no control characters, and at least two \
    characters once surrounding whitespace is trimmed.";
/// [`TEXT_PATTERN`] in words.
pub const TEXT_IN_WORDS: &str = "Free text: line breaks and tabs are allowed, other control \
    characters are not; surrounding whitespace is trimmed.";
/// [`NO_CONTROLS_PATTERN`] in words.
pub const NO_CONTROLS_IN_WORDS: &str = "No control characters.";
/// [`EMAIL_PATTERN`] in words.
pub const EMAIL_IN_WORDS: &str = "An email address in ASCII: up to 64 of the characters RFC \
    5322 allows before the @ (no dot first or last), then a domain of two or more labels of \
    letters, digits and hyphens; surrounding whitespace is trimmed.";

/// `str::trim`, then 1 or more characters in `range`, none a control character.
pub fn line(
    raw: &str,
    range: std::ops::RangeInclusive<usize>,
    length_rule: &'static str,
) -> Result<String, Invalid> {
    let text = raw.trim();
    if !range.contains(&text.chars().count()) {
        Err(Invalid(length_rule))
    } else if text.chars().any(char::is_control) {
        Err(Invalid("must not contain control characters"))
    } else {
        Ok(text.to_owned())
    }
}

/// Optional free text: trimmed, empty means none; line breaks and tabs allowed, other
/// control characters (NUL among them, which PostgreSQL text cannot hold) are not.
pub fn optional_text(
    raw: Option<&str>,
    max_chars: usize,
    length_rule: &'static str,
) -> Result<Option<String>, Invalid> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max_chars {
        Err(Invalid(length_rule))
    } else if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Err(Invalid(
            "must not contain control characters other than line breaks and tabs",
        ))
    } else {
        Ok(Some(text.to_owned()))
    }
}

/// Values at the edges of the rules above, for tests holding a pattern to its parser.
#[cfg(test)]
pub(crate) fn edge_cases() -> Vec<String> {
    let pieces = [
        "",
        " ",
        "a",
        "ab",
        "é",
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
        "\u{feff}",
        "\u{1f600}",
        "-",
        ".",
        "@",
    ];
    let mut cases = Vec::new();
    for first in pieces {
        for second in pieces {
            cases.push(format!("{first}{second}"));
            for third in ["", " ", "x", "\t", "\0"] {
                cases.push(format!("{third}{first}x{second}{third}"));
            }
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agree(pattern: &str, accepts: impl Fn(&str) -> bool) {
        let regex = regex::Regex::new(pattern).unwrap();
        for case in edge_cases() {
            assert_eq!(
                regex.is_match(&case),
                accepts(&case),
                "pattern and parser disagree on {case:?}"
            );
        }
    }

    #[test]
    fn line_patterns_admit_exactly_what_line_accepts() {
        agree(LINE_PATTERN, |s| line(s, 1..=usize::MAX, "").is_ok());
        agree(LINE_OF_TWO_PATTERN, |s| line(s, 2..=usize::MAX, "").is_ok());
    }

    #[test]
    fn text_pattern_admits_exactly_what_optional_text_accepts() {
        agree(TEXT_PATTERN, |s| {
            optional_text(Some(s), usize::MAX, "").is_ok()
        });
    }

    #[test]
    fn search_terms_refuse_only_control_characters() {
        agree(NO_CONTROLS_PATTERN, |s| !s.chars().any(char::is_control));
    }

    #[test]
    fn lines_are_trimmed_and_bounded_in_characters() {
        assert_eq!(line("  Hammer ", 2..=200, "").unwrap(), "Hammer");
        assert!(line(" a ", 2..=200, "").is_err());
        assert!(line(&"é".repeat(200), 2..=200, "").is_ok());
        assert!(line(&"é".repeat(201), 2..=200, "").is_err());
        assert!(line("a\0b", 1..=100, "").is_err());
        assert_eq!(line("\tname\n", 1..=100, "").unwrap(), "name");
    }
}
