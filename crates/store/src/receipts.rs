//! Receipts as the holder's proof: kept from deletion while the message they
//! prove is kept, and archived outside the quota.
//!
//! The receipts and notices of a sent message (pec-rules.md 3.2-3.8; DM
//! 2/11/2005 art. 6 c. 6-8) are what proves, in court, that it was sent and
//! delivered: only their original signed bytes count, so losing them by
//! mistake loses the proof. Two rules follow, enforced here so that every path
//! that deletes (the webmail, IMAP EXPUNGE and DELETE, POP3 DELE, through
//! [`crate::changes`]) obeys them:
//!
//! - **Protection.** A receipt is not deleted while the mailbox keeps the
//!   message it proves. "Keeps" means the mailbox holds a copy of the message it
//!   sent with that identificativo: a message that is not itself a PEC object
//!   (`pec_kind` empty) carrying the identificativo (the webmail's copy in
//!   Sent), or holding the very bytes the access point accepted (the original
//!   blob of `pec_messages`). A deletion that takes the copy too takes its
//!   receipts with it. Moving a receipt (IMAP MOVE) is not deleting it.
//! - **Archive outside the quota.** A folder with the RFC 6154 `\Archive`
//!   special use holds receipts without counting them in the mailbox's usage
//!   (completa receipts carry the original with its attachments and fill
//!   mailboxes, pec-rules.md 8 item 10). Only receipts are exempt: any other
//!   message there counts as anywhere else.

use crate::messages::{self, Folder};
use crate::{Conn, Result};

/// The `pec_kind`s of the receipts and notices about a message the mailbox
/// sent (pec-rules.md 3.2), in the order they are issued. The two envelopes
/// carry someone else's message and are not among them.
pub const RECEIPT_KINDS: [&str; 7] = [
    "accettazione",
    "non-accettazione",
    "presa-in-carico",
    "avvenuta-consegna",
    "errore-consegna",
    "preavviso-errore-consegna",
    "rilevazione-virus",
];

/// RFC 6154 2: the special use of an archive folder.
pub const ARCHIVE: &str = "\\Archive";

/// The name of the archive folder made for a mailbox that has none.
pub const ARCHIVE_FOLDER: &str = "Ricevute archiviate";

/// Whether a message of `pec_kind` is a receipt or notice about a sent message.
pub fn is_receipt(pec_kind: Option<&str>) -> bool {
    pec_kind.is_some_and(|k| RECEIPT_KINDS.contains(&k))
}

/// Whether a message counts in its mailbox's usage: every message does but a
/// receipt in an `\Archive` folder.
pub fn counts_in_usage(special_use: Option<&str>, pec_kind: Option<&str>) -> bool {
    !(special_use.is_some_and(|s| s.eq_ignore_ascii_case(ARCHIVE)) && is_receipt(pec_kind))
}

/// A receipt kept from deletion, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Protected {
    pub id: i64,
    pub uid: i64,
    pub kind: String,
    /// The identificativo of the message it proves.
    pub identificativo: String,
    /// The mailbox's copy of that message (a message id).
    pub kept_by: i64,
}

/// Of the messages `ids` of `folder_id`, the receipts that prove a message the
/// mailbox keeps outside `ids` (deleting a message with its receipts is allowed).
pub async fn protected(c: &mut Conn, folder_id: i64, ids: &[i64]) -> Result<Vec<Protected>> {
    let mut out = Vec::new();
    let Some((mailbox_id,)) = sqlx::query_as::<_, (i64,)>("SELECT mailbox_id FROM folders WHERE id = $1")
        .bind(folder_id)
        .fetch_optional(&mut *c)
        .await?
    else {
        return Ok(out);
    };
    for id in ids {
        let Ok(m) = messages::get(c, *id).await else {
            continue;
        };
        let (Some(kind), Some(identificativo)) = (m.pec_kind.as_deref(), m.identificativo.as_deref()) else {
            continue;
        };
        if m.folder_id != folder_id || !is_receipt(Some(kind)) {
            continue;
        }
        let kept_by = sent_copies(c, mailbox_id, identificativo)
            .await?
            .into_iter()
            .find(|copy| !ids.contains(copy));
        if let Some(kept_by) = kept_by {
            out.push(Protected {
                id: m.id,
                uid: m.uid,
                kind: kind.to_string(),
                identificativo: identificativo.to_string(),
                kept_by,
            });
        }
    }
    Ok(out)
}

