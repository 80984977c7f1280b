//! Analytics over activity events: the rules for the time window, the buckets, the event
//! type filter and the top-products limit, and the shapes of the answers.
//!
//! Every value here is valid by construction, so the event store builds its pipelines from
//! these and never from raw request text.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::value::{Count, Invalid, string_schema};

/// The longest window a query may span, in days (a quarter, rounded up).
pub const MAX_WINDOW_DAYS: i64 = 92;
pub const MAX_EVENT_TYPE_CHARS: usize = 64;
/// The activity event counted as a product view, and the subject type it must carry.
pub const PRODUCT_VIEWED: &str = "product.viewed";
/// The activity event of a product search (its `metadata` holds the filters and `total`).
pub const PRODUCT_SEARCHED: &str = "product.searched";
/// At most this many categories in one answer (far more than a shop's catalogue holds).
pub const MAX_CATEGORIES: i64 = 1_000;
pub const PRODUCT_SUBJECT: &str = "product";

/// A half-open time window `[from, to)`, `from < to`, at most `MAX_WINDOW_DAYS` long.
///
/// Bounds are kept at millisecond precision (what BSON dates hold), both rounded up: an
/// event at millisecond `t` is inside exactly when `from <= t < to` holds for the values the
/// client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Window {
    /// Validates the window; the error names the parameter at fault.
    pub fn parse(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, (&'static str, Invalid)> {
        if from >= to {
            return Err(("from", Invalid::new("must be before `to`")));
        }
        if to - from > Duration::days(MAX_WINDOW_DAYS) {
            return Err(("to", Invalid::new("must be at most 92 days after `from`")));
        }
        Ok(Self {
            from: ceil_to_millis(from),
            to: ceil_to_millis(to),
        })
    }

    /// `[from, to)` when `from < to`, of any length: for the service's own reads (rollup
    /// passes, the parts of a window), never for a client's window.
    pub(crate) fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Self> {
        (from < to).then_some(Self { from, to })
    }

    /// The first instant inside the window.
    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    /// The first instant after the window.
    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }

    /// The window of the same length that ends where this one starts.
    pub fn previous(&self) -> Self {
        Self {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }
}

crate::names! {
    targets {}
    actions {}
    permissions {
        AnalyticsRead => "analytics:read",
    }
}

crate::choices! {
    /// What an answer is compared with.
    pub enum Compare as "Compare", "previous: also answer the window of the same length that ends at `from`." {
        Previous => "previous",
    }
}

/// An answer for the asked window and, when a comparison was asked, for the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared<T> {
    pub current: T,
    pub previous: Option<T>,
}

fn ceil_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let millis = t.timestamp_millis();
    let floored = DateTime::from_timestamp_millis(millis).unwrap_or(t);
    if floored == t {
        return t;
    }
    DateTime::from_timestamp_millis(millis.saturating_add(1)).unwrap_or(floored)
}

crate::choices! {
    /// The width of a time bucket; buckets start on whole UTC hours or UTC midnights. Its
    /// name is the unit `$dateTrunc` takes.
    #[derive(Default)]
    pub enum Bucket as "AnalyticsBucket", "The width of a bucket: whole UTC hours (hour) or whole UTC days from midnight (day)." {
        #[default]
        Hour => "hour",
        Day => "day",
    }
}

/// An activity event type name such as `product.viewed`: a lowercase letter, then up to 63
/// of `a-z`, `0-9`, `_` and `.` (`^[a-z][a-z0-9_.]{0,63}$`). A well-formed name nobody
/// records simply matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventType(String);

impl EventType {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let mut chars = raw.chars();
        let shaped = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
            && raw.len() <= MAX_EVENT_TYPE_CHARS;
        if shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "must be a lowercase letter followed by at most 63 of a-z, 0-9, `_` and `.`",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::string_value!(
    EventType,
    "EventType",
    string_schema(
        "An activity event type: a lowercase letter, then up to 63 of a-z, 0-9, `_` and `.`.",
        Some(1),
        Some(MAX_EVENT_TYPE_CHARS),
        Some("^[a-z][a-z0-9_.]{0,63}$"),
    )
);

/// How many products the top list holds: 1 to 100, 10 when not given.
pub type TopLimit = Count<1, 100, 10>;

/// How many events of one type occurred in one bucket (never zero: empty buckets are absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCount {
    pub start: DateTime<Utc>,
    pub event_type: String,
    pub count: i64,
}

