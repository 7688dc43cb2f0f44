//! `certa inspect FILE.eml`: a human summary of any PEC message, or JSON for scripts.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use pec::parse::{NotPec, Parsed, PecMessage};
use pec::smime::{SignatureReport, SignatureVerdict, TrustVerdict};

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
        print!(
            "{}",
            summary(&args.file.display().to_string(), &parsed, trust.is_some())
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(file: &str, parsed: &Parsed, trust_given: bool) -> String {
    match parsed {
        Parsed::NotPec(n) => not_pec(file, n),
        Parsed::Pec(m) => pec_summary(file, m, trust_given),
    }
}

fn not_pec(file: &str, n: &NotPec) -> String {
    let mut s = String::new();
    line(&mut s, "File", file);
    line(&mut s, "Kind", "not a PEC message");
    line(&mut s, "Reason", &n.reason);
    if let Some(subject) = &n.subject {
        line(&mut s, "Subject", subject);
    }
    if let Some(from) = &n.from {
        line(&mut s, "From", from);
    }
    s
}

fn pec_summary(file: &str, m: &PecMessage, trust_given: bool) -> String {
    let mut s = String::new();
    line(&mut s, "File", file);
    line(&mut s, "Kind", &format!("{} [{}]", m.kind.describe(), m.kind));
    if let Some(subject) = &m.headers.subject {
        line(&mut s, "Subject", subject);
    }
    if let Some(from) = &m.headers.from {
        line(&mut s, "From", from);
    }
    if let Some(to) = &m.headers.to {
        line(&mut s, "To", to);
    }
    if let Some(d) = &m.daticert {
        line(&mut s, "Sender", &d.mittente);
        let recipients: Vec<String> = d
            .destinatari
            .iter()
            .map(|r| format!("{} ({})", r.address, r.tipo))
            .collect();
        line(&mut s, "Recipients", &recipients.join("\n"));
        if d.risposte != d.mittente {
            line(&mut s, "Reply to", &d.risposte);
        }
        let time = match d.time() {
            Some(t) => format!("{t} = {} UTC", t.utc().format("%Y-%m-%d %H:%M:%S")),
            None => format!("{} {} {} (not a valid date)", d.data.giorno, d.data.ora, d.data.zona),
        };
        line(&mut s, "Legal time", &time);
        line(&mut s, "Issued by", &d.gestore_emittente);
        line(&mut s, "Identificativo", &d.identificativo);
        line(&mut s, "Msgid", d.msgid.as_deref().unwrap_or("(none)"));
        if let Some(consegna) = &d.consegna {
            line(&mut s, "Recipient", consegna);
        }
        if d.errore.as_str() != "nessuno" || d.errore_esteso.is_some() {
            let detail = d.errore_esteso.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
            line(&mut s, "Error", &format!("{}{detail}", d.errore));
        }
    } else {
        if let Some(sender) = m.sender() {
            line(&mut s, "Sender", sender);
        }
        if let Some(date) = &m.headers.date {
            line(&mut s, "Date", date);
        }
        if let Some(r) = &m.headers.x_riferimento_message_id {
            line(&mut s, "Msgid", r);
        }
    }
    if let Some(kind) = m.receipt_kind() {
        line(&mut s, "Receipt type", kind.as_str());
    }
    match &m.postacert {
        Some(p) => line(&mut s, "Original", &format!("postacert.eml, {} bytes", p.len())),
        None => line(&mut s, "Original", "not attached"),
    }
    line(&mut s, "Signature", &signature(&m.signature, trust_given));
    let problems: Vec<&String> = m.findings.iter().chain(&m.signature.problems).collect();
    if problems.is_empty() {
        line(&mut s, "Problems", "none found");
    } else {
        let list: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
        line(&mut s, "Problems", &list.join("\n"));
    }
    s
}

fn signature(r: &SignatureReport, trust_given: bool) -> String {
    let mut s = match r.verdict {
        SignatureVerdict::Valid => "valid".to_string(),
        SignatureVerdict::Invalid => "INVALID: the content was altered after signing".to_string(),
        SignatureVerdict::Unreadable => "unreadable: no signature that can be checked".to_string(),
    };
    if r.verdict == SignatureVerdict::Unreadable {
        return s;
    }
    let algorithms: Vec<String> = [
        r.digest_algorithm.clone(),
        match (&r.key_algorithm, r.key_bits) {
            (Some(a), Some(b)) => Some(format!("{a} {b} bits")),
            _ => None,
        },
    ]
    .into_iter()
    .flatten()
    .collect();
    if !algorithms.is_empty() {
        let _ = write!(s, " ({})", algorithms.join(", "));
    }
    if let Some(subject) = &r.signer_subject {
        let _ = write!(s, "\nsigner {subject}");
    }
    if !r.signer_emails.is_empty() {
        let _ = write!(s, " <{}>", r.signer_emails.join(", "));
    }
    if let Some(t) = r.signing_time {
        let _ = write!(s, "\nsigned at {} UTC", t.format("%Y-%m-%d %H:%M:%S"));
    }
    if let (Some(from), Some(to)) = (r.not_before, r.not_after) {
        let at_signing = match r.valid_at_signing_time {
            Some(true) => "valid when signed",
            Some(false) => "NOT valid when signed",
            None => "signing time unknown",
        };
        let _ = write!(
            s,
            "\ncertificate valid {} .. {} ({at_signing})",
            from.format("%Y-%m-%d"),
            to.format("%Y-%m-%d")
        );
    }
    let trust = match &r.trust {
        TrustVerdict::Trusted => "trusted".to_string(),
        TrustVerdict::NotTrusted(why) => format!("NOT trusted: {why}"),
        TrustVerdict::NotChecked if trust_given => "not checked".to_string(),
        TrustVerdict::NotChecked => "not checked (give --trust with the providers' or CA certificates)".to_string(),
    };
    let _ = write!(s, "\ntrust: {trust}");
    if !r.chain.is_empty() {
        let _ = write!(s, "\nchain: {}", r.chain.join(" <- "));
    }
    s
}

/// `Label:` padded to a column, continuation lines indented under the value.
fn line(s: &mut String, label: &str, value: &str) {
    let mut lines = value.lines();
    let _ = writeln!(s, "{:<16}{}", format!("{label}:"), lines.next().unwrap_or_default());
    for more in lines {
        let _ = writeln!(s, "{:<16}{more}", "");
    }
}
