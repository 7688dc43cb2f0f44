//! SELECT / EXAMINE (RFC 3501 6.3.1-2, RFC 7162 3.1.2), CREATE / DELETE / RENAME (6.3.3-5),
//! SUBSCRIBE / UNSUBSCRIBE (6.3.6-7), STATUS (6.3.10) and GETQUOTA / GETQUOTAROOT (RFC 9208).
//! Folder names are hierarchical with "/" (RFC 3501 5.1.1); the store keeps them flat.

use std::num::{NonZeroU32, NonZeroU64};

use imap_types::core::{AString, Vec1};
use imap_types::extensions::quota::{QuotaGet, Resource};
use imap_types::flag::{Flag, FlagPerm};
use imap_types::mailbox::Mailbox;
use imap_types::response::{Code, Data, StatusKind};
use imap_types::status::{StatusDataItem, StatusDataItemName};
use store::messages::{self, Folder};
use store::{changes, mailboxes};

use super::flags::wire_flag;
use super::{Failure, Outcome, Session, done, done_with};
use crate::Auth;
use crate::request::Reply;
use crate::view::View;
use crate::wire::code;

/// The delimiter of folder names (RFC 3501 5.1.1); NAMESPACE and LIST announce it.
pub const DELIMITER: char = '/';
/// RFC 9208 5: the one quota root, named "".
const QUOTA_ROOT: &str = "";

