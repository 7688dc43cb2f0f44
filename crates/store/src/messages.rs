//! Folders and messages with the fields IMAP needs (RFC 3501, RFC 7162): per-folder
//! UIDVALIDITY and UIDNEXT, per-message UID, MODSEQ, flags, internal date, size.

use crate::blobs::{self, BlobId};
use crate::{Conn, Error, Result};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Folder {
    pub id: i64,
    pub mailbox_id: i64,
    pub name: String,
    pub special_use: Option<String>,
    pub subscribed: bool,
    pub uidvalidity: i64,
    pub uidnext: i64,
    pub highestmodseq: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredMessage {
    pub id: i64,
    pub folder_id: i64,
    pub uid: i64,
    pub modseq: i64,
    pub blob: BlobId,
    pub size: i64,
    pub internal_date: i64,
    pub flags: Vec<String>,
    pub pec_kind: Option<String>,
    pub identificativo: Option<String>,
}

type FolderRow = (i64, i64, String, Option<String>, i64, i64, i64, i64);
macro_rules! folder_columns {
    () => {
        "id, mailbox_id, name, special_use, subscribed, uidvalidity, uidnext, highestmodseq"
    };
}

fn to_folder(r: FolderRow) -> Folder {
    Folder {
        id: r.0,
        mailbox_id: r.1,
        name: r.2,
        special_use: r.3,
        subscribed: r.4 != 0,
        uidvalidity: r.5,
        uidnext: r.6,
        highestmodseq: r.7,
    }
}

/// A `messages` row in [`message_columns!`]'s order.
pub(crate) type MessageRow = (
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
);
macro_rules! message_columns {
    () => {
        "id, folder_id, uid, modseq, blob, size, internal_date, flags, pec_kind, identificativo"
    };
}

pub(crate) fn to_message(r: MessageRow) -> StoredMessage {
    StoredMessage {
        id: r.0,
        folder_id: r.1,
        uid: r.2,
        modseq: r.3,
        blob: BlobId(r.4),
        size: r.5,
        internal_date: r.6,
        flags: r.7.split_whitespace().map(str::to_string).collect(),
        pec_kind: r.8,
        identificativo: r.9,
    }
}

/// Creates a folder; `uidvalidity` must differ from any earlier folder of the same
/// name in the mailbox (callers pass the creation time in seconds).
pub async fn create_folder(
    c: &mut Conn,
    mailbox_id: i64,
    name: &str,
    special_use: Option<&str>,
    uidvalidity: i64,
) -> Result<Folder> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO folders (mailbox_id, name, special_use, subscribed, uidvalidity, uidnext, highestmodseq)
         VALUES ($1, $2, $3, 1, $4, 1, 1) RETURNING id",
    )
    .bind(mailbox_id)
    .bind(name)
    .bind(special_use)
    .bind(uidvalidity)
    .fetch_one(&mut *c)
    .await?;
    folder_by_id(c, id).await
}

pub async fn folder_by_id(c: &mut Conn, id: i64) -> Result<Folder> {
    let row: Option<FolderRow> = sqlx::query_as(concat!("SELECT ", folder_columns!(), " FROM folders WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.map(to_folder).ok_or(Error::NotFound {
        what: "folder",
        key: id.to_string(),
    })
}

pub async fn folder(c: &mut Conn, mailbox_id: i64, name: &str) -> Result<Option<Folder>> {
    // RFC 3501 5.1: INBOX is case-insensitive.
    let name = if name.eq_ignore_ascii_case("INBOX") {
        "INBOX"
    } else {
        name
    };
    let row: Option<FolderRow> = sqlx::query_as(concat!(
        "SELECT ",
        folder_columns!(),
        " FROM folders WHERE mailbox_id = $1 AND name = $2"
    ))
    .bind(mailbox_id)
    .bind(name)
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_folder))
}

pub async fn folders(c: &mut Conn, mailbox_id: i64) -> Result<Vec<Folder>> {
    let rows: Vec<FolderRow> = sqlx::query_as(concat!(
        "SELECT ",
        folder_columns!(),
        " FROM folders WHERE mailbox_id = $1 ORDER BY name"
    ))
    .bind(mailbox_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_folder).collect())
}

