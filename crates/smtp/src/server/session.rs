//! One SMTP session: greeting, the command loop, and the verbs that need no file of their own.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use smtp_proto::Request;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::{Handler, MAX_BAD_COMMANDS, Reply, Role, ServerConfig, SessionInfo};
use crate::stream::Stream;

/// Longest command line accepted. RFC 5321 4.5.3.1.4 sets 512 octets for the bare command;
/// ESMTP parameters and AUTH initial responses (RFC 4954 4) need more. This is smtp-proto's limit.
pub(super) const COMMAND_LINE_MAX: usize = smtp_proto::request::receiver::MAX_LINE_LENGTH;

/// How long closing a connection (TLS close_notify) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct Session<H> {
    pub(super) config: Arc<ServerConfig>,
    pub(super) handler: Arc<H>,
    pub(super) info: SessionInfo,
    pub(super) stream: Stream,
    /// Bytes received and not yet consumed: pipelined commands (RFC 2920), message data.
    pub(super) input: Vec<u8>,
    /// Replies not yet sent: they go out together when the input runs dry (RFC 2920 3.1).
    output: Vec<u8>,
    /// Inside a line longer than the limit: its bytes are dropped up to the next LF.
    discarding: bool,
    pub(super) transaction: Option<Transaction>,
    bad_commands: u32,
    pub(super) auth_failures: u32,
    shutdown: CancellationToken,
}

/// The mail transaction opened by MAIL (RFC 5321 3.3).
pub(super) struct Transaction {
    pub(super) from: String,
    pub(super) rcpts: Vec<String>,
}

/// Why the session stops.
pub(super) enum End {
    /// Our last reply is queued (QUIT, too many errors, a failed handshake needs nothing more).
    Close,
    /// No command or data within the idle timeout.
    Timeout,
    /// The server is stopping.
    Shutdown,
    /// The peer went away, or the connection failed.
    Lost,
}

pub(super) type Step = Result<(), End>;

/// A line as read: complete with its line end, or too long to keep.
pub(super) enum Line {
    Complete(Vec<u8>),
    TooLong,
}

pub(super) async fn run<H: Handler>(
    tcp: TcpStream,
    peer: SocketAddr,
    config: Arc<ServerConfig>,
    handler: Arc<H>,
    shutdown: CancellationToken,
) {
    let local = match tcp.local_addr() {
        Ok(local) => local,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "connection gone before the greeting");
            return;
        }
    };
    let info = SessionInfo {
        peer,
        local,
        helo: None,
        tls: false,
        authenticated: None,
        role: config.role,
    };
    let mut session = Session {
        config,
        handler,
        info,
        stream: Stream::Plain(tcp),
        input: Vec::new(),
        output: Vec::new(),
        discarding: false,
        transaction: None,
        bad_commands: 0,
        auth_failures: 0,
        shutdown,
    };
    tracing::debug!(%peer, role = ?session.info.role, "SMTP session opened");
    let end = session.serve().await;
    session.finish(end).await;
    tracing::debug!(%peer, "SMTP session closed");
}

