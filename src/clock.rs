//! The range of dates readmore keeps: from 0001-01-01 to 9999-12-31, the
//! years every output format can write (RFC 2822 in RSS has no negative
//! years and four digits at most). Every date is clamped into it where it
//! enters — a page's date, `--now`, `SOURCE_DATE_EPOCH` — and again where a
//! stored date is read back, so a date written by an older readmore cannot
//! make a later run fail. Parsing dates is left to the readers.

use chrono::{DateTime, Utc};

/// 0001-01-01T00:00:00Z, in Unix seconds.
pub const EARLIEST: i64 = -62_135_596_800;
/// 9999-12-31T23:59:59Z, in Unix seconds.
pub const LATEST: i64 = 253_402_300_799;

/// `secs` moved into [`EARLIEST`, `LATEST`].
pub fn clamp_secs(secs: i64) -> i64 {
    secs.clamp(EARLIEST, LATEST)
}

/// The date `secs` seconds after the epoch, clamped into the range.
pub fn date(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(clamp_secs(secs), 0).expect("the clamped range is representable")
}

/// `date` moved into the range, to the second.
pub fn clamp(date: DateTime<Utc>) -> DateTime<Utc> {
    self::date(date.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The ends of the range are the years RSS can still write.
    #[test]
    fn the_range_ends_are_writable_in_every_format() {
        for secs in [EARLIEST, LATEST, i64::MIN, i64::MAX] {
            let d = date(secs);
            assert!(!d.to_rfc2822().is_empty());
            assert!(d.to_rfc3339().len() >= 20);
        }
        assert_eq!(date(i64::MIN).to_rfc3339(), "0001-01-01T00:00:00+00:00");
        assert_eq!(date(i64::MAX).to_rfc3339(), "9999-12-31T23:59:59+00:00");
    }
}
