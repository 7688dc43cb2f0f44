//! `certa bench`: a load generator that measures the provider engine end to end.
//!
//! Two providers run in-process on loopback, as `certa demo` runs them. C sessions,
//! each logged in as its own sender on the first provider, submit N messages over
//! one SMTP connection each (RFC 6409 submission: STARTTLS, AUTH PLAIN, then MAIL,
//! RCPT, DATA in lock step), and the bench waits until the acceptance receipt and
//! every delivery receipt of each message are in its sender's INBOX. Latencies run
//! from just before MAIL FROM to the moment the bench sees the receipt (it polls the
//! first provider's store every 20 ms).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use engine::{Clock, SystemClock};
use pec::Kind;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use smtp::client::{ClientConfig, Endpoint, SendError, Session, TlsMode};
use smtp::server::CancellationToken;
use store::Store;
use tokio::sync::{Barrier, mpsc};

use crate::provider::config::{Access, Listen};
use crate::provider::setup::{IndexEntry, create, write_index};
use crate::provider::{Listeners, Provider};

mod report;

pub use report::{Failure, Latencies, Percentiles, Report, Throughput};

/// What is submitted, and how long to wait.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many messages.
    pub messages: usize,
    /// Concurrent SMTP sessions, each logged in as its own sender.
    pub concurrency: usize,
    /// Recipients of each message, alternately on the first and the second provider.
    pub recipients: usize,
    /// Body size of each message in bytes.
    pub size: usize,
    /// Where the providers keep their data: a new or empty directory, kept. None: a
    /// temporary directory, removed at the end unless `keep`.
    pub data: Option<PathBuf>,
    pub keep: bool,
    /// How long to wait for the receipts; messages still waiting then fail.
    pub timeout: Duration,
}

/// The two providers: data directory, domain, name. Senders live on the first.
const PROVIDERS: [(&str, &str, &str); 2] = [
    ("nord", "nord.pec.test", "Certa Nord S.p.A."),
    ("sud", "sud.pec.test", "Certa Sud S.p.A."),
];

/// How often the senders' INBOXes are looked at.
const POLL: Duration = Duration::from_millis(20);
/// The longest wait for one reply of the server.
const REPLY_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the benchmark: two providers started in a work directory, the messages
/// submitted and their receipts awaited, the providers stopped.
pub async fn run(options: &Options) -> Result<Report> {
    let shape = Shape {
        messages: options.messages,
        concurrency: options.concurrency,
        recipients: options.recipients,
        size: options.size,
    };
    let workdir = Workdir::new(options.data.as_deref(), options.keep)?;
    let bed = Testbed::start(&workdir.path).await?;
    let result = measure(&bed, &shape, options.timeout).await;
    bed.stop().await;
    let mut report = result?;
    report.data = workdir.kept().then(|| workdir.path.display().to_string());
    Ok(report)
}

/// What is submitted.
struct Shape {
    messages: usize,
    concurrency: usize,
    recipients: usize,
    size: usize,
}

/// The data directory; a temporary one is removed when dropped, unless kept.
struct Workdir {
    path: PathBuf,
    remove: bool,
}

