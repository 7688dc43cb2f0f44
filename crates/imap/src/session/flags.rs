//! STORE (RFC 3501 6.4.6) with UNCHANGEDSINCE (RFC 7162 3.1.3), and the FLAGS items every
//! FETCH response about flags carries.

use std::num::{NonZeroU32, NonZeroU64};

use imap_types::core::{Atom, Vec1};
use imap_types::fetch::MessageDataItem;
use imap_types::flag::{Flag, FlagFetch};
use imap_types::response::{Code, Data};
use imap_types::sequence::SequenceSet;
use store::changes;

use super::{Outcome, Session, done, done_with};
use crate::Auth;
use crate::request::{Reply, Store};
use crate::view::Entry;

impl<A: Auth> Session<A> {
    pub(super) async fn store_flags(&mut self, request: &Store) -> Outcome {
        self.writable()?;
        if request.unchanged_since.is_some() {
            self.condstore = true;
        }
        let view = self
            .selected
            .as_ref()
            .ok_or_else(|| Reply::bad("No mailbox selected"))?;
        if view.read_only {
            return Err(read_only_refusal().into());
        }
        let positions = view
            .select(&request.set, request.uid)
            .map_err(|_| Reply::bad("Invalid message sequence number"))?;
        // RFC 2180 4.2.1: messages expunged by another session are left alone.
        let ids: Vec<i64> = positions
            .iter()
            .filter_map(|&i| view.messages.get(i))
            .filter(|e| !e.expunged)
            .map(|e| e.id)
            .collect();
        let folder_id = view.folder_id;
        let mut tx = self.store.begin().await?;
        let (changed, refused) = changes::set_flags(
            &mut tx,
            folder_id,
            &ids,
            request.op,
            &request.flags,
            request.unchanged_since.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        )
        .await?;
        tx.commit().await.map_err(store::Error::from)?;
        let Some(view) = self.selected.as_mut() else {
            return Ok(done("STORE completed"));
        };
        for m in &changed {
            view.update(m);
        }
        let refused_uids: Vec<i64> = refused.iter().map(|m| m.uid).collect();
        if !request.silent {
            for &i in &positions {
                let Some(entry) = self.selected.as_ref().and_then(|v| v.messages.get(i)) else {
                    continue;
                };
                if entry.expunged || refused_uids.contains(&i64::from(entry.uid)) {
                    continue;
                }
                self.flags_update(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        if refused.is_empty() {
            return Ok(done("STORE completed"));
        }
        // RFC 7162 3.1.3: MODIFIED lists what was not changed, as UIDs for UID STORE.
        let view = self.selected.as_ref();
        let numbers: Vec<NonZeroU32> = refused
            .iter()
            .filter_map(|m| {
                let n = if request.uid {
                    u32::try_from(m.uid).ok()
                } else {
                    view?
                        .messages
                        .iter()
                        .position(|e| i64::from(e.uid) == m.uid)
                        .and_then(|p| u32::try_from(p + 1).ok())
                };
                n.and_then(NonZeroU32::new)
            })
            .collect();
        match SequenceSet::try_from(numbers) {
            Ok(set) => Ok(done_with(Code::Modified(set), "Conditional STORE failed")),
            Err(_) => Ok(done("STORE completed")),
        }
    }

    /// `* n FETCH (FLAGS (...) UID u [MODSEQ (m)])` for the message at `seq` of the view. UID
    /// is always included (RFC 3501 allows it, and clients syncing by UID need it).
    pub(super) fn flags_update(&mut self, seq: u32) {
        let Some(entry) = self
            .selected
            .as_ref()
            .and_then(|v| v.messages.get((seq as usize).checked_sub(1)?))
            .cloned()
        else {
            return;
        };
        let mut items = vec![flags_item(&entry)];
        items.extend(NonZeroU32::new(entry.uid).map(MessageDataItem::Uid));
        if self.condstore {
            items.extend(modseq_item(&entry));
        }
        if let (Some(seq), Ok(items)) = (NonZeroU32::new(seq), Vec1::try_from(items)) {
            self.out.data(Data::Fetch { seq, items });
        }
    }
}

/// Refuses changes to a folder opened with EXAMINE.
pub(super) fn read_only_refusal() -> Reply {
    Reply::no(Some(Code::ReadOnly), "The mailbox is read-only")
}

/// A stored flag on the wire; unknown `\`-flags (none are stored) are dropped.
pub(super) fn wire_flag(s: &str) -> Option<Flag<'static>> {
    Some(match s.to_ascii_lowercase().as_str() {
        "\\seen" => Flag::Seen,
        "\\answered" => Flag::Answered,
        "\\flagged" => Flag::Flagged,
        "\\deleted" => Flag::Deleted,
        "\\draft" => Flag::Draft,
        _ if s.starts_with('\\') => return None,
        _ => Flag::Keyword(Atom::try_from(s.to_string()).ok()?),
    })
}

pub(super) fn flags_item(entry: &Entry) -> MessageDataItem<'static> {
    MessageDataItem::Flags(
        entry
            .flags
            .iter()
            .filter_map(|f| wire_flag(f))
            .map(FlagFetch::Flag)
            .collect(),
    )
}

pub(super) fn modseq_item(entry: &Entry) -> Option<MessageDataItem<'static>> {
    NonZeroU64::new(u64::try_from(entry.modseq).unwrap_or(0)).map(MessageDataItem::ModSeq)
}
