//! The session state machine (RFC 1939 3): AUTHORIZATION, TRANSACTION, UPDATE.
//!
//! It takes lines and answers [`Action`]s. Most are a reply; the others ask the driver
//! for an effect (a TLS handshake, a login check, a message's bytes, the commit of the
//! deletions) whose outcome it hands back through [`Session::tls_started`],
//! [`Session::logged_in`], [`Session::login_failed`] and [`Session::committed`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::command::{Command, parse};
use super::maildrop::Maildrop;
use super::reply::Reply;
use crate::LoginError;

/// Longest command line taken, CRLF included. RFC 2449 4 raised RFC 1939's limit to 255
/// octets; we take twice that from lenient clients.
pub const COMMAND_LINE_MAX: usize = 512;

/// Longest line of an AUTH exchange: a PLAIN response with a long password.
pub const SASL_LINE_MAX: usize = 2048;

/// A session that sends this many unknown, malformed or misplaced commands is closed.
pub const MAX_BAD_COMMANDS: u32 = 10;

/// Failed logins allowed in one session before it is closed (RFC 1939 7 lets the server
/// close after a failed PASS; the engine rate-limits across sessions).
pub const MAX_AUTH_FAILURES: u32 = 3;

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send the reply and read the next command.
    Reply(Reply),
    /// Send the reply and close the connection.
    Close(Reply),
    /// Send the reply, drop any input already received in clear (RFC 2595 4 and the
    /// STARTTLS injection of CVE-2011-0411), run the TLS handshake, then call
    /// [`Session::tls_started`]; close if the handshake fails.
    StartTls(Reply),
    /// Check the login, open the maildrop, then call [`Session::logged_in`] or
    /// [`Session::login_failed`].
    Login { user: String, password: String },
    /// RETR or TOP (`top` = the body lines): send the message `id`, numbered `number`,
    /// with [`super::reply::message`], or [`removed`] if it is gone.
    Fetch { number: u32, id: i64, top: Option<u64> },
    /// QUIT in TRANSACTION: remove the messages `ids` (skipping those already gone), call
    /// [`Session::committed`], send its reply and close.
    Commit { ids: Vec<i64> },
}

#[derive(Debug)]
enum State {
    Authorization(Step),
    Transaction(Maildrop),
    /// QUIT was received in TRANSACTION; the deletions are being committed.
    Update {
        deleted: usize,
    },
    Closed,
}

/// Where AUTHORIZATION stands.
#[derive(Debug)]
enum Step {
    Start,
    /// USER was accepted; PASS comes next (RFC 1939 7).
    User(String),
    /// `AUTH PLAIN` without an initial response: the next line is the response.
    SaslPlain,
}

/// One POP3 session, without I/O.
#[derive(Debug)]
pub struct Session {
    state: State,
    tls: bool,
    bad_commands: u32,
    auth_failures: u32,
}

/// The greeting (RFC 1939 4). No APOP timestamp: APOP is not offered.
pub fn greeting(hostname: &str) -> Reply {
    Reply::ok(format!("{hostname} Certa POP3 server ready"))
}

/// The answer to RETR or TOP of a message removed since the login (by an IMAP client,
/// say): the maildrop is not locked, see the crate documentation.
pub fn removed(number: u32) -> Reply {
    Reply::err(format!("message {number} was removed by another session"))
}

fn tls_required() -> Reply {
    Reply::err("[AUTH] TLS required before login: send STLS first")
}

