//! # pop3: Certa's POP3 server
//!
//! RFC 1939 (POP3), RFC 2449 (CAPA, response codes), RFC 2595 (STLS), RFC 3206
//! (`[AUTH]`, `[SYS/TEMP]`), RFC 5034 with RFC 4616 (AUTH PLAIN), over the INBOX of a
//! mailbox in the [`store`].
//!
//! - [`protocol`] is the protocol without I/O: command parser, replies, the session
//!   state machine over a snapshot of the maildrop.
//! - [`spawn`] runs it on tokio and rustls, with STLS or implicit TLS (RFC 8314 3.3).
//!   Logins are accepted only under TLS.
//!
//! Who may log in is the [`Auth`] implementation's decision (the engine's: password,
//! mailbox status, brute-force limits); this crate only speaks the protocol.
//!
//! The maildrop is not locked (RFC 1939 8 suggests an exclusive lock): IMAP sessions
//! work on the same INBOX. A message another session removes after our login is
//! answered `-ERR` on RETR and TOP and skipped when QUIT removes the marked ones.

pub mod protocol;
mod server;
use starttls as stream;

use std::future::Future;
use std::net::IpAddr;

pub use server::{SHUTDOWN_GRACE, ServerConfig, ServerHandle, spawn, spawn_on};
/// The shutdown signal [`spawn`] takes.
pub use tokio_util::sync::CancellationToken;

/// Checks logins. The engine's implementation counts failures per account and per
/// address and knows what a suspended or closed mailbox may do.
pub trait Auth: Send + Sync + 'static {
    /// USER/PASS or AUTH PLAIN from `peer`: the mailbox to open, or why not.
    fn login(&self, user: &str, password: &str, peer: IpAddr)
    -> impl Future<Output = Result<Login, LoginError>> + Send;
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The canonical address, for the logs.
    pub address: String,
    /// The store's mailbox, whose INBOX is the maildrop.
    pub mailbox_id: i64,
}

/// Why a login is refused. The texts are shown to the client after a response code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Wrong user or password (never told apart): `-ERR [AUTH] invalid user or password`.
    #[error("invalid user or password")]
    Invalid,
    /// Too many failures for now: `-ERR [SYS/TEMP] <text>`.
    #[error("{0}")]
    Throttled(String),
    /// Right password, but the mailbox may not read (closed, say): `-ERR [AUTH] <text>`.
    #[error("{0}")]
    Disabled(String),
    /// Our failure (database down): logged; the client gets a generic `[SYS/TEMP]`.
    #[error("{0}")]
    Internal(String),
}
