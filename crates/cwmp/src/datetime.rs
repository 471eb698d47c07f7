//! `xsd:dateTime` as CWMP uses it (TR-069 §A.2.1, XML Schema Part 2 §3.2.7).
//!
//! Canonical text form: `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`, where the
//! fraction has no trailing zeros and a zero offset is always written `Z`.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Largest accepted UTC offset magnitude in minutes (±14:00).
const MAX_OFFSET_MINUTES: i32 = 14 * 60;
const SECS_PER_DAY: i64 = 86_400;
const NANOS_PER_SEC: u32 = 1_000_000_000;

/// A validated `xsd:dateTime`: years 1..=9999, nanosecond precision, optional UTC offset.
///
/// Equality and hashing compare the representation, not the instant:
/// `12:00:00+01:00` and `11:00:00Z` are different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
    /// Minutes east of UTC; `None` means no offset was given (floating/local time).
    offset: Option<i32>,
}

/// Why a date-time was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid xsd:dateTime: {reason}")]
pub struct DateTimeError {
    reason: &'static str,
}

impl DateTimeError {
    /// Short human-readable description of what was wrong.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

const fn err(reason: &'static str) -> DateTimeError {
    DateTimeError { reason }
}

fn check(ok: bool, reason: &'static str) -> Result<(), DateTimeError> {
    if ok { Ok(()) } else { Err(err(reason)) }
}

const fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(month) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian (year, month, day) for days since 1970-01-01 (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small and positive by construction (1..=31 and 1..=12).
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl DateTime {
    /// TR-069 "Unknown Time": `0001-01-01T00:00:00Z`.
    pub const UNKNOWN: DateTime = DateTime {
        year: 1,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset: Some(0),
    };

    /// Validated date and time with no fraction and no offset (floating time).
    pub fn new(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<Self, DateTimeError> {
        check((1..=9999).contains(&year), "year must be 0001 to 9999")?;
        check((1..=12).contains(&month), "month must be 01 to 12")?;
        let dim = days_in_month(year, month);
        check((1..=dim).contains(&day), "day does not exist in that month")?;
        check(hour < 24, "hour must be 00 to 23")?;
        check(minute < 60, "minute must be 00 to 59")?;
        check(second < 60, "second must be 00 to 59")?;
        Ok(DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanos: 0,
            offset: None,
        })
    }

    /// Same date-time with the given fractional second (`nanos` < 1_000_000_000).
    pub fn with_nanos(self, nanos: u32) -> Result<Self, DateTimeError> {
        check(
            nanos < NANOS_PER_SEC,
            "fractional seconds must be below one second",
        )?;
        Ok(DateTime { nanos, ..self })
    }

    /// Same date-time with the given offset in minutes east of UTC (`None` = floating, at most ±14:00).
    pub fn with_offset(self, offset_minutes: Option<i32>) -> Result<Self, DateTimeError> {
        let in_range = offset_minutes.is_none_or(|m| m.abs() <= MAX_OFFSET_MINUTES);
        check(in_range, "offset must be within ±14:00")?;
        Ok(DateTime {
            offset: offset_minutes,
            ..self
        })
    }

    /// Calendar year (1..=9999).
    pub const fn year(&self) -> i32 {
        self.year
    }
    /// Month (1..=12).
    pub const fn month(&self) -> u8 {
        self.month
    }
    /// Day of month (1..=31).
    pub const fn day(&self) -> u8 {
        self.day
    }
    /// Hour (0..=23).
    pub const fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute (0..=59).
    pub const fn minute(&self) -> u8 {
        self.minute
    }
    /// Second (0..=59).
    pub const fn second(&self) -> u8 {
        self.second
    }
    /// Fractional second in nanoseconds (0..1_000_000_000).
    pub const fn nanosecond(&self) -> u32 {
        self.nanos
    }
    /// Offset in minutes east of UTC, or `None` if the value carried no offset.
    pub const fn offset_minutes(&self) -> Option<i32> {
        self.offset
    }

    /// Whether this is exactly the TR-069 Unknown Time `0001-01-01T00:00:00Z`.
    pub fn is_unknown(&self) -> bool {
        *self == Self::UNKNOWN
    }

    /// UTC date-time for a Unix timestamp; `None` if `nanos` ≥ 1e9 or the year leaves 1..=9999.
    pub fn from_unix(secs: i64, nanos: u32) -> Option<DateTime> {
        if nanos >= NANOS_PER_SEC {
            return None;
        }
        let (y, month, day) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
        let year = i32::try_from(y).ok()?;
        let sod = secs.rem_euclid(SECS_PER_DAY);
        // sod < 86_400, so each component fits in u8.
        let (hour, minute, second) = ((sod / 3600) as u8, (sod / 60 % 60) as u8, (sod % 60) as u8);
        let d = DateTime::new(year, month, day, hour, minute, second).ok()?;
        d.with_nanos(nanos).ok()?.with_offset(Some(0)).ok()
    }

    /// Unix timestamp `(seconds, nanos)`; `None` for floating time (no offset), which is not an instant.
    pub fn to_unix(&self) -> Option<(i64, u32)> {
        let offset = i64::from(self.offset?);
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        let sod =
            i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
        Some((days * SECS_PER_DAY + sod - offset * 60, self.nanos))
    }

    /// Current time in UTC from the system clock (Unknown Time if the clock is before 1970).
    pub fn now_utc() -> DateTime {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).ok();
        since_epoch
            .and_then(|d| DateTime::from_unix(i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()))
            .unwrap_or(DateTime::UNKNOWN)
    }
}

/// Byte cursor used by the parser.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8, reason: &'static str) -> Result<(), DateTimeError> {
        check(self.bump() == Some(c), reason)
    }

    /// Exactly `n` ASCII digits (n ≤ 4) as a number.
    fn digits(&mut self, n: usize, reason: &'static str) -> Result<u16, DateTimeError> {
        let mut v = 0u16;
        for _ in 0..n {
            match self.bump() {
                Some(c) if c.is_ascii_digit() => v = v * 10 + u16::from(c - b'0'),
                _ => return Err(err(reason)),
            }
        }
        Ok(v)
    }

    fn two(&mut self, reason: &'static str) -> Result<u8, DateTimeError> {
        // Two digits are at most 99, so this always fits.
        self.digits(2, reason).map(|v| v as u8)
    }
}

