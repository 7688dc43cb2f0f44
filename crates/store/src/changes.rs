//! Changing what a mailbox holds, for IMAP and POP3: flags (RFC 3501 6.4.6, with
//! RFC 7162 MODSEQ), expunge, copy and move (RFC 6851), folder management.
//! Every change bumps the folder's HIGHESTMODSEQ, and removals give blob references
//! back and shrink the mailbox's usage. Deletions keep the receipts that prove a
//! message the mailbox keeps ([`crate::receipts`]).

use crate::blobs;
use crate::messages::{self, Folder, NewMessage, StoredMessage};
use crate::receipts::{self, Protected};
use crate::{Conn, Error, Result};

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    Replace,
    Add,
    Remove,
}

/// Applies `op` with `flags` to the messages `ids` of `folder_id`. Messages whose
/// MODSEQ is above `unchanged_since` (RFC 7162 3.1.3) are left alone and returned
/// in the second list. Returns the messages whose flags changed (with their new
/// MODSEQ) and the ones refused.
pub async fn set_flags(
    c: &mut Conn,
    folder_id: i64,
    ids: &[i64],
    op: FlagOp,
    flags: &[String],
    unchanged_since: Option<i64>,
) -> Result<(Vec<StoredMessage>, Vec<StoredMessage>)> {
    let mut changed = Vec::new();
    let mut refused = Vec::new();
    for id in ids {
        let m = messages::get(c, *id).await?;
        if m.folder_id != folder_id {
            continue;
        }
        if unchanged_since.is_some_and(|since| m.modseq > since) {
            refused.push(m);
            continue;
        }
        let mut new: Vec<String> = match op {
            FlagOp::Replace => flags.to_vec(),
            FlagOp::Add => m.flags.iter().cloned().chain(flags.iter().cloned()).collect(),
            FlagOp::Remove => m
                .flags
                .iter()
                .filter(|f| !flags.iter().any(|x| x.eq_ignore_ascii_case(f)))
                .cloned()
                .collect(),
        };
        dedup_flags(&mut new);
        let mut old = m.flags.clone();
        dedup_flags(&mut old);
        if new == old {
            continue;
        }
        let modseq = bump(c, folder_id).await?;
        sqlx::query("UPDATE messages SET flags = $1, modseq = $2 WHERE id = $3")
            .bind(new.join(" "))
            .bind(modseq)
            .bind(id)
            .execute(&mut *c)
            .await?;
        changed.push(messages::get(c, *id).await?);
    }
    Ok((changed, refused))
}

/// Sorted, without duplicates (system flags compared without case).
fn dedup_flags(flags: &mut Vec<String>) {
    flags.sort_by_key(|f| f.to_ascii_lowercase());
    flags.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
}

/// The next MODSEQ of a folder.
async fn bump(c: &mut Conn, folder_id: i64) -> Result<i64> {
    let (modseq,): (i64,) =
        sqlx::query_as("UPDATE folders SET highestmodseq = highestmodseq + 1 WHERE id = $1 RETURNING highestmodseq")
            .bind(folder_id)
            .fetch_one(c)
            .await?;
    Ok(modseq)
}

/// What a deletion did: the UIDs removed, in order, and the receipts kept
/// because the mailbox keeps the message they prove ([`crate::receipts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    pub uids: Vec<i64>,
    pub kept: Vec<Protected>,
}

impl Removed {
    /// Why some messages were kept, in words a client shows; None when none was.
    pub fn why_kept(&self) -> Option<String> {
        let n = self.kept.len();
        (n > 0).then(|| {
            format!(
                "{n} receipt{} kept: {} the proof of a sent message still in the mailbox \
                 (delete the message first, or archive its receipts)",
                if n == 1 { "" } else { "s" },
                if n == 1 { "it is" } else { "they are" },
            )
        })
    }
}

/// Deletes messages `ids` of `folder_id` whatever their flags (POP3 DELE, the
/// webmail), but the receipts that prove a message the mailbox keeps, which stay
/// ([`crate::receipts::protected`]). `now` dates the blob references given back
/// (the garbage collector's grace period starts then).
pub async fn remove(c: &mut Conn, folder_id: i64, ids: &[i64], now: i64) -> Result<Removed> {
    let kept = receipts::protected(c, folder_id, ids).await?;
    let ids: Vec<i64> = ids
        .iter()
        .filter(|id| !kept.iter().any(|k| k.id == **id))
        .copied()
        .collect();
    let uids = discard(c, folder_id, &ids, now).await?;
    Ok(Removed { uids, kept })
}

