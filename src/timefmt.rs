//! Timestamps: one stored form, one wire form.
//!
//! Stored: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, fixed width so that text order is
//! time order. Wire: what pydantic writes, which drops the fraction when the
//! microseconds are zero.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

pub fn to_stored(t: DateTime<Utc>) -> String {
    use std::fmt::Write;
    // By hand for the common case (a fixture load formats several per
    // row; chrono's format string is parsed on every call). Years outside
    // 0..=9999 and leap seconds keep chrono's own rendering.
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    let mut s = String::with_capacity(27);
    let _ = write!(
        s,
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        nanos / 1000
    );
    s
}

/// The stored text of a timestamp truncated to whole milliseconds, as the
/// reference's SQL `now()` writes `updated` on an UPDATE.
pub fn to_stored_millis(t: DateTime<Utc>) -> String {
    let ms = t.nanosecond() / 1_000_000 * 1_000_000;
    to_stored(t.with_nanosecond(ms).unwrap_or(t))
}

pub fn now_stored() -> String {
    to_stored(Utc::now())
}

/// Stored text back to the wire form.
pub fn to_wire(stored: &str) -> String {
    let mut out = String::with_capacity(stored.len());
    push_wire(&mut out, stored);
    out
}

/// `to_wire`, appended to `out` (for answers written in place).
pub fn push_wire(out: &mut String, stored: &str) {
    match stored.strip_suffix(".000000Z") {
        Some(whole) => {
            out.push_str(whole);
            out.push('Z');
        }
        None => out.push_str(stored),
    }
}

/// Parse a stored value (used when reading the database back into times).
pub fn parse_stored(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// RFC 3339 in the wire form, for callers that hold a `DateTime`.
pub fn wire_from(t: DateTime<Utc>) -> String {
    to_wire(&to_stored(t))
}

#[allow(dead_code)]
fn _rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_form_is_fixed_width_and_sorts_by_time() {
        let a = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let b = a + chrono::Duration::microseconds(1);
        assert_eq!(to_stored(a), "2020-01-01T00:00:00.000000Z");
        assert_eq!(to_stored(b), "2020-01-01T00:00:00.000001Z");
        assert!(to_stored(a) < to_stored(b));
    }

    #[test]
    fn the_hand_written_stored_form_is_chronos() {
        let chrono_form = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        for t in [
            Utc.with_ymd_and_hms(1, 2, 3, 4, 5, 6).unwrap() + chrono::Duration::nanoseconds(123_456_789),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2026, 7, 8, 9, 10, 11).unwrap() + chrono::Duration::microseconds(999_999),
        ] {
            assert_eq!(to_stored(t), chrono_form(t));
        }
    }

    #[test]
    fn wire_form_drops_a_zero_fraction_like_pydantic() {
        assert_eq!(to_wire("2020-01-01T00:00:00.000000Z"), "2020-01-01T00:00:00Z");
        assert_eq!(to_wire("2020-01-01T00:00:00.120000Z"), "2020-01-01T00:00:00.120000Z");
    }

    #[test]
    fn millisecond_truncation_keeps_six_digits() {
        let t = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
            + chrono::Duration::microseconds(847_123);
        assert_eq!(to_stored_millis(t), "2020-01-01T00:00:00.847000Z");
    }
}
