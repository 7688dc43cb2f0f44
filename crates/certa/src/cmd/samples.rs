//! `certa samples --out DIR`: one signed sample of every message a gestore
//! generates, with the development CA to verify them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use engine::Clock as _;
use pec::Gestore;
use pec::smime::{Signer, dev_pki};
use pec::time::LegalTime;

#[derive(clap::Args)]
pub struct Args {
    /// Directory to write the samples into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The sample provider's PEC domain.
    #[arg(long, default_value = "pec.certa-demo.it")]
    domain: String,
    /// The sample provider's name.
    #[arg(long, default_value = "Certa Demo PEC")]
    name: String,
    /// Subject of the sample submission.
    #[arg(long, default_value = "Fattura n. 12/2026")]
    subject: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let now = engine::SystemClock.now();
    let pki = dev_pki(&args.domain, &args.name, &["localhost"], now).context("cannot create the sample keys")?;
    let signer = Signer::from_pem(
        pki.signer_cert_pem.as_bytes(),
        pki.signer_key_pem.as_bytes(),
        pki.ca_cert_pem.as_bytes(),
    )?;
    let gestore = Gestore::new(&args.name, &args.domain, signer);
    let samples = pec::build::samples::every_kind(&gestore, &args.subject, LegalTime::from_utc(now))?;
    let ca = args.out.join("ca.pem");
    std::fs::write(&ca, &pki.ca_cert_pem).with_context(|| format!("cannot write {}", ca.display()))?;
    for (i, s) in samples.iter().enumerate() {
        let path = args.out.join(format!("{:02}-{}.eml", i + 1, s.label));
        std::fs::write(&path, &s.built.bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("{:<48} {}", path.display(), s.kind.describe());
    }
    println!(
        "{} samples signed by posta-certificata@{}; verify them with --trust {}",
        samples.len(),
        args.domain,
        ca.display()
    );
    Ok(ExitCode::SUCCESS)
}
