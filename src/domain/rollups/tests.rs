use chrono::TimeZone;

use super::*;

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0).unwrap()
}

fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> Window {
    Window::span(from, to).unwrap()
}

fn bounds(window: Option<Window>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    window.map(|w| (w.from(), w.to()))
}

#[test]
fn floors_and_ceilings_are_utc_bucket_starts() {
    assert_eq!(floor(at(2, 10, 30), Bucket::Hour), at(2, 10, 0));
    assert_eq!(ceil(at(2, 10, 30), Bucket::Hour), at(2, 11, 0));
    assert_eq!(ceil(at(2, 10, 0), Bucket::Hour), at(2, 10, 0));
    assert_eq!(floor(at(2, 10, 30), Bucket::Day), at(2, 0, 0));
    assert_eq!(ceil(at(2, 0, 1), Bucket::Day), at(3, 0, 0));
}

#[test]
fn whole_closed_buckets_come_from_rollups_and_the_edges_from_raw_events() {
    let window = Window::parse(at(2, 10, 30), at(5, 14, 15)).unwrap();
    let plan = ReadPlan::new(window, Bucket::Hour, Some(at(5, 12, 0)));
    assert_eq!(bounds(plan.head), Some((at(2, 10, 30), at(2, 11, 0))));
    assert_eq!(bounds(plan.rolled), Some((at(2, 11, 0), at(5, 12, 0))));
    assert_eq!(bounds(plan.tail), Some((at(5, 12, 0), at(5, 14, 15))));
    // Days: only days inside the window that ended before `closed_through`.
    let plan = ReadPlan::new(window, Bucket::Day, Some(at(5, 12, 0)));
    assert_eq!(bounds(plan.head), Some((at(2, 10, 30), at(3, 0, 0))));
    assert_eq!(bounds(plan.rolled), Some((at(3, 0, 0), at(5, 0, 0))));
    assert_eq!(bounds(plan.tail), Some((at(5, 0, 0), at(5, 14, 15))));
    assert_eq!(plan.raw_windows().count(), 2);
}

#[test]
fn aligned_windows_have_no_raw_edges_and_uncovered_ones_are_all_raw() {
    let window = Window::parse(at(2, 0, 0), at(4, 0, 0)).unwrap();
    let plan = ReadPlan::new(window, Bucket::Day, Some(at(4, 9, 0)));
    assert_eq!((plan.head, plan.tail), (None, None));
    assert_eq!(bounds(plan.rolled), Some((at(2, 0, 0), at(4, 0, 0))));
    assert_eq!(
        ReadPlan::new(window, Bucket::Day, None),
        ReadPlan::raw(window)
    );
    // Nothing rolled up inside the window yet, or no whole bucket in it.
    assert_eq!(
        ReadPlan::new(window, Bucket::Day, Some(at(2, 23, 0))),
        ReadPlan::raw(window)
    );
    let short = Window::parse(at(2, 10, 5), at(2, 10, 55)).unwrap();
    assert_eq!(
        ReadPlan::new(short, Bucket::Hour, Some(at(3, 0, 0))),
        ReadPlan::raw(short)
    );
}

#[test]
fn a_pass_recomputes_the_last_closed_hour_and_catches_up_to_the_open_one() {
    let retention = TimeDelta::days(90);
    let now = at(5, 14, 20);
    let hours = hours_to_roll(now, Some(at(5, 12, 0)), None, retention).unwrap();
    assert_eq!((hours.from(), hours.to()), (at(5, 11, 0), at(5, 14, 0)));
    // Up to date: the last closed hour again, for events stored after it closed.
    let hours = hours_to_roll(now, Some(at(5, 14, 0)), None, retention).unwrap();
    assert_eq!((hours.from(), hours.to()), (at(5, 13, 0), at(5, 14, 0)));
    // The first pass starts at the hour of the oldest raw event; with no events, nothing.
    let hours = hours_to_roll(now, None, Some(at(1, 7, 45)), retention).unwrap();
    assert_eq!(hours.from(), at(1, 7, 0));
    assert_eq!(hours_to_roll(now, None, None, retention), None);
}

#[test]
fn an_hour_whose_raw_events_may_be_expiring_is_not_recomputed() {
    let now = at(5, 14, 20);
    let retention = TimeDelta::hours(2);
    // The last closed hour (12:00-13:00) starts before now - 2 h (12:20): kept as rolled.
    let hours = hours_to_roll(now, Some(at(5, 13, 0)), None, retention).unwrap();
    assert_eq!(hours.from(), at(5, 13, 0));
    // Hours never rolled up are computed from what is left, however old.
    let hours = hours_to_roll(now, Some(at(5, 2, 0)), None, retention).unwrap();
    assert_eq!(hours.from(), at(5, 2, 0));
}

#[test]
fn passes_are_cut_into_weeks_and_days_are_counted_once_they_end() {
    let hours = span(at(1, 5, 0), at(17, 3, 0));
    let parts: Vec<Window> = chunks(hours).collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].to() - parts[0].from(), TimeDelta::days(7));
    assert_eq!(
        (parts[0].from(), parts[2].to()),
        (at(1, 5, 0), at(17, 3, 0))
    );
    assert!(parts.windows(2).all(|p| p[0].to() == p[1].from()));
    // 1 March 05:00 .. 3 March 02:00: 1 and 2 March ended inside.
    let days = days_ending_in(span(at(1, 5, 0), at(3, 2, 0))).unwrap();
    assert_eq!((days.from(), days.to()), (at(1, 0, 0), at(3, 0, 0)));
    // A pass that ends at midnight counts the day it closes; one inside a day none.
    let days = days_ending_in(span(at(2, 23, 0), at(3, 0, 0))).unwrap();
    assert_eq!((days.from(), days.to()), (at(2, 0, 0), at(3, 0, 0)));
    assert_eq!(days_ending_in(span(at(3, 0, 0), at(3, 5, 0))), None);
}