/// The ids of the mailbox's copies of the message it sent with `identificativo`
/// (see the module's documentation), in id order.
pub async fn sent_copies(c: &mut Conn, mailbox_id: i64, identificativo: &str) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id
         WHERE f.mailbox_id = $1 AND m.pec_kind IS NULL AND m.identificativo = $2
         UNION
         SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id
         JOIN pec_messages p ON p.original_blob = m.blob
         JOIN mailboxes b ON b.id = f.mailbox_id AND b.address = p.sender
         WHERE f.mailbox_id = $1 AND m.pec_kind IS NULL AND p.identificativo = $2
         ORDER BY 1",
    )
    .bind(mailbox_id)
    .bind(identificativo)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The receipts of the mailbox about the message it sent with `identificativo`,
/// in arrival order (id).
pub async fn receipts_of(c: &mut Conn, mailbox_id: i64, identificativo: &str) -> Result<Vec<messages::StoredMessage>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id
         WHERE f.mailbox_id = $1 AND m.identificativo = $2 ORDER BY m.id",
    )
    .bind(mailbox_id)
    .bind(identificativo)
    .fetch_all(&mut *c)
    .await?;
    let mut out = Vec::new();
    for (id,) in rows {
        let m = messages::get(c, id).await?;
        if is_receipt(m.pec_kind.as_deref()) {
            out.push(m);
        }
    }
    Ok(out)
}

/// The mailbox's archive folder (the first with `\Archive`), made when it has
/// none: [`ARCHIVE_FOLDER`], or the folder of that name the holder made, which
/// becomes the archive (its receipts stop counting in the usage).
pub async fn archive_folder(c: &mut Conn, mailbox_id: i64, now: i64) -> Result<Folder> {
    let folders = messages::folders(c, mailbox_id).await?;
    if let Some(f) = folders.iter().find(|f| {
        f.special_use
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(ARCHIVE))
    }) {
        return Ok(f.clone());
    }
    let folder = match folders.into_iter().find(|f| f.name == ARCHIVE_FOLDER) {
        Some(f) => f,
        None => crate::changes::create_folder(c, mailbox_id, ARCHIVE_FOLDER, now).await?,
    };
    messages::set_special_use(c, folder.id, Some(ARCHIVE)).await?;
    recount_usage(c, mailbox_id).await?;
    messages::folder_by_id(c, folder.id).await
}

/// Sets the mailbox's usage to the sizes of the messages that count (see
/// [`counts_in_usage`]); returns it.
pub async fn recount_usage(c: &mut Conn, mailbox_id: i64) -> Result<i64> {
    let rows: Vec<(Option<String>, Option<String>, i64)> = sqlx::query_as(
        "SELECT f.special_use, m.pec_kind, m.size FROM messages m JOIN folders f ON f.id = m.folder_id
         WHERE f.mailbox_id = $1",
    )
    .bind(mailbox_id)
    .fetch_all(&mut *c)
    .await?;
    let used: i64 = rows
        .iter()
        .filter(|(special, kind, _)| counts_in_usage(special.as_deref(), kind.as_deref()))
        .map(|(_, _, size)| size)
        .sum();
    sqlx::query("UPDATE mailboxes SET used_bytes = $1 WHERE id = $2")
        .bind(used)
        .bind(mailbox_id)
        .execute(&mut *c)
        .await?;
    Ok(used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_receipts_in_an_archive_are_outside_the_quota() {
        assert!(!counts_in_usage(Some("\\Archive"), Some("avvenuta-consegna")));
        assert!(!counts_in_usage(Some("\\archive"), Some("accettazione")));
        assert!(counts_in_usage(Some("\\Archive"), Some("busta-trasporto")));
        assert!(counts_in_usage(Some("\\Archive"), None));
        assert!(counts_in_usage(None, Some("avvenuta-consegna")));
        assert!(counts_in_usage(Some("\\Sent"), Some("accettazione")));
    }
}