impl Session {
    /// A session on a connection that is already under TLS (implicit TLS) or not yet.
    pub fn new(tls: bool) -> Session {
        Session {
            state: State::Authorization(Step::Start),
            tls,
            bad_commands: 0,
            auth_failures: 0,
        }
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Whether a login succeeded (TRANSACTION or later).
    pub fn is_authenticated(&self) -> bool {
        matches!(self.state, State::Transaction(_) | State::Update { .. })
    }

    /// The longest line the next read should take (CRLF included).
    pub fn line_limit(&self) -> usize {
        match self.state {
            State::Authorization(Step::SaslPlain) => SASL_LINE_MAX,
            _ => COMMAND_LINE_MAX,
        }
    }

    /// A line from the client, with or without its CRLF.
    pub fn line(&mut self, line: &[u8]) -> Action {
        match self.state {
            State::Authorization(Step::SaslPlain) => {
                self.state = State::Authorization(Step::Start);
                self.sasl_response(line)
            }
            State::Update { .. } | State::Closed => Action::Close(Reply::err("the session is over")),
            _ => match parse(line) {
                Ok(command) => self.command(command),
                Err(e) => self.bad_command(Reply::err(e.to_string())),
            },
        }
    }

    /// A line longer than [`Session::line_limit`] was received (and dropped).
    pub fn line_too_long(&mut self) -> Action {
        if let State::Authorization(Step::SaslPlain) = self.state {
            self.state = State::Authorization(Step::Start);
            return self.auth_refused(Reply::err("[AUTH] authentication response too long"));
        }
        self.bad_command(Reply::err("line too long"))
    }

    fn command(&mut self, command: Command) -> Action {
        match command {
            Command::Capa => Action::Reply(self.capabilities()),
            Command::Quit => self.quit(),
            Command::Stls => self.stls(),
            Command::User(name) => self.user(name),
            Command::Pass(password) => self.pass(password),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, initial_response),
            Command::Apop => Action::Reply(Reply::err(
                "APOP is not supported: use USER and PASS, or AUTH PLAIN, over TLS",
            )),
            command => match &mut self.state {
                State::Transaction(maildrop) => match command {
                    Command::Retr(number) => fetch(maildrop, number, None),
                    Command::Top { message, lines } => fetch(maildrop, message, Some(lines)),
                    command => Action::Reply(transaction(maildrop, command)),
                },
                _ => self.bad_command(Reply::err("log in first (USER and PASS, or AUTH PLAIN)")),
            },
        }
    }

    /// RFC 2449 6: the capabilities of AUTHORIZATION are announced in both states.
    fn capabilities(&self) -> Reply {
        let mut lines: Vec<String> = [
            "TOP",
            "UIDL",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "PIPELINING",
            "EXPIRE NEVER",
        ]
        .map(String::from)
        .into();
        if self.tls {
            lines.push("USER".into());
            lines.push("SASL PLAIN".into());
        } else {
            lines.push("STLS".into());
        }
        lines.push("IMPLEMENTATION Certa".into());
        Reply::Multi {
            text: "capability list follows".into(),
            lines,
        }
    }

    fn quit(&mut self) -> Action {
        match std::mem::replace(&mut self.state, State::Closed) {
            // RFC 1939 6: QUIT in TRANSACTION enters UPDATE and removes the marked messages.
            State::Transaction(maildrop) => {
                let ids = maildrop.deleted_ids();
                self.state = State::Update { deleted: ids.len() };
                Action::Commit { ids }
            }
            // RFC 1939 4: QUIT in AUTHORIZATION closes without entering UPDATE.
            _ => Action::Close(Reply::ok("bye")),
        }
    }

    /// RFC 2595 4: STLS only in AUTHORIZATION, and only once.
    fn stls(&mut self) -> Action {
        if !matches!(self.state, State::Authorization(_)) {
            return self.bad_command(Reply::err("STLS is only allowed before login"));
        }
        if self.tls {
            return self.bad_command(Reply::err("TLS is already active"));
        }
        Action::StartTls(Reply::ok("begin TLS negotiation"))
    }

