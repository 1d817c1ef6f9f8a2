use super::*;
use crate::entities::enums::BillingCycle::{Annual, Monthly};
use chrono::{Datelike, NaiveDate, TimeDelta, TimeZone, Timelike};
use proptest::prelude::*;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    at_hms(y, m, d, 10, 0, 0)
}

fn at_hms(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s)
        .single()
        .expect("a valid test instant")
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let first_of_next = NaiveDate::from_ymd_opt(ny, nm, 1).expect("a valid date");
    first_of_next.pred_opt().expect("a valid date").day()
}

#[test]
fn chrono_months_clamp_to_the_last_day_of_the_month() {
    let jan31 = at(2027, 1, 31);
    assert_eq!(
        jan31.checked_add_months(Months::new(1)),
        Some(at(2027, 2, 28))
    );
    assert_eq!(
        at(2028, 1, 31).checked_add_months(Months::new(1)),
        Some(at(2028, 2, 29))
    );
}

#[test]
fn add_cycle_is_calendar_aware() {
    assert_eq!(add_cycle(at(2027, 1, 31), Monthly), at(2027, 2, 28));
    assert_eq!(add_cycle(at(2028, 1, 31), Monthly), at(2028, 2, 29));
    assert_eq!(add_cycle(at(2027, 3, 31), Monthly), at(2027, 4, 30));
    assert_eq!(add_cycle(at(2027, 1, 15), Monthly), at(2027, 2, 15));
    assert_eq!(add_cycle(at(2027, 12, 31), Monthly), at(2028, 1, 31));
    assert_eq!(add_cycle(at(2028, 2, 29), Annual), at(2029, 2, 28));
    assert_eq!(add_cycle(at(2027, 2, 28), Annual), at(2028, 2, 28));
    assert_eq!(add_cycle(at(2027, 12, 31), Annual), at(2028, 12, 31));
}

#[test]
fn add_cycle_keeps_the_time_of_day() {
    let start = Utc
        .with_ymd_and_hms(2027, 10, 31, 23, 59, 59)
        .single()
        .expect("a valid test instant")
        + TimeDelta::microseconds(123_456);
    let end = add_cycle(start, Monthly);
    assert_eq!(
        end.date_naive(),
        NaiveDate::from_ymd_opt(2027, 11, 30).expect("a date")
    );
    assert_eq!(end.time(), start.time());
}

#[test]
fn a_31st_anchor_returns_to_the_31st() {
    let anchor = at(2027, 1, 31);
    let ends: Vec<_> = (0..=13).map(|n| period_end(anchor, Monthly, n)).collect();
    assert_eq!(
        ends,
        vec![
            at(2027, 1, 31),
            at(2027, 2, 28),
            at(2027, 3, 31),
            at(2027, 4, 30),
            at(2027, 5, 31),
            at(2027, 6, 30),
            at(2027, 7, 31),
            at(2027, 8, 31),
            at(2027, 9, 30),
            at(2027, 10, 31),
            at(2027, 11, 30),
            at(2027, 12, 31),
            at(2028, 1, 31),
            at(2028, 2, 29),
        ]
    );
    // Chaining would have drifted: 28 February + 1 month is 28 March.
    assert_eq!(
        add_cycle(add_cycle(anchor, Monthly), Monthly),
        at(2027, 3, 28)
    );
}

#[test]
fn a_30th_and_a_29th_anchor_come_back_too() {
    assert_eq!(period_end(at(2027, 1, 30), Monthly, 1), at(2027, 2, 28));
    assert_eq!(period_end(at(2027, 1, 30), Monthly, 2), at(2027, 3, 30));
    assert_eq!(period_end(at(2028, 1, 29), Monthly, 1), at(2028, 2, 29));
    assert_eq!(period_end(at(2027, 1, 29), Monthly, 1), at(2027, 2, 28));
    assert_eq!(period_end(at(2027, 1, 29), Monthly, 2), at(2027, 3, 29));
}

