//! `certa inspect FILE.eml`: a human summary of any PEC message, or JSON for scripts.
//! The summary is `pec::verdict::summary`, which the webmail's verifier and the
//! proof bundle's report say too.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use pec::parse::Parsed;

#[derive(clap::Args)]
pub struct Args {
    /// The message (.eml); `-` reads standard input.
    file: PathBuf,
    /// Certificates of trusted providers or CAs: a PEM/DER file or a directory of them.
    #[arg(long, value_name = "DIR|FILE")]
    trust: Option<PathBuf>,
    /// Print JSON instead of the human summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let raw = super::read_message(&args.file)?;
    let trust = args.trust.as_deref().map(crate::trust::load).transpose()?;
    let parsed = pec::parse(&raw, trust.as_ref());
    if args.json {
        let value = serde_json::json!({
            "file": args.file.display().to_string(),
            "size": raw.len(),
            "postacert_size": match &parsed { Parsed::Pec(m) => m.postacert.as_ref().map(Vec::len), Parsed::NotPec(_) => None },
            "result": parsed,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", pec::verdict::summary(&args.file.display().to_string(), &parsed));
        if trust.is_none() && matches!(parsed, Parsed::Pec(_)) {
            println!("(give --trust with the providers' or CA certificates to check the signer)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