impl<A: Auth> Session<A> {
    pub(super) async fn select(&mut self, name: &str, examine: bool, condstore: bool) -> Outcome {
        // RFC 3501 6.3.1: a SELECT that fails leaves no mailbox selected.
        self.selected = None;
        if condstore {
            self.condstore = true;
        }
        let user = self.user()?.clone();
        let mut c = self.store.conn().await?;
        let folder = self.existing(&mut c, name).await?;
        let list = messages::list(&mut c, folder.id).await?;
        let read_only = examine || user.read_only.is_some();
        let view = View::new(&folder, &list, read_only);
        let mut flags: Vec<Flag<'static>> = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]
            .into_iter()
            .chain(view.keywords().iter().map(String::as_str))
            .filter_map(wire_flag)
            .collect();
        flags.dedup();
        self.out.data(Data::Flags(flags.clone()));
        self.out.data(Data::Exists(view.exists()));
        // \Recent is never set (see the crate documentation).
        self.out.data(Data::Recent(0));
        if let Some(first) = view.messages.iter().position(|e| !e.has_flag("\\Seen"))
            && let Some(n) = NonZeroU32::new(u32::try_from(first + 1).unwrap_or(u32::MAX))
        {
            self.out
                .untagged(StatusKind::Ok, Some(Code::Unseen(n)), "First unseen message");
        }
        // RFC 3501 7.1: keywords can be created (\*), unless nothing can be changed.
        let permanent: Vec<FlagPerm<'static>> = if read_only {
            Vec::new()
        } else {
            flags
                .into_iter()
                .map(FlagPerm::Flag)
                .chain([FlagPerm::Asterisk])
                .collect()
        };
        self.out
            .untagged(StatusKind::Ok, Some(Code::PermanentFlags(permanent)), "Flags permitted");
        if let Some(n) = NonZeroU32::new(view.uidvalidity) {
            self.out
                .untagged(StatusKind::Ok, Some(Code::UidValidity(n)), "UIDs valid");
        }
        if let Some(n) = NonZeroU32::new(u32::try_from(folder.uidnext).unwrap_or(u32::MAX)) {
            self.out
                .untagged(StatusKind::Ok, Some(Code::UidNext(n)), "Predicted next UID");
        }
        // RFC 7162 3.1.2.1: sent on every SELECT/EXAMINE by a CONDSTORE server.
        if let Some(n) = NonZeroU64::new(u64::try_from(folder.highestmodseq).unwrap_or(1)) {
            self.out
                .untagged(StatusKind::Ok, Some(Code::HighestModSeq(n)), "Highest");
        }
        self.selected = Some(view);
        Ok(if read_only {
            done_with(
                Code::ReadOnly,
                if examine {
                    "EXAMINE completed"
                } else {
                    "SELECT completed, read-only"
                },
            )
        } else {
            done_with(Code::ReadWrite, "SELECT completed")
        })
    }

    /// CREATE; the superior names are created too (RFC 3501 6.3.3 SHOULD).
    pub(super) async fn create(&mut self, name: &str) -> Outcome {
        self.writable()?;
        let name = folder_name(name)?;
        let mailbox_id = self.user()?.mailbox_id;
        let now = self.config.clock.now_ms();
        let mut tx = self.store.begin().await?;
        if messages::folder(&mut tx, mailbox_id, &name).await?.is_some() {
            return Err(Reply::no(Some(code("ALREADYEXISTS")), "Mailbox already exists").into());
        }
        for parent in ancestors(&name) {
            if messages::folder(&mut tx, mailbox_id, parent).await?.is_none() {
                changes::create_folder(&mut tx, mailbox_id, parent, now)
                    .await
                    .map_err(refusal)?;
            }
        }
        changes::create_folder(&mut tx, mailbox_id, &name, now)
            .await
            .map_err(refusal)?;
        tx.commit().await.map_err(store::Error::from)?;
        Ok(done("CREATE completed"))
    }

    pub(super) async fn delete(&mut self, name: &str) -> Outcome {
        self.writable()?;
        let name = folder_name(name)?;
        let mailbox_id = self.user()?.mailbox_id;
        let mut tx = self.store.begin().await?;
        let folder = self.existing(&mut tx, &name).await?;
        // The client and the provider rely on these names (RFC 6154); they stay.
        if name.eq_ignore_ascii_case("INBOX") || folder.special_use.is_some() {
            return Err(Reply::no(Some(code("CANNOT")), format!("{name} cannot be deleted")).into());
        }
        changes::delete_folder(&mut tx, mailbox_id, &folder.name, self.config.clock.now_ms())
            .await
            .map_err(refusal)?;
        tx.commit().await.map_err(store::Error::from)?;
        Ok(done("DELETE completed"))
    }

    /// RENAME, with the inferior names (RFC 3501 6.3.5).
    pub(super) async fn rename(&mut self, from: &str, to: &str) -> Outcome {
        self.writable()?;
        let (from, to) = (folder_name(from)?, folder_name(to)?);
        if from.eq_ignore_ascii_case("INBOX") {
            return Err(Reply::no(Some(code("CANNOT")), "INBOX cannot be renamed").into());
        }
        let mailbox_id = self.user()?.mailbox_id;
        let now = self.config.clock.now_ms();
        let mut tx = self.store.begin().await?;
        let folder = self.existing(&mut tx, &from).await?;
        if messages::folder(&mut tx, mailbox_id, &to).await?.is_some() {
            return Err(Reply::no(Some(code("ALREADYEXISTS")), "The new name already exists").into());
        }
        let prefix = format!("{}{DELIMITER}", folder.name);
        let inferiors: Vec<String> = messages::folders(&mut tx, mailbox_id)
            .await?
            .into_iter()
            .filter(|f| f.name.starts_with(&prefix))
            .map(|f| f.name)
            .collect();
        for parent in ancestors(&to) {
            if messages::folder(&mut tx, mailbox_id, parent).await?.is_none() {
                changes::create_folder(&mut tx, mailbox_id, parent, now)
                    .await
                    .map_err(refusal)?;
            }
        }
        changes::rename_folder(&mut tx, mailbox_id, &folder.name, &to, now)
            .await
            .map_err(refusal)?;
        for old in inferiors {
            let new = format!("{to}{DELIMITER}{}", &old[prefix.len()..]);
            changes::rename_folder(&mut tx, mailbox_id, &old, &new, now)
                .await
                .map_err(refusal)?;
        }
        tx.commit().await.map_err(store::Error::from)?;
        Ok(done("RENAME completed"))
    }

    pub(super) async fn subscribe(&mut self, name: &str, subscribe: bool) -> Outcome {
        let name = folder_name(name)?;
        let mut tx = self.store.begin().await?;
        let folder = self.existing(&mut tx, &name).await?;
        changes::subscribe(&mut tx, folder.id, subscribe).await?;
        tx.commit().await.map_err(store::Error::from)?;
        Ok(done(if subscribe {
            "SUBSCRIBE completed"
        } else {
            "UNSUBSCRIBE completed"
        }))
    }

    pub(super) async fn status(&mut self, name: &str, items: &[StatusDataItemName]) -> Outcome {
        let name = folder_name(name)?;
        let mut c = self.store.conn().await?;
        let folder = self.existing(&mut c, &name).await?;
        let list = messages::list(&mut c, folder.id).await?;
        let count = |f: &dyn Fn(&messages::StoredMessage) -> bool| {
            u32::try_from(list.iter().filter(|m| f(m)).count()).unwrap_or(u32::MAX)
        };
        let has = |m: &messages::StoredMessage, flag: &str| m.flags.iter().any(|f| f.eq_ignore_ascii_case(flag));
        let mut values = Vec::new();
        for item in items {
            values.push(match item {
                StatusDataItemName::Messages => StatusDataItem::Messages(count(&|_| true)),
                StatusDataItemName::Recent => StatusDataItem::Recent(0),
                StatusDataItemName::UidNext => StatusDataItem::UidNext(nonzero(folder.uidnext)),
                StatusDataItemName::UidValidity => StatusDataItem::UidValidity(nonzero(folder.uidvalidity)),
                StatusDataItemName::Unseen => StatusDataItem::Unseen(count(&|m| !has(m, "\\Seen"))),
                StatusDataItemName::Deleted => StatusDataItem::Deleted(count(&|m| has(m, "\\Deleted"))),
                StatusDataItemName::DeletedStorage => StatusDataItem::DeletedStorage(
                    list.iter()
                        .filter(|m| has(m, "\\Deleted"))
                        .map(|m| u64::try_from(m.size).unwrap_or(0))
                        .sum(),
                ),
                StatusDataItemName::HighestModSeq => {
                    self.condstore = true;
                    StatusDataItem::HighestModSeq(u64::try_from(folder.highestmodseq).unwrap_or(0))
                }
            });
        }
        if let Some(mailbox) = wire_mailbox(&folder.name) {
            self.out.data(Data::Status {
                mailbox,
                items: values.into(),
            });
        }
        Ok(done("STATUS completed"))
    }

    pub(super) async fn get_quota(&mut self, root: &str) -> Outcome {
        if root != QUOTA_ROOT {
            return Err(Reply::no(Some(code("NONEXISTENT")), "No such quota root").into());
        }
        self.quota().await?;
        Ok(done("GETQUOTA completed"))
    }

    pub(super) async fn get_quota_root(&mut self, name: &str) -> Outcome {
        let name = folder_name(name)?;
        let mut c = self.store.conn().await?;
        let folder = self.existing(&mut c, &name).await?;
        drop(c);
        if let (Some(mailbox), Ok(root)) = (wire_mailbox(&folder.name), AString::try_from(QUOTA_ROOT)) {
            self.out.data(Data::QuotaRoot {
                mailbox,
                roots: vec![root],
            });
        }
        self.quota().await?;
        Ok(done("GETQUOTAROOT completed"))
    }

    /// `* QUOTA "" (STORAGE used limit)`, in KiB (RFC 9208 5.1).
    async fn quota(&mut self) -> Result<(), Failure> {
        let mailbox_id = self.user()?.mailbox_id;
        let mut c = self.store.conn().await?;
        let mailbox = mailboxes::by_id(&mut c, mailbox_id).await?;
        let kib = |bytes: i64| u64::try_from(bytes).unwrap_or(0) / 1024;
        let usage = QuotaGet::new(Resource::Storage, kib(mailbox.used_bytes), kib(mailbox.quota_bytes));
        if let Ok(root) = AString::try_from(QUOTA_ROOT) {
            self.out.data(Data::Quota {
                root,
                quotas: Vec1::from(usage),
            });
        }
        Ok(())
    }

    /// The folder called `name`, or `NO [NONEXISTENT]` (with `[TRYCREATE]` where RFC 3501
    /// wants it, see [`Session::target`]).
    pub(super) async fn existing(&self, c: &mut store::Conn, name: &str) -> Result<Folder, Failure> {
        let mailbox_id = self.user()?.mailbox_id;
        messages::folder(c, mailbox_id, name)
            .await?
            .ok_or_else(|| Reply::no(Some(code("NONEXISTENT")), "No such mailbox").into())
    }

    /// The destination of APPEND, COPY or MOVE: `NO [TRYCREATE]` when it does not exist (RFC
    /// 3501 6.3.11, 6.4.7).
    pub(super) async fn target(&self, c: &mut store::Conn, name: &str) -> Result<Folder, Failure> {
        let name = folder_name(name)?;
        let mailbox_id = self.user()?.mailbox_id;
        messages::folder(c, mailbox_id, &name)
            .await?
            .ok_or_else(|| Reply::no(Some(Code::TryCreate), "No such mailbox").into())
    }
}

