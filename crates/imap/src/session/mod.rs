//! One IMAP connection: greeting, the command loop, state, and the verbs that need no file of
//! their own (CAPABILITY, NOOP, LOGOUT, ID, NAMESPACE, ENABLE). The others live one group per
//! file: `tls`, `auth`, `folders` (SELECT ... STATUS, QUOTA), `list`, `append`, `fetch`,
//! `search`, `flags` (STORE), `copy` (COPY, MOVE), `expunge` (EXPUNGE, CLOSE), `idle`.

mod append;
mod auth;
mod copy;
mod expunge;
mod fetch;
mod flags;
mod folders;
mod idle;
mod list;
mod search;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use imap_types::command::Command;
use imap_types::core::{IString, NString, QuotedChar, Tag};
use imap_types::extensions::enable::CapabilityEnable;
use imap_types::extensions::namespace::Namespace;
use imap_types::response::{Code, Data, StatusKind};
use store::Store;
use store::messages;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::request::{Phase, Reply, Request};
use crate::stream::Stream;
use crate::view::{Change, View};
use crate::wire::{Event, Out, Receiver, Refusal, code};
use crate::{Auth, ServerConfig};

/// A session that sends this many invalid commands is disconnected.
pub const MAX_BAD_COMMANDS: u32 = 20;
/// Failed logins allowed in one session before it is disconnected (the engine limits them
/// across sessions too).
pub const MAX_AUTH_FAILURES: u32 = 3;
/// Responses are sent on once this much is waiting, even in the middle of a command.
const OUTPUT_CHUNK: usize = 1024 * 1024;
/// How long closing a connection (TLS close_notify) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// The logged-in mailbox.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub mailbox_id: i64,
    /// [`crate::Login::read_only`]: why the Auth lets this session only read.
    pub read_only: Option<String>,
}

pub(crate) struct Session<A> {
    config: Arc<ServerConfig>,
    auth: Arc<A>,
    store: Store,
    peer: SocketAddr,
    stream: Stream,
    tls: bool,
    receiver: Receiver,
    out: Out,
    user: Option<User>,
    selected: Option<View>,
    /// RFC 7162 3.1: once the client used CONDSTORE, FETCH responses with FLAGS carry MODSEQ.
    condstore: bool,
    bad_commands: u32,
    auth_failures: u32,
    shutdown: CancellationToken,
}

/// Why the session stops.
pub(crate) enum End {
    /// Our last response is queued (LOGOUT, BYE).
    Close,
    Timeout,
    Shutdown,
    /// The peer went away, or the connection failed.
    Lost,
}

pub(crate) type Step = Result<(), End>;

/// A command that succeeded: the code and text of its tagged OK.
pub(crate) struct Done {
    code: Option<Code<'static>>,
    text: String,
}

fn done(text: impl Into<String>) -> Done {
    Done {
        code: None,
        text: text.into(),
    }
}

fn done_with(code: Code<'static>, text: impl Into<String>) -> Done {
    Done {
        code: Some(code),
        text: text.into(),
    }
}

/// A command that did not.
pub(crate) enum Failure {
    Reply(Reply),
    Store(store::Error),
    /// The connection failed while the command was answering.
    End(End),
}

impl From<Reply> for Failure {
    fn from(reply: Reply) -> Failure {
        Failure::Reply(reply)
    }
}

impl From<store::Error> for Failure {
    fn from(e: store::Error) -> Failure {
        Failure::Store(e)
    }
}

pub(crate) type Outcome = Result<Done, Failure>;

pub(crate) async fn run<A: Auth>(
    tcp: TcpStream,
    peer: SocketAddr,
    config: Arc<ServerConfig>,
    auth: Arc<A>,
    store: Store,
    shutdown: CancellationToken,
) {
    let mut session = Session {
        receiver: Receiver::new(config.max_literal),
        config,
        auth,
        store,
        peer,
        stream: Stream::Plain(tcp),
        tls: false,
        out: Out::default(),
        user: None,
        selected: None,
        condstore: false,
        bad_commands: 0,
        auth_failures: 0,
        shutdown,
    };
    tracing::debug!(%peer, "IMAP session opened");
    let end = session.serve().await;
    session.finish(end).await;
    tracing::debug!(%peer, "IMAP session closed");
}

