//! Rollups of activity events (`activity_rollups`, docs/EVENTS.md): which part of a window
//! they answer and which parts raw events answer, and which hours a pass recomputes.
//!
//! Rollups hold whole UTC hours (and, for distinct users, whole UTC days). Every hour before
//! `closed_through` has been rolled up; a window is answered from rollups for the whole
//! buckets inside it that closed before that instant, and from raw events for the rest (a
//! partial bucket at either end, the hours not rolled up yet, the open hour), so no bucket
//! is ever split between the two and the answer is the one raw events alone would give.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use super::analytics::{Bucket, Window};

/// At most this many search terms per hour become rollup keys (the most frequent, ties by
/// the term); the rest of that hour's searches are one `other` count.
pub const SEARCH_TERMS_PER_HOUR: usize = 100;
/// How many closed hours a pass computes again, for events stored after their hour closed.
pub const RECOMPUTED_HOURS: i64 = 1;
/// The most hours one rollup pipeline covers while catching up (a week).
pub const HOURS_PER_CHUNK: i64 = 7 * 24;

fn unit(bucket: Bucket) -> TimeDelta {
    match bucket {
        Bucket::Hour => TimeDelta::hours(1),
        Bucket::Day => TimeDelta::days(1),
    }
}

/// The start of the UTC bucket `t` falls in.
pub fn floor(t: DateTime<Utc>, bucket: Bucket) -> DateTime<Utc> {
    t.duration_trunc(unit(bucket)).unwrap_or(t)
}

/// The first bucket start at or after `t`.
pub fn ceil(t: DateTime<Utc>, bucket: Bucket) -> DateTime<Utc> {
    let start = floor(t, bucket);
    if start == t { t } else { start + unit(bucket) }
}

/// How one window is read: `rolled` from rollups, `head` and `tail` from raw events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPlan {
    pub head: Option<Window>,
    pub rolled: Option<Window>,
    pub tail: Option<Window>,
}

impl ReadPlan {
    /// Raw events only (rollups off, or none cover the window).
    pub fn raw(window: Window) -> Self {
        Self {
            head: Some(window),
            rolled: None,
            tail: None,
        }
    }

    /// Rollups for the whole `bucket`s of `window` that end by `closed_through`.
    pub fn new(window: Window, bucket: Bucket, closed_through: Option<DateTime<Utc>>) -> Self {
        let Some(closed_through) = closed_through else {
            return Self::raw(window);
        };
        let start = ceil(window.from(), bucket);
        let end = floor(window.to(), bucket).min(floor(closed_through, bucket));
        if start >= end {
            return Self::raw(window);
        }
        Self {
            head: Window::span(window.from(), start),
            rolled: Window::span(start, end),
            tail: Window::span(end, window.to()),
        }
    }

    /// The parts read from raw events, in time order.
    pub fn raw_windows(&self) -> impl Iterator<Item = Window> {
        self.head.into_iter().chain(self.tail)
    }
}

/// The whole hours `[from, to)` a rollup pass computes at `now`: from one hour before
/// `closed_through` (late events) up to the open hour, or, on the first pass, from the hour of
/// the oldest raw event. An hour already rolled up whose raw events may have started to expire
/// (before `now - raw_retention`) is not computed again, so expiry never lowers a rollup.
pub fn hours_to_roll(
    now: DateTime<Utc>,
    closed_through: Option<DateTime<Utc>>,
    oldest_event: Option<DateTime<Utc>>,
    raw_retention: TimeDelta,
) -> Option<Window> {
    let to = floor(now, Bucket::Hour);
    let from = match closed_through {
        Some(closed) => {
            let intact = ceil(now - raw_retention, Bucket::Hour);
            (closed - TimeDelta::hours(RECOMPUTED_HOURS)).max(closed.min(intact))
        }
        None => floor(oldest_event?, Bucket::Hour),
    };
    Window::span(from, to)
}

/// `hours` cut into pipelines of at most `HOURS_PER_CHUNK` hours, oldest first.
pub fn chunks(hours: Window) -> impl Iterator<Item = Window> {
    let step = TimeDelta::hours(HOURS_PER_CHUNK);
    let mut from = hours.from();
    std::iter::from_fn(move || {
        let chunk = Window::span(from, (from + step).min(hours.to()))?;
        from = chunk.to();
        Some(chunk)
    })
}

/// The whole UTC days that end inside `hours` (their distinct users are counted once the
/// day is over), as the span of raw events to read: `None` when no day ends there.
pub fn days_ending_in(hours: Window) -> Option<Window> {
    Window::span(
        floor(hours.from(), Bucket::Day),
        floor(hours.to(), Bucket::Day),
    )
}

#[cfg(test)]
mod tests;
