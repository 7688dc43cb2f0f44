//! The protocol servers on a free 127.0.0.1 port, and what the IMAP and POP3 ones serve: a
//! SQLite store in a temporary directory holding the test mailboxes of
//! [`DOMAIN`], one for each answer a login can get, and [`StoreAuth`]
//! giving those answers as the engine does.
//!
//! The listener is bound before the server starts (`spawn_on`), so its port is the
//! server's from the start.

use std::net::IpAddr;
use std::sync::Arc;

use store::Store;
use store::mailboxes::{self, Status};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::DOMAIN;

/// The user the tests log in as.
pub const USER: &str = "alice@pec.example.it";
/// Another active mailbox.
pub const OTHER: &str = "bob@pec.example.it";
/// A suspended mailbox: it may log in to read, as the engine allows by default.
pub const SUSPENDED: &str = "suspended@pec.example.it";
/// A closed mailbox: its logins are refused with [`closed_text`].
pub const CLOSED: &str = "closed@pec.example.it";
/// No mailbox: [`StoreAuth`] answers that this user is throttled, whatever the password,
/// with [`THROTTLED_TEXT`].
pub const THROTTLED: &str = "throttled@pec.example.it";
/// Every test mailbox's password.
pub const PASSWORD: &str = "s3cret pass";
/// Why [`THROTTLED`] may not log in, as the engine says it after too many failures.
pub const THROTTLED_TEXT: &str = "too many failed logins: try again in 15 minutes";

/// Why a closed mailbox may not log in, as the engine says it.
pub fn closed_text(address: &str) -> String {
    format!("the mailbox {address} is closed")
}

/// Milliseconds since the epoch now, as the store keeps time.
pub fn now() -> i64 {
    store::millis(chrono::Utc::now())
}

/// A SQLite store in a temporary directory with [`DOMAIN`] and the test mailboxes.
pub struct TestStore {
    pub store: Store,
    /// [`USER`]'s mailbox.
    pub alice: i64,
    pub dir: tempfile::TempDir,
}

impl TestStore {
    /// [`USER`] with `alice_quota` bytes; [`OTHER`], [`SUSPENDED`] and [`CLOSED`] with the
    /// default quota and their statuses.
    pub async fn open(alice_quota: i64) -> TestStore {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(None, dir.path()).await.expect("store opens");
        let mut tx = store.begin().await.expect("begin");
        mailboxes::add_domain(&mut tx, DOMAIN, now()).await.expect("domain");
        let alice = mailboxes::create(&mut tx, USER, PASSWORD, alice_quota, now())
            .await
            .expect("alice");
        for address in [OTHER, SUSPENDED, CLOSED] {
            mailboxes::create(&mut tx, address, PASSWORD, mailboxes::DEFAULT_QUOTA, now())
                .await
                .expect("mailbox");
        }
        mailboxes::set_status(&mut tx, SUSPENDED, Status::Suspended)
            .await
            .expect("suspend");
        mailboxes::set_status(&mut tx, CLOSED, Status::Closed)
            .await
            .expect("close");
        tx.commit().await.expect("commit");
        TestStore {
            store,
            alice: alice.id,
            dir,
        }
    }
}

/// Checks the store's argon2 hashes as the engine's reading logins do: a closed mailbox is
/// refused, a suspended one may read; [`THROTTLED`] is always throttled.
pub struct StoreAuth {
    pub store: Store,
}

/// Why [`StoreAuth`] refuses a login, before it is put in a protocol's terms.
enum Refusal {
    Invalid,
    Throttled(String),
    Disabled(String),
    Internal(String),
}

impl StoreAuth {
    /// The mailbox's canonical address and id, and whether it may only read.
    async fn check(&self, user: &str, password: &str) -> Result<(String, i64, bool), Refusal> {
        if user.eq_ignore_ascii_case(THROTTLED) {
            return Err(Refusal::Throttled(THROTTLED_TEXT.into()));
        }
        let internal = |e: store::Error| Refusal::Internal(e.to_string());
        let mut c = self.store.conn().await.map_err(internal)?;
        let mailbox = mailboxes::authenticate(&mut c, user, password)
            .await
            .map_err(internal)?
            .ok_or(Refusal::Invalid)?;
        match mailbox.status {
            Status::Closed => Err(Refusal::Disabled(closed_text(&mailbox.address))),
            Status::Suspended => Ok((mailbox.address, mailbox.id, true)),
            Status::Active | Status::ReceiveOnly => Ok((mailbox.address, mailbox.id, false)),
        }
    }
}

impl imap::Auth for StoreAuth {
    async fn login(&self, user: &str, password: &str, _peer: IpAddr) -> Result<imap::Login, imap::LoginError> {
        use imap::LoginError as E;
        match self.check(user, password).await {
            Ok((address, mailbox_id, read_only)) => Ok(imap::Login {
                read_only: read_only.then(|| format!("The mailbox {address} is suspended: it can only be read")),
                address,
                mailbox_id,
            }),
            Err(Refusal::Invalid) => Err(E::Invalid),
            Err(Refusal::Throttled(text)) => Err(E::Throttled(text)),
            Err(Refusal::Disabled(text)) => Err(E::Disabled(text)),
            Err(Refusal::Internal(text)) => Err(E::Internal(text)),
        }
    }
}

impl pop3::Auth for StoreAuth {
    async fn login(&self, user: &str, password: &str, _peer: IpAddr) -> Result<pop3::Login, pop3::LoginError> {
        use pop3::LoginError as E;
        match self.check(user, password).await {
            Ok((address, mailbox_id, _)) => Ok(pop3::Login { address, mailbox_id }),
            Err(Refusal::Invalid) => Err(E::Invalid),
            Err(Refusal::Throttled(text)) => Err(E::Throttled(text)),
            Err(Refusal::Disabled(text)) => Err(E::Disabled(text)),
            Err(Refusal::Internal(text)) => Err(E::Internal(text)),
        }
    }
}

/// A listener on a free 127.0.0.1 port.
pub async fn loopback() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0")
}

/// An SMTP server with `handler` on a free 127.0.0.1 port, until `shutdown`.
pub async fn smtp<H: smtp::server::Handler>(
    config: smtp::server::ServerConfig,
    handler: Arc<H>,
    shutdown: &CancellationToken,
) -> smtp::server::ServerHandle {
    smtp::server::spawn_on(loopback().await, config, handler, shutdown.clone())
        .await
        .expect("SMTP server starts")
}

/// An IMAP server over `store` with [`StoreAuth`] on a free 127.0.0.1 port, until
/// `shutdown`.
pub async fn imap(config: imap::ServerConfig, store: &Store, shutdown: &CancellationToken) -> imap::ServerHandle {
    let auth = Arc::new(StoreAuth { store: store.clone() });
    imap::spawn_on(loopback().await, config, auth, store.clone(), shutdown.clone())
        .await
        .expect("IMAP server starts")
}

/// A POP3 server over `store` with [`StoreAuth`] on a free 127.0.0.1 port, until
/// `shutdown`.
pub async fn pop3(config: pop3::ServerConfig, store: &Store, shutdown: &CancellationToken) -> pop3::ServerHandle {
    let auth = Arc::new(StoreAuth { store: store.clone() });
    pop3::spawn_on(loopback().await, config, auth, store.clone(), shutdown.clone())
        .await
        .expect("POP3 server starts")
}