impl FromStr for DateTime {
    type Err = DateTimeError;

    /// Parses `YYYY-MM-DDThh:mm:ss[.f+][Z|±hh:mm]`, ignoring surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut p = Cursor {
            bytes: s.trim_ascii().as_bytes(),
            pos: 0,
        };
        check(p.peek() != Some(b'-'), "negative years are not supported")?;
        let year = p.digits(4, "year must have four digits")?;
        let more_digits = p.peek().is_some_and(|c| c.is_ascii_digit());
        check(!more_digits, "years after 9999 are not supported")?;
        p.expect(b'-', "expected '-' after the year")?;
        let month = p.two("month must have two digits")?;
        p.expect(b'-', "expected '-' after the month")?;
        let day = p.two("day must have two digits")?;
        p.expect(b'T', "expected 'T' between date and time")?;
        let hour = p.two("hour must have two digits")?;
        p.expect(b':', "expected ':' after the hour")?;
        let minute = p.two("minute must have two digits")?;
        p.expect(b':', "expected ':' after the minute")?;
        let second = p.two("second must have two digits")?;

        let mut nanos = 0u32;
        if p.peek() == Some(b'.') {
            p.pos += 1;
            let mut count = 0u32;
            while let Some(c) = p.peek().filter(u8::is_ascii_digit) {
                if count < 9 {
                    nanos = nanos * 10 + u32::from(c - b'0');
                }
                count += 1;
                p.pos += 1;
            }
            check(count > 0, "fractional seconds need at least one digit")?;
            nanos *= 10u32.pow(9 - count.min(9));
        }

        let offset = match p.bump() {
            None => None,
            Some(b'Z') => Some(0),
            Some(sign @ (b'+' | b'-')) => {
                let hh = i32::from(p.two("offset hours must have two digits")?);
                p.expect(b':', "expected ':' in the offset")?;
                let mm = i32::from(p.two("offset minutes must have two digits")?);
                check(mm < 60, "offset minutes must be 00 to 59")?;
                let total = hh * 60 + mm;
                Some(if sign == b'-' { -total } else { total })
            }
            Some(_) => return Err(err("expected 'Z', '+hh:mm' or '-hh:mm' after the time")),
        };
        check(p.pos == p.bytes.len(), "unexpected text after the offset")?;
        DateTime::new(i32::from(year), month, day, hour, minute, second)?
            .with_nanos(nanos)?
            .with_offset(offset)
    }
}