    /// The handshake after STLS succeeded: RFC 2595 4 forgets what came before it.
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.state = State::Authorization(Step::Start);
    }

    /// Where a login command may not go on: the reply refusing it.
    fn login_refusal(&self) -> Option<Reply> {
        if !matches!(self.state, State::Authorization(_)) {
            return Some(Reply::err("already logged in"));
        }
        // RFC 2595 2.2 and 4: clear-text passwords only under TLS.
        if !self.tls {
            return Some(tls_required());
        }
        None
    }

    fn user(&mut self, name: String) -> Action {
        if let Some(reply) = self.login_refusal() {
            return self.bad_command(reply);
        }
        // The answer is the same whether the user exists or not.
        self.state = State::Authorization(Step::User(name));
        Action::Reply(Reply::ok("send PASS"))
    }

    fn pass(&mut self, password: String) -> Action {
        if let Some(reply) = self.login_refusal() {
            return self.bad_command(reply);
        }
        // RFC 1939 7: PASS only right after a successful USER; a failed PASS goes back to
        // the start of AUTHORIZATION.
        match std::mem::replace(&mut self.state, State::Authorization(Step::Start)) {
            State::Authorization(Step::User(user)) => Action::Login { user, password },
            _ => self.bad_command(Reply::err("send USER first")),
        }
    }

    fn auth(&mut self, mechanism: Option<String>, initial_response: Option<String>) -> Action {
        if let Some(reply) = self.login_refusal() {
            return self.bad_command(reply);
        }
        self.state = State::Authorization(Step::Start);
        let Some(mechanism) = mechanism else {
            return Action::Reply(Reply::Multi {
                text: "SASL mechanisms follow".into(),
                lines: vec!["PLAIN".into()],
            });
        };
        if mechanism != "PLAIN" {
            return self.bad_command(Reply::err(format!("unsupported SASL mechanism {mechanism}: use PLAIN")));
        }
        match initial_response {
            // RFC 5034 4: "=" is an empty initial response.
            Some(response) => self.sasl_response(response.as_bytes()),
            None => {
                self.state = State::Authorization(Step::SaslPlain);
                Action::Reply(Reply::Continue(String::new()))
            }
        }
    }

    /// RFC 4616 2: `[authzid] NUL authcid NUL passwd`, in base64 (RFC 5034 4).
    fn sasl_response(&mut self, line: &[u8]) -> Action {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // RFC 5034 4: "*" cancels the exchange, which fails.
        if line == b"*" {
            return Action::Reply(Reply::err("authentication cancelled"));
        }
        let decoded = if line == b"=" {
            Ok(Vec::new())
        } else {
            BASE64.decode(line.trim_ascii())
        };
        let Ok(decoded) = decoded else {
            return self.auth_refused(Reply::err("[AUTH] the response is not base64"));
        };
        let mut fields = decoded.split(|&b| b == 0);
        let (Some(authzid), Some(user), Some(password), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return self.auth_refused(Reply::err("[AUTH] malformed PLAIN response"));
        };
        let (Ok(authzid), Ok(user), Ok(password)) = (
            std::str::from_utf8(authzid),
            std::str::from_utf8(user),
            std::str::from_utf8(password),
        ) else {
            return self.auth_refused(Reply::err("[AUTH] malformed PLAIN response"));
        };
        // Acting as another user is not offered (RFC 4616 2 lets the server refuse it).
        if !authzid.is_empty() && !authzid.eq_ignore_ascii_case(user) {
            return self.auth_refused(Reply::err("[AUTH] authorization identity not permitted"));
        }
        Action::Login {
            user: user.to_string(),
            password: password.to_string(),
        }
    }

    /// The login was right and the maildrop is open: TRANSACTION (RFC 1939 4).
    pub fn logged_in(&mut self, maildrop: Maildrop) -> Reply {
        let (count, size) = maildrop.stat();
        self.state = State::Transaction(maildrop);
        // A client that has proved who it is starts afresh.
        self.bad_commands = 0;
        Reply::ok(format!("maildrop has {count} messages ({size} octets)"))
    }

    /// The login was refused, or the maildrop could not be opened. RFC 2449 8 and RFC
    /// 3206 response codes tell the client whether asking again can help.
    pub fn login_failed(&mut self, error: &LoginError) -> Action {
        self.state = State::Authorization(Step::Start);
        let reply = match error {
            LoginError::Invalid => Reply::err("[AUTH] invalid user or password"),
            LoginError::Disabled(text) => Reply::err(format!("[AUTH] {text}")),
            LoginError::Throttled(text) => Reply::err(format!("[SYS/TEMP] {text}")),
            // Our own failure: neither the user's fault nor worth a clue to an attacker.
            LoginError::Internal(_) => {
                return Action::Reply(Reply::err(
                    "[SYS/TEMP] the maildrop cannot be opened now, try again later",
                ));
            }
        };
        self.auth_refused(reply)
    }

    fn auth_refused(&mut self, reply: Reply) -> Action {
        self.auth_failures += 1;
        if self.auth_failures >= MAX_AUTH_FAILURES {
            return Action::Close(reply);
        }
        Action::Reply(reply)
    }

    /// The UPDATE state's outcome (RFC 1939 6): `Ok(None)` once the marked messages
    /// are removed (those another session removed first count too), `Ok(Some(why))`
    /// when the store kept some (receipts that prove a message the mailbox keeps),
    /// `Err` if the commit failed.
    pub fn committed(&mut self, result: Result<Option<String>, ()>) -> Reply {
        let deleted = match self.state {
            State::Update { deleted } => deleted,
            _ => 0,
        };
        self.state = State::Closed;
        match result {
            Ok(None) => Reply::ok(format!("bye, {deleted} messages deleted")),
            // RFC 1939 6: "-ERR some deleted messages not removed".
            Ok(Some(why)) => Reply::err(format!("some deleted messages not removed: {why}")),
            Err(()) => Reply::err("[SYS/TEMP] the deleted messages could not be removed"),
        }
    }

    fn bad_command(&mut self, reply: Reply) -> Action {
        self.bad_commands += 1;
        if self.bad_commands >= MAX_BAD_COMMANDS {
            return Action::Close(Reply::err("too many bad commands, closing connection"));
        }
        Action::Reply(reply)
    }
}

