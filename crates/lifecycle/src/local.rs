//! Local wall-clock rules ("at 11:00 on the expiry day") turned into instants.
//!
//! The notices state their rules in Italian time (DCS: "a partire dalle ore 11
//! del giorno di scadenza"; lifecycle.md: suspended "from 11:00 (Italian
//! time)", its scenarios' "dates in Europe/Rome"); a convention may name another
//! IANA zone, Europe/Rome by default. Daylight saving time makes two cases:
//!
//! - a local time that does not exist (the spring-forward gap, 02:00 to 03:00 on
//!   the last Sunday of March in Europe/Rome) resolves to the **next existing
//!   instant**, the end of the gap: 02:30 becomes 03:00 CEST (01:00 UTC);
//! - a local time that occurs twice (the autumn fall-back hour) resolves to the
//!   **first** occurrence, so nothing happens later than the rule says.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The instant at which local `time` on local `date` happens in `tz`.
pub fn instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    resolve(tz, date.and_time(time))
}

/// The first instant of the local day `date` (midnight, or the end of a gap).
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    instant(tz, date, NaiveTime::MIN)
}

/// The local calendar date of `at` in `tz`.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Zone transitions fall on whole minutes: walk to the gap's end.
            let mut probe = local.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(local);
            for _ in 0..(26 * 60) {
                probe += Duration::minutes(1);
                match tz.from_local_datetime(&probe) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
                    LocalResult::None => {}
                }
            }
            // No zone has a gap longer than a day; treat the wall time as UTC.
            Utc.from_utc_datetime(&local)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Rome;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn eleven_in_rome_is_ten_utc_in_winter_and_nine_in_summer() {
        let at = NaiveTime::from_hms_opt(11, 0, 0).unwrap();
        assert_eq!(
            instant(Rome, NaiveDate::from_ymd_opt(2025, 3, 10).unwrap(), at),
            utc("2025-03-10T10:00:00Z")
        );
        assert_eq!(
            instant(Rome, NaiveDate::from_ymd_opt(2025, 3, 30).unwrap(), at),
            utc("2025-03-30T09:00:00Z")
        );
    }

    #[test]
    fn a_local_time_in_the_spring_gap_is_the_end_of_the_gap() {
        // Last Sunday of March 2025: 02:00 CET jumps to 03:00 CEST.
        let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            instant(Rome, NaiveDate::from_ymd_opt(2025, 3, 30).unwrap(), at),
            utc("2025-03-30T01:00:00Z")
        );
    }

    #[test]
    fn a_local_time_in_the_autumn_overlap_is_its_first_occurrence() {
        // Last Sunday of October 2025: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET).
        let at = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(
            instant(Rome, NaiveDate::from_ymd_opt(2025, 10, 26).unwrap(), at),
            utc("2025-10-26T00:30:00Z")
        );
    }
}
