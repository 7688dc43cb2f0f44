//! A holder's own mailbox, as the webmail shows it. Every function takes the
//! logged-in mailbox's id and answers only about that mailbox: a folder or a
//! message of another mailbox is "not found", never shown.
//!
//! - [`folders`]: the folders with their counts, in the order people expect;
//! - [`list`]: a folder, 50 messages a page, newest first (keyset pages);
//! - [`read`]: one message as a person reads it (an envelope's original, the
//!   certification in words, attachments), marked `\Seen`;
//! - [`search`]: the mailbox searched by sender, recipient, subject, dates,
//!   identificativo, Message-ID, kind, or what was not delivered.
//!
//! Lists and search read each message's summary (migration 0012, written by
//! every path that stores a message). Rows stored before it are summarised
//! lazily: [`backfill`] when the web front end starts (`web::spawn`), and the rows of a page
//! before it is shown.

pub mod list;
pub mod read;
pub mod search;

use chrono::{DateTime, FixedOffset};
use pec::time::LegalTime;
use serde::Serialize;
use store::BlobId;
use store::listing::Row;
use store::messages;

use crate::{Error, Office, Result};

pub use list::{Cursor, FolderPage, list};
pub use read::{MessageView, PartFile, html, part, read};
pub use search::{KindFilter, Query, SearchResults, search};

/// Messages on a page of a folder or of search results.
pub const PAGE: i64 = 50;

/// A folder with its counts.
#[derive(Debug, Clone, Serialize)]
pub struct FolderSummary {
    pub id: i64,
    /// The IMAP name, `/` between levels (`INBOX`, `Sent`, `Clienti/2025`).
    pub name: String,
    /// RFC 6154 (`\Sent`, `\Trash`, ...).
    pub special_use: Option<String>,
    pub messages: i64,
    pub unseen: i64,
}

/// The standard folders first, in the order every client shows them; then the
/// others by name.
fn rank(name: &str, special_use: Option<&str>) -> usize {
    const ORDER: [(&str, &str); 5] = [
        ("INBOX", ""),
        ("Sent", "\\Sent"),
        ("Drafts", "\\Drafts"),
        ("Trash", "\\Trash"),
        ("Junk", "\\Junk"),
    ];
    ORDER
        .iter()
        .position(|(n, use_)| {
            name == *n || (!use_.is_empty() && special_use.is_some_and(|s| s.eq_ignore_ascii_case(use_)))
        })
        .unwrap_or(ORDER.len())
}

/// The mailbox's folders, INBOX, Sent, Drafts, Trash, Junk, then the others by
/// name, with their counts.
pub async fn folders(office: &Office, mailbox_id: i64) -> Result<Vec<FolderSummary>> {
    let mut c = office.store().conn().await?;
    let counts = messages::folder_counts(&mut c, mailbox_id).await?;
    let mut out: Vec<FolderSummary> = messages::folders(&mut c, mailbox_id)
        .await?
        .into_iter()
        .map(|f| {
            let (total, unseen) = counts
                .iter()
                .find(|(id, ..)| *id == f.id)
                .map_or((0, 0), |(_, t, u)| (*t, *u));
            FolderSummary {
                id: f.id,
                name: f.name,
                special_use: f.special_use,
                messages: total,
                unseen,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (rank(&a.name, a.special_use.as_deref()), &a.name).cmp(&(rank(&b.name, b.special_use.as_deref()), &b.name))
    });
    Ok(out)
}

/// What a message is, as a list badge says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A transport envelope: a certified message (posta certificata).
    Certified,
    /// A receipt or notice about a sent message (its kind in `pec_kind`).
    Receipt,
    /// An anomaly envelope: a message that reached the provider but is not valid PEC.
    Anomaly,
    /// The holder's own copy of a PEC it sent (in Sent, with its identificativo).
    SentPec,
    /// Ordinary mail (not PEC).
    Ordinary,
}

impl Category {
    pub fn of(pec_kind: Option<&str>, identificativo: Option<&str>) -> Category {
        match (pec_kind, identificativo) {
            (Some("busta-trasporto"), _) => Category::Certified,
            (Some("busta-anomalia"), _) => Category::Anomaly,
            (Some(_), _) => Category::Receipt,
            (None, Some(_)) => Category::SentPec,
            (None, None) => Category::Ordinary,
        }
    }
}

