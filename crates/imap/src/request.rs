//! Commands as the session executes them, checked without I/O: arguments converted and
//! validated ([`Request::parse`]), then allowed or refused in the connection's state
//! ([`Request::admit`], RFC 3501 3 and 6).

use imap_types::command::{CommandBody, FetchModifier, SelectParameter, StoreModifier};
use imap_types::core::{AString, Charset};
use imap_types::extensions::binary::LiteralOrLiteral8;
use imap_types::extensions::enable::CapabilityEnable;
use imap_types::fetch::{MacroOrMessageDataItemNames, MessageDataItemName};
use imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_types::mailbox::{ListMailbox, Mailbox};
use imap_types::response::{Code, StatusKind};
use imap_types::search::SearchKey;
use imap_types::sequence::SequenceSet;
use imap_types::status::StatusDataItemName;
use store::changes::FlagOp;

use crate::wire::{ListCommand, code};

/// Keywords longer than this are refused (RFC 3501 sets no limit; a flag list is stored per
/// message, so keep it small).
pub const KEYWORD_MAX: usize = 64;

#[derive(Debug, Clone)]
pub enum Request {
    Capability,
    Noop,
    Logout,
    StartTls,
    Id,
    Namespace,
    Check,
    Unselect,
    Close,
    Idle,
    Login {
        user: String,
        password: String,
    },
    Authenticate {
        mechanism: Mechanism,
        initial: Option<Vec<u8>>,
    },
    Select {
        folder: String,
        read_only: bool,
        condstore: bool,
    },
    Create {
        folder: String,
    },
    Delete {
        folder: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Subscribe {
        folder: String,
        subscribe: bool,
    },
    List(ListRequest),
    Status {
        folder: String,
        items: Vec<StatusDataItemName>,
    },
    Append {
        folder: String,
        flags: Vec<String>,
        date: Option<i64>,
        message: Vec<u8>,
    },
    Expunge {
        uids: Option<SequenceSet>,
    },
    Search {
        uid: bool,
        criteria: Vec<SearchKey<'static>>,
    },
    Fetch(Fetch),
    Store(Store),
    Copy {
        uid: bool,
        set: SequenceSet,
        folder: String,
        remove: bool,
    },
    Enable {
        names: Vec<String>,
    },
    GetQuota {
        root: String,
    },
    GetQuotaRoot {
        folder: String,
    },
    SetQuota,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
}

/// LIST (RFC 3501 6.3.8, RFC 5258) or LSUB (RFC 3501 6.3.9).
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub lsub: bool,
    pub select: Vec<String>,
    pub reference: String,
    pub patterns: Vec<String>,
    pub return_options: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Fetch {
    pub uid: bool,
    pub set: SequenceSet,
    pub items: Vec<MessageDataItemName<'static>>,
    /// RFC 7162 3.1.4.1.
    pub changed_since: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Store {
    pub uid: bool,
    pub set: SequenceSet,
    pub op: FlagOp,
    pub silent: bool,
    pub flags: Vec<String>,
    /// RFC 7162 3.1.3.
    pub unchanged_since: Option<u64>,
}

/// Where a connection stands (RFC 3501 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotAuthenticated,
    Authenticated,
    Selected,
}

/// A refusal: the status and text of the tagged response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub kind: StatusKind,
    pub code: Option<Code<'static>>,
    pub text: String,
}

impl Reply {
    pub fn bad(text: impl Into<String>) -> Reply {
        Reply {
            kind: StatusKind::Bad,
            code: None,
            text: text.into(),
        }
    }

    pub fn no(code: Option<Code<'static>>, text: impl Into<String>) -> Reply {
        Reply {
            kind: StatusKind::No,
            code,
            text: text.into(),
        }
    }
}

