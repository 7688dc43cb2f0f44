//! `certa index show|check`: the provider index.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use engine::Clock as _;
use engine::ProviderIndex;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the providers of an index.
    Show(IndexArgs),
    /// Check an index: every certificate readable, unique domains, valid today,
    /// receipts address in the provider's domains. Exit 1 on any problem.
    Check(IndexArgs),
}

#[derive(clap::Args)]
pub struct IndexArgs {
    /// The index file (default: the one of the provider in --data).
    index: Option<PathBuf>,
    #[arg(long, env = "CERTA_DATA", default_value = "certa-data")]
    data: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn load(a: &IndexArgs) -> Result<ProviderIndex> {
    let path = match &a.index {
        Some(p) => p.clone(),
        None => {
            let config = crate::provider::ProviderConfig::load(&a.data)?;
            a.data.join(config.index)
        }
    };
    Ok(ProviderIndex::load(&path)?)
}

pub fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Show(a) => {
            let index = load(&a)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&index.providers)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("{}: {} providers", index.path.display(), index.providers.len());
            for p in &index.providers {
                println!(
                    "\n{}\n  domains      {}\n  receipts     {}\n  smtp         {}:{} ({:?})",
                    p.name,
                    p.domains.join(", "),
                    p.receipts,
                    p.smtp_host,
                    p.smtp_port,
                    p.tls
                );
                println!(
                    "  certificate  {}\n  sha256       {}\n  valid until  {}",
                    p.certificate_subject, p.certificate_sha256, p.certificate_not_after
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(a) => {
            let index = load(&a)?;
            let mut problems = Vec::new();
            let now = engine::SystemClock.now();
            for p in &index.providers {
                let facts = pec::smime::certificate_facts(p.certificate_pem.as_bytes())?;
                if chrono::DateTime::parse_from_rfc3339(&facts.not_after).is_ok_and(|t| t < now) {
                    problems.push(format!("{}: its certificate expired on {}", p.name, facts.not_after));
                }
                if !facts.emails.iter().any(|e| {
                    e.rsplit_once('@')
                        .is_some_and(|(_, d)| p.domains.iter().any(|x| x == d))
                }) {
                    problems.push(format!(
                        "{}: the certificate's e-mail addresses {:?} are not in its domains",
                        p.name, facts.emails
                    ));
                }
                if !p
                    .receipts
                    .rsplit_once('@')
                    .is_some_and(|(_, d)| p.domains.iter().any(|x| x == d))
                {
                    problems.push(format!(
                        "{}: receipts address {} is not in its domains",
                        p.name, p.receipts
                    ));
                }
            }
            if index.tls_roots_pem.is_empty() {
                problems.push("no tls_roots: TLS to the providers' endpoints cannot be verified".into());
            }
            for p in &problems {
                println!("problem: {p}");
            }
            println!(
                "{}: {} providers, {} problems",
                index.path.display(),
                index.providers.len(),
                problems.len()
            );
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