/// One message in a list.
#[derive(Debug, Clone, Serialize)]
pub struct MessageRow {
    pub id: i64,
    pub folder_id: i64,
    /// The folder's name (search results span folders).
    pub folder: Option<String>,
    pub category: Category,
    pub pec_kind: Option<String>,
    /// Who wrote it: for an envelope the original's sender, not the gestore.
    pub from: String,
    pub from_address: Option<String>,
    /// For an envelope, the original's subject.
    pub subject: String,
    /// When it arrived (Europe/Rome).
    pub date: DateTime<FixedOffset>,
    pub size: i64,
    pub has_attachments: bool,
    pub seen: bool,
    pub identificativo: Option<String>,
    /// Where the next page starts when this is the last row shown.
    pub cursor: Cursor,
}

fn legal_ms(ms: i64) -> DateTime<FixedOffset> {
    LegalTime::from_utc(store::instant(ms)).local()
}

/// `Name <address>`, the address alone, or the name alone.
fn person(name: Option<&str>, address: Option<&str>) -> String {
    match (name.filter(|n| !n.is_empty()), address.filter(|a| !a.is_empty())) {
        (Some(n), Some(a)) if !n.eq_ignore_ascii_case(a) => format!("{n} <{a}>"),
        (_, Some(a)) => a.to_string(),
        (Some(n), None) => n.to_string(),
        (None, None) => String::new(),
    }
}

fn to_row(folder: Option<String>, r: Row) -> MessageRow {
    let inner = r.inner_subject.is_some() || r.inner_from_address.is_some();
    let (from, from_address, subject) = if inner {
        (
            person(r.inner_from_name.as_deref(), r.inner_from_address.as_deref()),
            r.inner_from_address.clone(),
            r.inner_subject.clone().unwrap_or_default(),
        )
    } else {
        (
            person(r.from_name.as_deref(), r.from_address.as_deref()),
            r.from_address.clone(),
            r.subject.clone().unwrap_or_default(),
        )
    };
    MessageRow {
        id: r.id,
        folder_id: r.folder_id,
        folder,
        category: Category::of(r.pec_kind.as_deref(), r.identificativo.as_deref()),
        pec_kind: r.pec_kind,
        from,
        from_address,
        subject,
        date: legal_ms(r.internal_date),
        size: r.size,
        has_attachments: r.has_attachments,
        seen: r.flags.iter().any(|f| f.eq_ignore_ascii_case("\\Seen")),
        identificativo: r.identificativo,
        cursor: Cursor {
            internal_date: r.internal_date,
            id: r.id,
        },
    }
}

/// Summarises messages stored without a summary, `batch` at a time, until
/// none is left (or only those of `mailbox_id`); how many were summarised.
/// A message whose blob cannot be read is given an empty summary (and
/// logged), so it is not tried again forever.
pub async fn backfill(office: &Office, mailbox_id: Option<i64>, batch: i64) -> Result<usize> {
    let mut done = 0;
    loop {
        let rows = {
            let mut c = office.store().conn().await?;
            store::listing::unsummarised(&mut c, mailbox_id, batch).await?
        };
        if rows.is_empty() {
            return Ok(done);
        }
        done += summarise(office, &rows).await?;
    }
}

/// Summarises the messages (id, blob) in one transaction.
async fn summarise(office: &Office, rows: &[(i64, String)]) -> Result<usize> {
    let mut summaries = Vec::with_capacity(rows.len());
    for (id, blob) in rows {
        let summary = match office.store().blobs().get(&BlobId(blob.clone())).await {
            Ok(bytes) => tokio::task::spawn_blocking(move || pec::summary(&bytes))
                .await
                .map_err(|e| Error::corrupt(format!("summarising message {id} stopped: {e}")))?,
            Err(e) => {
                tracing::warn!("message {id} cannot be summarised: {e}");
                pec::Summary::default()
            }
        };
        summaries.push((*id, summary));
    }
    let mut tx = office.store().begin().await?;
    for (id, summary) in &summaries {
        store::listing::set_summary(&mut tx, *id, summary).await?;
    }
    tx.commit().await?;
    Ok(summaries.len())
}

/// The folder `folder_id` if it is the mailbox's; not found otherwise.
async fn own_folder(office: &Office, mailbox_id: i64, folder_id: i64) -> Result<messages::Folder> {
    let mut c = office.store().conn().await?;
    match messages::folder_by_id(&mut c, folder_id).await {
        Ok(f) if f.mailbox_id == mailbox_id => Ok(f),
        Ok(_) | Err(store::Error::NotFound { .. }) => Err(Error::not_found("folder", "no such folder in this mailbox")),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_folders_come_first_in_their_order() {
        let mut names = vec!["Archivio", "Junk", "INBOX", "Trash", "Clienti", "Drafts", "Sent"];
        names.sort_by_key(|n| (rank(n, None), n.to_string()));
        assert_eq!(
            names,
            ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Archivio", "Clienti"]
        );
        assert_eq!(rank("Posta inviata", Some("\\Sent")), 1);
    }
}
