//! `certa demo`: two providers on loopback that trust each other, with demo
//! mailboxes, until SIGINT or SIGTERM. The connection details are printed and
//! written to `DIR/demo.json` for scripts and integrators' test suites.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use smtp::server::CancellationToken;

use office::Office;
use office::mailboxes::{self, NewMailbox};
use store::mailboxes::DEFAULT_QUOTA;

use super::OnCommandLine;
use crate::provider::config::{Access, Listen, PaymentsSettings, ProviderConfig, WebSettings, WebhookSettings};
use crate::provider::setup::{IndexEntry, create, write_index};
use crate::provider::{Bound, Listeners, Provider, interrupted};
pub use order::DemoOrder;

mod order;
mod staff;

#[derive(clap::Args)]
pub struct Args {
    /// Where the two providers keep their data (reused when it exists).
    #[arg(long, default_value = "certa-demo")]
    pub data: PathBuf,
    /// Listen on free ports instead of the defaults (1587/1465/2525 and 1588/1466/2526).
    #[arg(long)]
    pub free_ports: bool,
    /// Where both providers send mail for ordinary (non-PEC) addresses: HOST:PORT, plain SMTP.
    #[arg(long)]
    pub smarthost: Option<String>,
    /// Seconds between two runs of the daily machine (default 60); 0: never, for a
    /// walk through the lifecycle driven by `certa lifecycle run --now ...`.
    #[arg(long)]
    pub daily_seconds: Option<u64>,
}

