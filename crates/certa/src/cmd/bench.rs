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
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use smtp::Reply;
use smtp::server::CancellationToken;
use store::Store;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, mpsc};
use tokio_rustls::TlsConnector;

use super::init::{IndexEntry, create, write_index};
use crate::provider::Provider;
use crate::provider::config::Listen;

#[derive(clap::Args)]
pub struct Args {
    /// How many messages to submit.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub messages: u32,
    /// Concurrent SMTP sessions, each logged in as its own sender.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub concurrency: u32,
    /// Recipients of each message, alternately on the first and on the second provider.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub recipients: u32,
    /// Body size of each message in bytes.
    #[arg(long, default_value_t = 4096)]
    pub size: usize,
    /// Where the two providers keep their data: a new or empty directory, kept at the
    /// end. Default: a fresh temporary directory, removed at the end unless --keep.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Keep the temporary data directory.
    #[arg(long)]
    pub keep: bool,
    /// Stop waiting for receipts after this many seconds; messages still waiting fail.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
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

pub async fn run(args: Args) -> Result<ExitCode> {
    let shape = Shape {
        messages: args.messages as usize,
        concurrency: args.concurrency as usize,
        recipients: args.recipients as usize,
        size: args.size,
    };
    let workdir = Workdir::new(args.data.as_deref(), args.keep)?;
    let bed = Testbed::start(&workdir.path).await?;
    let result = measure(&bed, &shape, Duration::from_secs(args.timeout)).await;
    bed.stop().await;
    let mut report = result?;
    report.data = workdir.kept().then(|| workdir.path.display().to_string());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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
                let stamp = chrono::Utc::now().timestamp_micros();
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
    /// The first provider's submission port (STARTTLS).
    submission: SocketAddr,
    tls: TlsConnector,
}

impl Testbed {
    /// Both data directories on free loopback ports, the index listing them, and the
    /// providers opened and started.
    async fn start(dir: &Path) -> Result<Testbed> {
        let mut entries = Vec::new();
        for (sub, domain, name) in PROVIDERS {
            let listen = Listen {
                submission: free_port()?,
                submissions: free_port()?,
                inbound: free_port()?,
            };
            create(&dir.join(sub), domain, name, listen, "../index.toml")?;
            entries.push(IndexEntry::of(&dir.join(sub), domain, name, listen.inbound));
        }
        write_index(&dir.join("index.toml"), &entries)?;
        let shutdown = CancellationToken::new();
        let mut bed = Testbed {
            providers: Vec::new(),
            running: Vec::new(),
            shutdown: shutdown.clone(),
            submission: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: connector(&dir.join(PROVIDERS[0].0).join("keys/ca.pem"))?,
        };
        for (sub, ..) in PROVIDERS {
            let provider = Provider::open(&dir.join(sub), None).await?;
            let (bound, joined) = provider.start(shutdown.clone()).await?;
            if bed.providers.is_empty() {
                bed.submission = bound.submission;
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

fn free_port() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(l.local_addr()?)
}

/// A TLS client trusting the CA that issued the first provider's TLS certificate.
fn connector(ca: &Path) -> Result<TlsConnector> {
    let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.with_context(|| format!("{} is not PEM", ca.display()))?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
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
    let now = store::millis(chrono::Utc::now());
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
    /// 250 to DATA: when MAIL FROM went out, when the reply came, the identificativo.
    Accepted {
        message: usize,
        sent: Instant,
        replied: Instant,
        identificativo: String,
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
    let run = chrono::Utc::now().timestamp_millis();
    let logins = Instant::now();
    let mut sessions = Vec::new();
    for (s, account) in senders.into_iter().enumerate() {
        let session = Session {
            server: bed.submission,
            tls: bed.tls.clone(),
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
    let (outcomes, arrivals) = watched?;
    Ok(Report::new(shape, &outcomes, &arrivals, start, login_time, timeout))
}

/// One SMTP session of the bench and the messages it submits.
struct Session {
    server: SocketAddr,
    tls: TlsConnector,
    account: Account,
    recipients: Arc<Vec<String>>,
    /// The numbers of its messages.
    messages: Vec<usize>,
    size: usize,
    /// Makes Message-IDs unique across runs.
    run: i64,
}

impl Session {
    async fn run(self, ready: Arc<Barrier>, out: mpsc::UnboundedSender<Outcome>) {
        let logged_in = self.log_in().await;
        ready.wait().await;
        let mut wire = match logged_in {
            Ok(wire) => wire,
            Err(e) => {
                for &message in &self.messages {
                    let _ = out.send(Outcome::Refused {
                        message,
                        why: format!("login: {e:#}"),
                    });
                }
                return;
            }
        };
        for (k, &message) in self.messages.iter().enumerate() {
            let data = self.compose(message);
            let sent = Instant::now();
            let outcome = match transaction(&mut wire, &self.account.address, &self.recipients, &data).await {
                Ok(Ok(identificativo)) => Outcome::Accepted {
                    message,
                    sent,
                    replied: Instant::now(),
                    identificativo,
                },
                Ok(Err(reply)) => Outcome::Refused {
                    message,
                    why: reply.to_string(),
                },
                Err(e) => {
                    // The session is gone: this message and the rest of its share fail.
                    for &message in &self.messages[k..] {
                        let _ = out.send(Outcome::Refused {
                            message,
                            why: format!("SMTP session: {e:#}"),
                        });
                    }
                    return;
                }
            };
            let _ = out.send(outcome);
        }
        let _ = wire.command("QUIT").await;
    }

    /// Greeting, EHLO, STARTTLS, EHLO again (RFC 3207 4.2), AUTH PLAIN (RFC 4616).
    async fn log_in(&self) -> Result<Wire<tokio_rustls::client::TlsStream<TcpStream>>> {
        let tcp = TcpStream::connect(self.server)
            .await
            .with_context(|| format!("cannot connect to {}", self.server))?;
        tcp.set_nodelay(true)?;
        let mut plain = Wire::new(tcp);
        plain.expect_reply(220, "greeting").await?;
        plain.expect("EHLO bench.certa.test", 250, "EHLO").await?;
        plain.expect("STARTTLS", 220, "STARTTLS").await?;
        let name = ServerName::IpAddress(self.server.ip().into());
        let tls = self.tls.connect(name, plain.stream).await.context("TLS handshake")?;
        let mut wire = Wire::new(tls);
        wire.expect("EHLO bench.certa.test", 250, "EHLO").await?;
        let credentials = format!("\0{}\0{}", self.account.address, self.account.password);
        let auth = format!("AUTH PLAIN {}", openssl::base64::encode_block(credentials.as_bytes()));
        wire.expect(&auth, 235, "AUTH PLAIN").await?;
        Ok(wire)
    }

    /// Message number `n` as DATA sends it, terminator included.
    fn compose(&self, n: usize) -> Vec<u8> {
        let from = &self.account.address;
        let mut data = format!(
            "From: {from}\r\nTo: {}\r\nSubject: Certa bench {n}\r\nMessage-ID: <bench.{}.{n}@{}>\r\nDate: {}\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
            self.recipients.join(", "),
            self.run,
            PROVIDERS[0].1,
            chrono::Utc::now().to_rfc2822(),
        )
        .into_bytes();
        data.extend_from_slice(&body(self.size));
        data.extend_from_slice(b".\r\n");
        data
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

/// One mail transaction (RFC 5321 3.3): the identificativo in the access point's 250,
/// or the reply that refused the message.
async fn transaction<S>(wire: &mut Wire<S>, from: &str, rcpts: &[String], data: &[u8]) -> Result<Result<String, Reply>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let reply = wire.command(&format!("MAIL FROM:<{from}>")).await?;
    if reply.code != 250 {
        return reset(wire, reply).await;
    }
    for rcpt in rcpts {
        let reply = wire.command(&format!("RCPT TO:<{rcpt}>")).await?;
        if !matches!(reply.code, 250 | 251) {
            return reset(wire, reply).await;
        }
    }
    let reply = wire.command("DATA").await?;
    if reply.code != 354 {
        return reset(wire, reply).await;
    }
    wire.write(data).await?;
    let reply = wire.reply().await?;
    if reply.code != 250 {
        return Ok(Err(reply));
    }
    // See provider/handlers.rs: "accepted, identificativo <id>".
    let identificativo = reply
        .text
        .split_once("identificativo ")
        .and_then(|(_, rest)| rest.split_whitespace().next());
    match identificativo {
        Some(id) => Ok(Ok(id.to_string())),
        None => Err(anyhow!("a 250 to DATA without an identificativo: {reply}")),
    }
}

/// RSET (RFC 5321 4.1.1.5) after a refused command, so the session goes on.
async fn reset<S>(wire: &mut Wire<S>, refusal: Reply) -> Result<Result<String, Reply>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    wire.expect("RSET", 250, "RSET").await?;
    Ok(Err(refusal))
}

/// The client side of an SMTP connection in lock step: a command, then its reply
/// (no PIPELINING, so every latency holds the real round trips).
struct Wire<S> {
    stream: S,
    /// Received bytes not yet read as reply lines.
    received: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    fn new(stream: S) -> Self {
        Wire {
            stream,
            received: Vec::new(),
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let stream = &mut self.stream;
        let write = async move {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        tokio::time::timeout(REPLY_TIMEOUT, write)
            .await
            .context("sending timed out")??;
        Ok(())
    }

    async fn command(&mut self, line: &str) -> Result<Reply> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// `line`, which the server must answer with `code`; `what` names it in errors
    /// (AUTH carries the password).
    async fn expect(&mut self, line: &str, code: u16, what: &str) -> Result<Reply> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.expect_reply(code, what).await
    }

    async fn expect_reply(&mut self, code: u16, what: &str) -> Result<Reply> {
        let reply = self.reply().await?;
        if reply.code != code {
            bail!("{what}: the server answered {reply}");
        }
        Ok(reply)
    }

    /// The next reply, single or multiline (RFC 5321 4.2.1); its text keeps the
    /// enhanced status code.
    async fn reply(&mut self) -> Result<Reply> {
        let mut text = Vec::new();
        loop {
            let line = self.line().await?;
            let code = line
                .get(..3)
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| anyhow!("not an SMTP reply: {line:?}"))?;
            text.push(line.get(4..).unwrap_or_default().to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply::new(code, None, text.join("\n")));
            }
        }
    }

    async fn line(&mut self) -> Result<String> {
        loop {
            if let Some(end) = self.received.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.received[..end]).into_owned();
                self.received.drain(..end + 2);
                return Ok(line);
            }
            let read = tokio::time::timeout(REPLY_TIMEOUT, self.stream.read_buf(&mut self.received));
            if read.await.context("waiting for a reply timed out")?? == 0 {
                bail!("connection closed by the server");
            }
        }
    }
}

/// Follows the senders' INBOXes until every submitted message has its acceptance
/// receipt and all its delivery receipts (or a non-delivery notice), or `deadline`.
async fn watch(
    store: &Store,
    senders: &[i64],
    shape: &Shape,
    mut received: mpsc::UnboundedReceiver<Outcome>,
    deadline: Instant,
) -> Result<(Vec<Outcome>, HashMap<String, Arrivals>)> {
    const BATCH: i64 = 1000;
    let mut outcomes = Vec::with_capacity(shape.messages);
    let mut arrivals: HashMap<String, Arrivals> = HashMap::new();
    let mut last_id = 0;
    loop {
        while let Ok(outcome) = received.try_recv() {
            outcomes.push(outcome);
        }
        let mut c = store.conn().await?;
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
                match kind.as_str() {
                    "accettazione" => {
                        a.acceptance.get_or_insert(seen);
                    }
                    "avvenuta-consegna" => {
                        a.deliveries += 1;
                        if a.deliveries == shape.recipients {
                            a.delivered = Some(seen);
                        }
                    }
                    "errore-consegna" | "preavviso-errore-consegna" => {
                        a.failure.get_or_insert_with(|| kind.clone());
                    }
                    _ => {}
                }
            }
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
        drop(c);
        let settled = |o: &Outcome| match o {
            Outcome::Accepted { identificativo, .. } => arrivals
                .get(identificativo)
                .is_some_and(|a| a.failure.is_some() || (a.acceptance.is_some() && a.delivered.is_some())),
            Outcome::Refused { .. } => true,
        };
        if (outcomes.len() == shape.messages && outcomes.iter().all(settled)) || Instant::now() >= deadline {
            return Ok((outcomes, arrivals));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[derive(Debug, serde::Serialize)]
struct Report {
    messages: usize,
    concurrency: usize,
    recipients: usize,
    size: usize,
    /// The data directory, when it is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    /// Until every session had logged in (STARTTLS and AUTH), before the clock starts.
    login_seconds: f64,
    /// From the first MAIL FROM to the last receipt seen.
    wall_seconds: f64,
    /// 250 to DATA.
    submitted: usize,
    /// The acceptance receipt in the sender's INBOX.
    accepted: usize,
    /// Every delivery receipt in the sender's INBOX.
    delivered: usize,
    failed: usize,
    throughput: Throughput,
    latency_ms: Latencies,
    failures: Vec<Failure>,
}

/// Messages per second, each count over the time from the start to its last event.
#[derive(Debug, serde::Serialize)]
struct Throughput {
    submitted_per_second: f64,
    accepted_per_second: f64,
    delivered_per_second: f64,
}

/// From just before MAIL FROM.
#[derive(Debug, serde::Serialize)]
struct Latencies {
    /// To the 250 reply to DATA.
    smtp_reply: Option<Percentiles>,
    /// To the acceptance receipt in the sender's INBOX.
    acceptance: Option<Percentiles>,
    /// To the last delivery receipt in the sender's INBOX.
    delivery: Option<Percentiles>,
}

#[derive(Debug, serde::Serialize)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

#[derive(Debug, serde::Serialize)]
struct Failure {
    message: usize,
    reason: String,
}

impl Report {
    fn new(
        shape: &Shape,
        outcomes: &[Outcome],
        arrivals: &HashMap<String, Arrivals>,
        start: Instant,
        login_time: Duration,
        timeout: Duration,
    ) -> Report {
        let mut smtp = Vec::new();
        let mut acceptance = Vec::new();
        let mut delivery = Vec::new();
        let (mut last_reply, mut last_acceptance, mut last_delivery) = (start, start, start);
        let mut failures = Vec::new();
        let none = Arrivals::default();
        for outcome in outcomes {
            let (message, sent, replied, identificativo) = match outcome {
                Outcome::Accepted {
                    message,
                    sent,
                    replied,
                    identificativo,
                } => (*message, *sent, *replied, identificativo),
                Outcome::Refused { message, why } => {
                    failures.push(Failure {
                        message: *message,
                        reason: format!("not accepted: {why}"),
                    });
                    continue;
                }
            };
            smtp.push(millis(replied - sent));
            last_reply = last_reply.max(replied);
            let a = arrivals.get(identificativo).unwrap_or(&none);
            if let Some(at) = a.acceptance {
                acceptance.push(millis(at.saturating_duration_since(sent)));
                last_acceptance = last_acceptance.max(at);
            }
            if let Some(at) = a.delivered {
                delivery.push(millis(at.saturating_duration_since(sent)));
                last_delivery = last_delivery.max(at);
            }
            let reason = match (&a.failure, a.acceptance, a.delivered) {
                (Some(kind), ..) => Some(format!("{identificativo}: {kind} received")),
                (None, None, _) => Some(format!("{identificativo}: no acceptance receipt after {timeout:?}")),
                (None, Some(_), None) => Some(format!(
                    "{identificativo}: {} of {} delivery receipts after {timeout:?}",
                    a.deliveries, shape.recipients
                )),
                (None, Some(_), Some(_)) => None,
            };
            if let Some(reason) = reason {
                failures.push(Failure { message, reason });
            }
        }
        let unreported = shape.messages.saturating_sub(outcomes.len());
        if unreported > 0 {
            let reported: Vec<usize> = outcomes
                .iter()
                .map(|o| match o {
                    Outcome::Accepted { message, .. } | Outcome::Refused { message, .. } => *message,
                })
                .collect();
            for message in (0..shape.messages).filter(|m| !reported.contains(m)) {
                failures.push(Failure {
                    message,
                    reason: format!("not submitted after {timeout:?}"),
                });
            }
        }
        failures.sort_by_key(|f| f.message);
        let rate = |count: usize, last: Instant| {
            let seconds = (last - start).as_secs_f64();
            if seconds > 0.0 {
                round1(count as f64 / seconds)
            } else {
                0.0
            }
        };
        let end = last_reply.max(last_acceptance).max(last_delivery);
        Report {
            messages: shape.messages,
            concurrency: shape.concurrency,
            recipients: shape.recipients,
            size: shape.size,
            data: None,
            login_seconds: round3(login_time.as_secs_f64()),
            wall_seconds: round3((end - start).as_secs_f64()),
            submitted: smtp.len(),
            accepted: acceptance.len(),
            delivered: delivery.len(),
            failed: failures.len(),
            throughput: Throughput {
                submitted_per_second: rate(smtp.len(), last_reply),
                accepted_per_second: rate(acceptance.len(), last_acceptance),
                delivered_per_second: rate(delivery.len(), last_delivery),
            },
            latency_ms: Latencies {
                smtp_reply: percentiles(smtp),
                acceptance: percentiles(acceptance),
                delivery: percentiles(delivery),
            },
            failures,
        }
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Nearest-rank percentiles, to 0.1 ms.
fn percentiles(mut ms: Vec<f64>) -> Option<Percentiles> {
    ms.sort_by(f64::total_cmp);
    let max = *ms.last()?;
    let rank = |p: f64| ms[((p / 100.0 * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    Some(Percentiles {
        p50: round1(rank(50.0)),
        p90: round1(rank(90.0)),
        p99: round1(rank(99.0)),
        max: round1(max),
    })
}

fn print_report(r: &Report) {
    println!(
        "certa bench: {} messages of {} body bytes to {} recipient(s) each, over {} SMTP sessions",
        r.messages, r.size, r.recipients, r.concurrency
    );
    if let Some(dir) = &r.data {
        println!("data            {dir}");
    }
    println!("logins          {:.3} s", r.login_seconds);
    println!("wall time       {:.3} s", r.wall_seconds);
    let t = &r.throughput;
    println!(
        "submitted       {:>6}   {:>8.1} messages/s   (250 to DATA)",
        r.submitted, t.submitted_per_second
    );
    println!(
        "accepted        {:>6}   {:>8.1} messages/s   (accettazione in the sender's INBOX)",
        r.accepted, t.accepted_per_second
    );
    println!(
        "delivered       {:>6}   {:>8.1} messages/s   (every avvenuta-consegna in the sender's INBOX)",
        r.delivered, t.delivered_per_second
    );
    println!("failed          {:>6}", r.failed);
    println!("latency from MAIL FROM, ms          p50       p90       p99       max");
    let rows = [
        ("  250 to DATA", &r.latency_ms.smtp_reply),
        ("  accettazione", &r.latency_ms.acceptance),
        ("  avvenuta-consegna (all)", &r.latency_ms.delivery),
    ];
    for (name, p) in rows {
        match p {
            Some(p) => println!("{name:<30}{:>9.1} {:>9.1} {:>9.1} {:>9.1}", p.p50, p.p90, p.p99, p.max),
            None => println!("{name:<30}{:>9}", "-"),
        }
    }
    for f in r.failures.iter().take(10) {
        println!("failed: message {}: {}", f.message, f.reason);
    }
    if r.failures.len() > 10 {
        println!("failed: ... and {} more (--json lists them all)", r.failures.len() - 10);
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

    #[test]
    fn percentiles_are_nearest_rank() {
        let p = percentiles((1..=100).map(f64::from).collect()).unwrap();
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        assert!(percentiles(Vec::new()).is_none());
    }
}
