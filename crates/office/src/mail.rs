//! A holder's own mailbox, as the webmail shows it. Every function takes the
//! logged-in mailbox's id and answers only about that mailbox: a folder or a
//! message of another mailbox is "not found", never shown.

use serde::Serialize;
use store::messages;

use crate::{Office, Result};

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

/// The mailbox's folders, INBOX first then by name, with their counts.
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
    out.sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
    Ok(out)
}
