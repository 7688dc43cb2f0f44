//! The maildrop in the store: a mailbox's INBOX, read at login, its messages' bytes, and
//! the removal of the marked ones in the UPDATE state (RFC 1939 6).

use store::messages;
use store::{Store, changes};

use crate::protocol::{Maildrop, Message};

/// The INBOX a session works on.
pub(super) struct Inbox {
    store: Store,
    folder_id: i64,
}

/// The snapshot of the INBOX of `mailbox_id`, in UID order.
pub(super) async fn open(store: &Store, mailbox_id: i64) -> store::Result<(Inbox, Maildrop)> {
    let mut c = store.conn().await?;
    let folder = messages::folder(&mut c, mailbox_id, "INBOX")
        .await?
        .ok_or_else(|| store::Error::NotFound {
            what: "folder",
            key: format!("INBOX of mailbox {mailbox_id}"),
        })?;
    let messages = messages::list(&mut c, folder.id)
        .await?
        .into_iter()
        .map(|m| Message {
            id: m.id,
            // Unique as long as UIDVALIDITY stays (RFC 3501 2.3.1.1), which is what a
            // UIDL client needs too.
            unique_id: format!("{}.{}", folder.uidvalidity, m.uid),
            // The stored size is the octets of the CRLF message.
            size: u64::try_from(m.size).unwrap_or(0),
        })
        .collect();
    let inbox = Inbox {
        store: store.clone(),
        folder_id: folder.id,
    };
    Ok((inbox, Maildrop::new(messages)))
}

impl Inbox {
    /// The bytes of message `id`, or `None` when another session has removed it.
    pub(super) async fn fetch(&self, id: i64) -> store::Result<Option<Vec<u8>>> {
        let message = {
            let mut c = self.store.conn().await?;
            match messages::get(&mut c, id).await {
                Ok(m) if m.folder_id == self.folder_id => m,
                Ok(_) | Err(store::Error::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        };
        self.store.blobs().get(&message.blob).await.map(Some)
    }

    /// Removes the messages `ids` in one transaction at `now`; those already gone are
    /// skipped, and receipts that prove a message the mailbox keeps stay: why, if any did.
    pub(super) async fn remove(&self, ids: &[i64], now: i64) -> store::Result<Option<String>> {
        if ids.is_empty() {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        let removed = changes::remove(&mut tx, self.folder_id, ids, now).await?;
        tx.commit().await?;
        Ok(removed.why_kept())
    }
}
