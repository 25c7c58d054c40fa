//! Calendar dates from Unix seconds and back, for commit dates,
//! `--timestamp` and freeze windows, without a date library: snapset needs
//! a day and a time, nothing more. The one place of calendar arithmetic.

/// `(year, month, day)` of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, exact for every day an i64 second count reaches).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1–12) of `year`.
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`, the
/// inverse of `civil`).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A moment as its writer saw it: `seconds` since the epoch, shown in the
/// zone `offset_minutes` east of UTC, as git records a commit's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub seconds: i64,
    pub offset_minutes: i32,
}

impl Moment {
    fn local(&self) -> (i64, u32, u32, i64) {
        let local = self.seconds + i64::from(self.offset_minutes) * 60;
        let (y, m, d) = civil(local.div_euclid(86_400));
        (y, m, d, local.rem_euclid(86_400))
    }

    /// `2026-11-26`.
    pub fn day(&self) -> String {
        let (y, m, d, _) = self.local();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `2026-11-26T10:01:00+01:00`, for `<time datetime>`.
    pub fn iso(&self) -> String {
        let (y, m, d, secs) = self.local();
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.unsigned_abs();
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            off / 60,
            off % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_zones() {
        let epoch = Moment {
            seconds: 0,
            offset_minutes: 0,
        };
        assert_eq!(epoch.iso(), "1970-01-01T00:00:00+00:00");
        // 2026-11-26T10:01:00Z, seen from UTC-05:30 and from UTC+14:00.
        let m = Moment {
            seconds: 1_795_687_260,
            offset_minutes: -330,
        };
        assert_eq!(m.iso(), "2026-11-26T04:31:00-05:30");
        let east = Moment {
            offset_minutes: 14 * 60,
            ..m
        };
        assert_eq!(east.day(), "2026-11-27");
        let leap = Moment {
            seconds: 951_782_400,
            offset_minutes: 0,
        };
        assert_eq!(leap.day(), "2000-02-29");
    }

    #[test]
    fn days_and_dates_are_inverse() {
        for days in (-800_000..800_000)
            .step_by(997)
            .chain([-1, 0, 1, 59, 60, 11_016])
        {
            let (y, m, d) = civil(days);
            assert!(u32::try_from(days_in_month(y, i64::from(m))).unwrap() >= d);
            assert_eq!(
                days_from_civil(y, i64::from(m), i64::from(d)),
                days,
                "{y}-{m}-{d}"
            );
        }
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 11), 30);
    }
}