impl fmt::Display for DateTime {
    /// Canonical form; `"Z"` for offset zero, fraction without trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.nanos != 0 {
            let mut frac = self.nanos;
            let mut width = 9;
            while frac % 10 == 0 {
                frac /= 10;
                width -= 1;
            }
            write!(f, ".{frac:0width$}")?;
        }
        match self.offset {
            None => Ok(()),
            Some(0) => f.write_str("Z"),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                write!(f, "{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
            }
        }
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Proptest strategy for arbitrary valid date-times (shared with other modules' tests).
#[cfg(test)]
pub(crate) fn arb_datetime() -> impl proptest::strategy::Strategy<Value = DateTime> {
    use proptest::prelude::*;
    (
        (1..=9999i32, 1..=12u8, 1..=31u8),
        (0..24u8, 0..60u8, 0..60u8),
        prop_oneof![
            Just(0u32),
            0..NANOS_PER_SEC,
            (1..1000u32).prop_map(|n| n * 1_000_000)
        ],
        prop_oneof![
            Just(None),
            Just(Some(0)),
            (-MAX_OFFSET_MINUTES..=MAX_OFFSET_MINUTES).prop_map(Some)
        ],
    )
        .prop_map(|((y, mo, d), (h, mi, s), nanos, offset)| DateTime {
            year: y,
            month: mo,
            day: d.min(days_in_month(y, mo)),
            hour: h,
            minute: mi,
            second: s,
            nanos,
            offset,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<DateTime, DateTimeError> {
        s.parse()
    }

    #[test]
    fn valid_examples_and_canonical_form() {
        let canonical = [
            "2024-02-29T00:00:00Z",
            "2000-02-29T12:34:56",
            "2026-11-21T20:26:35+05:30",
            "2026-11-21T20:26:35-08:00",
            "2026-11-21T20:26:35+14:00",
            "2026-11-21T20:26:35.5Z",
            "2026-11-21T20:26:35.123456789Z",
            "2026-11-21T20:26:35.000000001",
            "9999-12-31T23:59:59.999999999-14:00",
        ];
        for s in canonical {
            assert_eq!(p(s).map(|d| d.to_string()).as_deref(), Ok(s));
        }
        // (suffix after "2026-11-21T20:26:35", canonical suffix)
        let normalized = [
            ("+00:00", "Z"),
            ("-00:00", "Z"),
            (".500", ".5"),
            (".000Z", "Z"),
            (".1234567891Z", ".123456789Z"),
            (".12345678999999+01:00", ".123456789+01:00"),
            ("Z\r\n", "Z"),
        ];
        for (input, want) in normalized {
            let d = p(&format!("  2026-11-21T20:26:35{input}")).unwrap();
            assert_eq!(d.to_string(), format!("2026-11-21T20:26:35{want}"));
        }
        let d = p("2026-11-21T20:26:35.123+05:30").unwrap();
        let fields = (
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
        );
        assert_eq!(fields, (2026, 11, 21, 20, 26, 35));
        assert_eq!(
            (d.nanosecond(), d.offset_minutes()),
            (123_000_000, Some(330))
        );
    }

    #[test]
    fn invalid_examples() {
        let cases = [
            ("2023-02-29T00:00:00Z", "day does not exist"),
            ("2100-02-29T00:00:00Z", "day does not exist"),
            ("2024-02-30T00:00:00Z", "day does not exist"),
            ("2024-04-31T00:00:00Z", "day does not exist"),
            ("2024-01-00T00:00:00Z", "day does not exist"),
            ("2024-00-10T00:00:00Z", "month must be"),
            ("2024-13-10T00:00:00Z", "month must be"),
            ("2024-01-01T25:00:00Z", "hour"),
            ("2024-01-01T24:00:00Z", "hour"),
            ("2024-01-01T23:60:00Z", "minute"),
            ("2024-01-01T23:59:60Z", "second"),
            ("0000-01-01T00:00:00Z", "year"),
            ("-0001-01-01T00:00:00Z", "negative"),
            ("10000-01-01T00:00:00Z", "after 9999"),
            ("24-01-01T00:00:00Z", "four digits"),
            ("2024-1-01T00:00:00Z", "month must have"),
            ("2024-01-01 00:00:00Z", "'T'"),
            ("2024-01-01t00:00:00Z", "'T'"),
            ("2024-01-01T00:00Z", "after the minute"),
            ("2024-01-01T00:00:00.Z", "at least one digit"),
            ("2024-01-01T00:00:00z", "expected 'Z'"),
            ("2024-01-01T00:00:00+14:01", "±14:00"),
            ("2024-01-01T00:00:00+15:00", "±14:00"),
            ("2024-01-01T00:00:00+05:60", "offset minutes"),
            ("2024-01-01T00:00:00+0530", "':' in the offset"),
            ("2024-01-01T00:00:00Zjunk", "unexpected text"),
            ("2024-01-01", "'T'"),
            ("", "four digits"),
            ("２０２４-01-01T00:00:00Z", "four digits"),
        ];
        for (input, want) in cases {
            let e = p(input).expect_err(input);
            assert!(e.to_string().contains(want), "{input:?}: {e}");
        }
    }

    #[test]
    fn constructors_validate() {
        assert!(DateTime::new(2024, 2, 29, 0, 0, 0).is_ok());
        assert!(DateTime::new(2023, 2, 29, 0, 0, 0).is_err());
        assert!(DateTime::new(-5, 1, 1, 0, 0, 0).is_err());
        let d = DateTime::new(2024, 1, 1, 0, 0, 0).unwrap();
        assert!(d.with_nanos(NANOS_PER_SEC).is_err());
        assert!(d.with_offset(Some(-841)).is_err());
        assert_eq!(
            d.with_offset(Some(-840)).map(|d| d.offset_minutes()),
            Ok(Some(-840))
        );
    }

    #[test]
    fn unknown_time() {
        assert_eq!(DateTime::UNKNOWN.to_string(), "0001-01-01T00:00:00Z");
        assert!(p("0001-01-01T00:00:00Z").unwrap().is_unknown());
        assert!(p("0001-01-01T00:00:00+00:00").unwrap().is_unknown());
        // Without an offset it parses, but is a floating time, not the canonical constant.
        assert!(!p("0001-01-01T00:00:00").unwrap().is_unknown());
        assert!(!DateTime::now_utc().is_unknown());
    }

    #[test]
    fn unix_conversions() {
        let epoch = DateTime::from_unix(0, 0).unwrap();
        assert_eq!(epoch.to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(epoch.to_unix(), Some((0, 0)));
        let d = p("2026-11-21T20:26:35Z").unwrap();
        assert_eq!(d.to_unix(), Some((1_795_292_795, 0)));
        assert_eq!(DateTime::from_unix(1_795_292_795, 0), Some(d));
        let d = p("2026-11-22T01:56:35.25+05:30").unwrap();
        assert_eq!(d.to_unix(), Some((1_795_292_795, 250_000_000)));
        let d = p("2026-11-21T12:26:35-08:00").unwrap();
        assert_eq!(d.to_unix(), Some((1_795_292_795, 0)));
        assert_eq!(p("2026-11-21T20:26:35").unwrap().to_unix(), None);
        let before_epoch = DateTime::from_unix(-1, 999_999_999).unwrap();
        assert_eq!(before_epoch.to_string(), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(DateTime::from_unix(0, NANOS_PER_SEC), None);
        assert_eq!(DateTime::from_unix(i64::MAX, 0), None);
        assert_eq!(DateTime::from_unix(i64::MIN, 0), None);
        let (secs, nanos) = DateTime::UNKNOWN.to_unix().unwrap();
        assert_eq!(DateTime::from_unix(secs, nanos), Some(DateTime::UNKNOWN));
        assert_eq!(DateTime::from_unix(secs - 1, 0), None);
        let (max, _) = p("9999-12-31T23:59:59Z").unwrap().to_unix().unwrap();
        assert_eq!(DateTime::from_unix(max + 1, 0), None);
    }

    #[test]
    fn serde_as_string() {
        let d = p("2026-11-21T20:26:35.5+05:30").unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, "\"2026-11-21T20:26:35.5+05:30\"");
        assert_eq!(serde_json::from_str::<DateTime>(&json).unwrap(), d);
        assert!(serde_json::from_str::<DateTime>("\"2024-02-30T00:00:00Z\"").is_err());
        assert!(serde_json::from_str::<DateTime>("12").is_err());
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(d in arb_datetime()) {
            prop_assert_eq!(p(&d.to_string()), Ok(d));
        }

        #[test]
        fn unix_round_trip_utc(d in arb_datetime()) {
            let d = d.with_offset(Some(0)).unwrap();
            let (secs, nanos) = d.to_unix().unwrap();
            prop_assert_eq!(DateTime::from_unix(secs, nanos), Some(d));
        }

        #[test]
        fn unix_offset_preserves_instant(d in arb_datetime(), off in -840..=840i32) {
            let local = d.with_offset(Some(off)).unwrap().to_unix().unwrap();
            let utc = d.with_offset(Some(0)).unwrap().to_unix().unwrap();
            prop_assert_eq!(local, (utc.0 - i64::from(off) * 60, utc.1));
        }

        #[test]
        fn parse_never_panics(s in prop_oneof!["\\PC{0,40}", "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.Z+ -]{0,30}"]) {
            if let Ok(d) = p(&s) {
                prop_assert_eq!(p(&d.to_string()), Ok(d));
            }
        }
    }
}
