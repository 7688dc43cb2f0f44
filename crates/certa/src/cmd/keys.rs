//! `certa keys init`: a development CA, a provider signing certificate (production
//! profile: RSA-2048, SAN `posta-certificata@<domain>`, EKU emailProtection) and a
//! TLS server certificate, written as PEM files. For development and tests only.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use engine::{Clock, SystemClock};
use pec::smime::dev_pki;

use crate::provider::setup::{KEY_FILES, write_keys};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Create a development CA and the provider's signing and TLS certificates.
    Init(InitArgs),
}

#[derive(clap::Args)]
pub struct InitArgs {
    /// The provider's PEC domain (messages are signed as posta-certificata@DOMAIN).
    #[arg(long)]
    domain: String,
    /// The provider's name (gestore-emittente), e.g. "Example PEC S.p.A.".
    #[arg(long, default_value = "Certa Development PEC")]
    name: String,
    /// Host names or IP addresses of the TLS certificate (repeatable).
    #[arg(long = "tls-host", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
    tls_hosts: Vec<String>,
    /// Directory to write the files into (created if missing).
    #[arg(long, default_value = "keys")]
    dir: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Init(args) => init(args),
    }
}

fn init(args: InitArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("cannot create {}", args.dir.display()))?;
    if !args.force {
        let existing: Vec<String> = KEY_FILES
            .iter()
            .map(|(f, _)| args.dir.join(f))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            bail!("refusing to overwrite {} (use --force)", existing.join(", "));
        }
    }
    let hosts: Vec<&str> = args.tls_hosts.iter().map(String::as_str).collect();
    let pki = dev_pki(&args.domain, &args.name, &hosts, SystemClock.now()).context("cannot create the keys")?;
    write_keys(&args.dir, &pki)?;
    println!(
        "Development keys for {} written to {}:",
        args.domain,
        args.dir.display()
    );
    for (file, secret) in KEY_FILES {
        let what = if secret {
            "private key (mode 0600, never share it)"
        } else {
            "certificate"
        };
        println!("  {:<12} {what}", file);
    }
    println!(
        "Trust ca.pem to verify this provider's messages: certa verify FILE.eml --trust {}",
        args.dir.join("ca.pem").display()
    );
    println!("These keys are for development and tests only: production uses the certificate issued by AgID.");
    Ok(ExitCode::SUCCESS)
}
