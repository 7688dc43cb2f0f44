//! One connection: TLS, reading command lines, performing what the session asks for.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsStream};
use tokio_util::sync::CancellationToken;

use super::ServerConfig;
use super::inbox::{self, Inbox};
use crate::protocol::{self, Action, Reply, Session};
use crate::stream::Stream;
use crate::{Auth, LoginError};

/// How long closing a connection (TLS close_notify) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest a TLS handshake may take, whatever the idle timeout.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// Replies are sent when the input runs dry (RFC 2449 6.6, PIPELINING), or once this
/// much is waiting, so a pipeline of RETRs does not pile up in memory.
const OUTPUT_HIGH_WATER: usize = 256 * 1024;

/// What every connection of a listener shares.
pub(super) struct Context<A> {
    pub(super) config: Arc<ServerConfig>,
    pub(super) auth: Arc<A>,
    pub(super) store: store::Store,
    pub(super) shutdown: CancellationToken,
}

/// Why a connection ends.
enum End {
    /// Our last reply is queued (QUIT, too many errors).
    Close,
    /// No command within the idle timeout.
    Timeout,
    /// The server is stopping.
    Shutdown,
    /// The peer went away, or the connection failed.
    Lost,
}

/// A line as read: complete with its line end, or too long to keep.
enum Line {
    Complete(Vec<u8>),
    TooLong,
}

struct Connection<A> {
    context: Context<A>,
    peer: SocketAddr,
    stream: Stream,
    /// Received and not yet consumed: pipelined commands.
    input: Vec<u8>,
    /// Replies not yet sent.
    output: Vec<u8>,
    /// Inside a line longer than the limit: its bytes are dropped up to the next LF.
    discarding: bool,
    /// The INBOX, once logged in.
    inbox: Option<Inbox>,
}

pub(super) async fn run<A: Auth>(tcp: TcpStream, peer: SocketAddr, context: Context<A>) {
    let mut connection = Connection {
        context,
        peer,
        stream: Stream::Plain(tcp),
        input: Vec::new(),
        output: Vec::new(),
        discarding: false,
        inbox: None,
    };
    tracing::debug!(%peer, "POP3 session opened");
    let end = connection.serve().await;
    connection.finish(end).await;
    tracing::debug!(%peer, "POP3 session closed");
}

impl<A: Auth> Connection<A> {
    async fn serve(&mut self) -> End {
        let implicit_tls = self.context.config.implicit_tls;
        // RFC 8314 3.3: on an implicit-TLS port the handshake comes before the greeting.
        if implicit_tls && let Err(end) = self.start_tls().await {
            return end;
        }
        let mut session = Session::new(implicit_tls);
        self.queue(&protocol::greeting(&self.context.config.hostname));
        loop {
            let action = match self.read_line(session.line_limit()).await {
                Ok(Line::Complete(line)) => session.line(&line),
                Ok(Line::TooLong) => session.line_too_long(),
                Err(end) => return end,
            };
            if let Err(end) = self.perform(&mut session, action).await {
                return end;
            }
        }
    }

    async fn perform(&mut self, session: &mut Session, mut action: Action) -> Result<(), End> {
        loop {
            action = match action {
                Action::Reply(reply) => {
                    self.queue(&reply);
                    return Ok(());
                }
                Action::Close(reply) => {
                    self.queue(&reply);
                    return Err(End::Close);
                }
                Action::StartTls(reply) => {
                    self.queue(&reply);
                    self.flush().await?;
                    // RFC 2595 4 (and CVE-2011-0411): what came in clear after STLS must not
                    // be read as if it had come under TLS.
                    self.input.clear();
                    self.start_tls().await?;
                    session.tls_started();
                    return Ok(());
                }
                Action::Login { user, password } => self.login(session, &user, &password).await,
                Action::Fetch { number, id, top } => {
                    self.fetch(number, id, top).await;
                    return Ok(());
                }
                Action::Commit { ids } => {
                    let result = self.commit(&ids).await;
                    let reply = session.committed(result);
                    self.queue(&reply);
                    return Err(End::Close);
                }
            }
        }
    }