#[test]
fn a_leap_day_anchor_comes_back_in_leap_years() {
    let anchor = at(2028, 2, 29);
    assert_eq!(period_end(anchor, Annual, 0), anchor);
    assert_eq!(period_end(anchor, Annual, 1), at(2029, 2, 28));
    assert_eq!(period_end(anchor, Annual, 2), at(2030, 2, 28));
    assert_eq!(period_end(anchor, Annual, 3), at(2031, 2, 28));
    assert_eq!(period_end(anchor, Annual, 4), at(2032, 2, 29));
    // 2100 is not a leap year.
    assert_eq!(period_end(anchor, Annual, 72), at(2100, 2, 28));
    assert_eq!(period_end(anchor, Monthly, 1), at(2028, 3, 29));
    assert_eq!(period_end(anchor, Monthly, 12), at(2029, 2, 28));
}

#[test]
fn year_boundaries() {
    let anchor = at(2027, 11, 30);
    assert_eq!(period_end(anchor, Monthly, 1), at(2027, 12, 30));
    assert_eq!(period_end(anchor, Monthly, 2), at(2028, 1, 30));
    assert_eq!(period_end(anchor, Monthly, 3), at(2028, 2, 29));
    assert_eq!(period_end(anchor, Monthly, 4), at(2028, 3, 30));
    let midnight = at_hms(2027, 12, 31, 23, 59, 59);
    assert_eq!(
        add_cycle(midnight, Monthly),
        at_hms(2028, 1, 31, 23, 59, 59)
    );
}

#[test]
fn daylight_saving_does_not_move_boundaries() {
    // Europe and the US change clocks in March and October/November; UTC does not.
    let anchor = at_hms(2027, 3, 28, 1, 30, 0);
    assert_eq!(
        period_end(anchor, Monthly, 1),
        at_hms(2027, 4, 28, 1, 30, 0)
    );
    let march = at_hms(2027, 3, 1, 0, 0, 0);
    assert_eq!(add_cycle(march, Monthly) - march, TimeDelta::days(31));
    let october = at_hms(2027, 10, 1, 2, 0, 0);
    assert_eq!(add_cycle(october, Monthly) - october, TimeDelta::days(31));
    assert_eq!(add_cycle(october, Monthly).hour(), 2);
}

#[test]
fn period_nth_spans_one_cycle_from_the_anchor() {
    let period = Period::nth(at(2027, 1, 31), Monthly, 1);
    assert_eq!(period.start, at(2027, 2, 28));
    assert_eq!(period.end, at(2027, 3, 31));
    assert_eq!(period.anchor, at(2027, 1, 31));
    assert_eq!(period.index, 1);
}

#[test]
fn a_first_activation_starts_now_on_the_whole_second() {
    let now = at(2027, 1, 31) + TimeDelta::milliseconds(750);
    let period = renewal_period(None, None, Monthly, now);
    assert_eq!(period.start, at(2027, 1, 31));
    assert_eq!(period.end, at(2027, 2, 28));
    assert_eq!(period.anchor, at(2027, 1, 31));
    assert_eq!(period.index, 0);
    // A stale anchor without a current period does not matter.
    assert_eq!(
        renewal_period(None, Some(at(2020, 5, 5)), Annual, at(2028, 2, 29)),
        Period::nth(at(2028, 2, 29), Annual, 0)
    );
}

#[test]
fn a_renewal_starts_at_the_old_end_and_follows_the_anchor() {
    let anchor = at(2027, 1, 31);
    // Paid on the last day of February: 28 February → 31 March, not 28 March.
    let renewal = renewal_period(
        Some(at(2027, 2, 28)),
        Some(anchor),
        Monthly,
        at(2027, 2, 27),
    );
    assert_eq!(renewal, Period::nth(anchor, Monthly, 1));
    assert_eq!(renewal.start, at(2027, 2, 28));
    assert_eq!(renewal.end, at(2027, 3, 31));
    // Then 31 March → 30 April → 31 May.
    let next = renewal_period(Some(renewal.end), Some(anchor), Monthly, renewal.end);
    assert_eq!((next.start, next.end), (at(2027, 3, 31), at(2027, 4, 30)));
    let after = renewal_period(Some(next.end), Some(anchor), Monthly, next.end);
    assert_eq!((after.start, after.end), (at(2027, 4, 30), at(2027, 5, 31)));
}

