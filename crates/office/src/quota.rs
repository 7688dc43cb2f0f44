//! A mailbox's usage as the webmail shows it (issue 12, "Quota"): the bar with
//! the 70 % and 90 % levels at which the server warns the holder by message
//! ([`engine::delivery::WARN_AT`]), and the day it would be full if it kept
//! growing as it did over the last [`GROWTH_DAYS`] days.
//!
//! The growth is what arrived in that window and is still there; deleting
//! messages lowers it, as it lowers the usage. A mailbox that did not grow has
//! no predicted date.

use chrono::{Duration, NaiveDate};
use engine::delivery::WARN_AT;
use serde::Serialize;
use store::{mailboxes, messages};

use crate::{Office, Result};

/// The window the growth is measured over.
pub const GROWTH_DAYS: i64 = 30;

/// How full a mailbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// Under the first warning level.
    Normal,
    /// At or above the first warning level (70 %).
    Warning,
    /// At or above the second warning level (90 %).
    Critical,
    /// Full: the next message to it is not delivered (a non-delivery notice).
    Full,
}

/// The usage of one mailbox.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub used_bytes: i64,
    pub quota_bytes: i64,
    /// Whole percent used, 0 to 100 (more is shown as 100).
    pub percent: i64,
    pub level: Level,
    /// The warning levels, as the server applies them.
    pub warn_at: [i64; 2],
    /// Bytes per day, averaged over the last [`GROWTH_DAYS`] days.
    pub growth_per_day: i64,
    /// The day the mailbox would be full at that growth; none if it does not grow.
    pub full_on: Option<NaiveDate>,
}

/// The usage of the mailbox `mailbox_id`.
pub async fn usage(office: &Office, mailbox_id: i64) -> Result<Usage> {
    let mut c = office.store().conn().await?;
    let mailbox = mailboxes::by_id(&mut c, mailbox_id).await?;
    let since = office.now_ms() - GROWTH_DAYS * 24 * 3600 * 1000;
    let grown = messages::growth_since(&mut c, mailbox_id, since).await?;
    Ok(assess(mailbox.used_bytes, mailbox.quota_bytes, grown, office.today()))
}

/// The usage of a mailbox that holds `used` of `quota` bytes, `grown` of them
/// arrived in the last [`GROWTH_DAYS`] days, seen on `today`.
pub fn assess(used: i64, quota: i64, grown: i64, today: NaiveDate) -> Usage {
    let used = used.max(0);
    let percent = if quota > 0 {
        (used.saturating_mul(100) / quota).min(100)
    } else {
        100
    };
    let level = if quota <= 0 || used >= quota {
        Level::Full
    } else if percent >= WARN_AT[1] {
        Level::Critical
    } else if percent >= WARN_AT[0] {
        Level::Warning
    } else {
        Level::Normal
    };
    let growth_per_day = grown.max(0) / GROWTH_DAYS;
    let full_on = match level {
        Level::Full => Some(today),
        _ if growth_per_day > 0 => {
            let days = (quota - used + growth_per_day - 1) / growth_per_day;
            today.checked_add_signed(Duration::days(days))
        }
        _ => None,
    };
    Usage {
        used_bytes: used,
        quota_bytes: quota,
        percent,
        level,
        warn_at: WARN_AT,
        growth_per_day,
        full_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: i64 = 1 << 20;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_levels_are_the_servers_warnings() {
        let today = day(2026, 12, 2);
        assert_eq!(assess(69 * MB, 100 * MB, 0, today).level, Level::Normal);
        assert_eq!(assess(70 * MB, 100 * MB, 0, today).level, Level::Warning);
        assert_eq!(assess(90 * MB, 100 * MB, 0, today).level, Level::Critical);
        assert_eq!(assess(100 * MB, 100 * MB, 0, today).level, Level::Full);
        assert_eq!(assess(120 * MB, 100 * MB, 0, today).percent, 100);
    }

    #[test]
    fn the_day_of_fullness_follows_the_last_thirty_days() {
        let today = day(2026, 12, 2);
        // 30 MB in 30 days: 1 MB a day; 40 MB left: full in 40 days.
        let usage = assess(60 * MB, 100 * MB, 30 * MB, today);
        assert_eq!(usage.growth_per_day, MB);
        assert_eq!(usage.full_on, Some(day(2027, 1, 11)));
        // No growth: no date.
        assert_eq!(assess(60 * MB, 100 * MB, 0, today).full_on, None);
        // Full already: today.
        assert_eq!(assess(100 * MB, 100 * MB, 0, today).full_on, Some(today));
    }
}
