//! What a person is told about a message: the one-line verdict (`certa
//! verify`), the summary (`certa inspect`) and the signature in words. The
//! command line, the webmail's public verifier and the proof bundle's report of
//! the signature checks all say it with these functions, so they never
//! disagree.

use std::fmt::Write as _;

use crate::parse::{NotPec, Parsed, PecMessage};
use crate::smime::{SignatureReport, SignatureVerdict, TrustVerdict};

/// The verdict on a message, from the best to the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// PEC, the signature matches the content and the signer is trusted.
    ValidTrusted,
    /// PEC, the signature matches but the signer is not trusted.
    ValidNotTrusted,
    /// PEC, the signature matches; trust was not checked (no trust list).
    ValidTrustNotChecked,
    /// PEC, but the content was altered after signing.
    Invalid,
    /// PEC without a signature that can be checked.
    Unreadable,
    /// Not a PEC message.
    NotPec,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::ValidTrusted => "valid-trusted",
            Outcome::ValidNotTrusted => "valid-not-trusted",
            Outcome::ValidTrustNotChecked => "valid-trust-not-checked",
            Outcome::Invalid => "invalid",
            Outcome::Unreadable => "unreadable",
            Outcome::NotPec => "not-pec",
        }
    }

    /// Whether the signature matches the content (whoever signed).
    pub fn signature_matches(&self) -> bool {
        matches!(
            self,
            Outcome::ValidTrusted | Outcome::ValidNotTrusted | Outcome::ValidTrustNotChecked
        )
    }
}

/// The verdict and its one line (`accettazione signed by ... , signature valid, signer trusted`).
pub fn verdict(parsed: &Parsed) -> (Outcome, String) {
    let m = match parsed {
        Parsed::Pec(m) => m,
        Parsed::NotPec(n) => return (Outcome::NotPec, format!("not a PEC message: {}", n.reason)),
    };
    let r = &m.signature;
    let signer = signer_name(r);
    let algorithm = r.digest_algorithm.as_deref().unwrap_or("unknown digest");
    match (&r.verdict, &r.trust) {
        (SignatureVerdict::Valid, TrustVerdict::Trusted) => (
            Outcome::ValidTrusted,
            format!(
                "{} signed by {signer} ({algorithm}), signature valid, signer trusted",
                m.kind
            ),
        ),
        (SignatureVerdict::Valid, TrustVerdict::NotTrusted(why)) => (
            Outcome::ValidNotTrusted,
            format!(
                "{} signed by {signer} ({algorithm}), signature valid, signer NOT trusted: {why}",
                m.kind
            ),
        ),
        (SignatureVerdict::Valid, TrustVerdict::NotChecked) => (
            Outcome::ValidTrustNotChecked,
            format!(
                "{} signed by {signer} ({algorithm}), signature valid, trust not checked (no trust list)",
                m.kind
            ),
        ),
        (SignatureVerdict::Invalid, _) => (
            Outcome::Invalid,
            format!(
                "{} signed by {signer}: signature INVALID, the content was altered after signing",
                m.kind
            ),
        ),
        (SignatureVerdict::Unreadable, _) => (
            Outcome::Unreadable,
            format!(
                "{}: no readable signature ({})",
                m.kind,
                r.problems.first().map(String::as_str).unwrap_or("unknown reason")
            ),
        ),
    }
}

/// Who signed, as a person names them: the first e-mail address of the
/// certificate, else its subject.
pub fn signer_name(r: &SignatureReport) -> String {
    r.signer_emails
        .first()
        .cloned()
        .or_else(|| r.signer_subject.clone())
        .unwrap_or_else(|| "an unnamed signer".to_string())
}

/// The summary of `certa inspect`: one `Label: value` line per fact, `file`
/// naming the message.
pub fn summary(file: &str, parsed: &Parsed) -> String {
    match parsed {
        Parsed::NotPec(n) => not_pec(file, n),
        Parsed::Pec(m) => pec_summary(file, m),
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

fn pec_summary(file: &str, m: &PecMessage) -> String {
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
        line(&mut s, "Legal time", &legal_time(m).unwrap_or_default());
        line(&mut s, "Issued by", &d.gestore_emittente);
        line(&mut s, "Identificativo", &d.identificativo);
        line(&mut s, "Msgid", d.msgid.as_deref().unwrap_or("(none)"));
        if let Some(consegna) = &d.consegna {
            line(&mut s, "Recipient", consegna);
        }
        if let Some(error) = error(m) {
            line(&mut s, "Error", &error);
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
    line(&mut s, "Signature", &signature(&m.signature));
    let problems = problems(m);
    if problems.is_empty() {
        line(&mut s, "Problems", "none found");
    } else {
        let list: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
        line(&mut s, "Problems", &list.join("\n"));
    }
    s
}

/// The legal time of the daticert (`15/11/2024 18:21:03 (+0100) = 2024-11-15
/// 17:21:03 UTC`), or what it says when it is not a valid date.
pub fn legal_time(m: &PecMessage) -> Option<String> {
    let d = m.daticert.as_ref()?;
    Some(match d.time() {
        Some(t) => format!("{t} = {} UTC", t.utc().format("%Y-%m-%d %H:%M:%S")),
        None => format!("{} {} {} (not a valid date)", d.data.giorno, d.data.ora, d.data.zona),
    })
}

/// The daticert's error with its extended reason, when there is one.
pub fn error(m: &PecMessage) -> Option<String> {
    let d = m.daticert.as_ref()?;
    if d.errore.as_str() == "nessuno" && d.errore_esteso.is_none() {
        return None;
    }
    let detail = d.errore_esteso.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
    Some(format!("{}{detail}", d.errore))
}

/// Every problem found: the message's deviations from the rules, then the signature's.
pub fn problems(m: &PecMessage) -> Vec<&String> {
    m.findings.iter().chain(&m.signature.problems).collect()
}

/// The signature in words: verdict, algorithms, signer, signing time,
/// certificate validity, trust and chain, one fact a line.
pub fn signature(r: &SignatureReport) -> String {
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
        TrustVerdict::NotChecked => "not checked (no trust list)".to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_mail_is_not_pec_in_every_form() {
        let parsed = crate::parse(b"From: a@b.test\r\nSubject: ciao\r\n\r\ntesto\r\n", None);
        let (outcome, line) = verdict(&parsed);
        assert_eq!(outcome, Outcome::NotPec);
        assert!(line.starts_with("not a PEC message: "), "{line}");
        let text = summary("x.eml", &parsed);
        assert!(text.contains("Kind:           not a PEC message"), "{text}");
        assert!(text.contains("Subject:        ciao"), "{text}");
    }

    #[test]
    fn outcomes_name_themselves() {
        assert_eq!(Outcome::ValidTrusted.as_str(), "valid-trusted");
        assert!(Outcome::ValidNotTrusted.signature_matches());
        assert!(!Outcome::Invalid.signature_matches());
        let v = serde_json::to_value(Outcome::ValidTrustNotChecked).unwrap();
        assert_eq!(v, serde_json::json!("valid-trust-not-checked"));
    }
}