#[test]
fn a_late_payment_within_the_cycle_still_starts_at_the_old_end() {
    // Past due for five days, then paid: the period is not shifted to the payment date.
    let anchor = at(2027, 1, 31);
    let renewal = renewal_period(Some(at(2027, 3, 31)), Some(anchor), Monthly, at(2027, 4, 5));
    assert_eq!(
        (renewal.start, renewal.end),
        (at(2027, 3, 31), at(2027, 4, 30))
    );
    assert_eq!(renewal.anchor, anchor);
}

#[test]
fn prepaying_extends_from_the_current_end() {
    let anchor = at(2028, 2, 29);
    let renewal = renewal_period(Some(at(2029, 2, 28)), Some(anchor), Annual, at(2028, 6, 1));
    assert_eq!(
        (renewal.start, renewal.end),
        (at(2029, 2, 28), at(2030, 2, 28))
    );
    assert_eq!(renewal.index, 1);
}

#[test]
fn an_annual_renewal_returns_to_the_leap_day() {
    let anchor = at(2028, 2, 29);
    let mut end = add_cycle(anchor, Annual);
    for _ in 0..3 {
        end = renewal_period(Some(end), Some(anchor), Annual, end).end;
    }
    assert_eq!(end, at(2032, 2, 29));
}

#[test]
fn without_an_anchor_the_old_end_becomes_the_anchor() {
    let renewal = renewal_period(Some(at(2027, 2, 28)), None, Monthly, at(2027, 2, 20));
    assert_eq!(renewal, Period::nth(at(2027, 2, 28), Monthly, 0));
    assert_eq!(renewal.end, at(2027, 3, 28));
}

#[test]
fn an_end_off_the_anchor_grid_re_anchors_at_the_old_end() {
    // Monthly from 31 January to 30 April, then renewed as an annual plan.
    let renewal = renewal_period(
        Some(at(2027, 4, 30)),
        Some(at(2027, 1, 31)),
        Annual,
        at(2027, 4, 29),
    );
    assert_eq!(renewal, Period::nth(at(2027, 4, 30), Annual, 0));
    assert_eq!(renewal.end, at(2028, 4, 30));
    // Same day but another time of day, or an end before the anchor: off the grid.
    let odd = renewal_period(
        Some(at_hms(2027, 2, 28, 11, 0, 0)),
        Some(at(2027, 1, 31)),
        Monthly,
        at(2027, 2, 1),
    );
    assert_eq!(odd.anchor, at_hms(2027, 2, 28, 11, 0, 0));
    let before = renewal_period(
        Some(at(2026, 12, 31)),
        Some(at(2027, 1, 31)),
        Monthly,
        at(2027, 1, 1),
    );
    assert_eq!(before, Period::nth(at(2026, 12, 31), Monthly, 0));
}

#[test]
fn a_lapsed_subscription_starts_afresh_now() {
    let anchor = at(2027, 1, 31);
    let now = at_hms(2027, 6, 15, 8, 30, 0) + TimeDelta::microseconds(5);
    let renewal = renewal_period(Some(at(2027, 3, 31)), Some(anchor), Monthly, now);
    assert_eq!(
        renewal,
        Period::nth(at_hms(2027, 6, 15, 8, 30, 0), Monthly, 0)
    );
    assert_eq!(renewal.end, at_hms(2027, 7, 15, 8, 30, 0));
    // A renewal that would end exactly now is over too.
    let exactly = renewal_period(
        Some(at(2027, 3, 31)),
        Some(anchor),
        Monthly,
        at(2027, 4, 30),
    );
    assert_eq!(exactly.start, at(2027, 4, 30));
    assert_eq!(exactly.anchor, at(2027, 4, 30));
    assert_eq!(exactly.index, 0);
}

#[test]
fn annual_plans_grant_monthly_from_the_anchor() {
    let anchor = at(2028, 1, 31);
    let paid_through = add_cycle(anchor, Annual);
    let due = monthly_grants_due(anchor, paid_through, None, at(2028, 4, 15));
    assert_eq!(
        due,
        vec![
            MonthlyGrant {
                index: 1,
                at: at(2028, 2, 29)
            },
            MonthlyGrant {
                index: 2,
                at: at(2028, 3, 31)
            },
        ]
    );
    // Nothing more until 30 April 10:00; then exactly that one.
    assert!(
        monthly_grants_due(
            anchor,
            paid_through,
            Some(2),
            at_hms(2028, 4, 30, 9, 59, 59)
        )
        .is_empty()
    );
    assert_eq!(
        monthly_grants_due(anchor, paid_through, Some(2), at(2028, 4, 30)),
        vec![MonthlyGrant {
            index: 3,
            at: at(2028, 4, 30)
        }]
    );
}