struct Spec {
    dir: &'static str,
    domain: &'static str,
    name: &'static str,
    ports: [u16; 3],
    /// The webmail's port without --free-ports.
    web_port: u16,
    users: [&'static str; 2],
}

const PROVIDERS: [Spec; 2] = [
    Spec {
        dir: "nord",
        domain: "nord.pec.test",
        name: "Certa Nord S.p.A.",
        ports: [1587, 1465, 2525],
        web_port: 8443,
        users: ["mario.rossi", "anna.neri"],
    },
    Spec {
        dir: "sud",
        domain: "sud.pec.test",
        name: "Certa Sud S.p.A.",
        ports: [1588, 1466, 2526],
        web_port: 8444,
        users: ["luca.verdi", "studio.bianchi"],
    },
];

/// The demo's convention, on the first provider's domain: the Aruba-style
/// convention of the source notices (`lifecycle/src/convention/format.md`),
/// with a second plan to change to at renewal, its notices in the PEC mailbox
/// and the box suspended after an unpaid expiry (closed 20 days later).
const CONVENTION: &str = r#"code = "OMCEO-AL-0056"
order = "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Alessandria"
domains = ["nord.pec.test"]
offer = { from = 2018-12-01 }

[[plans]]
name = "triennale"
first_term_months = 36
net = "4.00"
quota = "1 GB"
renewal = "explicit"
notices = { before = [30, 5], after = [10] }
channels = ["pec-mailbox"]
expiry = { policy = "suspend", at = "11:00", days = 20, then_close = true }
retention_days = 30

[[plans]]
name = "annuale"
first_term_months = 12
net = "2.00"
quota = "1 GB"
renewal = "explicit"
notices = { before = [30, 5], after = [10] }
channels = ["pec-mailbox"]
expiry = { policy = "suspend", at = "11:00", days = 20, then_close = true }
retention_days = 30
"#;
/// The demo holder of mario.rossi's subscription (the textbook codice fiscale).
const DEMO_HOLDER: (&str, &str, &str) = ("RSSMRA85T10A562S", "Mario Rossi", "Via Roma 1, 15121 Alessandria");

/// What `demo.json` holds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoInfo {
    /// PEM bundle of both providers' development CAs: trust it for TLS and for signatures.
    pub ca_certificate: String,
    pub index: String,
    pub providers: Vec<DemoProvider>,
    /// An Order kept on the first provider, with its roll and reserved area.
    #[serde(default)]
    pub order: Option<DemoOrder>,
    /// The convention a new member activates a mailbox with, on the first provider.
    #[serde(default)]
    pub convention: Option<DemoConvention>,
    /// The consoles' accounts on the first provider: an operator and the Order's secretariat.
    #[serde(default)]
    pub staff: Vec<staff::DemoStaff>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoConvention {
    pub code: String,
    /// The provider that sells it.
    pub domain: String,
    /// Where a member types the code.
    pub activation_url: String,
    /// The mailbox subscribed under it from the start (its subscription page, renewals).
    pub subscribed: String,
    /// Card payments go to the built-in TEST payment page, which calls this webhook.
    pub payment_webhook: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoProvider {
    pub name: String,
    pub domain: String,
    pub data: String,
    pub receipts_address: String,
    pub host: String,
    /// SMTP submission with STARTTLS (RFC 6409).
    pub submission_port: u16,
    /// SMTP submission with implicit TLS (RFC 8314).
    pub submissions_port: u16,
    /// The receiving point (other providers).
    pub inbound_port: u16,
    /// IMAP with STARTTLS, and with implicit TLS.
    #[serde(default)]
    pub imap_port: Option<u16>,
    #[serde(default)]
    pub imaps_port: Option<u16>,
    /// POP3 with STLS, and with implicit TLS.
    #[serde(default)]
    pub pop3_port: Option<u16>,
    #[serde(default)]
    pub pop3s_port: Option<u16>,
    /// The webmail (HTTPS).
    #[serde(default)]
    pub web_url: Option<String>,
    pub mailboxes: Vec<DemoMailbox>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DemoMailbox {
    pub address: String,
    pub password: String,
}

pub async fn run(args: Args) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.data).with_context(|| format!("cannot create {}", args.data.display()))?;
    let dir = std::path::absolute(&args.data)?;
    let info_path = dir.join("demo.json");
    let previous: Option<DemoInfo> = std::fs::read(&info_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    // Scripts wait for demo.json: the one of an earlier run names ports that may change.
    let _ = std::fs::remove_file(&info_path);
    let smarthost = args.smarthost.as_deref().map(parse_smarthost).transpose()?;
    // Every listener is bound first and kept: with --free-ports the real ports are known
    // before the configuration and the index name them, and nothing can take one meanwhile.
    let mut prepared = Vec::new();
    for spec in &PROVIDERS {
        let mut listeners = Listeners::bind(listen_of(spec, args.free_ports), access_of(spec, args.free_ports)).await?;
        let web_port = if args.free_ports { 0 } else { spec.web_port };
        listeners.bind_web(SocketAddr::from(([127, 0, 0, 1], web_port))).await?;
        let addresses = listeners.addresses()?;
        let data = dir.join(spec.dir);
        let listen = Listen {
            submission: addresses.submission,
            submissions: addresses.submissions,
            inbound: addresses.inbound,
        };
        let mut config = if data.join(crate::provider::config::CONFIG_FILE).exists() {
            ProviderConfig::load(&data)?
        } else {
            create(&data, spec.domain, spec.name, listen, "../index.toml")?
        };
        config.listen = listen;
        config.access = Access {
            imap: addresses.imap,
            imaps: addresses.imaps,
            pop3: addresses.pop3,
            pop3s: addresses.pop3s,
            suspended_can_read: None,
        };
        config.web = Some(WebSettings {
            listen: addresses.web.context("the webmail's listener is bound")?,
            ..config.web.unwrap_or(WebSettings {
                listen: addresses.submission,
                idle_minutes: None,
                max_upload_mb: None,
                url: None,
            })
        });
        config.smarthost = smarthost.clone();
        // The webhook's listener is bound now and kept, like the others.
        let webhook_port = if args.free_ports { 0 } else { spec.web_port + 10 };
        let webhook = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], webhook_port)))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{webhook_port} (payment webhook)"))?;
        test_payments(&mut config, &data, webhook.local_addr()?)?;
        if let (Some(seconds), Some(lifecycle)) = (args.daily_seconds, config.lifecycle.as_mut()) {
            lifecycle.interval_seconds = Some(seconds);
        }
        config.save(&data)?;
        prepared.push((listeners, addresses, webhook));
    }
    let entries: Vec<IndexEntry> = PROVIDERS
        .iter()
        .zip(&prepared)
        .map(|(s, (_, a, _))| IndexEntry::of(&dir.join(s.dir), s.domain, s.name, a.inbound))
        .collect();
    write_index(&dir.join("index.toml"), &entries)?;
    let ca = dir.join("ca.pem");
    let bundle: String = PROVIDERS
        .iter()
        .map(|s| std::fs::read_to_string(dir.join(s.dir).join("keys/ca.pem")))
        .collect::<std::io::Result<Vec<_>>>()?
        .concat();
    std::fs::write(&ca, bundle).with_context(|| format!("cannot write {}", ca.display()))?;

    let shutdown = CancellationToken::new();
    let mut running = Vec::new();
    let mut running_lifecycle = Vec::new();
    let mut info = DemoInfo {
        ca_certificate: ca.display().to_string(),
        index: dir.join("index.toml").display().to_string(),
        providers: Vec::new(),
        order: None,
        convention: None,
        staff: Vec::new(),
    };
    for (spec, (listeners, _, webhook)) in PROVIDERS.iter().zip(prepared) {
        let data = dir.join(spec.dir);
        let provider = Provider::open(&data, None).await?;
        let mailboxes = ensure_mailboxes(&provider, spec, previous.as_ref()).await?;
        let (bound, joined) = provider.start_on(listeners, shutdown.clone()).await?;
        let (webhook, lifecycle) = provider
            .start_lifecycle_on(&data, Some(webhook), shutdown.clone())
            .await?;
        if spec.domain == PROVIDERS[0].domain {
            let subscribed = ensure_convention(&provider, &mailboxes[0].address).await?;
            info.convention = Some(DemoConvention {
                code: "OMCEO-AL-0056".into(),
                domain: spec.domain.into(),
                activation_url: bound
                    .web
                    .map(|a| format!("https://{a}/attiva/OMCEO-AL-0056"))
                    .unwrap_or_default(),
                subscribed,
                payment_webhook: webhook
                    .map(|a| format!("https://{a}{}", web::webhook::PATH))
                    .unwrap_or_default(),
            });
        }
        info.providers.push(describe(spec, &data, bound, mailboxes));
        running.push((provider, joined));
        running_lifecycle.push(lifecycle);
    }
    let demo_order = order::ensure(&running[0].0, &info.providers[0], previous.as_ref()).await?;
    info.staff = staff::ensure(
        &running[0].0,
        info.providers[0].web_url.as_deref(),
        &demo_order.code,
        previous.as_ref(),
    )
    .await?;
    info.order = Some(demo_order);
    std::fs::write(&info_path, serde_json::to_string_pretty(&info)?)
        .with_context(|| format!("cannot write {}", info_path.display()))?;
    print_instructions(&info, &info_path);
    interrupted().await;
    println!("shutting down");
    shutdown.cancel();
    for joined in running_lifecycle {
        let _ = joined.await;
    }
    for (provider, joined) in running {
        let _ = joined.await;
        provider.engine.store().close().await;
    }
    Ok(ExitCode::SUCCESS)
}

