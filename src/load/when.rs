//! Times written in snapset.kdl: how long a commit must soak upstream
//! (`soak="1d12h"`) and when a freeze window opens and closes
//! (`from="2026-12-20T00:00Z"`). Both are plain numbers of seconds inside,
//! so the path to production compares them with git's committer times
//! without a date library.

use std::fmt;

use crate::text::date;

/// A length of time: `30m`, `6h`, `2d`, `1d12h` (days, hours, minutes, in
/// that order, each at most once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    pub seconds: i64,
}

impl Duration {
    pub fn parse(text: &str) -> Option<Duration> {
        let mut seconds: i64 = 0;
        let mut rest = text;
        let mut last_unit = 0;
        if rest.is_empty() {
            return None;
        }
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 6 {
                return None;
            }
            let n: i64 = rest[..digits].parse().ok()?;
            let (unit, size) = match rest.as_bytes().get(digits)? {
                b'd' => (3, 86_400),
                b'h' => (2, 3_600),
                b'm' => (1, 60),
                _ => return None,
            };
            // `1d12h`, not `12h1d` nor `1h2h`: one way to write each length.
            if last_unit != 0 && unit >= last_unit {
                return None;
            }
            last_unit = unit;
            seconds += n * size;
            rest = &rest[digits + 1..];
        }
        Some(Duration { seconds })
    }

    /// How messages and `ready` write a length: in hours and minutes up
    /// to three days (`24h`, `7h5m`, `45m`), in days and hours beyond
    /// (`4d6h`); under a minute, `<1m`.
    pub fn show(seconds: i64) -> String {
        let seconds = seconds.max(0);
        if seconds < 60 {
            return "<1m".into();
        }
        let (d, h, m) = if seconds < 3 * 86_400 {
            (0, seconds / 3_600, seconds / 60 % 60)
        } else {
            (seconds / 86_400, seconds / 3_600 % 24, 0)
        };
        let mut out = String::new();
        for (n, unit) in [(d, 'd'), (h, 'h'), (m, 'm')] {
            if n > 0 {
                out.push_str(&format!("{n}{unit}"));
            }
        }
        out
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seconds {
            0 => f.write_str("0m"),
            s => f.write_str(&Duration::show(s)),
        }
    }
}

/// A moment, in seconds since the Unix epoch: `2026-12-20T00:00Z`,
/// `2026-12-20T00:00:00+01:00`, or a day alone (`2026-12-20`, midnight UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub seconds: i64,
}

impl Timestamp {
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = text.get(from..from + len)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
        if !(1..=12).contains(&month) || day < 1 || day > date::days_in_month(year, month) {
            return None;
        }
        let mut seconds = date::days_from_civil(year, month, day) * 86_400;
        if b.len() == 10 {
            return Some(Timestamp { seconds });
        }
        if b.get(10) != Some(&b'T') {
            return None;
        }
        let (hour, minute) = (num(11, 2)?, num(14, 2)?);
        if b.get(13) != Some(&b':') || hour > 23 || minute > 59 {
            return None;
        }
        let mut at = 16;
        let mut second = 0;
        if b.get(16) == Some(&b':') {
            second = num(17, 2)?;
            if second > 59 {
                return None;
            }
            at = 19;
        }
        seconds += hour * 3_600 + minute * 60 + second;
        // The zone is required: a freeze window means the same moment for
        // every CI runner, whatever its local time.
        match (b.get(at), text.len()) {
            (Some(b'Z'), len) if len == at + 1 => {}
            (Some(sign @ (b'+' | b'-')), len) if len == at + 6 && b.get(at + 3) == Some(&b':') => {
                let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let offset = oh * 3_600 + om * 60;
                seconds -= if *sign == b'+' { offset } else { -offset };
            }
            _ => return None,
        }
        Some(Timestamp { seconds })
    }
}

impl fmt::Display for Timestamp {
    /// `2026-12-20 00:00 UTC`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iso = date::Moment {
            seconds: self.seconds,
            offset_minutes: 0,
        }
        .iso();
        write!(f, "{} {} UTC", &iso[..10], &iso[11..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for (text, seconds, shown) in [
            ("30m", 1_800, "30m"),
            ("6h", 21_600, "6h"),
            ("2d", 172_800, "48h"),
            ("1d12h", 129_600, "36h"),
            ("1d2h3m", 93_780, "26h3m"),
            ("4d6h", 367_200, "4d6h"),
            ("0m", 0, "0m"),
        ] {
            let d = Duration::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(d.seconds, seconds, "{text}");
            assert_eq!(d.to_string(), shown);
        }
        for bad in [
            "", "12", "h", "1h1d", "1h2h", "1.5h", "-1h", "1w", "1H", " 1h", "1h ", "9999999h",
        ] {
            assert_eq!(Duration::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Duration::show(7 * 3_600 + 5 * 60), "7h5m");
        assert_eq!(Duration::show(86_400 + 3_600 + 60), "25h1m");
        assert_eq!(Duration::show(30 * 86_400 + 3_600 + 60), "30d1h");
        assert_eq!(Duration::show(59), "<1m");
        assert_eq!(Duration::show(-5), "<1m");
    }

    #[test]
    fn timestamps() {
        let day = Timestamp::parse("2026-12-20").unwrap();
        assert_eq!(Timestamp::parse("2026-12-20T00:00Z"), Some(day));
        assert_eq!(Timestamp::parse("2026-12-20T00:00:00Z"), Some(day));
        assert_eq!(
            Timestamp::parse("2026-12-20T01:00+01:00"),
            Some(day),
            "an offset east of UTC is earlier in UTC"
        );
        assert_eq!(Timestamp::parse("2026-12-19T19:00-05:00"), Some(day));
        assert_eq!(day.to_string(), "2026-12-20 00:00 UTC");
        assert_eq!(
            Timestamp::parse("2026-01-01").unwrap().seconds,
            1_767_225_600
        );
        assert!(Timestamp::parse("2028-02-29").is_some());
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-12-20T00:00",
            "2026-12-20 00:00Z",
            "2026-12-20T24:00Z",
            "2026-12-20T00:00+1",
            "20261220",
            "2026-12-20Z",
            "",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad:?}");
        }
    }
}
