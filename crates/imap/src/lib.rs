//! # imap: Certa's IMAP4rev1 front-end
//!
//! Serves the mailboxes of the `store` crate to mail clients. It speaks the protocol and holds
//! no PEC rule: who may log in is the [`Auth`] implementation's decision (the engine's, with its
//! brute-force limits and mailbox status rules); what a folder holds is the store's.
//!
//! Implements RFC 3501 (IMAP4rev1) with: STARTTLS and implicit TLS (RFC 8314), LOGIN and
//! AUTHENTICATE PLAIN (RFC 4616) / LOGIN only under TLS, SASL-IR (RFC 4959), LITERAL+ (RFC
//! 7888), ID (RFC 2971), ENABLE (RFC 5161), IDLE (RFC 2177), NAMESPACE (RFC 2342), UIDPLUS
//! (RFC 4315), MOVE (RFC 6851), UNSELECT (RFC 3691), CONDSTORE basics (RFC 7162: MODSEQ,
//! HIGHESTMODSEQ, CHANGEDSINCE, UNCHANGEDSINCE, SEARCH MODSEQ), QUOTA (RFC 9208, STORAGE only),
//! SPECIAL-USE (RFC 6154), LIST-EXTENDED basics (RFC 5258) and CHILDREN (RFC 3348), response
//! codes of RFC 5530. Command and response syntax comes from imap-codec / imap-types, except
//! LIST-EXTENDED's command syntax (`wire::list`) and the CAPABILITY line.
//!
//! `\Recent` (RFC 3501 2.3.2) is never set: RECENT counts are always 0, as RFC 9051 allows.
//!
//! Layers: [`wire`] turns bytes into commands and responses into bytes, [`request`] checks a
//! command against the connection's state, [`mime`] reads messages for FETCH; none of them
//! does I/O, so the fuzz target drives them directly. The session (`session/`, one file per
//! group of verbs) does the I/O against the store.

pub mod mime;
pub mod request;
mod server;
mod session;
use starttls as stream;
mod view;
pub mod wire;

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The protocol types the public modules speak (pinned: the alphas break their APIs).
pub use imap_types;
pub use server::{SHUTDOWN_GRACE, ServerHandle, spawn, spawn_on};
/// The shutdown signal [`spawn`] takes.
pub use tokio_util::sync::CancellationToken;

/// Who may log in: implemented by the engine.
pub trait Auth: Send + Sync + 'static {
    /// LOGIN / AUTHENTICATE: the mailbox to open, or why not.
    fn login(&self, user: &str, password: &str, peer: IpAddr)
    -> impl Future<Output = Result<Login, LoginError>> + Send;
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub address: String,
    pub mailbox_id: i64,
    /// When the session may only read (the [`Auth`]'s decision, e.g. a suspended
    /// mailbox), why, as a sentence for the user: SELECT opens read-only and every
    /// change is refused with `[CONTACTADMIN]` and this text.
    pub read_only: Option<String>,
}

/// Why a login is refused; each becomes a tagged NO with an RFC 5530 code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong user or password: `NO [AUTHENTICATIONFAILED]`.
    Invalid,
    /// Too many failures (per account or address): `NO [UNAVAILABLE]` with this text.
    Throttled(String),
    /// The mailbox may not log in (closed, or suspended where that forbids reading):
    /// `NO [CONTACTADMIN]` with this text, e.g. "the mailbox x is closed".
    Disabled(String),
    /// The check itself failed: `NO [UNAVAILABLE]`.
    Internal(String),
}

/// How a listener behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Certificate and key: STARTTLS, or implicit TLS.
    pub tls: Arc<rustls::ServerConfig>,
    /// TLS handshake before the greeting (port 993 style, RFC 8314 3.3).
    pub implicit_tls: bool,
    /// Our name in the greeting.
    pub hostname: String,
    /// How often IDLE re-reads the selected folder from the store.
    pub idle_poll: Duration,
    /// The largest literal (so the largest APPEND) accepted after login.
    pub max_literal: usize,
    /// Inactivity allowed after login (RFC 3501 5.4: at least 30 minutes), IDLE included.
    pub idle_timeout: Duration,
    /// Inactivity allowed before login.
    pub login_timeout: Duration,
    /// "Now" for internal dates, UIDVALIDITY and the blob references given back (the
    /// provider's clock: nothing reads the system time directly).
    pub clock: Arc<dyn store::Clock>,
}

impl ServerConfig {
    /// The usual settings: STARTTLS, IDLE re-reading every second, 64 MiB literals, 30 minutes
    /// idle, 60 seconds to log in, the system clock.
    pub fn new(hostname: impl Into<String>, tls: Arc<rustls::ServerConfig>) -> Self {
        ServerConfig {
            tls,
            implicit_tls: false,
            hostname: hostname.into(),
            idle_poll: Duration::from_secs(1),
            max_literal: 64 * 1024 * 1024,
            idle_timeout: Duration::from_secs(30 * 60),
            login_timeout: Duration::from_secs(60),
            clock: Arc::new(store::SystemClock),
        }
    }
}
