//! `certa init`: a new provider's data directory (configuration, development keys,
//! an index that lists it).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::provider::config::{Access, Listen, WebSettings};
use crate::provider::setup::{IndexEntry, create, relative_to, write_index};

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
    /// The webmail (HTTPS); default 127.0.0.1:8443 unless another listener was given.
    #[arg(long)]
    pub web: Option<SocketAddr>,
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
    let web = match args.web {
        Some(addr) => Some(addr),
        None if defaults => Some(SocketAddr::new(args.submission.ip(), 8443)),
        None => None,
    };
    config.web = web.map(|listen| WebSettings {
        listen,
        idle_minutes: None,
        max_upload_mb: None,
        url: None,
    });
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
