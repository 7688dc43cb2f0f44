//! FETCH and UID FETCH (RFC 3501 6.4.5, 6.4.8) with CHANGEDSINCE and MODSEQ (RFC 7162
//! 3.1.4). Message content is read from the blob once per message and sliced, never rebuilt.

use std::num::NonZeroU32;

use imap_types::core::{IString, Literal, NString, Vec1};
use imap_types::datetime::DateTime;
use imap_types::fetch::{MessageDataItem, MessageDataItemName};
use imap_types::response::Data;
use store::changes::{self, FlagOp};

use super::flags::{flags_item, modseq_item};
use super::{Failure, Outcome, Session, done};
use crate::Auth;
use crate::mime::{self, Message};
use crate::request::{Fetch, Reply};
use crate::view::Entry;
use crate::wire::code;

const SEEN: &str = "\\Seen";

impl<A: Auth> Session<A> {
    pub(super) async fn fetch(&mut self, request: &Fetch) -> Outcome {
        let mut items = request.items.clone();
        // RFC 3501 6.4.8: UID FETCH answers carry UID.
        if request.uid && !items.contains(&MessageDataItemName::Uid) {
            items.insert(0, MessageDataItemName::Uid);
        }
        // RFC 7162 3.1.4.1: CHANGEDSINCE implies MODSEQ.
        if request.changed_since.is_some() && !items.contains(&MessageDataItemName::ModSeq) {
            items.push(MessageDataItemName::ModSeq);
        }
        if items.contains(&MessageDataItemName::ModSeq) {
            self.condstore = true;
        }
        let view = self
            .selected
            .as_ref()
            .ok_or_else(|| Reply::bad("No mailbox selected"))?;
        let positions = view
            .select(&request.set, request.uid)
            .map_err(|_| Reply::bad("Invalid message sequence number"))?;
        let mut ghosts = false;
        let mut wanted: Vec<usize> = Vec::new();
        for i in positions {
            let Some(entry) = view.messages.get(i) else { continue };
            if entry.expunged {
                ghosts = true;
                continue;
            }
            if request
                .changed_since
                .is_some_and(|since| u64::try_from(entry.modseq).unwrap_or(0) <= since)
            {
                continue;
            }
            wanted.push(i);
        }
        let marks_seen = !view.read_only && self.writable().is_ok() && items.iter().any(sets_seen);
        let newly_seen = if marks_seen {
            self.mark_seen(&wanted).await?
        } else {
            Vec::new()
        };
        let needs_content = items.iter().any(needs_content);
        for i in wanted {
            let Some(entry) = self.selected.as_ref().and_then(|v| v.messages.get(i)).cloned() else {
                continue;
            };
            let content = if needs_content {
                match self.store.blobs().get(&entry.blob).await {
                    Ok(bytes) => Some(bytes),
                    Err(store::Error::MissingBlob(_)) => {
                        ghosts = true;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            } else {
                None
            };
            let message = content.as_deref().map(Message::parse);
            let mut data: Vec<MessageDataItem<'static>> = Vec::new();
            for item in &items {
                data.extend(self.item(item, &entry, message.as_ref()));
            }
            // RFC 3501 6.4.5: flags changed by the fetch are reported with it.
            if newly_seen.contains(&entry.id) && !items.contains(&MessageDataItemName::Flags) {
                data.push(flags_item(&entry));
                if self.condstore && !items.contains(&MessageDataItemName::ModSeq) {
                    data.extend(modseq_item(&entry));
                }
            }
            let (Some(seq), Ok(data)) = (NonZeroU32::new(u32::try_from(i + 1).unwrap_or(0)), Vec1::try_from(data))
            else {
                continue;
            };
            self.out.data(Data::Fetch { seq, items: data });
            self.flush_if_large().await.map_err(Failure::End)?;
        }
        if ghosts {
            // RFC 2180 4.1.2 and RFC 5530.
            return Err(Reply::no(Some(code("EXPUNGEISSUED")), "Some of the messages were expunged").into());
        }
        Ok(done("FETCH completed"))
    }

    /// Sets \Seen on the messages at `positions` that lack it; returns their ids.
    async fn mark_seen(&mut self, positions: &[usize]) -> Result<Vec<i64>, Failure> {
        let Some(view) = self.selected.as_ref() else {
            return Ok(Vec::new());
        };
        let ids: Vec<i64> = positions
            .iter()
            .filter_map(|&i| view.messages.get(i))
            .filter(|e| !e.has_flag(SEEN))
            .map(|e| e.id)
            .collect();
        if ids.is_empty() {
            return Ok(ids);
        }
        let folder_id = view.folder_id;
        let mut tx = self.store.begin().await?;
        let (changed, _) = changes::set_flags(&mut tx, folder_id, &ids, FlagOp::Add, &[SEEN.to_string()], None).await?;
        tx.commit().await.map_err(store::Error::from)?;
        if let Some(view) = self.selected.as_mut() {
            for m in &changed {
                view.update(m);
            }
        }
        Ok(changed.iter().map(|m| m.id).collect())
    }

    fn item(
        &self,
        item: &MessageDataItemName<'_>,
        entry: &Entry,
        message: Option<&Message<'_>>,
    ) -> Option<MessageDataItem<'static>> {
        use MessageDataItemName as N;
        Some(match item {
            N::Flags => flags_item(entry),
            N::Uid => MessageDataItem::Uid(NonZeroU32::new(entry.uid)?),
            N::ModSeq => modseq_item(entry)?,
            N::InternalDate => MessageDataItem::InternalDate(internal_date(entry.internal_date)?),
            N::Rfc822Size => MessageDataItem::Rfc822Size(u32::try_from(entry.size).unwrap_or(u32::MAX)),
            N::Envelope => MessageDataItem::Envelope(message?.envelope().to_wire()),
            N::Body => MessageDataItem::Body(message?.body_structure(false)),
            N::BodyStructure => MessageDataItem::BodyStructure(message?.body_structure(true)),
            N::Rfc822 => MessageDataItem::Rfc822(literal(message?.raw())),
            N::Rfc822Header => {
                let m = message?;
                MessageDataItem::Rfc822Header(literal(m.slice(m.top().header.clone())))
            }
            N::Rfc822Text => {
                let m = message?;
                MessageDataItem::Rfc822Text(literal(m.slice(m.top().body.clone())))
            }
            N::BodyExt { section, partial, .. } => {
                let m = message?;
                let bytes = mime::section_bytes(m, section.as_ref());
                let (origin, data) = match partial {
                    // RFC 3501 6.4.5: <start.length>, the answer says <start>.
                    Some((start, length)) => {
                        let from = (*start as usize).min(bytes.len());
                        let to = from.saturating_add(length.get() as usize).min(bytes.len());
                        (Some(*start), bytes.get(from..to).unwrap_or_default())
                    }
                    None => (None, &bytes[..]),
                };
                MessageDataItem::BodyExt {
                    section: section.as_ref().map(|s| imap_types::IntoStatic::into_static(s.clone())),
                    origin,
                    data: literal(data),
                }
            }
            N::Binary { .. } | N::BinarySize { .. } => return None,
        })
    }
}

/// Message content as a literal. NUL, which IMAP literals cannot carry (RFC 3501 9
/// `CHAR8`), becomes 0x80, so sizes and offsets stay as stored.
fn literal(bytes: &[u8]) -> NString<'static> {
    let data: Vec<u8> = bytes.iter().map(|&b| if b == 0 { 0x80 } else { b }).collect();
    NString(Literal::try_from(data).ok().map(IString::Literal))
}

/// INTERNALDATE in UTC, to the second.
fn internal_date(millis: i64) -> Option<DateTime> {
    let utc = chrono::DateTime::from_timestamp(millis.div_euclid(1000), 0)?;
    DateTime::try_from(utc.fixed_offset()).ok()
}

/// RFC 3501 6.4.5: BODY[...] (not PEEK), RFC822 and RFC822.TEXT set \Seen.
fn sets_seen(item: &MessageDataItemName<'_>) -> bool {
    matches!(
        item,
        MessageDataItemName::BodyExt { peek: false, .. }
            | MessageDataItemName::Rfc822
            | MessageDataItemName::Rfc822Text
    )
}

fn needs_content(item: &MessageDataItemName<'_>) -> bool {
    use MessageDataItemName as N;
    matches!(
        item,
        N::Envelope | N::Body | N::BodyStructure | N::BodyExt { .. } | N::Rfc822 | N::Rfc822Header | N::Rfc822Text
    )
}
