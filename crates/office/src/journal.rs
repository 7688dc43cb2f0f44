//! What an operator reads of the provider at work: the provider log (DPR 68/2005
//! art. 11: every event of a PEC's transit is logged and kept for 30 months) and
//! the job queue.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Rome;
use serde::Serialize;
use store::jobs::{Counts, Job};
use store::log::{Entry, Filter};

use crate::{Error, Office, Result};

/// What to look for in the provider log; every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub identificativo: Option<String>,
    pub msgid: Option<String>,
    /// Sender or one of the recipients.
    pub address: Option<String>,
    /// From this day (Italian time), included.
    pub from: Option<NaiveDate>,
    /// Up to this day (Italian time), included.
    pub to: Option<NaiveDate>,
    /// Only this event (`Accettazione`, `Consegna`, `MancataConsegna24h`, ...).
    pub event: Option<String>,
    pub limit: i64,
}

/// The start of a day in Italy, in the store's milliseconds.
fn day_start(field: &'static str, d: NaiveDate) -> Result<i64> {
    let local = d
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| Error::invalid(field, format!("{d}: not a date")))?;
    Ok(Rome
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| Error::invalid(field, format!("{d}: not a day in Europe/Rome")))?
        .timestamp_millis())
}

/// The log entries matching `query`, oldest first.
pub async fn search_log(office: &Office, query: LogQuery) -> Result<Vec<Entry>> {
    let filter = Filter {
        identificativo: query.identificativo,
        msgid: query.msgid,
        address: query.address,
        from: query.from.map(|d| day_start("from", d)).transpose()?,
        to: query
            .to
            .map(|d| day_start("to", d + chrono::Duration::days(1)))
            .transpose()?,
        event: query.event,
        limit: query.limit,
    };
    Ok(store::log::search(&mut *office.store().conn().await?, &filter).await?)
}

/// The job queue at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct QueueStatus {
    pub counts: Counts,
    /// Queued jobs whose time has come (the others wait for a retry or a timer).
    pub due_now: usize,
    /// The jobs given up on, with their last error (only when asked for).
    pub dead: Vec<Job>,
}

/// The queue's counts, and the dead jobs when `with_dead`.
pub async fn queue(office: &Office, with_dead: bool) -> Result<QueueStatus> {
    let mut c = office.store().conn().await?;
    let counts = store::jobs::counts(&mut c).await?;
    let dead = if with_dead {
        store::jobs::list(&mut c, "dead", 100).await?
    } else {
        Vec::new()
    };
    let now = office.now_ms();
    let due_now = store::jobs::list(&mut c, "queued", 1000)
        .await?
        .iter()
        .filter(|j| j.due_at <= now)
        .count();
    Ok(QueueStatus { counts, due_now, dead })
}