impl Workdir {
    fn new(data: Option<&Path>, keep: bool) -> Result<Workdir> {
        let (path, remove) = match data {
            Some(dir) => {
                if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
                    bail!(
                        "{} is not empty: the bench needs a new or empty --data directory",
                        dir.display()
                    );
                }
                (std::path::absolute(dir)?, false)
            }
            None => {
                let stamp = SystemClock.now().timestamp_micros();
                (
                    std::env::temp_dir().join(format!("certa-bench-{}-{stamp}", std::process::id())),
                    !keep,
                )
            }
        };
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Workdir { path, remove })
    }

    fn kept(&self) -> bool {
        !self.remove
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The two providers running, with the bench's mailboxes.
struct Testbed {
    providers: Vec<Provider>,
    running: Vec<tokio::task::JoinHandle<()>>,
    shutdown: CancellationToken,
    /// The first provider's submission endpoint (STARTTLS).
    submission: Endpoint,
    client: ClientConfig,
}

impl Testbed {
    /// Both data directories on loopback ports bound here and kept (so that the
    /// configuration and the index name ports nothing else can take), the index
    /// listing them, and the providers opened and started on those listeners.
    async fn start(dir: &Path) -> Result<Testbed> {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut entries = Vec::new();
        let mut bound = Vec::new();
        for (sub, domain, name) in PROVIDERS {
            let listen = Listen {
                submission: any,
                submissions: any,
                inbound: any,
            };
            let listeners = Listeners::bind(listen, Access::default()).await?;
            let addresses = listeners.addresses()?;
            let listen = Listen {
                submission: addresses.submission,
                submissions: addresses.submissions,
                inbound: addresses.inbound,
            };
            create(&dir.join(sub), domain, name, listen, "../index.toml")?;
            entries.push(IndexEntry::of(&dir.join(sub), domain, name, listen.inbound));
            bound.push(listeners);
        }
        write_index(&dir.join("index.toml"), &entries)?;
        let shutdown = CancellationToken::new();
        let mut bed = Testbed {
            providers: Vec::new(),
            running: Vec::new(),
            shutdown: shutdown.clone(),
            submission: Endpoint {
                host: "127.0.0.1".into(),
                port: 0,
                tls: TlsMode::StartTls,
            },
            client: client_config(&dir.join(PROVIDERS[0].0).join("keys/ca.pem"))?,
        };
        for ((sub, ..), listeners) in PROVIDERS.into_iter().zip(bound) {
            let provider = Provider::open(&dir.join(sub), None).await?;
            let (bound, joined) = provider.start_on(listeners, shutdown.clone()).await?;
            if bed.providers.is_empty() {
                bed.submission.port = bound.submission.port();
            }
            bed.providers.push(provider);
            bed.running.push(joined);
        }
        Ok(bed)
    }

    fn store(&self, provider: usize) -> &Store {
        self.providers[provider].engine.store()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        for joined in self.running {
            let _ = joined.await;
        }
        for provider in &self.providers {
            provider.engine.store().close().await;
        }
    }
}

/// The SMTP client's settings: trusting the CA that issued the first provider's
/// TLS certificate.
fn client_config(ca: &Path) -> Result<ClientConfig> {
    let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.with_context(|| format!("{} is not PEM", ca.display()))?)?;
    }
    Ok(ClientConfig {
        helo: "bench.certa.test".into(),
        roots: Arc::new(roots),
        timeout: REPLY_TIMEOUT,
    })
}

struct Account {
    address: String,
    password: String,
    mailbox_id: i64,
}

async fn add_mailbox(store: &Store, address: &str) -> Result<Account> {
    let mut bytes = [0u8; 12];
    openssl::rand::rand_bytes(&mut bytes)?;
    let password = openssl::base64::encode_block(&bytes);
    let mut tx = store.begin().await?;
    let now = store::millis(SystemClock.now());
    let mailbox = store::mailboxes::create(&mut tx, address, &password, store::mailboxes::DEFAULT_QUOTA, now).await?;
    tx.commit().await?;
    Ok(Account {
        address: mailbox.address,
        password,
        mailbox_id: mailbox.id,
    })
}

/// What became of one submission in its SMTP session.
enum Outcome {
    /// 250 to DATA: when MAIL FROM went out, when the reply came, the Message-ID
    /// (the watcher learns its identificativo from the provider's records).
    Accepted {
        message: usize,
        sent: Instant,
        replied: Instant,
        msgid: String,
    },
    Refused {
        message: usize,
        why: String,
    },
}

/// What the bench saw arrive in a sender's INBOX for one identificativo.
#[derive(Default)]
struct Arrivals {
    acceptance: Option<Instant>,
    deliveries: usize,
    /// When the last of the delivery receipts was seen.
    delivered: Option<Instant>,
    /// A notice that ends the wait: the pec_kind of a non-delivery notice.
    failure: Option<String>,
}