impl Request {
    pub fn parse(body: CommandBody<'static>) -> Result<Request, Reply> {
        Ok(match body {
            CommandBody::Capability => Request::Capability,
            CommandBody::Noop => Request::Noop,
            CommandBody::Logout => Request::Logout,
            CommandBody::StartTLS => Request::StartTls,
            CommandBody::Id { parameters } => {
                tracing::debug!(?parameters, "client ID");
                Request::Id
            }
            CommandBody::Namespace => Request::Namespace,
            CommandBody::Check => Request::Check,
            CommandBody::Unselect => Request::Unselect,
            CommandBody::Close => Request::Close,
            CommandBody::Idle => Request::Idle,
            CommandBody::Login { username, password } => Request::Login {
                user: utf8(username.as_ref(), "user name")?,
                password: utf8(password.declassify().as_ref(), "password")?,
            },
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                let mechanism = match mechanism {
                    imap_types::auth::AuthMechanism::Plain => Mechanism::Plain,
                    imap_types::auth::AuthMechanism::Login => Mechanism::Login,
                    _ => {
                        return Err(Reply::no(
                            None,
                            "Unsupported authentication mechanism: use PLAIN or LOGIN",
                        ));
                    }
                };
                Request::Authenticate {
                    mechanism,
                    initial: initial_response.map(|r| r.declassify().to_vec()),
                }
            }
            CommandBody::Select { mailbox, parameters } => select(mailbox, parameters, false)?,
            CommandBody::Examine { mailbox, parameters } => select(mailbox, parameters, true)?,
            CommandBody::Create { mailbox } => Request::Create {
                folder: folder(&mailbox)?,
            },
            CommandBody::Delete { mailbox } => Request::Delete {
                folder: folder(&mailbox)?,
            },
            CommandBody::Rename { from, to } => Request::Rename {
                from: folder(&from)?,
                to: folder(&to)?,
            },
            CommandBody::Subscribe { mailbox } => Request::Subscribe {
                folder: folder(&mailbox)?,
                subscribe: true,
            },
            CommandBody::Unsubscribe { mailbox } => Request::Subscribe {
                folder: folder(&mailbox)?,
                subscribe: false,
            },
            CommandBody::List {
                reference,
                mailbox_wildcard,
            } => Request::List(ListRequest {
                reference: folder(&reference)?,
                patterns: vec![pattern(&mailbox_wildcard)?],
                ..ListRequest::default()
            }),
            CommandBody::Lsub {
                reference,
                mailbox_wildcard,
            } => Request::List(ListRequest {
                lsub: true,
                reference: folder(&reference)?,
                patterns: vec![pattern(&mailbox_wildcard)?],
                ..ListRequest::default()
            }),
            CommandBody::Status { mailbox, item_names } => Request::Status {
                folder: folder(&mailbox)?,
                items: item_names.to_vec(),
            },
            CommandBody::Append {
                mailbox,
                flags,
                date,
                message,
            } => Request::Append {
                folder: folder(&mailbox)?,
                flags: flags.iter().map(flag).collect::<Result<_, _>>()?,
                date: date.map(|d| d.as_ref().timestamp_millis()),
                message: match message {
                    LiteralOrLiteral8::Literal(l) => l.into_inner().into_owned(),
                    LiteralOrLiteral8::Literal8(l) => l.data.into_owned(),
                },
            },
            CommandBody::Expunge => Request::Expunge { uids: None },
            CommandBody::ExpungeUid { sequence_set } => Request::Expunge {
                uids: Some(sequence_set),
            },
            CommandBody::Search { charset, criteria, uid } => {
                check_charset(charset.as_ref())?;
                Request::Search {
                    uid,
                    criteria: criteria.into_iter().collect(),
                }
            }
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                modifiers,
            } => Request::Fetch(fetch(sequence_set, macro_or_item_names, uid, modifiers)?),
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                modifiers,
            } => Request::Store(Store {
                uid,
                set: sequence_set,
                op: match kind {
                    StoreType::Replace => FlagOp::Replace,
                    StoreType::Add => FlagOp::Add,
                    StoreType::Remove => FlagOp::Remove,
                },
                silent: response == StoreResponse::Silent,
                flags: flags.iter().map(flag).collect::<Result<_, _>>()?,
                unchanged_since: modifiers
                    .iter()
                    .map(|m| match m {
                        StoreModifier::UnchangedSince(n) => *n,
                    })
                    .next(),
            }),
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            } => Request::Copy {
                uid,
                set: sequence_set,
                folder: folder(&mailbox)?,
                remove: false,
            },
            CommandBody::Move {
                sequence_set,
                mailbox,
                uid,
            } => Request::Copy {
                uid,
                set: sequence_set,
                folder: folder(&mailbox)?,
                remove: true,
            },
            CommandBody::Enable { capabilities } => Request::Enable {
                names: capabilities
                    .as_ref()
                    .iter()
                    .map(|c| match c {
                        CapabilityEnable::CondStore => "CONDSTORE".to_string(),
                        other => other.to_string().to_ascii_uppercase(),
                    })
                    .collect(),
            },
            CommandBody::GetQuota { root } => Request::GetQuota {
                root: utf8(root.as_ref(), "quota root")?,
            },
            CommandBody::GetQuotaRoot { mailbox } => Request::GetQuotaRoot {
                folder: folder(&mailbox)?,
            },
            CommandBody::SetQuota { .. } => Request::SetQuota,
            other => return Err(Reply::bad(format!("{} is not supported", other.name()))),
        })
    }

    /// LIST as our parser read it (imap-codec has no LIST-EXTENDED yet).
    pub fn from_list(list: &ListCommand) -> Result<Request, Reply> {
        let text = |bytes: &[u8], what: &str| utf8(bytes, what);
        Ok(Request::List(ListRequest {
            lsub: false,
            select: list.select.clone(),
            reference: text(&list.reference, "reference")?,
            patterns: list
                .patterns
                .iter()
                .map(|p| text(p, "pattern"))
                .collect::<Result<_, _>>()?,
            return_options: list.return_options.clone(),
        }))
    }

    /// Whether the request may run now: state (RFC 3501 3), and LOGIN/AUTHENTICATE only under
    /// TLS (RFC 3501 6.2.3 LOGINDISABLED; RFC 8314 4.1).
    pub fn admit(&self, phase: Phase, tls: bool) -> Result<(), Reply> {
        use Request as R;
        match self {
            R::Capability | R::Noop | R::Logout | R::Id => Ok(()),
            R::StartTls if tls => Err(Reply::bad("TLS is already active")),
            R::StartTls if phase != Phase::NotAuthenticated => Err(Reply::bad("Already authenticated")),
            R::StartTls => Ok(()),
            R::Login { .. } | R::Authenticate { .. } if phase != Phase::NotAuthenticated => {
                Err(Reply::bad("Already authenticated"))
            }
            R::Login { .. } | R::Authenticate { .. } if !tls => Err(Reply::no(
                Some(code("PRIVACYREQUIRED")),
                "Logins are only accepted under TLS: use STARTTLS first",
            )),
            R::Login { .. } | R::Authenticate { .. } => Ok(()),
            _ if phase == Phase::NotAuthenticated => Err(Reply::bad("Log in first")),
            R::Check
            | R::Unselect
            | R::Close
            | R::Expunge { .. }
            | R::Search { .. }
            | R::Fetch(_)
            | R::Store(_)
            | R::Copy { .. }
                if phase != Phase::Selected =>
            {
                Err(Reply::bad("No mailbox selected"))
            }
            _ => Ok(()),
        }
    }

    /// Whether untagged EXPUNGE may be sent while answering (RFC 3501 7.4.1: not during FETCH,
    /// STORE or SEARCH, whose answers use sequence numbers; their UID forms may).
    pub fn allows_expunge(&self) -> bool {
        match self {
            Request::Fetch(f) => f.uid,
            Request::Store(s) => s.uid,
            Request::Search { uid, .. } => *uid,
            _ => true,
        }
    }
}

