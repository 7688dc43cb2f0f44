//! The SMTP server: one session code for two roles.
//!
//! - [`Role::Submission`] (RFC 6409): authenticated users hand in their messages, on a STARTTLS
//!   port (587 style, RFC 3207) or an implicit-TLS one (465 style, RFC 8314 3.3). AUTH is
//!   offered only under TLS, and MAIL needs AUTH first.
//! - [`Role::Inbound`] (RFC 5321, MX style): other providers relay to us; no AUTH, STARTTLS
//!   offered, every recipient is put to the handler.
//!
//! The session (`session.rs`) reads commands and dispatches them to one file per verb
//! (`ehlo.rs`, `auth.rs`, `mail.rs`, `rcpt.rs`, `data.rs`, `tls.rs` for STARTTLS). Every
//! decision about addresses, users and messages is the [`Handler`]'s.

mod auth;
mod data;
mod ehlo;
mod mail;
mod rcpt;
mod session;
mod tls;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use crate::Reply;
pub use tls::{tls_config_from_files, tls_config_from_pem};
/// The shutdown signal [`spawn`] takes.
pub use tokio_util::sync::CancellationToken;

/// Which service a listener offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Message submission by our users (RFC 6409): AUTH required, only under TLS.
    Submission,
    /// Mail from other providers (RFC 5321 relay to us): no AUTH.
    Inbound,
}

/// What the handler knows about the session a command arrives on.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    /// The EHLO/HELO argument, once given (cleared by STARTTLS, RFC 3207 4.2).
    pub helo: Option<String>,
    pub tls: bool,
    /// The canonical login returned by [`Handler::authenticate`].
    pub authenticated: Option<String>,
    pub role: Role,
}

/// The policy behind the protocol, implemented by the engine.
///
/// Each method may take its time (database, storage); the client waits for the reply.
pub trait Handler: Send + Sync + 'static {
    /// AUTH PLAIN/LOGIN: `Ok(canonical login)` or the reply to send (e.g. `535 5.7.8`, or
    /// `454 4.7.0` for a temporary failure). Called only under TLS on submission. A PLAIN
    /// authorization identity other than the user itself is refused before this is called.
    fn authenticate(
        &self,
        info: &SessionInfo,
        user: &str,
        password: &str,
    ) -> impl Future<Output = Result<String, Reply>> + Send;

    /// MAIL FROM: the reverse-path (`""` for the null sender). `Ok` answers `250 2.1.0`.
    fn mail_from(&self, info: &SessionInfo, from: &str) -> impl Future<Output = Result<(), Reply>> + Send;

    /// RCPT TO: `Ok` answers `250 2.1.5`. Inbound: refuse what is not ours to receive.
    fn rcpt_to(&self, info: &SessionInfo, from: &str, to: &str) -> impl Future<Output = Result<(), Reply>> + Send;

    /// The whole message after DATA (dot-unstuffed, line ends as received) and its envelope.
    /// The reply is what the client gets: answer 250 only once the message is durably stored.
    fn data(
        &self,
        info: &SessionInfo,
        from: &str,
        rcpts: &[String],
        message: Vec<u8>,
    ) -> impl Future<Output = Reply> + Send;
}

/// How a listener behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub role: Role,
    /// Our name in the greeting and the EHLO reply.
    pub hostname: String,
    /// Advertised in EHLO (RFC 1870) and enforced on the received data.
    pub max_message_size: usize,
    /// Recipients per transaction; more get `452 4.5.3` (RFC 5321 4.5.3.1.8).
    pub max_recipients: usize,
    /// Certificate and key; without it there is no STARTTLS and no implicit TLS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// TLS handshake before the greeting (RFC 8314 3.3); needs `tls`.
    pub implicit_tls: bool,
    /// AUTH only under TLS. Submission always requires it, whatever this says; inbound never
    /// offers AUTH.
    pub require_tls_for_auth: bool,
    /// Idle time allowed while waiting for a command or data (RFC 5321 4.5.3.2 suggests 5 min).
    pub idle_timeout: Duration,
}

impl ServerConfig {
    /// The usual settings for `role`: 50 MiB messages, 100 recipients, 5 minutes idle, no TLS.
    pub fn new(role: Role, hostname: impl Into<String>) -> Self {
        ServerConfig {
            role,
            hostname: hostname.into(),
            max_message_size: 50 * 1024 * 1024,
            max_recipients: 100,
            tls: None,
            implicit_tls: false,
            require_tls_for_auth: true,
            idle_timeout: Duration::from_secs(5 * 60),
        }
    }
}

/// A running listener.
#[derive(Debug)]
pub struct ServerHandle {
    /// The bound address (the real port when 0 was asked for).
    pub local_addr: SocketAddr,
    /// Ends once the listener has stopped and its sessions have finished (or been cut off
    /// after [`SHUTDOWN_GRACE`]).
    pub join: JoinHandle<()>,
}

/// How long sessions may go on after shutdown before they are cut off. Idle sessions get
/// `421 4.3.2` at once; this bounds the ones in the middle of DATA or a handler call.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A session that sends this many unknown or malformed commands is disconnected with 421.
pub const MAX_BAD_COMMANDS: u32 = 10;

/// Failed AUTH attempts allowed in one session before it is disconnected with 421.
pub const MAX_AUTH_FAILURES: u32 = 3;

/// Binds `addr` and serves until `shutdown` is cancelled: then it stops accepting, tells idle
/// sessions `421 4.3.2` and waits at most [`SHUTDOWN_GRACE`] for the busy ones.
pub async fn spawn<H: Handler>(
    addr: SocketAddr,
    config: ServerConfig,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> io::Result<ServerHandle> {
    spawn_on(TcpListener::bind(addr).await?, config, handler, shutdown).await
}

/// [`spawn`] on a listener bound already, so that its port is known before the server starts
/// (and no other socket can take it in between).
pub async fn spawn_on<H: Handler>(
    listener: TcpListener,
    config: ServerConfig,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> io::Result<ServerHandle> {
    if config.implicit_tls && config.tls.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "implicit TLS needs a TLS configuration",
        ));
    }
    let local_addr = listener.local_addr()?;
    tracing::info!(%local_addr, role = ?config.role, "SMTP listener started");
    let join = tokio::spawn(serve(listener, Arc::new(config), handler, shutdown));
    Ok(ServerHandle { local_addr, join })
}

async fn serve<H: Handler>(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    handler: Arc<H>,
    shutdown: CancellationToken,
) {
    starttls::serve_sessions(listener, shutdown.clone(), SHUTDOWN_GRACE, "SMTP", |tcp, peer| {
        session::run(tcp, peer, config.clone(), handler.clone(), shutdown.clone())
    })
    .await;
}