    async fn login(&mut self, session: &mut Session, user: &str, password: &str) -> Action {
        let peer = self.peer;
        let login = match self.context.auth.login(user, password, peer.ip()).await {
            Ok(login) => login,
            Err(e) => {
                if let LoginError::Internal(detail) = &e {
                    tracing::error!(%peer, user = ?user, error = %detail, "POP3 login could not be checked");
                } else {
                    tracing::info!(%peer, user = ?user, reason = %e, "POP3 login refused");
                }
                return session.login_failed(&e);
            }
        };
        match inbox::open(&self.context.store, login.mailbox_id).await {
            Ok((inbox, maildrop)) => {
                tracing::info!(%peer, address = %login.address, messages = maildrop.len(), "POP3 login");
                self.inbox = Some(inbox);
                Action::Reply(session.logged_in(maildrop))
            }
            Err(e) => {
                tracing::error!(%peer, address = %login.address, error = %e, "cannot open the POP3 maildrop");
                session.login_failed(&LoginError::Internal(e.to_string()))
            }
        }
    }

    /// RETR and TOP: the message as it is now in the store.
    async fn fetch(&mut self, number: u32, id: i64, top: Option<u64>) {
        let Some(inbox) = &self.inbox else {
            self.queue(&Reply::err("log in first"));
            return;
        };
        match inbox.fetch(id).await {
            Ok(Some(bytes)) => self.output.extend_from_slice(&protocol::message(&bytes, top)),
            Ok(None) => self.queue(&protocol::removed(number)),
            Err(e) => {
                tracing::error!(peer = %self.peer, message = id, error = %e, "cannot read a POP3 message");
                self.queue(&Reply::err(
                    "[SYS/TEMP] the message cannot be read now, try again later",
                ));
            }
        }
    }

    /// The UPDATE state (RFC 1939 6).
    async fn commit(&mut self, ids: &[i64]) -> Result<Option<String>, ()> {
        let Some(inbox) = &self.inbox else {
            return Ok(None);
        };
        inbox
            .remove(ids, self.context.config.clock.now_ms())
            .await
            .map_err(|e| {
                tracing::error!(peer = %self.peer, error = %e, "POP3 deletions not committed");
            })
    }

    fn queue(&mut self, reply: &Reply) {
        reply.write_to(&mut self.output);
    }

    /// The handshake on the TCP stream: implicit TLS, or after STLS.
    async fn start_tls(&mut self) -> Result<(), End> {
        let Some(tcp) = self.stream.take_plain() else {
            return Err(End::Lost);
        };
        let acceptor = TlsAcceptor::from(self.context.config.tls.clone());
        let limit = self.context.config.idle_timeout.min(HANDSHAKE_TIMEOUT);
        match tokio::time::timeout(limit, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => {
                self.stream = Stream::Tls(Box::new(TlsStream::Server(tls)));
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed");
                Err(End::Lost)
            }
            Err(_elapsed) => Err(End::Lost),
        }
    }

    /// The next line, read up to `limit` bytes with its line end.
    async fn read_line(&mut self, limit: usize) -> Result<Line, End> {
        if self.output.len() >= OUTPUT_HIGH_WATER {
            self.flush().await?;
        }
        loop {
            if let Some(end) = self.input.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.input.drain(..=end).collect();
                if std::mem::take(&mut self.discarding) || line.len() > limit {
                    return Ok(Line::TooLong);
                }
                return Ok(Line::Complete(line));
            }
            if self.discarding || self.input.len() > limit {
                self.discarding = true;
                self.input.clear();
            }
            self.fill().await?;
        }
    }

    /// Sends the queued replies, then waits for more input (at most the idle timeout).
    async fn fill(&mut self) -> Result<(), End> {
        self.flush().await?;
        self.input.reserve(4096);
        let read = tokio::time::timeout(self.context.config.idle_timeout, self.stream.read_buf(&mut self.input));
        let read = tokio::select! {
            biased;
            () = self.context.shutdown.cancelled() => return Err(End::Shutdown),
            read = read => read,
        };
        match read {
            Err(_elapsed) => Err(End::Timeout),
            Ok(Ok(0)) => Err(End::Lost),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.peer, error = %e, "read failed");
                Err(End::Lost)
            }
        }
    }

    async fn flush(&mut self) -> Result<(), End> {
        if self.output.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.output).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.context.config.idle_timeout, write).await {
            Ok(Ok(())) => {
                self.output.clear();
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.peer, error = %e, "write failed");
                Err(End::Lost)
            }
            Err(_elapsed) => Err(End::Lost),
        }
    }

    /// Says goodbye as the reason calls for and closes the connection. Nothing is removed
    /// unless QUIT committed (RFC 1939 6).
    async fn finish(&mut self, end: End) {
        match end {
            End::Close => {}
            // RFC 1939 3: the autologout closes "without sending any response".
            End::Timeout => self.output.clear(),
            End::Shutdown => self.queue(&Reply::err("[SYS/TEMP] server shutting down, try again later")),
            End::Lost => return,
        }
        if self.flush().await.is_ok() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.stream.shutdown()).await;
        }
    }
}
