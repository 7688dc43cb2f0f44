//! The mailbox searched: by sender, recipient, subject (an envelope's original
//! counts: its sender and subject are searched too), arrival dates,
//! identificativo, Message-ID, PEC kind, and "not delivered": the messages the
//! holder sent of which some recipient has no delivery receipt (failed, or
//! still waiting; an ordinary recipient handed to its mail server gets none and
//! does not count, see `crate::sent`). Newest first, a page at a time.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Rome;
use serde::Serialize;
use store::listing;
use store::receipts::RECEIPT_KINDS;

use super::{Cursor, MessageRow, PAGE, to_row};
use crate::{Error, Office, Result};

/// Which kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KindFilter {
    /// Transport envelopes.
    Certified,
    /// Receipts and notices.
    Receipt,
    /// Anomaly envelopes.
    Anomaly,
    /// Ordinary mail, and the holder's own copies of what it sent.
    Ordinary,
}

impl KindFilter {
    pub fn parse(text: &str) -> Option<KindFilter> {
        Some(match text {
            "certified" => KindFilter::Certified,
            "receipt" => KindFilter::Receipt,
            "anomaly" => KindFilter::Anomaly,
            "ordinary" => KindFilter::Ordinary,
            _ => return None,
        })
    }

    fn pec_kinds(self) -> Vec<String> {
        match self {
            KindFilter::Certified => vec!["busta-trasporto".into()],
            KindFilter::Receipt => RECEIPT_KINDS.iter().map(|k| k.to_string()).collect(),
            KindFilter::Anomaly => vec!["busta-anomalia".into()],
            KindFilter::Ordinary => vec!["ordinary".into()],
        }
    }
}

/// What is searched for; every field given must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub from: Option<String>,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    /// Arrived on or after this day (Italy).
    pub since: Option<NaiveDate>,
    /// Arrived on or before this day (Italy).
    pub until: Option<NaiveDate>,
    pub identificativo: Option<String>,
    /// With or without its angle brackets.
    pub message_id: Option<String>,
    pub kind: Option<KindFilter>,
    pub not_delivered: bool,
    /// The page after this row.
    pub older: Option<Cursor>,
}

impl Query {
    /// Whether anything is asked (an empty form shows no results).
    pub fn is_empty(&self) -> bool {
        let blank = |t: &Option<String>| t.as_deref().is_none_or(|t| t.trim().is_empty());
        blank(&self.from)
            && blank(&self.recipient)
            && blank(&self.subject)
            && self.since.is_none()
            && self.until.is_none()
            && blank(&self.identificativo)
            && blank(&self.message_id)
            && self.kind.is_none()
            && !self.not_delivered
    }
}

/// A page of results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub rows: Vec<MessageRow>,
    /// Where the next (older) page starts.
    pub older: Option<Cursor>,
}

/// Midnight in Italy of `day`, in milliseconds.
fn midnight(day: NaiveDate) -> i64 {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Rome.from_local_datetime(&local)
        .earliest()
        .map_or(0, |t| t.timestamp_millis())
}

/// The messages of the mailbox matching `q`, newest first.
pub async fn search(office: &Office, mailbox_id: i64, q: &Query) -> Result<SearchResults> {
    if let (Some(since), Some(until)) = (q.since, q.until)
        && since > until
    {
        return Err(Error::invalid("until", "the end date is before the start date"));
    }
    let mut c = office.store().conn().await?;
    let mailbox = store::mailboxes::by_id(&mut c, mailbox_id).await?;
    let s = listing::Search {
        from: q.from.clone(),
        recipient: q.recipient.clone(),
        subject: q.subject.clone(),
        since: q.since.map(midnight),
        until: q.until.and_then(|d| d.succ_opt()).map(midnight),
        identificativo: q.identificativo.clone(),
        message_id: q
            .message_id
            .as_deref()
            .map(|m| m.trim().trim_start_matches('<').trim_end_matches('>').to_string()),
        kinds: q.kind.map(KindFilter::pec_kinds).unwrap_or_default(),
        not_delivered_by: q.not_delivered.then(|| mailbox.address.clone()),
        older_than: q.older.map(|c| (c.internal_date, c.id)),
    };
    let mut rows = listing::search(&mut c, mailbox_id, &s, PAGE + 1).await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let rows: Vec<MessageRow> = rows.into_iter().map(|(folder, r)| to_row(Some(folder), r)).collect();
    Ok(SearchResults {
        older: more.then(|| rows.last().map(|r| r.cursor)).flatten(),
        rows,
    })
}
