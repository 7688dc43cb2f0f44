//! LIST (RFC 3501 6.3.8) and LSUB (6.3.9) with the LIST-EXTENDED basics (RFC 5258: selection
//! options SUBSCRIBED, REMOTE, RECURSIVEMATCH and SPECIAL-USE, return options SUBSCRIBED,
//! CHILDREN and SPECIAL-USE, several patterns), CHILDREN attributes (RFC 3348) and the
//! special-use attributes (RFC 6154), which are always returned.

use std::collections::BTreeMap;

use imap_types::core::{Atom, QuotedChar};
use imap_types::flag::FlagNameAttribute;
use imap_types::response::Data;
use store::messages::{self, Folder};

use super::folders::{DELIMITER, wire_mailbox};
use super::{Outcome, Session, done};
use crate::Auth;
use crate::request::{ListRequest, Reply};

/// Longer patterns are refused: matching costs pattern × name length per folder.
const PATTERN_MAX: usize = 1024;

impl<A: Auth> Session<A> {
    pub(super) async fn list(&mut self, request: &ListRequest) -> Outcome {
        let has = |list: &[String], name: &str| list.iter().any(|o| o == name);
        for option in &request.select {
            if !["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"].contains(&option.as_str()) {
                return Err(Reply::bad("Unknown LIST selection option").into());
            }
        }
        // RFC 5258 3: RECURSIVEMATCH needs another selection option.
        if has(&request.select, "RECURSIVEMATCH")
            && !request.select.iter().any(|o| o != "RECURSIVEMATCH" && o != "REMOTE")
        {
            return Err(Reply::bad("RECURSIVEMATCH needs another selection option").into());
        }
        for option in &request.return_options {
            if !["SUBSCRIBED", "CHILDREN", "SPECIAL-USE"].contains(&option.as_str()) {
                return Err(Reply::bad("Unknown LIST return option").into());
            }
        }
        let verb = if request.lsub { "LSUB" } else { "LIST" };
        let patterns: Vec<Vec<u8>> = request
            .patterns
            .iter()
            .map(|p| inbox_case(&format!("{}{p}", request.reference)).into_bytes())
            .collect();
        if patterns.iter().any(|p| p.len() > PATTERN_MAX) {
            return Err(Reply::bad("Pattern too long").into());
        }
        // RFC 3501 6.3.8: an empty pattern asks for the delimiter and the root name.
        if !request.lsub && request.patterns.iter().all(String::is_empty) {
            if let Some(mailbox) = wire_mailbox(&request.reference) {
                self.out.data(Data::List {
                    items: vec![FlagNameAttribute::Noselect],
                    delimiter: QuotedChar::try_from(DELIMITER).ok(),
                    mailbox,
                });
            }
            return Ok(done(format!("{verb} completed")));
        }
        let mailbox_id = self.user()?.mailbox_id;
        let mut c = self.store.conn().await?;
        let folders = messages::folders(&mut c, mailbox_id).await?;
        drop(c);
        let subscribed_only = request.lsub || has(&request.select, "SUBSCRIBED");
        let special_only = has(&request.select, "SPECIAL-USE");
        let show_subscribed = !request.lsub && (subscribed_only || has(&request.return_options, "SUBSCRIBED"));
        let tree = hierarchy(&folders);
        for (name, folder) in &tree {
            if !patterns.iter().any(|p| matches(p, name.as_bytes())) {
                continue;
            }
            let subscribed = folder.is_some_and(|f| f.subscribed);
            if (subscribed_only && !subscribed) || (special_only && folder.is_none_or(|f| f.special_use.is_none())) {
                continue;
            }
            let mut items = Vec::new();
            if folder.is_none() {
                items.push(FlagNameAttribute::Noselect);
            }
            let prefix = format!("{name}{DELIMITER}");
            let children = tree
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(n, _)| n.starts_with(&prefix));
            items.extend(attribute(if children { "HasChildren" } else { "HasNoChildren" }));
            if let Some(special) = folder.and_then(|f| f.special_use.as_deref()) {
                items.extend(attribute(special.trim_start_matches('\\')));
            }
            if show_subscribed && subscribed {
                items.extend(attribute("Subscribed"));
            }
            let Some(mailbox) = wire_mailbox(name) else {
                continue;
            };
            let delimiter = QuotedChar::try_from(DELIMITER).ok();
            self.out.data(if request.lsub {
                Data::Lsub {
                    items,
                    delimiter,
                    mailbox,
                }
            } else {
                Data::List {
                    items,
                    delimiter,
                    mailbox,
                }
            });
        }
        Ok(done(format!("{verb} completed")))
    }
}

/// Every folder, and every superior name that has no folder of its own (listed \Noselect,
/// RFC 3501 6.3.4 and 6.3.8), in name order.
fn hierarchy(folders: &[Folder]) -> BTreeMap<String, Option<&Folder>> {
    let mut tree: BTreeMap<String, Option<&Folder>> = BTreeMap::new();
    for folder in folders {
        tree.insert(folder.name.clone(), Some(folder));
    }
    for folder in folders {
        for (i, _) in folder.name.match_indices(DELIMITER) {
            tree.entry(folder.name[..i].to_string()).or_insert(None);
        }
    }
    tree
}

fn attribute(name: &str) -> Option<FlagNameAttribute<'static>> {
    Atom::try_from(name.to_string()).ok().map(FlagNameAttribute::from)
}

/// RFC 3501 5.1: INBOX is case-insensitive, so is a pattern's leading INBOX.
fn inbox_case(pattern: &str) -> String {
    match pattern.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("INBOX") => {
            let rest = &pattern[5..];
            if rest.is_empty() || rest.starts_with(DELIMITER) {
                return format!("INBOX{rest}");
            }
            pattern.to_string()
        }
        _ => pattern.to_string(),
    }
}

/// RFC 3501 6.3.8 wildcards: `*` matches anything, `%` anything but the delimiter. Dynamic
/// programming, so no pattern makes it slow.
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    // reachable[j]: the pattern read so far can match name[..j].
    let mut reachable = vec![false; name.len() + 1];
    reachable[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        match p {
            b'*' | b'%' => {
                for j in 0..=name.len() {
                    next[j] = reachable[j] || (j > 0 && next[j - 1] && (p == b'*' || name[j - 1] != b'/'));
                }
            }
            _ => {
                for j in 1..=name.len() {
                    next[j] = reachable[j - 1] && name[j - 1] == p;
                }
            }
        }
        reachable = next;
    }
    reachable[name.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches(b"*", b"a/b"));
        assert!(!matches(b"%", b"a/b"));
        assert!(matches(b"a/%", b"a/b"));
        assert!(matches(b"INBOX", b"INBOX"));
        assert!(matches(b"S%t", b"Sent"));
        assert!(!matches(b"Sen", b"Sent"));
        assert_eq!(inbox_case("inbox/x"), "INBOX/x");
        assert_eq!(inbox_case("inboxes"), "inboxes");
    }
}