/// How often one product was viewed in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductViews {
    pub product_id: Uuid,
    pub views: i64,
    /// The product's name now; `None` when it was deleted (or not yet looked up).
    pub name: Option<String>,
}

/// How often one search (trimmed, lowercased) was made in a window, and how often it found
/// nothing: what a shop's customers look for and do not find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCount {
    pub query: String,
    pub searches: i64,
    pub zero_result_searches: i64,
}

/// A search term as analytics count it: trimmed and lowercased, so searches that differ
/// only so are one; `None` when nothing is left.
pub fn normalised_query(term: &str) -> Option<String> {
    let query = term.trim().to_lowercase();
    (!query.is_empty()).then_some(query)
}

/// Views of the products that were in one category when they were viewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryViews {
    pub category_id: Uuid,
    pub views: i64,
    /// The category's name now; `None` when it was deleted.
    pub name: Option<String>,
}

/// How many distinct users acted in one bucket (never zero: empty buckets are absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveUsers {
    pub start: DateTime<Utc>,
    pub active_users: i64,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(millis: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(millis).unwrap()
    }

    fn field(result: Result<Window, (&'static str, Invalid)>) -> &'static str {
        result.unwrap_err().0
    }

    #[test]
    fn a_window_runs_forward_for_at_most_92_days() {
        let from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let longest = Window::parse(from, from + Duration::days(92)).unwrap();
        assert_eq!(longest.to() - longest.from(), Duration::days(92));
        assert_eq!(
            field(Window::parse(
                from,
                from + Duration::days(92) + Duration::milliseconds(1)
            )),
            "to"
        );
        assert_eq!(field(Window::parse(from, from)), "from");
        assert_eq!(
            field(Window::parse(from, from - Duration::hours(1))),
            "from"
        );
        assert!(Window::parse(from, from + Duration::milliseconds(1)).is_ok());
        let previous = longest.previous();
        assert_eq!(
            (previous.from(), previous.to()),
            (from - Duration::days(92), from)
        );
    }

    #[test]
    fn bounds_round_up_to_milliseconds_keeping_the_half_open_meaning() {
        let window = Window::parse(
            at(1_000) + Duration::microseconds(200),
            at(5_000) + Duration::microseconds(1),
        )
        .unwrap();
        // An event at 1.000 s precedes `from` (1.0002 s); one at 5.000 s precedes `to`.
        assert_eq!(window.from(), at(1_001));
        assert_eq!(window.to(), at(5_001));
        let exact = Window::parse(at(1_000), at(5_000)).unwrap();
        assert_eq!((exact.from(), exact.to()), (at(1_000), at(5_000)));
    }

    #[test]
    fn event_types_are_plausible_names() {
        for good in ["product.viewed", "auth.login_succeeded", "a", "x9._"] {
            assert_eq!(EventType::parse(good).unwrap().as_str(), good);
        }
        assert!(EventType::parse(&format!("a{}", "b".repeat(63))).is_ok());
        for bad in [
            "",
            "Product.viewed",
            "1product",
            ".viewed",
            "product viewed",
            "product-viewed",
            "{\"$ne\":1}",
            "é",
        ] {
            assert!(EventType::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EventType::parse(&format!("a{}", "b".repeat(64))).is_err());
    }

    #[test]
    fn top_limits_are_1_to_100_and_buckets_name_their_unit() {
        assert_eq!(TopLimit::parse(1).unwrap().value(), 1);
        assert_eq!(TopLimit::parse(100).unwrap().value(), 100);
        assert!(TopLimit::parse(0).is_err() && TopLimit::parse(101).is_err());
        assert_eq!(TopLimit::default().value(), 10);
        assert_eq!(
            normalised_query("  Drill BITS "),
            Some("drill bits".to_owned())
        );
        assert_eq!(normalised_query("ÉCROU"), Some("écrou".to_owned()));
        assert_eq!(normalised_query(" \t "), None);
        assert_eq!(Bucket::default(), Bucket::Hour);
        assert_eq!(
            (Bucket::Hour.as_str(), Bucket::Day.as_str()),
            ("hour", "day")
        );
    }
}
