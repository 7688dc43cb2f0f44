//! `certa keys init`: a development CA, a provider signing certificate (production
//! profile: RSA-2048, SAN `posta-certificata@<domain>`, EKU emailProtection) and a
//! TLS server certificate, written as PEM files. For development and tests only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use pec::smime::{DevPki, dev_pki};

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

/// The files written, in order: (name, is a private key).
pub const FILES: [(&str, bool); 6] = [
    ("ca.pem", false),
    ("ca.key", true),
    ("signer.pem", false),
    ("signer.key", true),
    ("tls.pem", false),
    ("tls.key", true),
];

pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Init(args) => init(args),
    }
}

fn init(args: InitArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("cannot create {}", args.dir.display()))?;
    if !args.force {
        let existing: Vec<String> = FILES
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
    let pki = dev_pki(&args.domain, &args.name, &hosts, chrono::Utc::now()).context("cannot create the keys")?;
    write_all(&args.dir, &pki)?;
    println!(
        "Development keys for {} written to {}:",
        args.domain,
        args.dir.display()
    );
    for (file, secret) in FILES {
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

pub fn write_all(dir: &Path, pki: &DevPki) -> Result<()> {
    let contents = [
        &pki.ca_cert_pem,
        &pki.ca_key_pem,
        &pki.signer_cert_pem,
        &pki.signer_key_pem,
        &pki.tls_cert_pem,
        &pki.tls_key_pem,
    ];
    for ((file, secret), content) in FILES.iter().zip(contents) {
        write_file(&dir.join(file), content.as_bytes(), *secret)?;
    }
    Ok(())
}

fn write_file(path: &Path, content: &[u8], secret: bool) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(if secret { 0o600 } else { 0o644 });
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(content)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
