//! A folder, a page at a time, newest first. Pages are keyset pages
//! ([`store::listing`]): a page's links carry the first and last rows' keys,
//! never an offset, so the 2 000th page of 100 000 messages costs what the first does.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use store::listing::{self, From};

use super::{MessageRow, PAGE, own_folder, summarise, to_row};
use crate::{Error, Office, Result};

/// A row's place in the newest-first order: its arrival time and id. Written
/// `<internal_date>.<id>` in a page's links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cursor {
    pub internal_date: i64,
    pub id: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.internal_date, self.id)
    }
}

impl FromStr for Cursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Cursor> {
        let bad = || Error::invalid("page", format!("{s:?} is not a page of this list"));
        let (date, id) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            internal_date: date.parse().map_err(|_| bad())?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

/// Which page of a folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Position {
    #[default]
    Newest,
    /// The page after this row (older messages).
    Older(Cursor),
    /// The page before this row (newer messages).
    Newer(Cursor),
}

/// A page of a folder.
#[derive(Debug, Clone, Serialize)]
pub struct FolderPage {
    pub folder_id: i64,
    /// The IMAP name (`INBOX`, `Sent`, `Clienti/2025`).
    pub name: String,
    /// How many messages the folder holds (receipts too).
    pub messages: i64,
    pub rows: Vec<MessageRow>,
    /// Where the page of newer messages ends, if there is one.
    pub newer: Option<Cursor>,
    /// Where the page of older messages starts, if there is one.
    pub older: Option<Cursor>,
    pub hide_receipts: bool,
}

/// The page `at` of folder `folder_id`; receipts left out when `hide_receipts`
/// (they are shown with their message).
pub async fn list(
    office: &Office,
    mailbox_id: i64,
    folder_id: i64,
    at: Position,
    hide_receipts: bool,
) -> Result<FolderPage> {
    let folder = own_folder(office, mailbox_id, folder_id).await?;
    let (mut rows, mut position) = (fetch(office, folder_id, at, hide_receipts).await?, at);
    if let Position::Newer(_) = at
        && rows.len() as i64 <= PAGE
    {
        // Fewer than a page newer than the cursor: that is the newest page.
        position = Position::Newest;
        rows = fetch(office, folder_id, position, hide_receipts).await?;
    }
    let lacking: Vec<(i64, String)> = rows
        .iter()
        .filter(|(r, _)| !r.summarised)
        .map(|(r, blob)| (r.id, blob.clone()))
        .collect();
    if !lacking.is_empty() {
        summarise(office, &lacking).await?;
        rows = fetch(office, folder_id, position, hide_receipts).await?;
    }
    let more = rows.len() as i64 > PAGE;
    let mut rows: Vec<MessageRow> = match position {
        // Ascending from the cursor: the PAGE rows nearest it, newest first.
        Position::Newer(_) => rows
            .into_iter()
            .skip(usize::from(more))
            .map(|(r, _)| to_row(None, r))
            .collect(),
        _ => rows.into_iter().map(|(r, _)| to_row(None, r)).collect(),
    };
    rows.truncate(PAGE as usize);
    let (newer, older) = match position {
        Position::Newest => (None, more.then(|| rows.last().map(|r| r.cursor)).flatten()),
        Position::Older(_) => (
            rows.first().map(|r| r.cursor),
            more.then(|| rows.last().map(|r| r.cursor)).flatten(),
        ),
        Position::Newer(_) => (rows.first().map(|r| r.cursor), rows.last().map(|r| r.cursor)),
    };
    // The unread count would read every row's flags: the folder list has it.
    let messages = {
        let mut c = office.store().conn().await?;
        listing::count(&mut c, folder.id).await?
    };
    Ok(FolderPage {
        folder_id: folder.id,
        name: folder.name,
        messages,
        rows,
        newer,
        older,
        hide_receipts,
    })
}

/// One more row than a page (to know whether another page follows), newest
/// first; each with its blob (to summarise a row that lacks it).
async fn fetch(
    office: &Office,
    folder_id: i64,
    at: Position,
    hide_receipts: bool,
) -> Result<Vec<(listing::Row, String)>> {
    let from = match at {
        Position::Newest => From::Newest,
        Position::Older(c) => From::OlderThan {
            internal_date: c.internal_date,
            id: c.id,
        },
        Position::Newer(c) => From::NewerThan {
            internal_date: c.internal_date,
            id: c.id,
        },
    };
    let mut c = office.store().conn().await?;
    let rows = listing::folder_page(&mut c, folder_id, from, hide_receipts, PAGE + 1).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let blob = if r.summarised {
            String::new()
        } else {
            store::messages::get(&mut c, r.id).await?.blob.0
        };
        out.push((r, blob));
    }
    Ok(out)
}
