//! A holder's receipts as proof: archived outside the quota, and kept from
//! deletion while the message they prove is kept (the rules are the store's,
//! `store::receipts`, so IMAP and POP3 obey them too; here the webmail asks).
//!
//! Every function takes the logged-in mailbox's id: another mailbox's message is
//! "not found".

use serde::Serialize;
use store::mailboxes::{self, Status};
use store::messages::{self, StoredMessage};
use store::receipts::{self, ARCHIVE};

use crate::proof::own_message;
use crate::{Error, Office, Result};

/// What the proof actions of a message's page offer for it.
#[derive(Debug, Clone, Serialize)]
pub struct ProofActions {
    pub message_id: i64,
    pub pec_kind: Option<String>,
    /// The identificativo of the message the mailbox sent that this message is
    /// (a copy) or proves (a receipt): its proof bundle can be downloaded.
    pub sent: Option<String>,
    /// Receipts of that message outside the archive.
    pub to_archive: usize,
    /// Receipts of that message in the archive.
    pub archived: usize,
    /// Why the message cannot be deleted (a receipt of a message the mailbox keeps).
    pub protected: Option<String>,
    /// The mailbox may change nothing (suspended).
    pub read_only: bool,
}

/// The proof actions of message `message_id`.
pub async fn actions(office: &Office, mailbox_id: i64, message_id: i64) -> Result<ProofActions> {
    let m = own_message(office, mailbox_id, message_id).await?;
    let mut c = office.store().conn().await?;
    let mailbox = mailboxes::by_id(&mut c, mailbox_id).await?;
    let sent = match m.identificativo.as_deref() {
        Some(id) => store::pec::by_identificativo(&mut c, id)
            .await?
            .filter(|p| p.sender.eq_ignore_ascii_case(&mailbox.address))
            .map(|p| p.identificativo),
        None => None,
    };
    let (mut to_archive, mut archived) = (0, 0);
    if let Some(id) = &sent {
        for r in receipts::receipts_of(&mut c, mailbox_id, id).await? {
            if in_archive(&mut c, &r).await? {
                archived += 1;
            } else {
                to_archive += 1;
            }
        }
    }
    let protected = receipts::protected(&mut c, m.folder_id, &[m.id])
        .await?
        .first()
        .map(why_protected);
    Ok(ProofActions {
        message_id: m.id,
        pec_kind: m.pec_kind,
        sent,
        to_archive,
        archived,
        protected,
        read_only: mailbox.status == Status::Suspended,
    })
}

/// Receipts archived.
#[derive(Debug, Clone, Serialize)]
pub struct Archived {
    pub identificativo: String,
    /// The archive folder's name.
    pub folder: String,
    pub moved: usize,
    /// The mailbox's usage the move freed.
    pub freed_bytes: i64,
}

/// Moves the receipts of the message that `message_id` is or proves into the
/// mailbox's archive folder (made if missing), where they stop counting in the
/// usage. Idempotent: receipts already there stay.
pub async fn archive(office: &Office, mailbox_id: i64, message_id: i64) -> Result<Archived> {
    let m = own_message(office, mailbox_id, message_id).await?;
    let Some(identificativo) = m.identificativo.clone() else {
        return Err(Error::invalid(
            "message",
            "it is neither a certified message nor one of its receipts",
        ));
    };
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    let mailbox = mailboxes::by_id(&mut tx, mailbox_id).await?;
    refuse_if_read_only(&mailbox)?;
    let before = mailbox.used_bytes;
    let archive = receipts::archive_folder(&mut tx, mailbox_id, now).await?;
    let mut moved = 0;
    for r in receipts::receipts_of(&mut tx, mailbox_id, &identificativo).await? {
        if r.folder_id != archive.id {
            store::changes::move_messages(&mut tx, r.folder_id, &[r.id], archive.id, now).await?;
            moved += 1;
        }
    }
    let after = mailboxes::by_id(&mut tx, mailbox_id).await?.used_bytes;
    tx.commit().await?;
    tracing::info!(address = %mailbox.address, %identificativo, moved, "receipts archived");
    Ok(Archived {
        identificativo,
        folder: archive.name,
        moved,
        freed_bytes: before - after,
    })
}

/// A message deleted from the webmail.
#[derive(Debug, Clone, Serialize)]
pub struct Deleted {
    pub message_id: i64,
    /// Moved to the Trash (true), or removed for good from the Trash (false).
    pub to_trash: bool,
}

/// Deletes message `message_id`: into the Trash, or for good when it is in the
/// Trash already (or the mailbox has none). A receipt of a message the mailbox
/// keeps is refused, saying why: it is the proof of that message.
pub async fn delete(office: &Office, mailbox_id: i64, message_id: i64) -> Result<Deleted> {
    let m = own_message(office, mailbox_id, message_id).await?;
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    refuse_if_read_only(&mailboxes::by_id(&mut tx, mailbox_id).await?)?;
    if let Some(p) = receipts::protected(&mut tx, m.folder_id, &[m.id]).await?.first() {
        return Err(Error::refused_on("message", why_protected(p)));
    }
    let trash = messages::folders(&mut tx, mailbox_id).await?.into_iter().find(|f| {
        f.special_use
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("\\Trash"))
    });
    let to_trash = match trash {
        Some(t) if t.id != m.folder_id => {
            store::changes::move_messages(&mut tx, m.folder_id, &[m.id], t.id, now).await?;
            true
        }
        _ => {
            store::changes::remove(&mut tx, m.folder_id, &[m.id], now).await?;
            false
        }
    };
    tx.commit().await?;
    Ok(Deleted {
        message_id: m.id,
        to_trash,
    })
}

fn why_protected(p: &receipts::Protected) -> String {
    format!(
        "this receipt is the proof of the message with identificativo {}, which the mailbox keeps: \
         delete that message first, or archive its receipts (the archive does not count in the quota)",
        p.identificativo
    )
}

fn refuse_if_read_only(mailbox: &mailboxes::Mailbox) -> Result<()> {
    if mailbox.status == Status::Suspended {
        return Err(Error::refused("the mailbox is suspended: it can be read, not changed"));
    }
    Ok(())
}

async fn in_archive(c: &mut store::Conn, m: &StoredMessage) -> Result<bool> {
    let f = messages::folder_by_id(c, m.folder_id).await?;
    Ok(f.special_use
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case(ARCHIVE)))
}