fn select(mailbox: Mailbox<'_>, parameters: Vec<SelectParameter>, read_only: bool) -> Result<Request, Reply> {
    let mut condstore = false;
    for p in parameters {
        match p {
            SelectParameter::CondStore => condstore = true,
            SelectParameter::QResync { .. } => return Err(Reply::bad("QRESYNC is not supported")),
        }
    }
    Ok(Request::Select {
        folder: folder(&mailbox)?,
        read_only,
        condstore,
    })
}

fn fetch(
    set: SequenceSet,
    names: MacroOrMessageDataItemNames<'static>,
    uid: bool,
    modifiers: Vec<FetchModifier>,
) -> Result<Fetch, Reply> {
    let items = match names {
        MacroOrMessageDataItemNames::Macro(m) => m.expand().into_iter().map(|i| i.into_static_name()).collect(),
        MacroOrMessageDataItemNames::MessageDataItemNames(items) => items,
    };
    if items.iter().any(|i| {
        matches!(
            i,
            MessageDataItemName::Binary { .. } | MessageDataItemName::BinarySize { .. }
        )
    }) {
        return Err(Reply::bad("BINARY is not supported"));
    }
    let mut changed_since = None;
    for m in modifiers {
        match m {
            FetchModifier::ChangedSince(n) => changed_since = Some(n.get()),
            FetchModifier::Vanished => return Err(Reply::bad("VANISHED needs QRESYNC, which is not supported")),
        }
    }
    Ok(Fetch {
        uid,
        set,
        items,
        changed_since,
    })
}

