//! The delivery point (pec-rules.md 3.7-3.8): puts a message in a local mailbox,
//! or says why it cannot (NOTA 12 events: unknown, disabled, full mailbox).

use pec::build::NonDeliveryReason;
use pec::daticert::Errore;
use store::Conn;
use store::blobs::BlobId;
use store::mailboxes::{self, Status};
use store::messages::{self, NewMessage, StoredMessage};

use crate::Result;

/// What is delivered.
pub struct Item<'a> {
    pub blob: &'a BlobId,
    pub size: usize,
    /// The PEC kind (`busta-trasporto`, `avvenuta-consegna`, ...).
    pub pec_kind: Option<&'a str>,
    /// The identificativo it carries or certifies: links receipts to the sent message.
    pub identificativo: Option<&'a str>,
}

/// Delivers to a recipient's INBOX, refusing a missing, suspended, closed or full
/// mailbox with the reason for the non-delivery notice.
pub async fn to_recipient(
    c: &mut Conn,
    address: &str,
    item: &Item<'_>,
    now: i64,
) -> Result<Result<StoredMessage, NonDeliveryReason>> {
    let Some(mailbox) = mailboxes::get(c, address).await? else {
        return Ok(Err(NonDeliveryReason::unknown_mailbox()));
    };
    match mailbox.status {
        Status::Active => {}
        Status::Suspended => return Ok(Err(NonDeliveryReason::mailbox_disabled())),
        Status::Closed => return Ok(Err(NonDeliveryReason::new(Errore::NoDest, "5.1.6", "casella chiusa"))),
    }
    if mailbox.used_bytes + item.size as i64 > mailbox.quota_bytes {
        return Ok(Err(NonDeliveryReason::mailbox_full()));
    }
    Ok(Ok(append_inbox(c, mailbox.id, item, now).await?))
}

/// Delivers a receipt or notice to a local sender's INBOX whatever the mailbox's
/// status and usage: it is the sender's legal proof, and it must not be lost.
/// Returns `None` when the mailbox no longer exists.
pub async fn to_sender(c: &mut Conn, address: &str, item: &Item<'_>, now: i64) -> Result<Option<StoredMessage>> {
    let Some(mailbox) = mailboxes::get(c, address).await? else {
        return Ok(None);
    };
    Ok(Some(append_inbox(c, mailbox.id, item, now).await?))
}

async fn append_inbox(c: &mut Conn, mailbox_id: i64, item: &Item<'_>, now: i64) -> Result<StoredMessage> {
    let inbox = match messages::folder(c, mailbox_id, "INBOX").await? {
        Some(f) => f,
        None => messages::create_folder(c, mailbox_id, "INBOX", None, now / 1000).await?,
    };
    let new = NewMessage {
        blob: item.blob,
        size: item.size as i64,
        internal_date: now,
        flags: &[],
        pec_kind: item.pec_kind,
        identificativo: item.identificativo,
    };
    Ok(messages::append(c, inbox.id, &new).await?)
}