/// What is appended to a folder.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub blob: &'a BlobId,
    pub size: i64,
    pub internal_date: i64,
    pub flags: &'a [&'a str],
    /// The PEC kind (`busta-trasporto`, `accettazione`, ...) when the message is one.
    pub pec_kind: Option<&'a str>,
    /// The identificativo it carries or refers to: links receipts to the sent message.
    pub identificativo: Option<&'a str>,
}

/// Appends a message: the next UID and MODSEQ of the folder, one more reference to
/// the blob, the mailbox's usage grown by its size (unless it is a receipt put in
/// an archive: [`crate::receipts::counts_in_usage`]). Quota is the caller's decision.
pub async fn append(c: &mut Conn, folder_id: i64, m: &NewMessage<'_>) -> Result<StoredMessage> {
    let bumped: Option<(i64, i64, i64, Option<String>)> = sqlx::query_as(
        "UPDATE folders SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1
         WHERE id = $1 RETURNING uidnext - 1, highestmodseq, mailbox_id, special_use",
    )
    .bind(folder_id)
    .fetch_optional(&mut *c)
    .await?;
    let (uid, modseq, mailbox_id, special_use) = bumped.ok_or(Error::NotFound {
        what: "folder",
        key: folder_id.to_string(),
    })?;
    blobs::add_ref(c, m.blob, m.size as usize, m.internal_date).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO messages (folder_id, uid, modseq, blob, size, internal_date, flags, pec_kind, identificativo)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(folder_id)
    .bind(uid)
    .bind(modseq)
    .bind(m.blob.as_str())
    .bind(m.size)
    .bind(m.internal_date)
    .bind(m.flags.join(" "))
    .bind(m.pec_kind)
    .bind(m.identificativo)
    .fetch_one(&mut *c)
    .await?;
    if crate::receipts::counts_in_usage(special_use.as_deref(), m.pec_kind) {
        sqlx::query("UPDATE mailboxes SET used_bytes = used_bytes + $1 WHERE id = $2")
            .bind(m.size)
            .bind(mailbox_id)
            .execute(&mut *c)
            .await?;
    }
    get(c, id).await
}

/// [`append`], with the message's summary (`pec::summary` of its bytes, read
/// before the transaction) for the webmail's lists and search
/// ([`crate::listing`]). Every path that stores a message gives it; a row
/// without one is summarised later (`office::mail::backfill`).
pub async fn append_summarised(
    c: &mut Conn,
    folder_id: i64,
    m: &NewMessage<'_>,
    summary: &pec::Summary,
) -> Result<StoredMessage> {
    let stored = append(c, folder_id, m).await?;
    crate::listing::set_summary(c, stored.id, summary).await?;
    Ok(stored)
}

pub async fn get(c: &mut Conn, id: i64) -> Result<StoredMessage> {
    let row: Option<MessageRow> =
        sqlx::query_as(concat!("SELECT ", message_columns!(), " FROM messages WHERE id = $1"))
            .bind(id)
            .fetch_optional(c)
            .await?;
    row.map(to_message).ok_or(Error::NotFound {
        what: "message",
        key: id.to_string(),
    })
}

/// The messages of a folder in UID order.
pub async fn list(c: &mut Conn, folder_id: i64) -> Result<Vec<StoredMessage>> {
    let rows: Vec<MessageRow> = sqlx::query_as(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages WHERE folder_id = $1 ORDER BY uid"
    ))
    .bind(folder_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_message).collect())
}

/// A message row preceded by one more column (its folder's name or mailbox).
type Tagged<T> = (
    T,
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
);

/// Every message of a mailbox, with its folder name, in folder then UID order.
pub async fn list_mailbox(c: &mut Conn, mailbox_id: i64) -> Result<Vec<(String, StoredMessage)>> {
    let rows: Vec<Tagged<String>> = sqlx::query_as(
        "SELECT f.name, m.id, m.folder_id, m.uid, m.modseq, m.blob, m.size, m.internal_date, m.flags, m.pec_kind, m.identificativo
         FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.mailbox_id = $1 ORDER BY f.name, m.uid",
    )
    .bind(mailbox_id)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.0, to_message((r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10))))
        .collect())
}

