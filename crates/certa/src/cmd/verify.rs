//! `certa verify FILE.eml [--trust DIR|FILE]`: one line and an exit code scripts can rely on.
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

use pec::Parsed;
use pec::smime::{SignatureVerdict, TrustVerdict};

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
    let m = match pec::parse(&raw, trust.as_ref()) {
        Parsed::Pec(m) => m,
        Parsed::NotPec(n) => return (NOT_PEC, format!("not a PEC message: {}", n.reason)),
    };
    let r = &m.signature;
    let signer = r
        .signer_emails
        .first()
        .cloned()
        .or_else(|| r.signer_subject.clone())
        .unwrap_or_else(|| "an unnamed signer".to_string());
    let algorithm = r.digest_algorithm.as_deref().unwrap_or("unknown digest");
    match (&r.verdict, &r.trust) {
        (SignatureVerdict::Valid, TrustVerdict::Trusted) => (
            VALID_TRUSTED,
            format!(
                "{} signed by {signer} ({algorithm}), signature valid, signer trusted",
                m.kind
            ),
        ),
        (SignatureVerdict::Valid, TrustVerdict::NotTrusted(why)) => (
            VALID_NOT_TRUSTED,
            format!(
                "{} signed by {signer} ({algorithm}), signature valid, signer NOT trusted: {why}",
                m.kind
            ),
        ),
        (SignatureVerdict::Valid, TrustVerdict::NotChecked) => (
            VALID_NOT_TRUSTED,
            format!(
                "{} signed by {signer} ({algorithm}), signature valid, trust not checked (no --trust)",
                m.kind
            ),
        ),
        (SignatureVerdict::Invalid, _) => (
            INVALID,
            format!(
                "{} signed by {signer}: signature INVALID, the content was altered after signing",
                m.kind
            ),
        ),
        (SignatureVerdict::Unreadable, _) => (
            UNREADABLE_SIGNATURE,
            format!(
                "{}: no readable signature ({})",
                m.kind,
                r.problems.first().map(String::as_str).unwrap_or("unknown reason")
            ),
        ),
    }
}