#[test]
fn missed_monthly_grants_accumulate() {
    let anchor = at(2027, 1, 31);
    let paid_through = add_cycle(anchor, Annual);
    // The job last granted month 2 (31 March) and was down until 1 August.
    let due = monthly_grants_due(anchor, paid_through, Some(2), at(2027, 8, 1));
    let dates: Vec<_> = due.iter().map(|grant| (grant.index, grant.at)).collect();
    assert_eq!(
        dates,
        vec![
            (3, at(2027, 4, 30)),
            (4, at(2027, 5, 31)),
            (5, at(2027, 6, 30)),
            (6, at(2027, 7, 31)),
        ]
    );
}

#[test]
fn the_renewal_month_is_not_a_monthly_grant_and_nothing_past_the_paid_end() {
    let anchor = at(2027, 1, 31);
    let paid_through = add_cycle(anchor, Annual);
    let year = monthly_grants_due(anchor, paid_through, None, at(2030, 1, 1));
    assert_eq!(
        year.iter().map(|g| g.index).collect::<Vec<_>>(),
        (1..=11).collect::<Vec<_>>()
    );
    assert_eq!(year.last().map(|g| g.at), Some(at(2027, 12, 31)));
    // Not renewed: nothing after month 11, however late the job runs.
    assert!(monthly_grants_due(anchor, paid_through, Some(11), at(2030, 1, 1)).is_empty());
    // Renewed for a second year: months 13..=23, skipping the renewal at 12 and 24.
    let second = monthly_grants_due(
        anchor,
        period_end(anchor, Annual, 2),
        Some(11),
        at(2030, 1, 1),
    );
    assert_eq!(
        second.iter().map(|g| g.index).collect::<Vec<_>>(),
        (13..=23).collect::<Vec<_>>()
    );
    assert_eq!(second.first().map(|g| g.at), Some(at(2028, 2, 29)));
}

#[test]
fn a_year_of_monthly_grants_from_a_daily_job() {
    let anchor = at(2028, 1, 31);
    let paid_through = add_cycle(anchor, Annual);
    let mut last = None;
    let mut granted = Vec::new();
    let mut now = anchor;
    while now <= paid_through + TimeDelta::days(40) {
        for grant in monthly_grants_due(anchor, paid_through, last, now) {
            assert!(grant.at <= now && now - grant.at < TimeDelta::days(1));
            granted.push((annual_grant_key(7, anchor, grant.index), grant.at));
            last = Some(grant.index);
        }
        now += TimeDelta::hours(6);
    }
    let dates: Vec<_> = granted.iter().map(|(_, at)| *at).collect();
    assert_eq!(
        dates,
        vec![
            at(2028, 2, 29),
            at(2028, 3, 31),
            at(2028, 4, 30),
            at(2028, 5, 31),
            at(2028, 6, 30),
            at(2028, 7, 31),
            at(2028, 8, 31),
            at(2028, 9, 30),
            at(2028, 10, 31),
            at(2028, 11, 30),
            at(2028, 12, 31),
        ]
    );
    let mut keys: Vec<_> = granted.into_iter().map(|(key, _)| key).collect();
    keys.dedup();
    assert_eq!(keys.len(), 11);
}

#[test]
fn grants_never_overflow() {
    let anchor = at(2027, 1, 31);
    assert!(monthly_grants_due(anchor, at(2100, 1, 1), Some(u32::MAX), at(2100, 1, 1)).is_empty());
    let far = DateTime::<Utc>::MAX_UTC;
    assert!(monthly_grants_due(far - TimeDelta::days(40), far, None, far).len() <= 1);
}

