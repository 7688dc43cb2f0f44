//! A provider in one process, its office on a clock the test holds: the
//! development PKI, an index listing only itself, an engine without job workers
//! on SQLite or PostgreSQL. What the engine queues (receipts, envelopes) stays
//! queued unless the test runs it: the transport is one that reaches no server
//! and says so. For the suites that call the office, or the web front end in
//! process, without the binary.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use engine::{BoxFuture, Clock, Endpoint, Engine, ProviderIndex, SendOutcome, Transport};
use office::Office;
use store::Store;

/// The provider's domain (its mailboxes are on it).
pub const DOMAIN: &str = "pec.office.test";

/// A clock stopped at one instant, moved by hand.
pub struct Stopped(pub std::sync::Mutex<DateTime<Utc>>);

impl Stopped {
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for Stopped {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The transport of a provider without network.
struct Offline;

impl Transport for Offline {
    fn send<'a>(&'a self, to: &'a Endpoint, _: &'a str, _: &'a [String], _: &'a [u8]) -> BoxFuture<'a, SendOutcome> {
        Box::pin(
            async move { SendOutcome::Retry(format!("the office tests reach no server ({}:{})", to.host, to.port)) },
        )
    }
}

/// A provider of [`DOMAIN`] in `dir` on `database` (None: SQLite in `dir`), its clock at `now`.
pub async fn office(dir: &Path, database: Option<&str>, now: DateTime<Utc>) -> Office {
    office_on(dir, database, Arc::new(Stopped(std::sync::Mutex::new(now)))).await
}

/// The same on a clock the test moves.
pub async fn office_on(dir: &Path, database: Option<&str>, clock: Arc<Stopped>) -> Office {
    let now = clock.now();
    std::fs::create_dir_all(dir).unwrap();
    let pki = pec::smime::dev_pki(DOMAIN, "Office Test S.p.A.", &["localhost"], now).unwrap();
    std::fs::write(dir.join("signer.pem"), &pki.signer_cert_pem).unwrap();
    // The CA beside the index, for suites that check signatures with openssl.
    std::fs::write(dir.join("ca.pem"), &pki.ca_cert_pem).unwrap();
    std::fs::write(
        dir.join("index.toml"),
        format!(
            "[[provider]]\nname = \"Office Test S.p.A.\"\ndomains = [\"{DOMAIN}\"]\nreceipts = \"posta-certificata@{DOMAIN}\"\n\
             smtp = \"127.0.0.1:9\"\ntls = \"none\"\ncertificate = \"signer.pem\"\n"
        ),
    )
    .unwrap();
    let index = ProviderIndex::load(&dir.join("index.toml")).unwrap();
    let signer = pec::smime::Signer::from_pem(
        pki.signer_cert_pem.as_bytes(),
        pki.signer_key_pem.as_bytes(),
        pki.ca_cert_pem.as_bytes(),
    )
    .unwrap();
    let store = Store::open(database, dir).await.unwrap();
    store::mailboxes::add_domain(&mut store.conn().await.unwrap(), DOMAIN, store::millis(now))
        .await
        .unwrap();
    let engine = Engine::new(
        store,
        pec::Gestore::new("Office Test S.p.A.", DOMAIN, signer),
        index,
        engine::Config::default(),
        clock,
        Arc::new(Offline),
    );
    Office::new(Arc::new(engine))
}

/// Runs `case` on a provider with a new SQLite store, then on one with a new
/// PostgreSQL database; the clock starts at `now`.
pub async fn on_both<F, Fut>(now: DateTime<Utc>, case: F)
where
    F: Fn(Office) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let sqlite = office(&dir.path().join("sqlite"), None, now).await;
    case(sqlite.clone()).await;
    sqlite.close().await;

    let db = crate::postgres::Database::create().await;
    let pg = office(&dir.path().join("pg"), Some(&db.url), now).await;
    case(pg.clone()).await;
    pg.close().await;
    db.drop_now().await;
}

/// As [`on_both`], with the clock the test moves (the daily machine at chosen instants).
pub async fn on_both_clocked<F, Fut>(now: DateTime<Utc>, case: F)
where
    F: Fn(Office, Arc<Stopped>) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(Stopped(std::sync::Mutex::new(now)));
    let sqlite = office_on(&dir.path().join("sqlite"), None, clock.clone()).await;
    case(sqlite.clone(), clock).await;
    sqlite.close().await;

    let db = crate::postgres::Database::create().await;
    let clock = Arc::new(Stopped(std::sync::Mutex::new(now)));
    let pg = office_on(&dir.path().join("pg"), Some(&db.url), clock.clone()).await;
    case(pg.clone(), clock).await;
    pg.close().await;
    db.drop_now().await;
}