/// RETR and TOP (RFC 1939 7) of a message that is there and not marked deleted.
fn fetch(maildrop: &Maildrop, number: u32, top: Option<u64>) -> Action {
    match maildrop.get(number) {
        Ok(m) => Action::Fetch { number, id: m.id, top },
        Err(e) => Action::Reply(Reply::err(e.to_string())),
    }
}

/// The commands of the TRANSACTION state (RFC 1939 5) that need no I/O.
fn transaction(maildrop: &mut Maildrop, command: Command) -> Reply {
    match command {
        Command::Stat => {
            let (count, size) = maildrop.stat();
            Reply::ok(format!("{count} {size}"))
        }
        Command::List(None) => {
            let (count, size) = maildrop.stat();
            Reply::Multi {
                text: format!("{count} messages ({size} octets)"),
                lines: maildrop.present().map(|(n, m)| format!("{n} {}", m.size)).collect(),
            }
        }
        Command::List(Some(number)) => match maildrop.get(number) {
            Ok(m) => Reply::ok(format!("{number} {}", m.size)),
            Err(e) => Reply::err(e.to_string()),
        },
        Command::Uidl(None) => Reply::Multi {
            text: "unique-id listing follows".into(),
            lines: maildrop
                .present()
                .map(|(n, m)| format!("{n} {}", m.unique_id))
                .collect(),
        },
        Command::Uidl(Some(number)) => match maildrop.get(number) {
            Ok(m) => Reply::ok(format!("{number} {}", m.unique_id)),
            Err(e) => Reply::err(e.to_string()),
        },
        Command::Dele(number) => match maildrop.delete(number) {
            Ok(()) => Reply::ok(format!("message {number} deleted")),
            Err(e) => Reply::err(e.to_string()),
        },
        Command::Rset => {
            maildrop.reset();
            let (count, size) = maildrop.stat();
            Reply::ok(format!("maildrop has {count} messages ({size} octets)"))
        }
        Command::Noop => Reply::ok(""),
        // The commands `Session::command` handles itself never get here.
        _ => Reply::err("command not valid in this state"),
    }
}
