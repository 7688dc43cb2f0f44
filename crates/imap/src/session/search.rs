//! SEARCH and UID SEARCH (RFC 3501 6.4.4, 6.4.8) with MODSEQ (RFC 7162 3.1.5). Dates of
//! BEFORE / ON / SINCE are the internal date in UTC; SENT* read the Date field as written.
//! Header and text keys compare without case, on raw and decoded text alike.

use std::num::{NonZeroU32, NonZeroU64};

use imap_types::core::AString;
use imap_types::datetime::NaiveDate;
use imap_types::response::Data;
use imap_types::search::SearchKey;
use imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use super::{Outcome, Session, done};
use crate::Auth;
use crate::mime::{self, SearchHeader};
use crate::request::Reply;
use crate::view::Entry;

/// One message as the keys see it.
struct Candidate<'a> {
    seq: u32,
    count: u32,
    max_uid: u32,
    entry: &'a Entry,
    raw: Option<&'a [u8]>,
    header: Option<&'a SearchHeader>,
}

impl<A: Auth> Session<A> {
    pub(super) async fn search(&mut self, uid: bool, criteria: &[SearchKey<'static>]) -> Outcome {
        let view = self
            .selected
            .as_ref()
            .ok_or_else(|| Reply::bad("No mailbox selected"))?;
        let entries: Vec<Entry> = view.messages.clone();
        let needs_content = criteria.iter().any(needs_content);
        let with_modseq = criteria.iter().any(has_modseq);
        if with_modseq {
            self.condstore = true;
        }
        let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let max_uid = entries.last().map_or(0, |e| e.uid);
        let mut hits = Vec::new();
        let mut highest = 0i64;
        for (i, entry) in entries.iter().enumerate() {
            if entry.expunged {
                continue;
            }
            let raw = if needs_content {
                match self.store.blobs().get(&entry.blob).await {
                    Ok(raw) => Some(raw),
                    Err(store::Error::MissingBlob(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            } else {
                None
            };
            let header = raw.as_deref().map(SearchHeader::new);
            let candidate = Candidate {
                seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
                count,
                max_uid,
                entry,
                raw: raw.as_deref(),
                header: header.as_ref(),
            };
            if criteria.iter().all(|key| candidate.matches(key)) {
                hits.extend(NonZeroU32::new(if uid { entry.uid } else { candidate.seq }));
                highest = highest.max(entry.modseq);
            }
        }
        // RFC 7162 3.1.5: with MODSEQ in the criteria, the highest MODSEQ of the hits.
        let modseq = if with_modseq {
            NonZeroU64::new(u64::try_from(highest).unwrap_or(0))
        } else {
            None
        };
        self.out.data(Data::Search(hits, modseq));
        Ok(done("SEARCH completed"))
    }
}

impl Candidate<'_> {
    fn matches(&self, key: &SearchKey<'_>) -> bool {
        use SearchKey as K;
        let flag = |f: &str| self.entry.has_flag(f);
        match key {
            K::All | K::Old => true,
            // \Recent is never set.
            K::New | K::Recent => false,
            K::And(keys) => keys.as_ref().iter().all(|k| self.matches(k)),
            K::Not(k) => !self.matches(k),
            K::Or(a, b) => self.matches(a) || self.matches(b),
            K::SequenceSet(set) => contains(set, self.seq, self.count),
            K::Uid(set) => contains(set, self.entry.uid, self.max_uid),
            K::Answered => flag("\\Answered"),
            K::Deleted => flag("\\Deleted"),
            K::Draft => flag("\\Draft"),
            K::Flagged => flag("\\Flagged"),
            K::Seen => flag("\\Seen"),
            K::Unanswered => !flag("\\Answered"),
            K::Undeleted => !flag("\\Deleted"),
            K::Undraft => !flag("\\Draft"),
            K::Unflagged => !flag("\\Flagged"),
            K::Unseen => !flag("\\Seen"),
            K::Keyword(k) => flag(k.as_ref()),
            K::Unkeyword(k) => !flag(k.as_ref()),
            K::Larger(n) => self.entry.size > i64::from(*n),
            K::Smaller(n) => self.entry.size < i64::from(*n),
            K::Before(d) => self.internal_date().is_some_and(|x| x < *day(d)),
            K::On(d) => self.internal_date().is_some_and(|x| x == *day(d)),
            K::Since(d) => self.internal_date().is_some_and(|x| x >= *day(d)),
            K::SentBefore(d) => self.sent().is_some_and(|x| x < *day(d)),
            K::SentOn(d) => self.sent().is_some_and(|x| x == *day(d)),
            K::SentSince(d) => self.sent().is_some_and(|x| x >= *day(d)),
            K::From(s) => self.header_has("from", s),
            K::To(s) => self.header_has("to", s),
            K::Cc(s) => self.header_has("cc", s),
            K::Bcc(s) => self.header_has("bcc", s),
            K::Subject(s) => self.header_has("subject", s),
            K::Header(name, s) => self.header_has(&String::from_utf8_lossy(name.as_ref()), s),
            K::Body(s) => self.raw.is_some_and(|raw| mime::text_contains(raw, &needle(s), false)),
            K::Text(s) => self.raw.is_some_and(|raw| mime::text_contains(raw, &needle(s), true)),
            K::ModSequence { modseq, .. } => u64::try_from(self.entry.modseq).unwrap_or(0) >= *modseq,
        }
    }

    fn internal_date(&self) -> Option<chrono::NaiveDate> {
        chrono::DateTime::from_timestamp_millis(self.entry.internal_date).map(|t| t.date_naive())
    }

    fn sent(&self) -> Option<chrono::NaiveDate> {
        self.header.and_then(|h| h.sent)
    }

    fn header_has(&self, name: &str, value: &AString<'_>) -> bool {
        self.header.is_some_and(|h| h.contains(name, &needle(value)))
    }
}

fn day(d: &NaiveDate) -> &chrono::NaiveDate {
    d.as_ref()
}

fn needle(s: &AString<'_>) -> String {
    String::from_utf8_lossy(s.as_ref()).to_lowercase()
}

/// Whether `n` is in the set, `*` standing for `max` (RFC 3501 9 seq-number).
fn contains(set: &SequenceSet, n: u32, max: u32) -> bool {
    let value = |s: &SeqOrUid| match s {
        SeqOrUid::Value(v) => v.get(),
        SeqOrUid::Asterisk => max,
    };
    set.0.as_ref().iter().any(|s| match s {
        Sequence::Single(a) => value(a) == n,
        Sequence::Range(a, b) => {
            let (a, b) = (value(a), value(b));
            a.min(b) <= n && n <= a.max(b)
        }
    })
}

fn needs_content(key: &SearchKey<'_>) -> bool {
    use SearchKey as K;
    match key {
        K::And(keys) => keys.as_ref().iter().any(needs_content),
        K::Not(k) => needs_content(k),
        K::Or(a, b) => needs_content(a) || needs_content(b),
        K::Bcc(_)
        | K::Body(_)
        | K::Cc(_)
        | K::From(_)
        | K::Header(..)
        | K::Subject(_)
        | K::Text(_)
        | K::To(_)
        | K::SentBefore(_)
        | K::SentOn(_)
        | K::SentSince(_) => true,
        _ => false,
    }
}

fn has_modseq(key: &SearchKey<'_>) -> bool {
    use SearchKey as K;
    match key {
        K::And(keys) => keys.as_ref().iter().any(has_modseq),
        K::Not(k) => has_modseq(k),
        K::Or(a, b) => has_modseq(a) || has_modseq(b),
        K::ModSequence { .. } => true,
        _ => false,
    }
}