async fn measure(bed: &Testbed, shape: &Shape, timeout: Duration) -> Result<Report> {
    let mut senders = Vec::new();
    for i in 1..=shape.concurrency {
        senders.push(add_mailbox(bed.store(0), &format!("bench.sender{i}@{}", PROVIDERS[0].1)).await?);
    }
    let mut recipients = Vec::new();
    for j in 0..shape.recipients {
        let address = format!("bench.dest{}@{}", j / 2 + 1, PROVIDERS[j % 2].1);
        recipients.push(add_mailbox(bed.store(j % 2), &address).await?.address);
    }
    let recipients = Arc::new(recipients);
    let sender_ids: Vec<i64> = senders.iter().map(|s| s.mailbox_id).collect();

    // Every session logs in, then all start submitting together with the clock.
    let ready = Arc::new(Barrier::new(shape.concurrency + 1));
    let (outcomes, received) = mpsc::unbounded_channel();
    let run = bed.providers[0].engine.now_ms();
    let logins = Instant::now();
    let mut sessions = Vec::new();
    for (s, account) in senders.into_iter().enumerate() {
        let session = Sender {
            server: bed.submission.clone(),
            client: bed.client.clone(),
            account,
            recipients: recipients.clone(),
            messages: (s..shape.messages).step_by(shape.concurrency).collect(),
            size: shape.size,
            run,
        };
        sessions.push(tokio::spawn(session.run(ready.clone(), outcomes.clone())));
    }
    drop(outcomes);
    ready.wait().await;
    let start = Instant::now();
    let login_time = start - logins;
    let watched = watch(bed.store(0), &sender_ids, shape, received, start + timeout).await;
    for s in &sessions {
        s.abort();
    }
    Ok(Report::new(shape, &watched?, start, login_time, timeout))
}

/// One SMTP session of the bench and the messages it submits.
struct Sender {
    server: Endpoint,
    client: ClientConfig,
    account: Account,
    recipients: Arc<Vec<String>>,
    /// The numbers of its messages.
    messages: Vec<usize>,
    size: usize,
    /// Makes Message-IDs unique across runs.
    run: i64,
}

impl Sender {
    async fn run(self, ready: Arc<Barrier>, out: mpsc::UnboundedSender<Outcome>) {
        let logged_in = self.log_in().await;
        ready.wait().await;
        let mut session = match logged_in {
            Ok(session) => session,
            Err(e) => {
                for &message in &self.messages {
                    let _ = out.send(Outcome::Refused {
                        message,
                        why: format!("login: {e}"),
                    });
                }
                return;
            }
        };
        for (k, &message) in self.messages.iter().enumerate() {
            let (msgid, data) = self.compose(message);
            let sent = Instant::now();
            let outcome = match session.send(&self.account.address, &self.recipients, &data).await {
                Ok(t) if t.reply.is_some() => Outcome::Accepted {
                    message,
                    sent,
                    replied: Instant::now(),
                    msgid,
                },
                Ok(t) => Outcome::Refused {
                    message,
                    why: format!("every recipient refused: {:?}", t.delivery.rejected),
                },
                Err(SendError::Connect(e)) => {
                    // The session is gone: this message and the rest of its share fail.
                    for &message in &self.messages[k..] {
                        let _ = out.send(Outcome::Refused {
                            message,
                            why: format!("SMTP session: {e}"),
                        });
                    }
                    return;
                }
                Err(refused) => Outcome::Refused {
                    message,
                    why: refused.to_string(),
                },
            };
            let _ = out.send(outcome);
        }
        session.quit().await;
    }

    /// STARTTLS and AUTH PLAIN on the first provider's submission port.
    async fn log_in(&self) -> Result<Session, SendError> {
        let mut session = Session::open(&self.server, &self.client).await?;
        session
            .auth_plain(&self.account.address, &self.account.password)
            .await?;
        Ok(session)
    }

    /// Message number `n`: its Message-ID (with brackets, as stored) and its bytes.
    fn compose(&self, n: usize) -> (String, Vec<u8>) {
        let from = &self.account.address;
        let msgid = format!("<bench.{}.{n}@{}>", self.run, PROVIDERS[0].1);
        let date = store::instant(self.run).to_rfc2822();
        let mut data = format!(
            "From: {from}\r\nTo: {}\r\nSubject: Certa bench {n}\r\nMessage-ID: {msgid}\r\nDate: {date}\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
            self.recipients.join(", "),
        )
        .into_bytes();
        data.extend_from_slice(&body(self.size));
        (msgid, data)
    }
}