impl<H: Handler> Session<H> {
    async fn serve(&mut self) -> End {
        // RFC 8314 3.3: on an implicit-TLS port the handshake comes before the greeting.
        if self.config.implicit_tls
            && let Err(end) = self.start_tls().await
        {
            return end;
        }
        // RFC 5321 4.2: the greeting is 220 and carries no enhanced status code (RFC 2034 3).
        let greeting = format!("{} ESMTP ready", self.config.hostname);
        self.reply(Reply::new(220, None, greeting));
        loop {
            let step = match self.read_line(COMMAND_LINE_MAX, true).await {
                Ok(Line::Complete(line)) => self.command(&line).await,
                // RFC 5321 4.5.3.1.4: "500 Line too long".
                Ok(Line::TooLong) => self.bad_command(Reply::new(500, Some((5, 5, 2)), "Line too long")),
                Err(end) => Err(end),
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    async fn command(&mut self, line: &[u8]) -> Step {
        // Without SMTPUTF8 (not offered) commands are ASCII (RFC 5321 2.4); tolerate UTF-8 and
        // leave its addresses to the handler, refuse bytes that are not even that.
        if std::str::from_utf8(line).is_err() {
            return self.bad_command(Reply::new(500, Some((5, 5, 2)), "Invalid characters in command"));
        }
        let request = match Request::parse(&mut line.iter()) {
            Ok(request) => request,
            Err(e) => return self.bad_command(syntax_error(e)),
        };
        match request {
            Request::Ehlo { host } => self.ehlo(&host),
            Request::Helo { host } => self.helo(&host),
            Request::StartTls => self.starttls().await,
            Request::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, &initial_response).await,
            Request::Mail { from } => self.mail(&from).await,
            Request::Rcpt { to } => self.rcpt(&to).await,
            Request::Data => self.data().await,
            Request::Bdat { chunk_size, .. } => self.bdat(chunk_size).await,
            // RFC 5321 4.1.1.5: RSET aborts the transaction, keeps the session.
            Request::Rset => {
                self.transaction = None;
                self.reply(Reply::ok());
                Ok(())
            }
            Request::Noop { .. } => {
                self.reply(Reply::ok());
                Ok(())
            }
            // RFC 5321 3.5.3: 252 when we will not verify but would accept the message.
            Request::Vrfy { .. } => {
                self.reply(Reply::new(
                    252,
                    Some((2, 0, 0)),
                    "Cannot VRFY user, but will accept message and attempt delivery",
                ));
                Ok(())
            }
            // RFC 5321 7.3: EXPN may be disabled.
            Request::Expn { .. } | Request::Etrn { .. } | Request::Atrn { .. } | Request::Burl { .. } => {
                self.reply(Reply::new(502, Some((5, 5, 1)), "Command not implemented"));
                Ok(())
            }
            Request::Help { .. } => {
                self.reply(Reply::new(214, Some((2, 0, 0)), "See RFC 5321"));
                Ok(())
            }
            // RFC 5321 4.1.1.10: 221, then close.
            Request::Quit => {
                let bye = format!("{} closing connection", self.config.hostname);
                self.reply(Reply::new(221, Some((2, 0, 0)), bye));
                Err(End::Close)
            }
            // LHLO is LMTP (RFC 2033), not spoken here.
            Request::Lhlo { .. } => self.bad_command(unknown_command()),
        }
    }

    /// Queues a reply; replies go out when the session next waits for input.
    pub(super) fn reply(&mut self, reply: Reply) {
        self.output.extend_from_slice(&reply.to_wire());
    }

    /// Replies to an unknown or malformed command; too many of them end the session.
    pub(super) fn bad_command(&mut self, reply: Reply) -> Step {
        self.bad_commands += 1;
        if self.bad_commands >= MAX_BAD_COMMANDS {
            self.reply(Reply::new(421, Some((4, 7, 0)), "Too many errors, closing connection"));
            return Err(End::Close);
        }
        self.reply(reply);
        Ok(())
    }

    /// The next line, read up to `limit` bytes. While `interruptible`, a shutdown ends the wait.
    pub(super) async fn read_line(&mut self, limit: usize, interruptible: bool) -> Result<Line, End> {
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
            self.fill(interruptible).await?;
        }
    }

    /// Sends the queued replies, then waits for more input (at most the idle timeout).
    pub(super) async fn fill(&mut self, interruptible: bool) -> Step {
        self.flush().await?;
        self.input.reserve(8192);
        let read = tokio::time::timeout(self.config.idle_timeout, self.stream.read_buf(&mut self.input));
        let read = if interruptible {
            tokio::select! {
                biased;
                () = self.shutdown.cancelled() => return Err(End::Shutdown),
                read = read => read,
            }
        } else {
            read.await
        };
        match read {
            Err(_elapsed) => Err(End::Timeout),
            Ok(Ok(0)) => Err(End::Lost),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.info.peer, error = %e, "read failed");
                Err(End::Lost)
            }
        }
    }

    pub(super) async fn flush(&mut self) -> Step {
        if self.output.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.output).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.config.idle_timeout, write).await {
            Ok(Ok(())) => {
                self.output.clear();
                Ok(())
            }
            Ok(Err(e)) => {
                tracing::debug!(peer = %self.info.peer, error = %e, "write failed");
                Err(End::Lost)
            }
            Err(_elapsed) => Err(End::Lost),
        }
    }

    /// Says goodbye as the reason calls for and closes the connection.
    async fn finish(&mut self, end: End) {
        let host = self.config.hostname.clone();
        match end {
            End::Close => {}
            // RFC 5321 4.5.3.2: a timed-out server should say 421 before closing.
            End::Timeout => self.reply(Reply::new(
                421,
                Some((4, 4, 2)),
                format!("{host} Timeout, closing connection"),
            )),
            // RFC 5321 3.8: 421 when the service is shutting down.
            End::Shutdown => self.reply(Reply::new(
                421,
                Some((4, 3, 2)),
                format!("{host} Service shutting down, closing connection"),
            )),
            End::Lost => return,
        }
        if self.flush().await.is_ok() {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.stream.shutdown()).await;
        }
    }

    /// The transaction state cleared, as after RSET or a completed DATA (RFC 5321 4.1.1.5).
    pub(super) fn reset(&mut self) {
        self.transaction = None;
    }

    pub(super) fn peer(&self) -> SocketAddr {
        self.info.peer
    }

    pub(super) fn is_submission(&self) -> bool {
        self.info.role == Role::Submission
    }
}

pub(super) fn unknown_command() -> Reply {
    Reply::new(500, Some((5, 5, 1)), "Unknown command")
}

/// The reply to a line smtp-proto could not make a command of.
fn syntax_error(e: smtp_proto::Error) -> Reply {
    use smtp_proto::Error as E;
    match e {
        E::UnknownCommand => unknown_command(),
        // RFC 3463 X.1.7 / X.1.3: bad sender / destination mailbox address syntax.
        E::InvalidSenderAddress => Reply::new(501, Some((5, 1, 7)), "Invalid sender address"),
        E::InvalidRecipientAddress => Reply::new(501, Some((5, 1, 3)), "Invalid recipient address"),
        // RFC 5321 4.2.2: 501 syntax error in parameters or arguments.
        E::SyntaxError { syntax } => Reply::new(501, Some((5, 5, 4)), format!("Syntax: {syntax}")),
        E::InvalidParameter { param } => Reply::new(501, Some((5, 5, 4)), format!("Invalid {param} parameter")),
        // RFC 5321 4.1.1.11: 555 for MAIL/RCPT parameters not recognized.
        E::UnsupportedParameter { param } => {
            let param: String = param.chars().filter(char::is_ascii_graphic).take(64).collect();
            Reply::new(555, Some((5, 5, 4)), format!("Unsupported parameter {param}"))
        }
        E::NeedsMoreData { .. } | E::ResponseTooLong | E::InvalidResponse { .. } => {
            Reply::new(500, Some((5, 5, 2)), "Syntax error")
        }
    }
}
