//! The wire, without I/O: bytes in, commands out ([`Receiver`]); responses in, bytes out
//! ([`Out`]).
//!
//! imap-codec's `Fragmentizer` splits the input into lines and literals (RFC 3501 4.3) before
//! anything is parsed, so a malformed command is skipped whole and literal data is never read
//! as a command. The receiver decides on literals as they are announced: a synchronizing one
//! within the limit gets `+` (RFC 3501 7.5), a larger one a tagged `NO [TOOBIG]` without
//! continuation; a non-synchronizing one (RFC 7888 LITERAL+) that is too large is read and
//! dropped, then refused with `BAD [TOOBIG]` (before login the connection is closed instead).

pub mod list;
mod out;

use imap_codec::fragmentizer::{FragmentInfo, Fragmentizer, LiteralAnnouncement};
use imap_codec::{AuthenticateDataCodec, CommandCodec, IdleDoneCodec};
use imap_types::IntoStatic;
use imap_types::auth::AuthenticateData;
use imap_types::command::Command;
use imap_types::core::{LiteralMode, Tag};
use imap_types::response::{Code, StatusKind};

pub use list::ListCommand;
pub use out::{Out, code, text};

/// Before login a whole command (line and literals) may be this long; a LOGIN with literal
/// user and password needs far less. Anything longer closes the connection.
pub const PRE_AUTH_MESSAGE_MAX: usize = 64 * 1024;
/// Before login a literal may be this long.
pub const PRE_AUTH_LITERAL_MAX: u32 = 16 * 1024;
/// What a command may hold besides its literals.
pub const LINE_ALLOWANCE: u32 = 64 * 1024;

/// What the session waits for: a command, a line of an AUTHENTICATE exchange (RFC 3501
/// 6.2.2), or the DONE that ends IDLE (RFC 2177).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Command,
    AuthenticateData,
    IdleDone,
}