/// `size` bytes of lines of letters ending in CRLF (an empty body for 0 or 1): no
/// line starts with ".", so no dot-stuffing is needed (RFC 5321 4.5.2).
fn body(size: usize) -> Vec<u8> {
    const LINE: usize = 76;
    let mut out = Vec::with_capacity(size);
    while size - out.len() >= 2 {
        let left = size - out.len();
        let mut letters = (left - 2).min(LINE);
        // Never leave a single byte, which no line can fill.
        if left - letters - 2 == 1 {
            letters -= 1;
        }
        let base = out.len();
        out.extend((0..letters).map(|i| b'a' + ((base + i) % 26) as u8));
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// What the watch saw: each submission's outcome, the receipts per identificativo,
/// and each accepted Message-ID's identificativo.
struct Watched {
    outcomes: Vec<Outcome>,
    arrivals: HashMap<String, Arrivals>,
    identificativi: HashMap<String, String>,
}

/// Follows the senders' INBOXes until every submitted message has its acceptance
/// receipt and all its delivery receipts (or a non-delivery notice), or `deadline`.
async fn watch(
    store: &Store,
    senders: &[i64],
    shape: &Shape,
    mut received: mpsc::UnboundedReceiver<Outcome>,
    deadline: Instant,
) -> Result<Watched> {
    const BATCH: i64 = 1000;
    let mut outcomes = Vec::with_capacity(shape.messages);
    let mut arrivals: HashMap<String, Arrivals> = HashMap::new();
    let mut identificativi: HashMap<String, String> = HashMap::new();
    let (mut last_id, mut last_pec) = (0, 0);
    loop {
        while let Ok(outcome) = received.try_recv() {
            outcomes.push(outcome);
        }
        let mut c = store.conn().await?;
        // The provider's own record of each accepted message links its Message-ID to
        // the identificativo the receipts carry.
        loop {
            let accepted = store::pec::accepted_after(&mut c, last_pec, BATCH).await?;
            for m in &accepted {
                last_pec = m.id;
                if let Some(msgid) = &m.msgid {
                    identificativi.insert(msgid.clone(), m.identificativo.clone());
                }
            }
            if (accepted.len() as i64) < BATCH {
                break;
            }
        }
        loop {
            let rows = store::messages::appended_after(&mut c, last_id, BATCH).await?;
            let seen = Instant::now();
            for (mailbox, m) in &rows {
                last_id = m.id;
                let (Some(identificativo), Some(kind)) = (&m.identificativo, &m.pec_kind) else {
                    continue;
                };
                if !senders.contains(mailbox) {
                    continue;
                }
                let a = arrivals.entry(identificativo.clone()).or_default();
                let is = |k: Kind| kind == k.as_str();
                if is(Kind::Accettazione) {
                    a.acceptance.get_or_insert(seen);
                } else if is(Kind::AvvenutaConsegna) {
                    a.deliveries += 1;
                    if a.deliveries == shape.recipients {
                        a.delivered = Some(seen);
                    }
                } else if is(Kind::ErroreConsegna) || is(Kind::PreavvisoErroreConsegna) {
                    a.failure.get_or_insert_with(|| kind.clone());
                }
            }
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
        drop(c);
        let settled = |o: &Outcome| match o {
            Outcome::Accepted { msgid, .. } => identificativi
                .get(msgid)
                .and_then(|id| arrivals.get(id))
                .is_some_and(|a| a.failure.is_some() || (a.acceptance.is_some() && a.delivered.is_some())),
            Outcome::Refused { .. } => true,
        };
        if (outcomes.len() == shape.messages && outcomes.iter().all(settled)) || Instant::now() >= deadline {
            return Ok(Watched {
                outcomes,
                arrivals,
                identificativi,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_requested_size_and_ends_every_line() {
        for size in [0, 2, 3, 4, 77, 78, 79, 80, 81, 4096] {
            let b = body(size);
            assert_eq!(b.len(), size, "size {size}");
            assert!(b.is_empty() || b.ends_with(b"\r\n"));
            assert!(!b.split(|&c| c == b'\n').any(|l| l.starts_with(b".")));
        }
    }
}
