//! Calendar dates from Unix seconds, for commit dates and `--timestamp`,
//! without a date library: the page needs a day and a time, nothing more.

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
}