impl<A: Auth> Session<A> {
    async fn serve(&mut self) -> End {
        // RFC 8314 3.3: on an implicit-TLS port the handshake comes before the greeting.
        if self.config.implicit_tls
            && let Err(end) = self.start_tls().await
        {
            return end;
        }
        // RFC 3501 7.1.1; the capabilities in the greeting spare clients a round trip.
        let greeting = format!(
            "* OK [CAPABILITY {}] {} Certa IMAP4rev1 ready",
            self.capabilities(),
            self.config.hostname
        );
        self.out.line(&greeting);
        loop {
            let step = match self.receiver.event() {
                Some(event) => self.event(event).await,
                None => self.fill().await,
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    async fn event(&mut self, event: Event) -> Step {
        match event {
            Event::Command(command) => self.command(*command).await,
            Event::List(list) => match Request::from_list(&list) {
                Ok(request) => self.run(list.tag.clone(), request).await,
                Err(reply) => self.refuse(&list.tag, reply),
            },
            Event::Continue => {
                self.out.continuation("Ready for literal data");
                Ok(())
            }
            Event::Refused(refusal) => self.refused(refusal),
            Event::Close(text) => {
                self.out.bye(None, text);
                Err(End::Close)
            }
            // Only produced while AUTHENTICATE or IDLE wait for them, and they read their own.
            Event::AuthenticateData(_) | Event::IdleDone => self.refused(Refusal::bad(None, "Unexpected line")),
        }
    }

    async fn command(&mut self, command: Command<'static>) -> Step {
        let tag = command.tag;
        match Request::parse(command.body) {
            Ok(request) => self.run(tag, request).await,
            Err(reply) => self.refuse(&tag, reply),
        }
    }

    async fn run(&mut self, tag: Tag<'static>, request: Request) -> Step {
        if let Err(reply) = request.admit(self.phase(), self.tls) {
            return self.refuse(&tag, reply);
        }
        let allow_expunge = request.allows_expunge();
        let outcome = match request {
            Request::Capability => {
                let line = format!("* CAPABILITY {}", self.capabilities());
                self.out.line(&line);
                Ok(done("CAPABILITY completed"))
            }
            Request::Noop => Ok(done("NOOP completed")),
            Request::Check => Ok(done("CHECK completed")),
            Request::Logout => {
                self.out.bye(None, "Logging out");
                self.out.ok(&tag, None, "LOGOUT completed");
                return Err(End::Close);
            }
            Request::StartTls => return self.starttls(&tag).await,
            Request::Login { user, password } => return self.login(&tag, &user, &password).await,
            Request::Authenticate { mechanism, initial } => return self.authenticate(&tag, mechanism, initial).await,
            Request::Idle => return self.idle(&tag).await,
            Request::Id => Ok(self.id()),
            Request::Namespace => Ok(self.namespace()),
            Request::Enable { names } => Ok(self.enable(&names)),
            Request::Select {
                folder,
                read_only,
                condstore,
            } => self.select(&folder, read_only, condstore).await,
            Request::Unselect => {
                self.selected = None;
                Ok(done("UNSELECT completed"))
            }
            Request::Close => self.close().await,
            Request::Create { folder } => self.create(&folder).await,
            Request::Delete { folder } => self.delete(&folder).await,
            Request::Rename { from, to } => self.rename(&from, &to).await,
            Request::Subscribe { folder, subscribe } => self.subscribe(&folder, subscribe).await,
            Request::List(list) => self.list(&list).await,
            Request::Status { folder, items } => self.status(&folder, &items).await,
            Request::Append {
                folder,
                flags,
                date,
                message,
            } => self.append(&folder, &flags, date, message).await,
            Request::Expunge { uids } => self.expunge(uids.as_ref()).await,
            Request::Search { uid, criteria } => self.search(uid, &criteria).await,
            Request::Fetch(fetch) => self.fetch(&fetch).await,
            Request::Store(store) => self.store_flags(&store).await,
            Request::Copy {
                uid,
                set,
                folder,
                remove,
            } => self.copy(uid, &set, &folder, remove).await,
            Request::GetQuota { root } => self.get_quota(&root).await,
            Request::GetQuotaRoot { folder } => self.get_quota_root(&folder).await,
            Request::SetQuota => Err(Reply::no(Some(code("NOPERM")), "Quotas are set by the provider").into()),
        };
        match outcome {
            Ok(done) => {
                // RFC 3501 7: status updates may come with any response; the client learns of
                // other sessions' and the engine's changes here.
                self.refresh(allow_expunge).await;
                self.out.ok(&tag, done.code, &done.text);
                Ok(())
            }
            Err(Failure::Reply(reply)) => self.refuse(&tag, reply),
            Err(Failure::End(end)) => Err(end),
            Err(Failure::Store(e)) => {
                tracing::warn!(peer = %self.peer, error = %e, "store error");
                self.out
                    .no(&tag, Some(code("SERVERBUG")), "Internal error, please try again later");
                Ok(())
            }
        }
    }

    fn phase(&self) -> Phase {
        match (&self.user, &self.selected) {
            (None, _) => Phase::NotAuthenticated,
            (Some(_), None) => Phase::Authenticated,
            (Some(_), Some(_)) => Phase::Selected,
        }
    }

    /// RFC 3501 7.2.1, with the extensions of this crate. Before TLS: STARTTLS and
    /// LOGINDISABLED; under TLS before login: the SASL mechanisms.
    fn capabilities(&self) -> String {
        let mut caps = vec!["IMAP4rev1"];
        if !self.tls {
            caps.extend(["STARTTLS", "LOGINDISABLED"]);
        } else if self.user.is_none() {
            caps.extend(["AUTH=PLAIN", "AUTH=LOGIN", "SASL-IR"]);
        }
        caps.extend([
            "LITERAL+",
            "ID",
            "ENABLE",
            "IDLE",
            "NAMESPACE",
            "UNSELECT",
            "UIDPLUS",
            "MOVE",
            "CONDSTORE",
            "QUOTA",
            "QUOTA=RES-STORAGE",
            "SPECIAL-USE",
            "LIST-EXTENDED",
            "CHILDREN",
        ]);
        caps.join(" ")
    }

    /// RFC 2971: the server's name, whatever the client said.
    fn id(&mut self) -> Done {
        let field = |s: &str| IString::try_from(s.to_string()).ok();
        let parameters = [("name", "Certa"), ("version", env!("CARGO_PKG_VERSION"))]
            .into_iter()
            .filter_map(|(k, v)| Some((field(k)?, NString(field(v)))))
            .collect();
        self.out.data(Data::Id {
            parameters: Some(parameters),
        });
        done("ID completed")
    }

    /// RFC 2342: one personal namespace, "" with "/" as delimiter; no others.
    fn namespace(&mut self) -> Done {
        let personal = IString::try_from(String::new())
            .ok()
            .map(|prefix| vec![Namespace::new(prefix, QuotedChar::try_from('/').ok())])
            .unwrap_or_default();
        self.out.data(Data::Namespace {
            personal,
            other: Vec::new(),
            shared: Vec::new(),
        });
        done("NAMESPACE completed")
    }

    /// RFC 5161: CONDSTORE is the one extension that needs enabling here.
    fn enable(&mut self, names: &[String]) -> Done {
        let mut enabled = Vec::new();
        if names.iter().any(|n| n == "CONDSTORE") {
            self.condstore = true;
            enabled.push(CapabilityEnable::CondStore);
        }
        self.out.data(Data::Enabled { capabilities: enabled });
        done("ENABLE completed")
    }

    /// Re-reads the selected folder and tells the client what changed. Errors are logged: the
    /// next command tries again.
    pub(super) async fn refresh(&mut self, allow_expunge: bool) {
        if let Err(e) = self.try_refresh(allow_expunge).await {
            tracing::warn!(peer = %self.peer, error = %e, "cannot re-read the selected folder");
        }
    }

    async fn try_refresh(&mut self, allow_expunge: bool) -> store::Result<()> {
        let Some(view) = &mut self.selected else {
            return Ok(());
        };
        let mut c = self.store.conn().await?;
        let changes = match messages::folder_by_id(&mut c, view.folder_id).await {
            Ok(folder) => {
                let pending = allow_expunge && view.messages.iter().any(|e| e.expunged);
                if !view.is_stale(&folder) && !pending {
                    return Ok(());
                }
                let current = messages::list(&mut c, folder.id).await?;
                view.sync(&folder, &current, allow_expunge)
            }
            // Deleted by another session: its messages are gone.
            Err(store::Error::NotFound { .. }) => {
                view.mark_expunged(&view.messages.iter().map(|e| i64::from(e.uid)).collect::<Vec<_>>());
                if allow_expunge {
                    view.expunge_marked()
                } else {
                    Vec::new()
                }
            }
            Err(e) => return Err(e),
        };
        self.report(&changes);
        Ok(())
    }

    /// Untagged EXPUNGE, EXISTS and FETCH FLAGS for what a sync found.
    pub(super) fn report(&mut self, changes: &[Change]) {
        for change in changes {
            match *change {
                Change::Expunge(seq) => {
                    if let Ok(data) = Data::expunge(seq) {
                        self.out.data(data);
                    }
                }
                Change::Exists(n) => self.out.data(Data::Exists(n)),
                Change::Flags { seq } => self.flags_update(seq),
            }
        }
    }

    /// A response to a message that is not a valid command: untagged when it has no tag.
    fn refused(&mut self, refusal: Refusal) -> Step {
        match &refusal.tag {
            Some(tag) => self.out.tagged(tag, refusal.kind, refusal.code, &refusal.text),
            None => self.out.untagged(refusal.kind, refusal.code, &refusal.text),
        }
        self.count_bad(refusal.kind)
    }

    fn refuse(&mut self, tag: &Tag<'_>, reply: Reply) -> Step {
        self.out.tagged(tag, reply.kind, reply.code, &reply.text);
        self.count_bad(reply.kind)
    }

    fn count_bad(&mut self, kind: StatusKind) -> Step {
        if kind == StatusKind::Bad {
            self.bad_commands += 1;
            if self.bad_commands >= MAX_BAD_COMMANDS {
                self.out.bye(None, "Too many invalid commands");
                return Err(End::Close);
            }
        }
        Ok(())
    }

    /// Refuses changes when the mailbox or the selected folder is read-only.
    pub(super) fn writable(&self) -> Result<(), Reply> {
        if let Some(why) = self.user.as_ref().and_then(|u| u.read_only.as_ref()) {
            return Err(Reply::no(Some(code("CONTACTADMIN")), why.clone()));
        }
        Ok(())
    }

    pub(super) fn user(&self) -> Result<&User, Reply> {
        self.user.as_ref().ok_or_else(|| Reply::bad("Log in first"))
    }

    /// The next event, reading as needed (AUTHENTICATE reads its exchange this way).
    pub(super) async fn next_event(&mut self) -> Result<Event, End> {
        loop {
            if let Some(event) = self.receiver.event() {
                return Ok(event);
            }
            self.fill().await?;
        }
    }

    /// Sends what is queued, then waits for more input (at most the inactivity timeout).
    async fn fill(&mut self) -> Step {
        self.flush().await?;
        let timeout = if self.user.is_some() {
            self.config.idle_timeout
        } else {
            self.config.login_timeout
        };
        let mut buf = vec![0u8; READ_CHUNK];
        let read = tokio::time::timeout(timeout, self.stream.read(&mut buf));
        let read = tokio::select! {
            biased;
            () = self.shutdown.cancelled() => return Err(End::Shutdown),
            read = read => read,
        };
        match read {
            Err(_elapsed) => Err(End::Timeout),
            Ok(Ok(0)) => Err(End::Lost),
            Ok(Ok(n)) => {
                self.receiver.feed(buf.get(..n).unwrap_or_default());
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.peer, error = %e, "read failed");
                Err(End::Lost)
            }
        }
    }

    pub(super) async fn flush(&mut self) -> Step {
        if self.out.is_empty() {
            return Ok(());
        }
        let bytes = self.out.take();
        let write = async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.config.idle_timeout, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.peer, error = %e, "write failed");
                Err(End::Lost)
            }
            Err(_elapsed) => Err(End::Lost),
        }
    }

    /// Sends the queued responses once they are large (a big FETCH goes out as it is made).
    pub(super) async fn flush_if_large(&mut self) -> Step {
        if self.out.len() >= OUTPUT_CHUNK {
            self.flush().await
        } else {
            Ok(())
        }
    }

    async fn finish(&mut self, end: End) {
        match end {
            End::Close => {}
            // RFC 3501 5.4: the autologout timer; BYE says why.
            End::Timeout => self.out.bye(None, "Autologout: idle for too long"),
            End::Shutdown => self.out.bye(None, "Server shutting down"),
            End::Lost => return,
        }
        if self.flush().await.is_ok() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.stream.shutdown()).await;
        }
    }
}
