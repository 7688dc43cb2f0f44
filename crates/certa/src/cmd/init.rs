//! `certa init`: a new provider's data directory (configuration, development keys,
//! an index that lists it).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use pec::smime::dev_pki;

use crate::provider::config::{Access, Keys, Limits, Listen, ProviderConfig};

#[derive(clap::Args)]
pub struct Args {
    /// The provider's data directory (created).
    #[arg(long, env = "CERTA_DATA", default_value = "certa-data")]
    pub data: PathBuf,
    /// The provider's PEC domain: it signs as posta-certificata@DOMAIN and hosts its mailboxes.
    #[arg(long)]
    pub domain: String,
    /// The provider's name (gestore-emittente of every daticert).
    #[arg(long, default_value = "Certa PEC")]
    pub name: String,
    /// The provider index to use; without it, one listing only this provider is written.
    #[arg(long)]
    pub index: Option<PathBuf>,
    #[arg(long, default_value = "127.0.0.1:1587")]
    pub submission: SocketAddr,
    #[arg(long, default_value = "127.0.0.1:1465")]
    pub submissions: SocketAddr,
    #[arg(long, default_value = "127.0.0.1:2525")]
    pub inbound: SocketAddr,
    /// IMAP (STARTTLS) address; default 127.0.0.1:1143 unless another listener was given.
    #[arg(long)]
    pub imap: Option<SocketAddr>,
    /// IMAP with implicit TLS; default 127.0.0.1:1993 unless another listener was given.
    #[arg(long)]
    pub imaps: Option<SocketAddr>,
    /// POP3 (STLS); default 127.0.0.1:1110 unless another listener was given.
    #[arg(long)]
    pub pop3: Option<SocketAddr>,
    /// POP3 with implicit TLS; default 127.0.0.1:1995 unless another listener was given.
    #[arg(long)]
    pub pop3s: Option<SocketAddr>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.data.join(crate::provider::config::CONFIG_FILE).exists() {
        bail!(
            "{} already holds a provider; choose another --data",
            args.data.display()
        );
    }
    let listen = Listen {
        submission: args.submission,
        submissions: args.submissions,
        inbound: args.inbound,
    };
    let index = match &args.index {
        Some(i) => relative_to(&args.data, i)?,
        None => "index.toml".to_string(),
    };
    let mut config = create(&args.data, &args.domain, &args.name, listen, &index)?;
    let given = Access {
        imap: args.imap,
        imaps: args.imaps,
        pop3: args.pop3,
        pop3s: args.pop3s,
        suspended_can_read: None,
    };
    let defaults = [args.submission.port(), args.submissions.port(), args.inbound.port()] == [1587, 1465, 2525];
    config.access = if defaults
        && [given.imap, given.imaps, given.pop3, given.pop3s]
            .iter()
            .all(Option::is_none)
    {
        Access::defaults(args.submission.ip(), 0)
    } else {
        given
    };
    config.save(&args.data)?;
    if args.index.is_none() {
        let entry = IndexEntry::of(&args.data, &args.domain, &args.name, args.inbound);
        write_index(&args.data.join("index.toml"), &[entry])?;
    }
    println!(
        "Provider {} ({}) created in {}",
        args.name,
        args.domain,
        args.data.display()
    );
    println!(
        "Add mailboxes with: certa mailbox add ADDRESS --data {}",
        args.data.display()
    );
    println!("Start it with:      certa serve --data {}", args.data.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes the data directory of a provider: keys and `certa.toml`.
pub fn create(data: &Path, domain: &str, name: &str, listen: Listen, index: &str) -> Result<ProviderConfig> {
    let keys_dir = data.join("keys");
    std::fs::create_dir_all(&keys_dir).with_context(|| format!("cannot create {}", keys_dir.display()))?;
    let pki = dev_pki(domain, name, &["localhost", "127.0.0.1"], chrono::Utc::now())?;
    super::keys::write_all(&keys_dir, &pki)?;
    let config = ProviderConfig {
        name: name.to_string(),
        domain: domain.to_ascii_lowercase(),
        index: index.to_string(),
        database: None,
        anomaly: engine::AnomalyPolicy::Anomaly,
        keys: Keys::default(),
        access: Access::default(),
        listen,
        limits: Limits::default(),
        smarthost: None,
        lifecycle: None,
    };
    config.save(data)?;
    Ok(config)
}

/// One provider as the index lists it.
pub struct IndexEntry {
    pub name: String,
    pub domain: String,
    pub certificate: PathBuf,
    pub tls_root: PathBuf,
    pub inbound: SocketAddr,
}

impl IndexEntry {
    pub fn of(data: &Path, domain: &str, name: &str, inbound: SocketAddr) -> Self {
        IndexEntry {
            name: name.to_string(),
            domain: domain.to_ascii_lowercase(),
            certificate: data.join("keys/signer.pem"),
            tls_root: data.join("keys/ca.pem"),
            inbound,
        }
    }
}

/// Writes a provider index (paths relative to it) listing `entries`.
pub fn write_index(path: &Path, entries: &[IndexEntry]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut text = String::from("# Provider index (RFC 6109 6): the providers this installation trusts.\n");
    let roots: Vec<String> = entries
        .iter()
        .map(|e| relative_to(dir, &e.tls_root))
        .collect::<Result<_>>()?;
    text.push_str(&format!("tls_roots = {}\n", toml_list(&roots)));
    for e in entries {
        text.push_str(&format!(
            "\n[[provider]]\nname = {:?}\ndomains = [{:?}]\ncertificate = {:?}\nreceipts = \"posta-certificata@{}\"\nsmtp = \"{}\"\ntls = \"starttls\"\n",
            e.name,
            e.domain,
            relative_to(dir, &e.certificate)?,
            e.domain,
            e.inbound
        ));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn toml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
    )
}

/// `target` as a path relative to `base` when it is inside it, else absolute.
fn relative_to(base: &Path, target: &Path) -> Result<String> {
    let base = std::path::absolute(base)?;
    let target = std::path::absolute(target)?;
    Ok(match target.strip_prefix(&base) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => match (base.parent(), target.strip_prefix(base.parent().unwrap_or(&base))) {
            (Some(_), Ok(rel)) => format!("../{}", rel.display()),
            _ => target.display().to_string(),
        },
    })
}
