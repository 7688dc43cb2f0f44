//! Legal time of PEC documents.
//!
//! Receipts carry a time reference (riferimento temporale, `../shared/docs/pec-rules.md`
//! 1.2): the local time of Italy with its UTC offset, to the second (daticert
//! `<data zona="+0100"><giorno>dd/mm/yyyy</giorno><ora>hh:mm:ss</ora>`, 4.2;
//! human text "Il giorno dd/mm/yyyy alle ore hh:mm:ss (+0100)", 3.1). The library never
//! reads the clock: callers pass the instant.

use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Europe::Rome;

/// An instant expressed in Italian legal time (Europe/Rome, with its offset), to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LegalTime(DateTime<FixedOffset>);

impl LegalTime {
    /// The instant in Europe/Rome time, truncated to the second (daticert has 1 s precision).
    pub fn from_utc(at: DateTime<Utc>) -> Self {
        let local = at.with_timezone(&Rome).fixed_offset();
        let secs = local.timestamp();
        let truncated = DateTime::from_timestamp(secs, 0)
            .unwrap_or(at)
            .with_timezone(local.offset());
        LegalTime(truncated)
    }

    /// Keeps a time already expressed with an offset (as read from a received daticert).
    pub fn from_fixed(at: DateTime<FixedOffset>) -> Self {
        LegalTime(at)
    }

    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    pub fn local(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// `+0100` / `+0200`: the `zona` attribute of daticert.
    pub fn zona(&self) -> String {
        self.0.format("%z").to_string()
    }

    /// `dd/mm/yyyy`: daticert `<giorno>`.
    pub fn giorno(&self) -> String {
        self.0.format("%d/%m/%Y").to_string()
    }

    /// `hh:mm:ss`: daticert `<ora>`.
    pub fn ora(&self) -> String {
        self.0.format("%H:%M:%S").to_string()
    }

    /// RFC 5322 `Date:` header value in local time, e.g. `Tue, 13 Nov 2018 16:39:26 +0100`.
    pub fn rfc5322(&self) -> String {
        self.0.format("%a, %d %b %Y %H:%M:%S %z").to_string()
    }

    /// `Il giorno 13/11/2018 alle ore 16:39:26 (+0100)`: the phrase of the human texts.
    pub fn phrase(&self) -> String {
        format!("Il giorno {} alle ore {} ({})", self.giorno(), self.ora(), self.zona())
    }

    /// Reads daticert's `giorno`, `ora` and `zona` back into an instant.
    pub fn from_daticert(giorno: &str, ora: &str, zona: &str) -> Option<Self> {
        let text = format!("{} {} {}", giorno.trim(), ora.trim(), zona.trim());
        DateTime::parse_from_str(&text, "%d/%m/%Y %H:%M:%S %z")
            .ok()
            .map(LegalTime)
    }
}

impl std::fmt::Display for LegalTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.giorno(), self.ora(), self.zona())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn winter_and_summer_offsets() {
        let winter = LegalTime::from_utc(Utc.with_ymd_and_hms(2018, 11, 13, 15, 39, 26).unwrap());
        assert_eq!(winter.zona(), "+0100");
        assert_eq!(winter.giorno(), "13/11/2018");
        assert_eq!(winter.ora(), "16:39:26");
        let summer = LegalTime::from_utc(Utc.with_ymd_and_hms(2021, 5, 14, 10, 2, 8).unwrap());
        assert_eq!(summer.zona(), "+0200");
        assert_eq!(summer.ora(), "12:02:08");
        assert_eq!(summer.rfc5322(), "Fri, 14 May 2021 12:02:08 +0200");
    }

    #[test]
    fn daticert_fields_round_trip() {
        let t = LegalTime::from_utc(Utc.with_ymd_and_hms(2024, 12, 4, 23, 2, 10).unwrap());
        let back = LegalTime::from_daticert(&t.giorno(), &t.ora(), &t.zona()).unwrap();
        assert_eq!(back, t);
        assert_eq!(t.phrase(), "Il giorno 05/12/2024 alle ore 00:02:10 (+0100)");
    }

    #[test]
    fn subsecond_precision_is_dropped() {
        let at = Utc.timestamp_opt(1_700_000_000, 999_000_000).unwrap();
        assert_eq!(LegalTime::from_utc(at).utc().timestamp_subsec_nanos(), 0);
    }
}