/// What the receiver made of the input.
#[derive(Debug)]
pub enum Event {
    Command(Box<Command<'static>>),
    /// LIST, read by our own parser (see [`list`]).
    List(Box<ListCommand>),
    AuthenticateData(AuthenticateData<'static>),
    IdleDone,
    /// A synchronizing literal was accepted: send a continuation request.
    Continue,
    /// A message that is not a valid one in this state: answer and go on.
    Refused(Refusal),
    /// Answer `* BYE` with this text and close.
    Close(&'static str),
}

/// A status response for a message the receiver could not accept.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub tag: Option<Tag<'static>>,
    pub kind: StatusKind,
    pub code: Option<Code<'static>>,
    pub text: String,
}

impl Refusal {
    pub fn bad(tag: Option<Tag<'static>>, text: impl Into<String>) -> Refusal {
        Refusal {
            tag,
            kind: StatusKind::Bad,
            code: None,
            text: text.into(),
        }
    }
}

/// The command decoder of one connection.
#[derive(Debug)]
pub struct Receiver {
    fragmentizer: Fragmentizer,
    expect: Expect,
    literal_limit: u32,
    pre_auth: bool,
    /// The fragmentizer's limit: the largest literal after login plus [`LINE_ALLOWANCE`].
    max_message: u32,
    /// The message being read carries a non-synchronizing literal over the limit.
    too_big: bool,
}

/// Commands imap-codec knows; a line with another verb is an unknown command.
const VERBS: [&str; 37] = [
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "AUTHENTICATE",
    "LOGIN",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "STATUS",
    "APPEND",
    "CHECK",
    "CLOSE",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "UID",
    "IDLE",
    "ENABLE",
    "UNSELECT",
    "MOVE",
    "ID",
    "NAMESPACE",
    "GETQUOTA",
    "GETQUOTAROOT",
    "SETQUOTA",
    "COMPRESS",
    "SORT",
    "THREAD",
];

impl Receiver {
    /// A receiver for a connection before login; `max_literal` is the limit after login.
    pub fn new(max_literal: usize) -> Receiver {
        let max_literal = u32::try_from(max_literal).unwrap_or(u32::MAX - LINE_ALLOWANCE);
        let max_message = max_literal.saturating_add(LINE_ALLOWANCE);
        Receiver {
            fragmentizer: Fragmentizer::new(max_message),
            max_message,
            expect: Expect::Command,
            literal_limit: PRE_AUTH_LITERAL_MAX.min(max_literal),
            pre_auth: true,
            too_big: false,
        }
    }

    /// After login: literals up to `max_literal`, commands up to that plus [`LINE_ALLOWANCE`].
    pub fn logged_in(&mut self, max_literal: usize) {
        self.pre_auth = false;
        self.literal_limit = u32::try_from(max_literal).unwrap_or(u32::MAX - LINE_ALLOWANCE);
    }

    pub fn expect(&mut self, expect: Expect) {
        self.expect = expect;
    }

    pub fn expecting(&self) -> Expect {
        self.expect
    }

    /// Adds received bytes; call [`Receiver::event`] until it returns `None` before adding more,
    /// so that at most one read's worth of bytes waits unparsed.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.fragmentizer.enqueue_bytes(bytes);
    }

    /// Drops whatever was received and not yet parsed (RFC 3207-style STARTTLS injection: what
    /// came in clear after STARTTLS must not count as sent under TLS).
    pub fn reset(&mut self) {
        // The fragmentizer cannot drop queued bytes; a new one has none.
        self.fragmentizer = Fragmentizer::new(self.max_message);
        self.too_big = false;
    }

    /// The next event, or `None` when more bytes are needed.
    pub fn event(&mut self) -> Option<Event> {
        loop {
            let fragment = self.fragmentizer.progress();
            if self.pre_auth && self.fragmentizer.message_bytes().len() > PRE_AUTH_MESSAGE_MAX {
                return Some(Event::Close("Command too long before login"));
            }
            let fragment = fragment?;
            if let FragmentInfo::Line {
                announcement: Some(LiteralAnnouncement { mode, length }),
                ..
            } = fragment
            {
                if let Some(event) = self.announced(mode, length) {
                    return Some(event);
                }
                continue;
            }
            if self.fragmentizer.is_message_complete() {
                return Some(self.decode());
            }
        }
    }

    /// A line that ends with a literal announcement `{n}` or `{n+}`.
    fn announced(&mut self, mode: LiteralMode, length: u32) -> Option<Event> {
        if self.expect != Expect::Command {
            // AUTHENTICATE data and DONE never carry literals (no "+" is sent, so none follows).
            self.fragmentizer.skip_message();
            return Some(Event::Refused(Refusal::bad(None, "Unexpected literal")));
        }
        if length > self.literal_limit {
            return match mode {
                LiteralMode::Sync => {
                    let tag = self.fragmentizer.decode_tag().map(IntoStatic::into_static);
                    self.fragmentizer.skip_message();
                    Some(Event::Refused(Refusal {
                        tag,
                        kind: StatusKind::No,
                        code: Some(Code::TooBig),
                        text: format!("Literal too large: the limit is {} bytes", self.literal_limit),
                    }))
                }
                LiteralMode::NonSync if self.pre_auth => Some(Event::Close("Literal too large before login")),
                LiteralMode::NonSync => {
                    self.fragmentizer.poison_message();
                    self.too_big = true;
                    None
                }
            };
        }
        (mode == LiteralMode::Sync).then_some(Event::Continue)
    }

    fn decode(&mut self) -> Event {
        let tag = self.fragmentizer.decode_tag().map(IntoStatic::into_static);
        if std::mem::take(&mut self.too_big) {
            return Event::Refused(Refusal {
                tag,
                kind: StatusKind::Bad,
                code: Some(Code::TooBig),
                text: format!("Literal too large: the limit is {} bytes", self.literal_limit),
            });
        }
        if self.fragmentizer.is_max_message_size_exceeded() {
            return Event::Refused(Refusal {
                tag,
                kind: StatusKind::Bad,
                code: Some(Code::TooBig),
                text: "Command too long".into(),
            });
        }
        match self.expect {
            Expect::Command => self.command(tag),
            Expect::AuthenticateData => match self.fragmentizer.decode_message(&AuthenticateDataCodec::default()) {
                Ok(data) => Event::AuthenticateData(data.into_static()),
                Err(_) => Event::Refused(Refusal::bad(None, "Invalid base64 in the authentication exchange")),
            },
            Expect::IdleDone => match self.fragmentizer.decode_message(&IdleDoneCodec::default()) {
                Ok(_) => Event::IdleDone,
                Err(_) => Event::Refused(Refusal::bad(None, "Expected DONE")),
            },
        }
    }

    fn command(&self, tag: Option<Tag<'static>>) -> Event {
        let bytes = self.fragmentizer.message_bytes();
        let verb = list::verb(bytes).unwrap_or_default();
        if verb.eq_ignore_ascii_case(b"LIST") {
            return match list::parse(bytes) {
                Ok(list) => Event::List(Box::new(list)),
                Err((tag, text)) => Event::Refused(Refusal::bad(tag, text)),
            };
        }
        match self.fragmentizer.decode_message(&CommandCodec::default()) {
            Ok(command) => Event::Command(Box::new(command.into_static())),
            Err(_) => {
                let known = VERBS.iter().find(|v| v.as_bytes().eq_ignore_ascii_case(verb));
                let text = match (&tag, known) {
                    (None, _) => "Invalid tag or command".to_string(),
                    (Some(_), Some(verb)) => format!("Syntax error in {verb} arguments"),
                    (Some(_), None) => "Unknown command".to_string(),
                };
                Event::Refused(Refusal::bad(tag, text))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(r: &mut Receiver, bytes: &[u8]) -> Vec<Event> {
        r.feed(bytes);
        std::iter::from_fn(|| r.event()).collect()
    }

    #[test]
    fn a_sync_literal_is_continued_then_decoded() {
        let mut r = Receiver::new(1024);
        let e = events(&mut r, b"a LOGIN {5}\r\n");
        assert!(matches!(e.as_slice(), [Event::Continue]));
        let e = events(&mut r, b"alice pass\r\n");
        assert!(matches!(e.as_slice(), [Event::Command(_)]), "{e:?}");
    }

    #[test]
    fn a_large_sync_literal_is_refused_and_the_next_command_read() {
        let mut r = Receiver::new(1024);
        let e = events(&mut r, b"a LOGIN {999999}\r\nb NOOP\r\n");
        assert!(matches!(
            &e[0],
            Event::Refused(Refusal {
                kind: StatusKind::No,
                code: Some(Code::TooBig),
                ..
            })
        ));
        assert!(matches!(&e[1], Event::Command(c) if c.tag.as_ref() == "b"));
    }

    #[test]
    fn garbage_gets_bad() {
        let mut r = Receiver::new(1024);
        let e = events(&mut r, b"\xff\xfe\r\na FROB\r\nb SELECT\r\n");
        assert_eq!(e.len(), 3);
        assert!(e.iter().all(|e| matches!(e, Event::Refused(_))));
    }
}
