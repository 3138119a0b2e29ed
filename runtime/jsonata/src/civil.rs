//! Proleptic Gregorian calendar arithmetic on day numbers (days since
//! 1970-01-01), for `$fromMillis`/`$toMillis` and the local executor's
//! timestamps: the one home of date arithmetic in stepcraft.
//!
//! Kept by hand (Howard Hinnant's `days_from_civil`/`civil_from_days`, ten
//! lines each) rather than taken from `jiff` or `time`, for a measured reason:
//! jsonata-js 2.0.6 works over JavaScript's whole `Date` range, ±8.64e15 ms,
//! years −271821 to 275760 (`$fromMillis(8.64e15, '[Y]-[M01]-[D01]')` is
//! `"275760-09-13"`, `$toMillis('12345-01-01', '[Y]-[M01]-[D01]')` is
//! `327403382400000`), and with `Date.UTC`'s overflow rules (`2024-02-30` is
//! March 1st). `jiff` stops at year 9999; `time` needs its `large-dates`
//! feature and still refuses out-of-range days, so either would need the
//! same normalisation around it. These functions take any year and any day.

/// Days since 1970-01-01 of the civil date `y-m-d` (`m` 1–12). A day past the
/// month's end (or 0) counts on into the next month (back into the previous).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month 1–12, day 1–31)` of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_over_the_javascript_range() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(100_000_000), (275_760, 9, 13));
        assert_eq!(civil_from_days(-100_000_000), (-271_821, 4, 20));
        assert_eq!(days_from_civil(2024, 2, 30), days_from_civil(2024, 3, 1));
        for z in (-100_000_000..=100_000_000).step_by(9_973) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}