#[test]
fn annual_grant_keys_name_the_subscription_anchor_and_month() {
    let anchor = at_hms(2028, 1, 31, 10, 5, 7) + TimeDelta::microseconds(42);
    assert_eq!(
        annual_grant_key(42, anchor, 3),
        "annual-grant:42:2028-01-31T10:05:07Z:3"
    );
    assert_ne!(
        annual_grant_key(42, anchor, 3),
        annual_grant_key(42, at(2029, 5, 1), 3)
    );
    assert!(annual_grant_key(i64::MAX, anchor, u32::MAX).len() <= 128);
}

fn instants() -> impl Strategy<Value = DateTime<Utc>> {
    // 1970 to about 2200, to the microsecond.
    (0i64..7_258_000_000, 0u32..1_000_000).prop_map(|(secs, micros)| {
        DateTime::from_timestamp(secs, micros * 1000).expect("an instant in range")
    })
}

fn cycles() -> impl Strategy<Value = BillingCycle> {
    prop_oneof![Just(Monthly), Just(Annual)]
}

proptest! {
    #[test]
    fn period_end_is_strictly_increasing(anchor in instants(), cycle in cycles(), n in 0u32..1200) {
        prop_assert!(period_end(anchor, cycle, n) < period_end(anchor, cycle, n + 1));
    }

    #[test]
    fn period_end_keeps_the_anchor_day_where_the_month_has_it(
        anchor in instants(),
        cycle in cycles(),
        n in 0u32..1200,
    ) {
        let end = period_end(anchor, cycle, n);
        prop_assert_eq!(end.day(), anchor.day().min(days_in_month(end.year(), end.month())));
        prop_assert_eq!(end.time(), anchor.time());
        prop_assert_eq!(months_between(anchor, end), i64::from(n * cycle_months(cycle)));
    }

    #[test]
    fn annual_is_twelve_monthly_steps_from_the_anchor(anchor in instants(), n in 0u32..100) {
        prop_assert_eq!(period_end(anchor, Annual, n), period_end(anchor, Monthly, 12 * n));
    }

    #[test]
    fn renewals_follow_the_anchor(anchor in instants(), cycle in cycles(), renewals in 1u32..40) {
        let anchor = anchor.trunc_subsecs(0);
        let mut period = renewal_period(None, None, cycle, anchor);
        for _ in 0..renewals {
            let now = period.end - TimeDelta::days(1);
            let next = renewal_period(Some(period.end), Some(period.anchor), cycle, now);
            prop_assert_eq!(next.start, period.end);
            prop_assert_eq!(next.anchor, anchor);
            prop_assert_eq!(next.index, period.index + 1);
            period = next;
        }
        prop_assert_eq!(period, Period::nth(anchor, cycle, renewals));
    }

    #[test]
    fn a_renewal_always_runs_at_now(
        anchor in instants(),
        cycle in cycles(),
        index in 0u32..100,
        late_secs in -40_000_000i64..200_000_000,
        stored_anchor in any::<bool>(),
    ) {
        let end = period_end(anchor, cycle, index + 1);
        let now = end + TimeDelta::seconds(late_secs);
        let renewal = renewal_period(Some(end), stored_anchor.then_some(anchor), cycle, now);
        prop_assert!(renewal.start < renewal.end);
        prop_assert!(renewal.end > now);
        prop_assert!(renewal.start == end || renewal.start == now.trunc_subsecs(0));
        prop_assert_eq!(renewal, Period::nth(renewal.anchor, cycle, renewal.index));
    }

    #[test]
    fn monthly_grants_are_due_once_in_order(
        anchor in instants(),
        years in 1u32..5,
        last in proptest::option::of(0u32..60),
        after_days in 0i64..2500,
    ) {
        let paid_through = period_end(anchor, Annual, years);
        let now = anchor + TimeDelta::days(after_days);
        let due = monthly_grants_due(anchor, paid_through, last, now);
        for grant in &due {
            prop_assert!(grant.at <= now && grant.at < paid_through);
            prop_assert!(grant.index % 12 != 0);
            prop_assert!(last.is_none_or(|last| grant.index > last));
            prop_assert_eq!(grant.at, period_end(anchor, Monthly, grant.index));
        }
        prop_assert!(due.windows(2).all(|pair| pair[0].index < pair[1].index));
        if let Some(newest) = due.last() {
            prop_assert!(monthly_grants_due(anchor, paid_through, Some(newest.index), now).is_empty());
        }
    }
}
