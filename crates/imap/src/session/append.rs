//! APPEND (RFC 3501 6.3.11): sent copies and drafts from the client, stored as a blob and a
//! message row, answered with APPENDUID (RFC 4315 3) or `[OVERQUOTA]` (RFC 9208 4.3).

use std::num::NonZeroU32;

use imap_types::response::Code;
use store::mailboxes;
use store::messages::{self, NewMessage};

use super::{Outcome, Session, done, done_with};
use crate::Auth;
use crate::request::Reply;

impl<A: Auth> Session<A> {
    pub(super) async fn append(
        &mut self,
        folder: &str,
        flags: &[String],
        date: Option<i64>,
        message: Vec<u8>,
    ) -> Outcome {
        self.writable()?;
        if message.is_empty() {
            return Err(Reply::no(None, "Cannot store an empty message").into());
        }
        let mailbox_id = self.user()?.mailbox_id;
        let size = i64::try_from(message.len()).unwrap_or(i64::MAX);
        // Checked before the blob is written, and again in the transaction.
        let mut c = self.store.conn().await?;
        self.target(&mut c, folder).await?;
        check_quota(&mailboxes::by_id(&mut c, mailbox_id).await?, size)?;
        drop(c);
        let blob = self.store.blobs().put(&message).await?;
        let summary = pec::summary(&message);
        let flags = flags_unique(flags);
        let now = self.config.clock.now_ms();
        let mut tx = self.store.begin().await?;
        let target = self.target(&mut tx, folder).await?;
        check_quota(&mailboxes::by_id(&mut tx, mailbox_id).await?, size)?;
        let stored = messages::append_summarised(
            &mut tx,
            target.id,
            &NewMessage {
                blob: &blob,
                size,
                internal_date: date.unwrap_or(now),
                flags: &flags,
                pec_kind: None,
                identificativo: None,
            },
            &summary,
        )
        .await?;
        tx.commit().await.map_err(store::Error::from)?;
        let uidvalidity = NonZeroU32::new(u32::try_from(target.uidvalidity).unwrap_or(0));
        let uid = NonZeroU32::new(u32::try_from(stored.uid).unwrap_or(0));
        Ok(match (uidvalidity, uid) {
            (Some(uid_validity), Some(uid)) => done_with(Code::AppendUid { uid_validity, uid }, "APPEND completed"),
            _ => done("APPEND completed"),
        })
    }
}

fn check_quota(mailbox: &mailboxes::Mailbox, size: i64) -> Result<(), Reply> {
    if mailbox.used_bytes.saturating_add(size) > mailbox.quota_bytes {
        return Err(Reply::no(Some(Code::OverQuota), "Not enough space left in the mailbox"));
    }
    Ok(())
}

/// The flags once each (system flags compare without case).
fn flags_unique(flags: &[String]) -> Vec<&str> {
    let mut unique: Vec<&str> = Vec::new();
    for flag in flags {
        if !unique.iter().any(|f| f.eq_ignore_ascii_case(flag)) {
            unique.push(flag);
        }
    }
    unique
}