/// `host:port` of a plain-SMTP smarthost.
pub fn parse_smarthost(value: &str) -> Result<engine::Endpoint> {
    let (host, port) = value
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h.to_string(), p)))
        .with_context(|| format!("smarthost {value:?} is not host:port"))?;
    Ok(engine::Endpoint {
        host,
        port,
        tls: engine::index::TlsMode::None,
    })
}

/// The SMTP addresses of a provider: port 0 (a free port) with `free_ports`.
fn listen_of(spec: &Spec, free_ports: bool) -> Listen {
    let at = |port: u16| SocketAddr::from(([127, 0, 0, 1], if free_ports { 0 } else { port }));
    let [submission, submissions, inbound] = spec.ports;
    Listen {
        submission: at(submission),
        submissions: at(submissions),
        inbound: at(inbound),
    }
}

/// The IMAP and POP3 addresses of a provider: port 0 (a free port) with `free_ports`.
fn access_of(spec: &Spec, free_ports: bool) -> Access {
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    if free_ports {
        let free = Some(SocketAddr::new(loopback, 0));
        Access {
            imap: free,
            imaps: free,
            pop3: free,
            pop3s: free,
            suspended_can_read: None,
        }
    } else {
        Access::defaults(loopback, spec.ports[0] - 1587)
    }
}

/// The demo mailboxes, created with random passwords the first time.
async fn ensure_mailboxes(provider: &Provider, spec: &Spec, previous: Option<&DemoInfo>) -> Result<Vec<DemoMailbox>> {
    let office = Office::new(provider.engine.clone());
    let existing = mailboxes::list(&office).await.named(&[])?;
    let mut out = Vec::new();
    for user in spec.users {
        let address = format!("{user}@{}", spec.domain);
        let known = previous
            .and_then(|p| {
                p.providers
                    .iter()
                    .flat_map(|p| &p.mailboxes)
                    .find(|m| m.address == address)
            })
            .map(|m| m.password.clone());
        let exists = existing.iter().any(|m| m.address == address);
        let password = match (exists, known) {
            (true, Some(p)) => p,
            (true, None) => {
                let p = random_password();
                mailboxes::set_password(&office, &address, &p).await.named(&[])?;
                p
            }
            (false, _) => {
                let p = random_password();
                let new = NewMailbox {
                    address: &address,
                    password: &p,
                    quota_bytes: DEFAULT_QUOTA,
                };
                mailboxes::add_mailbox(&office, &new).await.named(&[])?;
                p
            }
        };
        out.push(DemoMailbox { address, password });
    }
    Ok(out)
}