trait IntoStaticName {
    fn into_static_name(self) -> MessageDataItemName<'static>;
}

impl IntoStaticName for MessageDataItemName<'_> {
    fn into_static_name(self) -> MessageDataItemName<'static> {
        imap_types::IntoStatic::into_static(self)
    }
}

/// RFC 3501 6.4.4: the server must support US-ASCII; UTF-8 is what everyone sends.
fn check_charset(charset: Option<&Charset<'_>>) -> Result<(), Reply> {
    let Some(charset) = charset else {
        return Ok(());
    };
    let name = match charset {
        Charset::Atom(a) => a.as_ref().to_string(),
        Charset::Quoted(q) => q.as_ref().to_string(),
    };
    if name.eq_ignore_ascii_case("UTF-8") || name.eq_ignore_ascii_case("US-ASCII") {
        return Ok(());
    }
    let allowed = ["UTF-8", "US-ASCII"]
        .into_iter()
        .filter_map(|c| imap_types::core::Atom::try_from(c).ok().map(Charset::from))
        .collect();
    Err(Reply::no(Some(Code::BadCharset { allowed }), "Unsupported charset"))
}

/// A stored flag name: system flags in their canonical case, keywords as sent (RFC 3501 2.3.2).
fn flag(flag: &Flag<'_>) -> Result<String, Reply> {
    Ok(match flag {
        Flag::Answered => "\\Answered".into(),
        Flag::Deleted => "\\Deleted".into(),
        Flag::Draft => "\\Draft".into(),
        Flag::Flagged => "\\Flagged".into(),
        Flag::Seen => "\\Seen".into(),
        Flag::Keyword(k) if k.as_ref().len() <= KEYWORD_MAX => k.as_ref().to_string(),
        Flag::Keyword(_) => return Err(Reply::bad(format!("Keywords are at most {KEYWORD_MAX} characters"))),
        // RFC 3501 2.3.2: \Recent cannot be set, and no other system flag exists.
        Flag::Extension(_) => return Err(Reply::bad("Unknown system flag")),
    })
}

/// A mailbox name as text. Names are kept as sent (modified UTF-7 for non-ASCII, RFC 3501
/// 5.1.3); raw 8-bit names are accepted when they are UTF-8.
fn folder(mailbox: &Mailbox<'_>) -> Result<String, Reply> {
    match mailbox {
        Mailbox::Inbox => Ok("INBOX".into()),
        Mailbox::Other(other) => utf8(other.as_ref(), "mailbox name"),
    }
}

fn pattern(list: &ListMailbox<'_>) -> Result<String, Reply> {
    match list {
        ListMailbox::Token(t) => utf8(t.as_ref(), "pattern"),
        ListMailbox::String(s) => utf8(AString::String(s.clone()).as_ref(), "pattern"),
    }
}

fn utf8(bytes: &[u8], what: &str) -> Result<String, Reply> {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => Ok(s.to_string()),
        Ok(_) => Err(Reply::bad(format!("The {what} contains control characters"))),
        Err(_) => Err(Reply::bad(format!("The {what} is not valid UTF-8"))),
    }
}
