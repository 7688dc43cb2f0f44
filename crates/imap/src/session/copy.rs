//! COPY (RFC 3501 6.4.7) and MOVE (RFC 6851), answering COPYUID (RFC 4315 3). COPY is held to
//! the quota (RFC 9208 `[OVERQUOTA]`); MOVE within a mailbox does not grow it.

use std::num::NonZeroU32;

use imap_types::core::Vec1;
use imap_types::extensions::uidplus::{UidElement, UidSet};
use imap_types::response::{Code, StatusKind};
use imap_types::sequence::SequenceSet;
use store::{changes, mailboxes};

use super::flags::read_only_refusal;
use super::{Outcome, Session, done, done_with};
use crate::Auth;
use crate::request::Reply;

impl<A: Auth> Session<A> {
    pub(super) async fn copy(&mut self, uid: bool, set: &SequenceSet, folder: &str, remove: bool) -> Outcome {
        self.writable()?;
        let verb = if remove { "MOVE" } else { "COPY" };
        let mailbox_id = self.user()?.mailbox_id;
        let view = self
            .selected
            .as_ref()
            .ok_or_else(|| Reply::bad("No mailbox selected"))?;
        if remove && view.read_only {
            return Err(read_only_refusal().into());
        }
        let positions = view
            .select(set, uid)
            .map_err(|_| Reply::bad("Invalid message sequence number"))?;
        let entries: Vec<_> = positions
            .iter()
            .filter_map(|&i| view.messages.get(i))
            .filter(|e| !e.expunged)
            .cloned()
            .collect();
        let source = view.folder_id;
        if entries.is_empty() {
            return Ok(done(format!("{verb} completed: no messages")));
        }
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        let mut tx = self.store.begin().await?;
        let target = self.target(&mut tx, folder).await?;
        if !remove {
            let mailbox = mailboxes::by_id(&mut tx, mailbox_id).await?;
            let added: i64 = entries.iter().map(|e| e.size).sum();
            if mailbox.used_bytes.saturating_add(added) > mailbox.quota_bytes {
                return Err(Reply::no(Some(Code::OverQuota), "Not enough space left in the mailbox").into());
            }
        }
        let pairs = if remove {
            changes::move_messages(&mut tx, source, &ids, target.id, self.config.clock.now_ms()).await?
        } else {
            changes::copy(&mut tx, &ids, target.id).await?
        };
        tx.commit().await.map_err(store::Error::from)?;
        let copyuid = copyuid(target.uidvalidity, &pairs);
        if !remove {
            return Ok(match copyuid {
                Some(code) => done_with(code, "COPY completed"),
                None => done("COPY completed"),
            });
        }
        // RFC 6851 4.3: COPYUID comes in an untagged OK before the EXPUNGEs.
        if let Some(code) = copyuid {
            self.out.untagged(StatusKind::Ok, Some(code), "Moved UIDs");
        }
        if let Some(view) = self.selected.as_mut() {
            view.mark_expunged(&pairs.iter().map(|(from, _)| *from).collect::<Vec<_>>());
            let expunged = view.expunge_marked();
            self.report(&expunged);
        }
        Ok(done("MOVE completed"))
    }
}

fn copyuid(uidvalidity: i64, pairs: &[(i64, i64)]) -> Option<Code<'static>> {
    let set = |uids: Vec<i64>| -> Option<UidSet> {
        let elements: Vec<UidElement> = uids
            .into_iter()
            .filter_map(|u| NonZeroU32::new(u32::try_from(u).ok()?))
            .map(UidElement::Single)
            .collect();
        Vec1::try_from(elements).ok().map(UidSet)
    };
    Some(Code::CopyUid {
        uid_validity: NonZeroU32::new(u32::try_from(uidvalidity).ok()?)?,
        source: set(pairs.iter().map(|p| p.0).collect())?,
        destination: set(pairs.iter().map(|p| p.1).collect())?,
    })
}