/// Takes messages `ids` out of `folder_id` (a deletion, or the second half of a
/// move); returns the UIDs removed, in order.
async fn discard(c: &mut Conn, folder_id: i64, ids: &[i64], now: i64) -> Result<Vec<i64>> {
    let mut removed = Vec::new();
    let special_use = messages::folder_by_id(c, folder_id)
        .await
        .ok()
        .and_then(|f| f.special_use);
    for id in ids {
        let Ok(m) = messages::get(c, *id).await else {
            continue;
        };
        if m.folder_id != folder_id {
            continue;
        }
        sqlx::query("DELETE FROM messages WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
        blobs::release(c, &m.blob, now).await?;
        if receipts::counts_in_usage(special_use.as_deref(), m.pec_kind.as_deref()) {
            sqlx::query(
                "UPDATE mailboxes SET used_bytes = CASE WHEN used_bytes > $1 THEN used_bytes - $1 ELSE 0 END
                 WHERE id = (SELECT mailbox_id FROM folders WHERE id = $2)",
            )
            .bind(m.size)
            .bind(folder_id)
            .execute(&mut *c)
            .await?;
        }
        removed.push(m.uid);
    }
    if !removed.is_empty() {
        bump(c, folder_id).await?;
    }
    removed.sort_unstable();
    Ok(removed)
}

/// EXPUNGE (RFC 3501 6.4.3) or UID EXPUNGE (RFC 4315 2.1, when `only` is given):
/// removes the messages flagged `\Deleted`, but protected receipts (see [`remove`]).
pub async fn expunge(c: &mut Conn, folder_id: i64, only: Option<&[i64]>, now: i64) -> Result<Removed> {
    let ids: Vec<i64> = messages::list(c, folder_id)
        .await?
        .into_iter()
        .filter(|m| m.flags.iter().any(|f| f.eq_ignore_ascii_case("\\Deleted")))
        .filter(|m| only.is_none_or(|o| o.contains(&m.id)))
        .map(|m| m.id)
        .collect();
    remove(c, folder_id, &ids, now).await
}

/// COPY (RFC 3501 6.4.7): the messages `ids` appended to `to` with their flags and
/// internal date; returns (source UID, new UID) pairs for COPYUID (RFC 4315).
pub async fn copy(c: &mut Conn, ids: &[i64], to: i64) -> Result<Vec<(i64, i64)>> {
    let mut pairs = Vec::new();
    for id in ids {
        let m = messages::get(c, *id).await?;
        let flags: Vec<&str> = m.flags.iter().map(String::as_str).collect();
        let new = NewMessage {
            blob: &m.blob,
            size: m.size,
            internal_date: m.internal_date,
            flags: &flags,
            pec_kind: m.pec_kind.as_deref(),
            identificativo: m.identificativo.as_deref(),
        };
        let copy = messages::append(c, to, &new).await?;
        crate::listing::copy_summary(c, m.id, copy.id).await?;
        pairs.push((m.uid, copy.uid));
    }
    Ok(pairs)
}

/// MOVE (RFC 6851): copy, then take out of `from` (a receipt moves whether or
/// not it is protected: it stays in the mailbox).
pub async fn move_messages(c: &mut Conn, from: i64, ids: &[i64], to: i64, now: i64) -> Result<Vec<(i64, i64)>> {
    let pairs = copy(c, ids, to).await?;
    discard(c, from, ids, now).await?;
    Ok(pairs)
}

/// CREATE (RFC 3501 6.3.3): a new folder; its UIDVALIDITY is above any of the
/// mailbox's (so a folder created again under an old name gets a new one).
pub async fn create_folder(c: &mut Conn, mailbox_id: i64, name: &str, now: i64) -> Result<Folder> {
    check_name(name)?;
    if messages::folder(c, mailbox_id, name).await?.is_some() {
        return Err(Error::Conflict(format!("folder {name:?} already exists")));
    }
    let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(uidvalidity) FROM folders WHERE mailbox_id = $1")
        .bind(mailbox_id)
        .fetch_one(&mut *c)
        .await?;
    let uidvalidity = (now / 1000).max(max.unwrap_or(0) + 1);
    messages::create_folder(c, mailbox_id, name, None, uidvalidity).await
}

/// RENAME (RFC 3501 6.3.5). INBOX cannot be renamed here (its special rule of
/// moving the messages is not supported).
pub async fn rename_folder(c: &mut Conn, mailbox_id: i64, from: &str, to: &str, now: i64) -> Result<()> {
    check_name(to)?;
    if from.eq_ignore_ascii_case("INBOX") {
        return Err(Error::Invalid("INBOX cannot be renamed".into()));
    }
    let folder = messages::folder(c, mailbox_id, from).await?.ok_or(Error::NotFound {
        what: "folder",
        key: from.into(),
    })?;
    if messages::folder(c, mailbox_id, to).await?.is_some() {
        return Err(Error::Conflict(format!("folder {to:?} already exists")));
    }
    let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(uidvalidity) FROM folders WHERE mailbox_id = $1")
        .bind(mailbox_id)
        .fetch_one(&mut *c)
        .await?;
    sqlx::query("UPDATE folders SET name = $1, uidvalidity = $2 WHERE id = $3")
        .bind(to)
        .bind((now / 1000).max(max.unwrap_or(0) + 1))
        .bind(folder.id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// DELETE (RFC 3501 6.3.4): the folder and its messages. INBOX cannot be deleted,
/// nor a folder holding a protected receipt ([`crate::receipts`]); the caller's
/// transaction is then rolled back.
pub async fn delete_folder(c: &mut Conn, mailbox_id: i64, name: &str, now: i64) -> Result<()> {
    if name.eq_ignore_ascii_case("INBOX") {
        return Err(Error::Invalid("INBOX cannot be deleted".into()));
    }
    let folder = messages::folder(c, mailbox_id, name).await?.ok_or(Error::NotFound {
        what: "folder",
        key: name.into(),
    })?;
    let ids: Vec<i64> = messages::list(c, folder.id).await?.into_iter().map(|m| m.id).collect();
    if let Some(why) = remove(c, folder.id, &ids, now).await?.why_kept() {
        return Err(Error::Invalid(format!("{name:?} cannot be deleted: {why}")));
    }
    sqlx::query("DELETE FROM folders WHERE id = $1")
        .bind(folder.id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// SUBSCRIBE / UNSUBSCRIBE (RFC 3501 6.3.6-7).
pub async fn subscribe(c: &mut Conn, folder_id: i64, subscribed: bool) -> Result<()> {
    sqlx::query("UPDATE folders SET subscribed = $1 WHERE id = $2")
        .bind(i64::from(subscribed))
        .bind(folder_id)
        .execute(c)
        .await?;
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 200 || name.chars().any(|c| c.is_control()) || name.starts_with('/') {
        return Err(Error::Invalid(format!("{name:?} is not a valid folder name")));
    }
    Ok(())
}
