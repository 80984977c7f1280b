//! The most common passwords (Django's list of 20,000; source and licence in
//! `common-passwords.LICENSE.md`), kept gzipped in the binary and decompressed once, the first
//! time a new password is checked.

use std::collections::HashSet;
use std::io::Read;
use std::sync::LazyLock;

const LIST_GZ: &[u8] = include_bytes!("common-passwords.txt.gz");

static LIST: LazyLock<HashSet<Box<str>>> = LazyLock::new(|| {
    let mut text = String::new();
    flate2::read::GzDecoder::new(LIST_GZ)
        .read_to_string(&mut text)
        .expect("the bundled password list is valid gzip and UTF-8");
    text.lines().map(|line| line.trim().into()).collect()
});

/// True when `password`, trimmed and lowercased, is on the list (Django's comparison: the
/// list is lowercase, so case does not make a common password uncommon).
pub fn is_common(password: &str) -> bool {
    LIST.contains(password.to_lowercase().trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_holds_at_least_ten_thousand_lowercase_passwords() {
        assert!(LIST.len() >= 10_000, "{}", LIST.len());
        assert!(
            LIST.iter()
                .all(|p| p.to_lowercase() == **p && !p.is_empty())
        );
    }

    #[test]
    fn listed_passwords_match_ignoring_case_and_surrounding_space() {
        for common in [
            "password",
            "Password123",
            "QWERTYUIOP",
            " iloveyou1\t",
            "1q2w3e4r5t",
        ] {
            assert!(is_common(common), "{common:?}");
        }
        for rare in ["correct horse battery staple", "password123 but longer", ""] {
            assert!(!is_common(rare), "{rare:?}");
        }
    }
}
