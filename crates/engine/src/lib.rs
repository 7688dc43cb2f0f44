//! # engine: the gestore
//!
//! The points of RFC 6109 / DM 2/11/2005 on top of the `pec` formats and the
//! `store`: the access point ([`access`]), the receiving point ([`receiving`]),
//! the delivery point ([`delivery`]), the outbound relay and the 12/24-hour timers
//! ([`work`]), the provider index ([`index`]) and the provider log. It holds no
//! protocol syntax: SMTP front-ends call [`Engine::submit`] and
//! [`Engine::receive`], and outbound mail leaves through a [`Transport`].
//!
//! Durability: everything an SMTP client is told `250` about was committed in
//! one transaction with the jobs that finish it; jobs commit their local effects
//! together with their completion, so a crash replays unfinished work and
//! nothing happens twice. Mail sent to other servers is at-least-once, and the
//! receiving point recognises what it already received (per identificativo,
//! kind and recipient), so a resend after a crash is not delivered again.

pub mod access;
pub mod delivery;
pub mod guard;
pub mod index;
pub mod keyfile;
pub mod lifecycle;
pub mod receiving;
pub mod renewal_link;
pub mod work;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use pec::Gestore;
use pec::time::LegalTime;
use store::Store;

pub use index::ProviderIndex;
/// The clock lives in the store, so the protocol front-ends share it.
pub use store::clock;
pub use store::clock::{Clock, OffsetClock, SystemClock};

/// What the engine can be configured with (defaults: the rules' minimums).
#[derive(Debug, Clone)]
pub struct Config {
    /// RFC 6109 / DM art. 12: at least 50 recipients must be allowed.
    pub max_recipients: usize,
    /// DM art. 12: recipients x size of at least 30 MB must be allowed; above this,
    /// a non-acceptance notice.
    pub max_recipients_x_size: usize,
    /// Above this the message is refused in the SMTP dialogue (RFC 6109 3.1.2).
    pub max_message_size: usize,
    /// What to do with mail that is not valid PEC addressed to a PEC mailbox.
    pub anomaly: AnomalyPolicy,
    /// Where mail for ordinary (non-PEC) recipients goes; without it, it waits.
    pub smarthost: Option<Endpoint>,
    /// The preavviso (12 hours) and the final notice (24 hours) for certified
    /// recipients at other providers (pec-rules.md 1.4).
    pub warning_after: Duration,
    pub timeout_after: Duration,
    /// The provider log's retention (DPR 68/2005: 30 months).
    pub log_retention_days: i64,
    /// Parallel job workers.
    pub workers: usize,
    /// Whether a suspended mailbox may still log in to read (IMAP, POP3).
    pub suspended_can_read: bool,
    /// Brute-force protection of logins.
    pub guard: guard::GuardConfig,
    /// Notices, payments and the daily machine.
    pub lifecycle: lifecycle::LifecycleConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_recipients: 500,
            max_recipients_x_size: 30 * 1024 * 1024,
            max_message_size: 100 * 1024 * 1024,
            anomaly: AnomalyPolicy::Anomaly,
            smarthost: None,
            warning_after: Duration::from_secs(12 * 3600),
            timeout_after: Duration::from_secs(24 * 3600),
            log_retention_days: 913,
            workers: 4,
            suspended_can_read: true,
            guard: guard::GuardConfig::default(),
            lifecycle: lifecycle::LifecycleConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnomalyPolicy {
    /// Deliver it inside a busta di anomalia (pec-rules.md 3.9).
    Anomaly,
    /// Refuse it in the SMTP dialogue.
    Refuse,
}

/// An SMTP server to hand mail to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: index::TlsMode,
}

/// An SMTP reply, as a transport reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteReply {
    pub code: u16,
    pub text: String,
}

/// How a send went.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// Per recipient: accepted, or refused with the server's reply.
    Done {
        accepted: Vec<String>,
        refused: Vec<(String, RemoteReply)>,
    },
    /// Could not connect, TLS failed, or a 4xx: try again later.
    Retry(String),
    /// A 5xx on MAIL or DATA: will never go.
    Permanent(String),
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Outbound SMTP (the `smtp` crate's client, wired by the binary).
pub trait Transport: Send + Sync + 'static {
    fn send<'a>(
        &'a self,
        to: &'a Endpoint,
        mail_from: &'a str,
        rcpts: &'a [String],
        message: &'a [u8],
    ) -> BoxFuture<'a, SendOutcome>;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error("database error: {0}")]
    Db(#[from] store::sqlx::Error),
    #[error("cannot build a signed message: {0}")]
    Build(#[from] pec::build::BuildError),
    #[error("{0}")]
    Invalid(String),
    /// A key file of the data directory that cannot be read or made.
    #[error("the key file {file}: {source}")]
    Key { file: &'static str, source: std::io::Error },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One provider.
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) gestore: Gestore,
    pub(crate) index: ProviderIndex,
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) node: String,
    pub(crate) guard: guard::LoginGuard,
    /// Made from the data directory's key file on first use.
    renewal_links: std::sync::OnceLock<renewal_link::RenewalLinks>,
}

impl Engine {
    pub fn new(
        store: Store,
        gestore: Gestore,
        index: ProviderIndex,
        config: Config,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn Transport>,
    ) -> Engine {
        // One name per host and provider: a restarted node recognises the leases of its
        // previous run (see `recover`); several nodes on one database need distinct hosts.
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let node = format!("{}@{host}", gestore.domain());
        let guard = guard::LoginGuard::new(config.guard.clone());
        Engine {
            guard,
            store,
            gestore,
            index,
            config,
            clock,
            transport,
            wake: tokio::sync::Notify::new(),
            node,
            renewal_links: std::sync::OnceLock::new(),
        }
    }

    /// The renewal links of this provider (its key made on first use).
    pub fn renewal_links(&self) -> Result<&renewal_link::RenewalLinks> {
        if let Some(links) = self.renewal_links.get() {
            return Ok(links);
        }
        let made = renewal_link::RenewalLinks::of(self.store.data_dir()).map_err(|source| Error::Key {
            file: renewal_link::KEY_FILE,
            source,
        })?;
        Ok(self.renewal_links.get_or_init(|| made))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn gestore(&self) -> &Gestore {
        &self.gestore
    }

    pub fn index(&self) -> &ProviderIndex {
        &self.index
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The provider's clock, for the front-ends that need "now" too (IMAP, POP3).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn legal_now(&self) -> LegalTime {
        LegalTime::from_utc(self.clock.now())
    }

    /// `posta-certificata@<domain>`: where other providers send our receipts.
    pub fn receipts_address(&self) -> String {
        self.gestore.address()
    }

    /// At start: the jobs this node had claimed when it last stopped (a crash, a
    /// SIGKILL) are free to run again at once instead of after their lease.
    pub async fn recover(&self) -> Result<u64> {
        let mut c = self.store.conn().await?;
        let n = store::jobs::release_leases(&mut c, &self.node).await?;
        if n > 0 {
            tracing::warn!("{n} jobs were interrupted by the last stop and run again");
        }
        Ok(n)
    }

    /// Whether the domain is one of this provider's (mailboxes live here).
    pub async fn is_local_domain(&self, domain: &str) -> Result<bool> {
        let mut c = self.store.conn().await?;
        Ok(store::mailboxes::is_local_domain(&mut c, domain).await?
            || domain.eq_ignore_ascii_case(self.gestore.domain()))
    }
}
