//! Providers in one process, on SQLite or on PostgreSQL: each an [`Engine`] over its
//! own store and development keys, all in one provider index, on one offset clock.
//! Their mail goes over a recorded wire instead of SMTP: [`Net::pump`] runs every
//! engine's jobs and hands what they sent to the receiving point of the provider
//! it was addressed to, until nothing moves. The index also lists a provider
//! without an engine (`ovest`), which accepts mail and never answers: its
//! recipients reach the 12-hour and 24-hour notices when the clock is moved.
//!
//! The engine's, the office's and the web's suites share it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use engine::index::TlsMode;
use engine::receiving::Reception;
use engine::{BoxFuture, Config, Endpoint, Engine, OffsetClock, ProviderIndex, SendOutcome, Transport};
use pec::Gestore;
use pec::smime::{DevPki, Signer};
use store::{Backend, Store};

pub const PASSWORD: &str = "una password lunga";
/// Where ordinary (non-PEC) mail goes: accepted and dropped.
const SMARTHOST_PORT: u16 = 25099;

/// The wire's name for provider `i` (0 nord, 1 sud, 2 ovest): the port of its
/// receiving point in the index.
pub fn port_of(i: usize) -> u16 {
    25001 + i as u16
}

/// One message handed to the transport.
#[derive(Debug, Clone)]
pub struct Sent {
    pub port: u16,
    pub mail_from: String,
    pub rcpts: Vec<String>,
    pub message: Vec<u8>,
}

/// Records what is sent and accepts every recipient.
#[derive(Default)]
pub struct Wire(Mutex<Vec<Sent>>);

impl Wire {
    pub fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Transport for Wire {
    fn send<'a>(
        &'a self,
        to: &'a Endpoint,
        mail_from: &'a str,
        rcpts: &'a [String],
        message: &'a [u8],
    ) -> BoxFuture<'a, SendOutcome> {
        self.0.lock().unwrap().push(Sent {
            port: to.port,
            mail_from: mail_from.to_string(),
            rcpts: rcpts.to_vec(),
            message: message.to_vec(),
        });
        Box::pin(async move {
            SendOutcome::Done {
                accepted: rcpts.to_vec(),
                refused: Vec::new(),
            }
        })
    }
}

pub struct Provider {
    pub domain: String,
    pub engine: Arc<Engine>,
    /// The development CA that signed this provider's certificate (for pec-check).
    pub ca: PathBuf,
}

impl Provider {
    pub fn address(&self, local: &str) -> String {
        format!("{local}@{}", self.domain)
    }

