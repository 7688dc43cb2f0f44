//! `certa verify FILE.eml [--trust DIR|FILE]`: one line and an exit code scripts can rely on.
//! The line is `pec::verdict::verdict`'s, which the webmail's verifier shows too.
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | signature valid and signer trusted |
//! | 1 | signature valid, but the signer is not trusted or no trust list was given |
//! | 2 | signature invalid: the content was altered after signing |
//! | 3 | no readable signature |
//! | 4 | not a PEC message, or the input (or the trust list) cannot be read |

use std::path::PathBuf;
use std::process::ExitCode;

use pec::verdict::Outcome;

#[derive(clap::Args)]
pub struct Args {
    /// The message (.eml); `-` reads standard input.
    file: PathBuf,
    /// Certificates of trusted providers or CAs: a PEM/DER file or a directory of them.
    #[arg(long, value_name = "DIR|FILE")]
    trust: Option<PathBuf>,
}

pub const VALID_TRUSTED: u8 = 0;
pub const VALID_NOT_TRUSTED: u8 = 1;
pub const INVALID: u8 = 2;
pub const UNREADABLE_SIGNATURE: u8 = 3;
pub const NOT_PEC: u8 = 4;

pub fn run(args: Args) -> ExitCode {
    let (code, line) = verdict(&args);
    println!("{}: {line}", args.file.display());
    ExitCode::from(code)
}

fn verdict(args: &Args) -> (u8, String) {
    let raw = match super::read_message(&args.file) {
        Ok(raw) => raw,
        Err(e) => return (NOT_PEC, format!("unreadable input: {e:#}")),
    };
    let trust = match args.trust.as_deref().map(crate::trust::load).transpose() {
        Ok(t) => t,
        Err(e) => return (NOT_PEC, format!("unreadable trust list: {e:#}")),
    };
    let (outcome, line) = pec::verdict::verdict(&pec::parse(&raw, trust.as_ref()));
    let code = match outcome {
        Outcome::ValidTrusted => VALID_TRUSTED,
        Outcome::ValidNotTrusted | Outcome::ValidTrustNotChecked => VALID_NOT_TRUSTED,
        Outcome::Invalid => INVALID,
        Outcome::Unreadable => UNREADABLE_SIGNATURE,
        Outcome::NotPec => NOT_PEC,
    };
    (code, line)
}
