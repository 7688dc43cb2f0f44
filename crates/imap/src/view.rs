//! The selected folder as one session sees it: its messages in UID order (sequence number =
//! position, RFC 3501 2.3.1.2) with the flags and MODSEQ last reported. [`View::sync`] compares
//! it with the store and says what the client must be told (EXPUNGE, EXISTS, FETCH FLAGS).

use std::collections::{BTreeSet, HashMap};

use imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};
use store::BlobId;
use store::messages::{Folder, StoredMessage};

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: i64,
    pub uid: u32,
    pub modseq: i64,
    pub flags: Vec<String>,
    pub size: i64,
    pub internal_date: i64,
    pub blob: BlobId,
    /// Gone from the store, but the EXPUNGE could not be sent yet (RFC 3501 7.4.1).
    pub expunged: bool,
}

impl Entry {
    fn new(m: &StoredMessage) -> Entry {
        Entry {
            id: m.id,
            uid: u32::try_from(m.uid).unwrap_or(u32::MAX),
            modseq: m.modseq,
            flags: m.flags.clone(),
            size: m.size,
            internal_date: m.internal_date,
            blob: m.blob.clone(),
            expunged: false,
        }
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
    }
}

/// What a sync found, in the order it must be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `* n EXPUNGE`, already applied to the view (later numbers refer to the new view).
    Expunge(u32),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n FETCH (FLAGS ...)` for the message at sequence number `seq`.
    Flags { seq: u32 },
}

#[derive(Debug, Clone)]
pub struct View {
    pub folder_id: i64,
    pub uidvalidity: u32,
    pub read_only: bool,
    pub messages: Vec<Entry>,
    /// The folder's UIDNEXT and HIGHESTMODSEQ at the last sync: if both are unchanged, so is
    /// the folder.
    seen: (i64, i64),
}

/// A sequence set that names a message number the folder does not have (RFC 3501 9:
/// "a number larger than the number of messages is invalid").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSet;

impl View {
    pub fn new(folder: &Folder, messages: &[StoredMessage], read_only: bool) -> View {
        View {
            folder_id: folder.id,
            uidvalidity: u32::try_from(folder.uidvalidity).unwrap_or(u32::MAX),
            read_only,
            messages: messages.iter().map(Entry::new).collect(),
            seen: (folder.uidnext, folder.highestmodseq),
        }
    }

    /// Whether the folder row says something changed since the last sync.
    pub fn is_stale(&self, folder: &Folder) -> bool {
        (folder.uidnext, folder.highestmodseq) != self.seen
    }

    pub fn exists(&self) -> u32 {
        u32::try_from(self.messages.len()).unwrap_or(u32::MAX)
    }

    /// Brings the view up to `current` (the folder's messages in UID order). Removed messages
    /// are expunged from the view when `allow_expunge`, else marked and kept in place.
    pub fn sync(&mut self, folder: &Folder, current: &[StoredMessage], allow_expunge: bool) -> Vec<Change> {
        let mut changes = Vec::new();
        let by_uid: HashMap<i64, &StoredMessage> = current.iter().map(|m| (m.uid, m)).collect();
        for entry in &mut self.messages {
            if !by_uid.contains_key(&i64::from(entry.uid)) {
                entry.expunged = true;
            }
        }
        if allow_expunge {
            changes.extend(self.expunge_marked());
        }
        for (index, entry) in self.messages.iter_mut().enumerate() {
            let Some(m) = by_uid.get(&i64::from(entry.uid)) else {
                continue;
            };
            if m.modseq != entry.modseq {
                let changed = !same_flags(&m.flags, &entry.flags);
                entry.modseq = m.modseq;
                entry.flags = m.flags.clone();
                if changed {
                    changes.push(Change::Flags {
                        seq: u32::try_from(index + 1).unwrap_or(u32::MAX),
                    });
                }
            }
        }
        let last = self.messages.last().map_or(0, |e| i64::from(e.uid));
        let before = self.messages.len();
        // UIDs only grow (RFC 3501 2.3.1.1) and the store hands them out under the folder's row
        // lock, so anything new sorts after what the view has.
        self.messages
            .extend(current.iter().filter(|m| m.uid > last).map(Entry::new));
        if self.messages.len() != before {
            changes.push(Change::Exists(self.exists()));
        }
        self.seen = (folder.uidnext, folder.highestmodseq);
        changes
    }

    /// Removes the entries marked expunged, highest first, so that each number sent is valid
    /// when the client reads it.
    pub fn expunge_marked(&mut self) -> Vec<Change> {
        let mut changes = Vec::new();
        for index in (0..self.messages.len()).rev() {
            if self.messages.get(index).is_some_and(|e| e.expunged) {
                self.messages.remove(index);
                changes.push(Change::Expunge(u32::try_from(index + 1).unwrap_or(u32::MAX)));
            }
        }
        changes
    }

    /// Marks the messages with these UIDs as expunged (our own EXPUNGE or MOVE).
    pub fn mark_expunged(&mut self, uids: &[i64]) {
        for entry in &mut self.messages {
            if uids.contains(&i64::from(entry.uid)) {
                entry.expunged = true;
            }
        }
    }

    /// Records new flags of messages this session changed, so that sync does not report them.
    pub fn update(&mut self, m: &StoredMessage) {
        if let Some(entry) = self.messages.iter_mut().find(|e| i64::from(e.uid) == m.uid) {
            entry.flags = m.flags.clone();
            entry.modseq = m.modseq;
        }
    }

    /// The positions (0-based) a sequence set names, ascending and without repeats. With
    /// `uid`, numbers are UIDs and need not exist (RFC 3501 6.4.8); `*` is the last message.
    pub fn select(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, InvalidSet> {
        if uid {
            let max = self.messages.last().map_or(0, |e| e.uid);
            let ranges: Vec<(u32, u32)> = set.0.as_ref().iter().map(|s| bounds(s, max)).collect();
            return Ok(self
                .messages
                .iter()
                .enumerate()
                .filter(|(_, e)| ranges.iter().any(|&(lo, hi)| lo <= e.uid && e.uid <= hi))
                .map(|(i, _)| i)
                .collect());
        }
        let count = self.exists();
        let mut picked = BTreeSet::new();
        for sequence in set.0.as_ref() {
            if count == 0 {
                // "*" in an empty folder names nothing; a number names a message that is not there.
                if has_number(sequence) {
                    return Err(InvalidSet);
                }
                continue;
            }
            let (lo, hi) = bounds(sequence, count);
            if lo > count {
                return Err(InvalidSet);
            }
            picked.extend((lo.max(1)..=hi.min(count)).map(|n| n as usize - 1));
        }
        Ok(picked.into_iter().collect())
    }

    /// The keywords in use in the folder, for FLAGS and PERMANENTFLAGS (RFC 3501 7.2.6).
    pub fn keywords(&self) -> Vec<String> {
        let mut keywords: Vec<String> = self
            .messages
            .iter()
            .flat_map(|e| e.flags.iter())
            .filter(|f| !f.starts_with('\\'))
            .cloned()
            .collect();
        keywords.sort();
        keywords.dedup();
        keywords
    }
}

fn has_number(sequence: &Sequence) -> bool {
    match sequence {
        Sequence::Single(s) => matches!(s, SeqOrUid::Value(_)),
        Sequence::Range(a, b) => matches!((a, b), (SeqOrUid::Value(_), SeqOrUid::Value(_))),
    }
}

/// A sequence as an inclusive range, `*` standing for `max`; `a:b` and `b:a` are the same.
fn bounds(sequence: &Sequence, max: u32) -> (u32, u32) {
    let value = |s: &SeqOrUid| match s {
        SeqOrUid::Value(v) => v.get(),
        SeqOrUid::Asterisk => max,
    };
    match sequence {
        Sequence::Single(s) => (value(s), value(s)),
        Sequence::Range(a, b) => {
            let (a, b) = (value(a), value(b));
            (a.min(b), a.max(b))
        }
    }
}

fn same_flags(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|f| b.iter().any(|g| g.eq_ignore_ascii_case(f)))
}