    pub async fn create_mailbox(&self, local: &str) -> String {
        let address = self.address(local);
        let mut tx = self.engine.store().begin().await.unwrap();
        store::mailboxes::create(
            &mut tx,
            &address,
            PASSWORD,
            store::mailboxes::DEFAULT_QUOTA,
            self.engine.now_ms(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        address
    }

    /// The provider's office (the application layer over its engine).
    pub fn office(&self) -> office::Office {
        office::Office::new(self.engine.clone())
    }

    /// The messages of a mailbox: (PEC kind, bytes), in arrival order.
    pub async fn mailbox(&self, address: &str) -> Vec<(Option<String>, Vec<u8>)> {
        let store = self.engine.store();
        let mut c = store.conn().await.unwrap();
        let m = store::mailboxes::get(&mut c, address).await.unwrap().unwrap();
        let mut out = Vec::new();
        for (_, msg) in store::messages::list_mailbox(&mut c, m.id).await.unwrap() {
            out.push((msg.pec_kind.clone(), store.blobs().get(&msg.blob).await.unwrap()));
        }
        out
    }
}

pub struct Net {
    pub providers: Vec<Provider>,
    pub clock: Arc<OffsetClock>,
    pub wire: Arc<Wire>,
    /// Everything the engines sent, in order.
    pub seen: Vec<Sent>,
    /// What was sent to `ovest` (which never answers) and to the smarthost.
    pub unanswered: Vec<Sent>,
    postgres: Vec<crate::postgres::Database>,
    _dir: tempfile::TempDir,
}

impl Net {
    /// `nord` and `sud` with engines on `backend`, and `ovest` in the index only.
    pub async fn start(backend: Backend) -> Net {
        Net::start_with(backend, |_| {}).await
    }

    /// [`Net::start`], with each engine's configuration changed by `configure`.
    pub async fn start_with(backend: Backend, configure: impl Fn(&mut Config)) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            ("nord", "Certa Nord S.p.A."),
            ("sud", "Certa Sud S.p.A."),
            ("ovest", "Ovest PEC S.p.A."),
        ];
        let mut index = String::new();
        let mut keys = Vec::new();
        for (i, ((name, full), pki)) in names.iter().zip(keys_of(&names)).enumerate() {
            let domain = format!("{name}.pec.test");
            let home = dir.path().join(name);
            std::fs::create_dir_all(&home).unwrap();
            std::fs::write(home.join("signer.pem"), &pki.signer_cert_pem).unwrap();
            std::fs::write(home.join("ca.pem"), &pki.ca_cert_pem).unwrap();
            index.push_str(&format!(
                "[[provider]]\nname = \"{full}\"\ndomains = [\"{domain}\"]\ncertificate = \"{name}/signer.pem\"\n\
                 receipts = \"posta-certificata@{domain}\"\nsmtp = \"127.0.0.1:{}\"\ntls = \"none\"\n\n",
                port_of(i)
            ));
            keys.push((domain, full.to_string(), pki, home));
        }
        std::fs::write(dir.path().join("index.toml"), index).unwrap();
        let clock = Arc::new(OffsetClock::default());
        let wire = Arc::new(Wire::default());
        let mut providers = Vec::new();
        let mut postgres = Vec::new();
        for (domain, full, pki, home) in keys.into_iter().take(2) {
            let store = match backend {
                Backend::Sqlite => Store::open(None, &home.join("data")).await.unwrap(),
                Backend::Postgres => {
                    let db = crate::postgres::Database::create().await;
                    let store = Store::open(Some(&db.url), &home.join("data")).await.unwrap();
                    postgres.push(db);
                    store
                }
            };
            assert_eq!(store.backend(), backend);
            let signer = Signer::from_pem(
                pki.signer_cert_pem.as_bytes(),
                pki.signer_key_pem.as_bytes(),
                pki.ca_cert_pem.as_bytes(),
            )
            .unwrap();
            let index = ProviderIndex::load(&dir.path().join("index.toml")).unwrap();
            let mut config = Config {
                smarthost: Some(Endpoint {
                    host: "127.0.0.1".into(),
                    port: SMARTHOST_PORT,
                    tls: TlsMode::None,
                }),
                ..Config::default()
            };
            configure(&mut config);
            let engine = Engine::new(
                store,
                Gestore::new(&full, &domain, signer),
                index,
                config,
                clock.clone(),
                wire.clone(),
            );
            let mut c = engine.store().conn().await.unwrap();
            store::mailboxes::add_domain(&mut c, &domain, engine.now_ms())
                .await
                .unwrap();
            drop(c);
            providers.push(Provider {
                domain,
                engine: Arc::new(engine),
                ca: home.join("ca.pem"),
            });
        }
        Net {
            providers,
            clock,
            wire,
            seen: Vec::new(),
            unanswered: Vec::new(),
            postgres,
            _dir: dir,
        }
    }

    pub fn nord(&self) -> &Provider {
        &self.providers[0]
    }

    pub fn sud(&self) -> &Provider {
        &self.providers[1]
    }

    /// Runs every engine's due jobs and delivers what they sent, until nothing moves.
    pub async fn pump(&mut self) {
        loop {
            let mut ran = 0;
            for p in &self.providers {
                ran += p.engine.run_until_idle().await.unwrap();
            }
            let sent = self.wire.take();
            if ran == 0 && sent.is_empty() {
                return;
            }
            for s in sent {
                self.deliver(s).await;
            }
        }
    }

    /// Hands one sent message to the receiving point it was addressed to.
    pub async fn deliver(&mut self, s: Sent) {
        self.seen.push(s.clone());
        let Some(p) = (0..self.providers.len()).find(|i| port_of(*i) == s.port) else {
            self.unanswered.push(s);
            return;
        };
        let reception = self.providers[p]
            .engine
            .receive(&s.mail_from, &s.rcpts, &s.message)
            .await
            .unwrap();
        assert_eq!(reception, Reception::Queued);
    }

    pub async fn stop(self) {
        for p in &self.providers {
            p.engine.store().close().await;
        }
        for db in self.postgres {
            db.drop_now().await;
        }
    }
}

/// The development keys of each provider, made once per test binary (RSA key
/// generation is what takes time in starting a [`Net`]).
fn keys_of(names: &[(&str, &str); 3]) -> &'static [DevPki] {
    static KEYS: OnceLock<Vec<DevPki>> = OnceLock::new();
    KEYS.get_or_init(|| {
        names
            .iter()
            .map(|(name, full)| {
                pec::smime::dev_pki(&format!("{name}.pec.test"), full, &["localhost"], chrono::Utc::now()).unwrap()
            })
            .collect()
    })
}

/// Runs `case` on SQLite, then on PostgreSQL (a missing server is a failure).
pub async fn on_both<F, Fut>(case: F)
where
    F: Fn(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    case(Backend::Sqlite).await;
    case(Backend::Postgres).await;
}