/// The payment webhook on a loopback port, with a secret made the first time,
/// and the built-in TEST payment page calling it: card payments of the demo
/// complete at once, and no money ever moves.
fn test_payments(config: &mut ProviderConfig, data: &Path, webhook: SocketAddr) -> Result<()> {
    let secret_file = "keys/webhook.secret";
    let path = data.join(secret_file);
    if !path.exists() {
        let mut bytes = [0u8; 32];
        openssl::rand::rand_bytes(&mut bytes)?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(&path, hex).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut lifecycle = config.lifecycle.clone().unwrap_or_default();
    lifecycle.webhook = Some(WebhookSettings {
        listen: webhook,
        secret: None,
        secret_file: Some(secret_file.into()),
    });
    config.lifecycle = Some(lifecycle);
    config.payments = Some(PaymentsSettings {
        test_page: Some(true),
        ..PaymentsSettings::default()
    });
    Ok(())
}

/// The demo convention stored, and the first demo mailbox subscribed under it
/// (once): the address subscribed.
async fn ensure_convention(provider: &Provider, mailbox: &str) -> Result<String> {
    let office = Office::new(provider.engine.clone());
    if office::conventions::show(&office, "OMCEO-AL-0056").await.is_err() {
        office::conventions::create(&office, CONVENTION, false)
            .await
            .named(&[])?;
    }
    // The holder's subscription page sends cancellations by PEC to the
    // management mailbox, which the provider reads (its password: `certa mailbox password`).
    let management = provider.engine.management_address();
    if !mailboxes::list(&office)
        .await
        .named(&[])?
        .iter()
        .any(|m| m.address == management)
    {
        let password = random_password();
        let new = NewMailbox {
            address: &management,
            password: &password,
            quota_bytes: DEFAULT_QUOTA,
        };
        mailboxes::add_mailbox(&office, &new).await.named(&[])?;
    }
    let subscribed = office::subscriptions::show(&office, mailbox).await.is_ok();
    if !subscribed {
        let (tax_id, name, billing_address) = DEMO_HOLDER;
        let new = office::subscriptions::NewSubscription {
            address: mailbox,
            convention: "OMCEO-AL-0056",
            plan: "triennale",
            tax_id,
            name,
            billing_address,
            email: None,
            pricing: lifecycle::subscription::Pricing::Convention,
            at: None,
        };
        office::subscriptions::create(&office, &new).await.named(&[])?;
    }
    Ok(mailbox.to_string())
}

fn random_password() -> String {
    let mut bytes = [0u8; 12];
    let _ = openssl::rand::rand_bytes(&mut bytes);
    openssl::base64::encode_block(&bytes).replace(['+', '/'], "x")
}

fn describe(spec: &Spec, data: &Path, bound: Bound, mailboxes: Vec<DemoMailbox>) -> DemoProvider {
    DemoProvider {
        name: spec.name.to_string(),
        domain: spec.domain.to_string(),
        data: data.display().to_string(),
        receipts_address: format!("posta-certificata@{}", spec.domain),
        host: bound.submission.ip().to_string(),
        submission_port: bound.submission.port(),
        submissions_port: bound.submissions.port(),
        inbound_port: bound.inbound.port(),
        imap_port: bound.imap.map(|a| a.port()),
        imaps_port: bound.imaps.map(|a| a.port()),
        pop3_port: bound.pop3.map(|a| a.port()),
        pop3s_port: bound.pop3s.map(|a| a.port()),
        web_url: bound.web.map(|a| format!("https://{a}/")),
        mailboxes,
    }
}

fn print_instructions(info: &DemoInfo, path: &Path) {
    println!("Certa demo: two PEC providers on this machine, trusting each other.\n");
    for p in &info.providers {
        println!("{} ({})", p.name, p.domain);
        println!(
            "  SMTP submission  {}:{} (STARTTLS)   {}:{} (TLS)",
            p.host, p.submission_port, p.host, p.submissions_port
        );
        println!("  receiving point  {}:{}", p.host, p.inbound_port);
        if let (Some(a), Some(b)) = (p.imap_port, p.imaps_port) {
            println!(
                "  IMAP             {}:{} (STARTTLS)   {}:{} (TLS)",
                p.host, a, p.host, b
            );
        }
        if let (Some(a), Some(b)) = (p.pop3_port, p.pop3s_port) {
            println!(
                "  POP3             {}:{} (STLS)       {}:{} (TLS)",
                p.host, a, p.host, b
            );
        }
        if let Some(url) = &p.web_url {
            println!("  webmail          {url}");
        }
        for m in &p.mailboxes {
            println!("  mailbox          {}   password {}", m.address, m.password);
        }
        println!();
    }
    if let Some(o) = &info.order {
        order::print(o);
    }
    staff::print(&info.staff);
    println!(
        "Trust this CA in your mail client (TLS) and to verify signatures: {}",
        info.ca_certificate
    );
    if let Some(c) = &info.convention {
        println!(
            "Members: activate a PEC mailbox under the convention {} at {}",
            c.code, c.activation_url
        );
        println!(
            "  (card payments go to a TEST payment page: no money moves; {} is subscribed already)\n",
            c.subscribed
        );
    }
    println!("Connection details as JSON: {}", path.display());
    println!("Press Ctrl-C to stop.");
}