/// The messages appended after the one with id `after_id`, oldest first, at most
/// `limit`, each with its mailbox: a watcher follows new arrivals without rescanning.
/// On SQLite ids grow in commit order (one writer at a time); on PostgreSQL a
/// transaction may commit a smaller id after a larger one was read.
pub async fn appended_after(c: &mut Conn, after_id: i64, limit: i64) -> Result<Vec<(i64, StoredMessage)>> {
    let rows: Vec<Tagged<i64>> = sqlx::query_as(
        "SELECT f.mailbox_id, m.id, m.folder_id, m.uid, m.modseq, m.blob, m.size, m.internal_date, m.flags, m.pec_kind, m.identificativo
         FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id > $1 ORDER BY m.id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.0, to_message((r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10))))
        .collect())
}

/// Deletes every message of a mailbox (its folders stay, empty), releasing their
/// blobs; the mailbox's usage goes to zero. Returns (messages, bytes) deleted.
/// The blob files go with [`crate::blobs::collect_garbage`].
pub async fn delete_all(c: &mut Conn, mailbox_id: i64, now: i64) -> Result<(u64, i64)> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT m.id, m.blob, m.size FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.mailbox_id = $1",
    )
    .bind(mailbox_id)
    .fetch_all(&mut *c)
    .await?;
    let mut bytes = 0;
    for (_, blob, size) in &rows {
        blobs::release(c, &BlobId(blob.clone()), now).await?;
        bytes += size;
    }
    sqlx::query("DELETE FROM messages WHERE folder_id IN (SELECT id FROM folders WHERE mailbox_id = $1)")
        .bind(mailbox_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE folders SET highestmodseq = highestmodseq + 1 WHERE mailbox_id = $1")
        .bind(mailbox_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE mailboxes SET used_bytes = 0, warned_percent = 0 WHERE id = $1")
        .bind(mailbox_id)
        .execute(&mut *c)
        .await?;
    Ok((rows.len() as u64, bytes))
}

/// Sets a folder's RFC 6154 special use (`\Sent`, ...), or none.
pub async fn set_special_use(c: &mut Conn, folder_id: i64, special_use: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE folders SET special_use = $1 WHERE id = $2")
        .bind(special_use)
        .bind(folder_id)
        .execute(c)
        .await?;
    Ok(())
}

/// Per folder of a mailbox: (folder id, messages, messages without `\Seen`).
pub async fn folder_counts(c: &mut Conn, mailbox_id: i64) -> Result<Vec<(i64, i64, i64)>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT f.id, COUNT(m.id),
                COALESCE(SUM(CASE WHEN m.id IS NOT NULL AND (' ' || m.flags || ' ') NOT LIKE '% \\Seen %' ESCAPE '!' THEN 1 ELSE 0 END), 0)
         FROM folders f LEFT JOIN messages m ON m.folder_id = f.id
         WHERE f.mailbox_id = $1 GROUP BY f.id ORDER BY f.id",
    )
    .bind(mailbox_id)
    .fetch_all(c)
    .await?;
    Ok(rows)
}

/// The bytes that arrived in a mailbox since `since_ms` (internal dates, in
/// milliseconds) and are still there, counting as its usage does (a receipt in
/// an `\Archive` folder does not count, [`crate::receipts::counts_in_usage`]).
pub async fn growth_since(c: &mut Conn, mailbox_id: i64, since_ms: i64) -> Result<i64> {
    let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(m.size), 0) AS BIGINT), f.special_use, m.pec_kind
         FROM messages m JOIN folders f ON f.id = m.folder_id
         WHERE f.mailbox_id = $1 AND m.internal_date >= $2
         GROUP BY f.special_use, m.pec_kind",
    )
    .bind(mailbox_id)
    .bind(since_ms)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, use_, kind)| crate::receipts::counts_in_usage(use_.as_deref(), kind.as_deref()))
        .map(|(bytes, ..)| bytes)
        .sum())
}
