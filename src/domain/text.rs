//! Text values: names and other lines ([`Line`]), free text ([`Text`]), search terms
//! ([`SearchTerm`]) and email addresses' shape.
//!
//! Every text a person typed is stored as they meant it: NFC-normalised, without the
//! whitespace and zero-width characters around it; text that is nothing but those is blank,
//! and bidirectional control characters (which can make text read other than it is) and
//! other control characters are refused. Lengths count characters: the raw value at most the
//! maximum (the schema's `maxLength`), and at least the minimum once trimmed.
//!
//! Each pattern admits exactly what its parser accepts (the tests below hold them together on
//! a corpus of edge cases), so a client or a conformance tool tells a valid value from the
//! document alone; each type's description says the same in words.

use unicode_normalization::UnicodeNormalization;

use super::value::{Invalid, string_schema};
use crate::string_value;

// What `str::trim` removes (Unicode White_Space), the zero-width characters trimmed with it,
// `char::is_control` (Unicode Cc), and the bidirectional controls, spelled as ECMA-262 /
// Python / Rust-regex compatible class contents.
macro_rules! whitespace {
    () => {
        r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}
macro_rules! zero_width {
    () => {
        r"\u200b-\u200d\u2060\ufeff"
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
macro_rules! bidi {
    () => {
        r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    };
}

/// Whitespace and zero-width characters, as many as there are: what is trimmed.
macro_rules! padding {
    () => {
        concat!("[", whitespace!(), zero_width!(), "]*")
    };
}

/// One character that is visible: no whitespace, zero-width, control or bidi control.
macro_rules! visible {
    () => {
        concat!(
            "[^",
            whitespace!(),
            zero_width!(),
            controls!(),
            bidi!(),
            "]"
        )
    };
}

/// One line with at least one visible character (see [`Line`]).
pub const LINE_PATTERN: &str = concat!(
    "^",
    padding!(),
    visible!(),
    "([^",
    controls!(),
    bidi!(),
    "]*",
    visible!(),
    ")?",
    padding!(),
    "$"
);

/// As [`LINE_PATTERN`], with at least two characters once trimmed.
pub const LINE_OF_TWO_PATTERN: &str = concat!(
    "^",
    padding!(),
    visible!(),
    "[^",
    controls!(),
    bidi!(),
    "]*",
    visible!(),
    padding!(),
    "$"
);

/// Free text (see [`Text`]), possibly blank.
pub const TEXT_PATTERN: &str = concat!(
    "^",
    padding!(),
    "(",
    visible!(),
    "([^",
    controls_but_line_breaks!(),
    bidi!(),
    "]*",
    visible!(),
    ")?)?",
    padding!(),
    "$"
);

/// A search term: no control or bidirectional control characters.
pub const SEARCH_PATTERN: &str = concat!("^[^", controls!(), bidi!(), "]*$");

pub const LINE_IN_WORDS: &str = "One line of text: not blank, with no control or \
    bidirectional control characters. Surrounding whitespace and zero-width characters are \
    trimmed and the text is stored NFC-normalised; the length bounds count characters.";
pub const TEXT_IN_WORDS: &str = "Free text: line breaks and tabs are allowed, other control \
    characters and bidirectional controls are not. Surrounding whitespace and zero-width \
    characters are trimmed (blank means none) and the text is stored NFC-normalised.";
const SEARCH_IN_WORDS: &str = "A literal substring to look for (no control or \
    bidirectional control characters); empty means no filter.";

fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// NFC, without the whitespace and zero-width characters around it.
fn normalised(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    nfc.trim_matches(|c: char| c.is_whitespace() || is_zero_width(c))
        .to_owned()
}

fn too_long(max: usize) -> Invalid {
    Invalid::new(format!("must be at most {max} characters"))
}

fn refuse_bidi(raw: &str) -> Result<(), Invalid> {
    if raw.chars().any(is_bidi_control) {
        return Err(Invalid::new(
            "must not contain bidirectional control characters",
        ));
    }
    Ok(())
}

/// What every text value here gives back: its text, whole or as `None` when empty.
macro_rules! text_value {
    ($ty:ident<$(const $param:ident: usize),+>) => {
        impl<$(const $param: usize),+> $ty<$($param),+> {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }

            /// The text, or `None` when it is empty (blank text, or no search term).
            pub fn into_option(self) -> Option<String> {
                (!self.0.is_empty()).then_some(self.0)
            }
        }
    };
}

/// One line of `MIN..=MAX` characters (see the module's rules).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Line<const MIN: usize, const MAX: usize>(String);

impl<const MIN: usize, const MAX: usize> Line<MIN, MAX> {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.chars().count() > MAX {
            return Err(too_long(MAX));
        }
        refuse_bidi(raw)?;
        let text = normalised(raw);
        if text.chars().any(char::is_control) {
            return Err(Invalid::new("must be one line, without control characters"));
        }
        let chars = text.chars().count();
        if chars == 0 {
            Err(Invalid::new("must not be blank"))
        } else if chars < MIN {
            Err(Invalid::new(format!(
                "must be at least {MIN} characters once trimmed"
            )))
        } else if chars > MAX {
            Err(too_long(MAX))
        } else {
            Ok(Self(text))
        }
    }

    fn schema() -> poem_openapi::registry::MetaSchema {
        let pattern = if MIN >= 2 {
            LINE_OF_TWO_PATTERN
        } else {
            LINE_PATTERN
        };
        string_schema(LINE_IN_WORDS, Some(MIN), Some(MAX), Some(pattern))
    }
}

string_value!(Line<const MIN: usize, const MAX: usize>, "line", Self::schema());
text_value!(Line<const MIN: usize, const MAX: usize>);

/// Free text of at most `MAX` characters, line breaks allowed; blank is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.chars().count() > MAX {
            return Err(too_long(MAX));
        }
        refuse_bidi(raw)?;
        let text = normalised(raw);
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(Invalid::new(
                "must not contain control characters other than line breaks and tabs",
            ));
        }
        if text.chars().count() > MAX {
            return Err(too_long(MAX));
        }
        Ok(Self(text))
    }

    fn schema() -> poem_openapi::registry::MetaSchema {
        string_schema(TEXT_IN_WORDS, None, Some(MAX), Some(TEXT_PATTERN))
    }
}

