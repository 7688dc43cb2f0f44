//! EXPUNGE (RFC 3501 6.4.3), UID EXPUNGE (RFC 4315 2.1) and CLOSE (RFC 3501 6.4.2).
//! A receipt that proves a message the mailbox keeps is not expunged: the command
//! removes the others and answers `NO [CANNOT]` saying why (store::receipts).

use imap_types::sequence::SequenceSet;
use store::changes;

use super::flags::read_only_refusal;
use super::{Outcome, Session, done};
use crate::Auth;
use crate::request::Reply;
use crate::wire::code;

impl<A: Auth> Session<A> {
    pub(super) async fn expunge(&mut self, uids: Option<&SequenceSet>) -> Outcome {
        self.writable()?;
        let view = self
            .selected
            .as_ref()
            .ok_or_else(|| Reply::bad("No mailbox selected"))?;
        if view.read_only {
            return Err(read_only_refusal().into());
        }
        let only: Option<Vec<i64>> = match uids {
            Some(set) => {
                let positions = view.select(set, true).map_err(|_| Reply::bad("Invalid UID set"))?;
                Some(
                    positions
                        .iter()
                        .filter_map(|&i| view.messages.get(i))
                        .map(|e| e.id)
                        .collect(),
                )
            }
            None => None,
        };
        let folder_id = view.folder_id;
        let mut tx = self.store.begin().await?;
        let removed = changes::expunge(&mut tx, folder_id, only.as_deref(), self.config.clock.now_ms()).await?;
        tx.commit().await.map_err(store::Error::from)?;
        if let Some(view) = self.selected.as_mut() {
            view.mark_expunged(&removed.uids);
            let expunged = view.expunge_marked();
            self.report(&expunged);
        }
        // RFC 3501 6.4.3 allows NO ("can't expunge"): the receipts that prove a
        // message the mailbox keeps stay, flagged \Deleted (store::receipts); the
        // others are gone, as the EXPUNGE responses above say.
        if let Some(why) = removed.why_kept() {
            return Err(Reply::no(Some(code("CANNOT")), why).into());
        }
        Ok(done("EXPUNGE completed"))
    }

    /// CLOSE: expunge without telling (unless read-only), then leave the selected
    /// state. Protected receipts stay, as with EXPUNGE; CLOSE has no way to say so.
    pub(super) async fn close(&mut self) -> Outcome {
        let Some(view) = self.selected.take() else {
            return Err(Reply::bad("No mailbox selected").into());
        };
        if !view.read_only && self.writable().is_ok() {
            let mut tx = self.store.begin().await?;
            changes::expunge(&mut tx, view.folder_id, None, self.config.clock.now_ms()).await?;
            tx.commit().await.map_err(store::Error::from)?;
        }
        Ok(done("CLOSE completed"))
    }
}
