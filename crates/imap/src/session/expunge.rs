//! EXPUNGE (RFC 3501 6.4.3), UID EXPUNGE (RFC 4315 2.1) and CLOSE (RFC 3501 6.4.2).

use imap_types::sequence::SequenceSet;
use store::changes;

use super::flags::read_only_refusal;
use super::{Outcome, Session, done};
use crate::Auth;
use crate::request::Reply;

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
            view.mark_expunged(&removed);
            let expunged = view.expunge_marked();
            self.report(&expunged);
        }
        Ok(done("EXPUNGE completed"))
    }

    /// CLOSE: expunge without telling (unless read-only), then leave the selected state.
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