/// A folder name as the client sent it, checked: one trailing delimiter is dropped (RFC 3501
/// 6.3.3), INBOX is case-insensitive (5.1), wildcards and empty levels are refused.
pub(super) fn folder_name(name: &str) -> Result<String, Reply> {
    let name = name.strip_suffix(DELIMITER).unwrap_or(name);
    if name.eq_ignore_ascii_case("INBOX") {
        return Ok("INBOX".into());
    }
    let levels_ok = name.split(DELIMITER).all(|level| !level.is_empty());
    if !levels_ok || name.contains(['*', '%']) || name.chars().any(char::is_control) || name.len() > 200 {
        return Err(Reply::no(Some(code("CANNOT")), "Invalid mailbox name"));
    }
    Ok(name.to_string())
}

/// "a/b/c" → "a", "a/b".
fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices(DELIMITER).map(move |(i, _)| &name[..i])
}

/// A store refusal as the client sees it (RFC 5530 codes).
fn refusal(e: store::Error) -> Failure {
    match e {
        store::Error::Conflict(text) => Reply::no(Some(code("ALREADYEXISTS")), text).into(),
        store::Error::Invalid(text) => Reply::no(Some(code("CANNOT")), text).into(),
        store::Error::NotFound { .. } => Reply::no(Some(code("NONEXISTENT")), "No such mailbox").into(),
        other => Failure::Store(other),
    }
}

pub(super) fn wire_mailbox(name: &str) -> Option<Mailbox<'static>> {
    Mailbox::try_from(name.to_string()).ok()
}

fn nonzero(n: i64) -> NonZeroU32 {
    NonZeroU32::new(u32::try_from(n).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN)
}