string_value!(Text<const MAX: usize>, "text", Self::schema());
text_value!(Text<const MAX: usize>);

/// A search term of at most `MAX` characters, taken literally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchTerm<const MAX: usize>(String);

impl<const MAX: usize> SearchTerm<MAX> {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.chars().count() > MAX {
            return Err(too_long(MAX));
        }
        refuse_bidi(raw)?;
        if raw.chars().any(char::is_control) {
            return Err(Invalid::new("must not contain control characters"));
        }
        Ok(Self(raw.nfc().collect()))
    }

    fn schema() -> poem_openapi::registry::MetaSchema {
        string_schema(SEARCH_IN_WORDS, None, Some(MAX), Some(SEARCH_PATTERN))
    }
}

string_value!(SearchTerm<const MAX: usize>, "search_term", Self::schema());
text_value!(SearchTerm<const MAX: usize>);

/// An email address's shape as [`super::identity::Email::parse`] takes it: surrounding
/// whitespace, then a local part of 1 to 64 of the RFC 5322 atom characters and dots (not
/// first or last), `@`, and a domain of two or more LDH labels of 1 to 63 characters.
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

/// [`EMAIL_PATTERN`] in words.
pub const EMAIL_IN_WORDS: &str = "An email address in ASCII: up to 64 of the characters RFC \
    5322 allows before the @ (no dot first or last), then a domain of two or more labels of \
    letters, digits and hyphens; surrounding whitespace is trimmed, and it is compared and \
    stored lowercased.";

// What the parts of the service not yet on the value types above call (same rules).
pub const NO_CONTROLS_PATTERN: &str = SEARCH_PATTERN;
pub const LINE_OF_TWO_IN_WORDS: &str = LINE_IN_WORDS;
pub const NO_CONTROLS_IN_WORDS: &str = SEARCH_IN_WORDS;

/// One line of `range` characters once trimmed (the rules of [`Line`]).
pub fn line(
    raw: &str,
    range: std::ops::RangeInclusive<usize>,
    length_rule: &'static str,
) -> Result<String, Invalid> {
    let max = *range.end();
    match Line::<1, { usize::MAX }>::parse(raw) {
        Ok(line)
            if range.contains(&line.as_str().chars().count()) && raw.chars().count() <= max =>
        {
            Ok(line.into_inner())
        }
        Ok(_) => Err(Invalid::new(length_rule)),
        Err(invalid) => Err(invalid),
    }
}

#[cfg(test)]
mod tests;
