//! Proof of what a mailbox sent and received, for a lawyer to file.
//!
//! In court only the original `.eml` of a PEC receipt counts, not a printout
//! (CAD art. 48; DPR 68/2005 art. 6: the receipts are the proof of sending and
//! delivery). So:
//!
//! - [`eml`]: any message of the mailbox as its stored bytes, untouched;
//! - [`bundle`]: for a message the mailbox sent, one ZIP with the message as the
//!   access point accepted it, the signed transport envelope, every receipt and
//!   notice the mailbox holds for it (acceptance, presa in carico, delivery,
//!   non-delivery, the 12- and 24-hour notices: pec-rules.md 3.2) as original
//!   `.eml`, the `daticert.xml` of each, the signer certificates, a report of
//!   every signature check (`verifica-firme.json`, `verifica-firme.txt`: the
//!   same verdicts as `certa verify` and `certa inspect`), a printable summary
//!   (`riepilogo.html`) and a `SHA256SUMS` manifest of every file.
//!
//! Every function takes the logged-in mailbox's id: another mailbox's message
//! is "not found".

mod summary;
mod zipped;

use std::fs::File;

use chrono_tz::Europe::Rome;
use pec::parse::Parsed;
use pec::verdict::Outcome;
use serde::Serialize;
use store::messages;
use store::pec::Recipient;

use crate::verify::{Examined, examine};
use crate::{Error, Office, Result};

pub use zipped::Entry;

/// A message as its original bytes, with a file name safe on every system.
#[derive(Debug, Clone)]
pub struct Eml {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The message `message_id` of the mailbox `mailbox_id`, byte for byte.
pub async fn eml(office: &Office, mailbox_id: i64, message_id: i64) -> Result<Eml> {
    let m = own_message(office, mailbox_id, message_id).await?;
    let bytes = office.store().blobs().get(&m.blob).await?;
    let at = store::instant(m.internal_date).with_timezone(&Rome);
    let file_name = format!(
        "{}-{}-{}.eml",
        m.pec_kind.as_deref().unwrap_or("messaggio"),
        at.format("%Y%m%d-%H%M%S"),
        m.uid
    );
    Ok(Eml {
        file_name: safe_name(&file_name),
        bytes,
    })
}

/// The message `message_id` if the mailbox holds it; not found otherwise.
pub(crate) async fn own_message(office: &Office, mailbox_id: i64, message_id: i64) -> Result<messages::StoredMessage> {
    let not_found = || Error::not_found("message", "no such message in this mailbox");
    let mut c = office.store().conn().await?;
    let m = match messages::get(&mut c, message_id).await {
        Ok(m) => m,
        Err(store::Error::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let folder = messages::folder_by_id(&mut c, m.folder_id).await?;
    if folder.mailbox_id != mailbox_id {
        return Err(not_found());
    }
    Ok(m)
}

/// A proof bundle, written: the ZIP (an unnamed temporary file, read from its
/// start) and what it holds.
#[derive(Debug)]
pub struct Bundle {
    pub file: File,
    pub size: u64,
    pub report: ProofReport,
}

/// What a proof bundle holds, in the order of its summary.
#[derive(Debug, Clone, Serialize)]
pub struct ProofReport {
    /// The ZIP's name (`prova-<identificativo>.zip`).
    pub file_name: String,
    pub identificativo: String,
    pub msgid: Option<String>,
    pub sender: String,
    pub subject: String,
    /// When the access point accepted it (RFC 3339, UTC).
    pub accepted_at: String,
    /// The legal time of acceptance (the acceptance receipt's daticert, else the
    /// provider's record), Italian time.
    pub legal_time: String,
    /// The receipt type asked for (completa, breve, sintetica).
    pub receipt_type: String,
    pub recipients: Vec<Recipient>,
    /// Every PEC object of the bundle (envelope, receipts) with its check.
    pub items: Vec<Item>,
    /// Every file of the bundle but the manifest, as `SHA256SUMS` lists them.
    pub files: Vec<Entry>,
    /// Who built it, and when (RFC 3339).
    pub built_by: String,
    pub built_at: String,
}

/// One signed PEC object of the bundle and its signature check.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// Its `.eml` in the bundle.
    pub file: String,
    /// Its `daticert.xml` in the bundle, when it has one.
    pub daticert_file: Option<String>,
    /// The signer certificate in the bundle (`certificati/<sha256>.pem`).
    pub certificate_file: Option<String>,
    pub kind: Option<String>,
    pub kind_description: Option<String>,
    /// The daticert's legal time.
    pub legal_time: Option<String>,
    /// The daticert's identificativo (the message's, for a receipt).
    pub identificativo: Option<String>,
    /// The recipient a delivery receipt or notice is about.
    pub recipient: Option<String>,
    pub error: Option<String>,
    pub outcome: Outcome,
    /// The line of `certa verify`.
    pub verdict: String,
    /// The provider of the index whose certificate signed, if one did.
    pub signer_provider: Option<String>,
    pub signature: Option<pec::smime::SignatureReport>,
    pub findings: Vec<String>,
    /// `certa inspect`'s summary of it.
    #[serde(skip)]
    pub summary: String,
}

/// The proof bundle of the message the mailbox sent with `identificativo`.
pub async fn bundle(office: &Office, mailbox_id: i64, identificativo: &str) -> Result<Bundle> {
    let not_found = || Error::not_found("identificativo", "no message sent from this mailbox has it");
    let mut c = office.store().conn().await?;
    let mailbox = store::mailboxes::by_id(&mut c, mailbox_id).await?;
    let sent = store::pec::by_identificativo(&mut c, identificativo.trim())
        .await?
        .filter(|p| p.sender.eq_ignore_ascii_case(&mailbox.address))
        .ok_or_else(not_found)?;
    let recipients = store::pec::recipients(&mut c, sent.id).await?;
    let receipts = store::receipts::receipts_of(&mut c, mailbox_id, &sent.identificativo).await?;
    drop(c);

    let accepted = store::instant(sent.accepted_at);
    let top = format!("prova-{}", safe_name(&sent.identificativo));
    let mut zip = zipped::Zipped::create(&top, accepted.with_timezone(&Rome).naive_local())?;
    let blobs = office.store().blobs();
    let original = blobs.get(&sent.original_blob).await?;
    zip = blocking(move || {
        zip.add("messaggio-originale.eml", &original)?;
        Ok(zip)
    })
    .await?;

    // The envelope first, then the receipts in the order they arrived.
    let mut objects: Vec<(String, store::BlobId)> = Vec::new();
    if let Some(envelope) = &sent.envelope_blob {
        objects.push(("busta-di-trasporto".to_string(), envelope.clone()));
    }
    for (n, r) in receipts.iter().enumerate() {
        let kind = r.pec_kind.as_deref().unwrap_or("ricevuta");
        objects.push((format!("ricevute/{:02}-{kind}", n + 1), r.blob.clone()));
    }
    let mut items = Vec::new();
    let mut certificates: Vec<String> = Vec::new();
    for (stem, blob) in objects {
        let raw = blobs.get(&blob).await?;
        let engine = office.engine().clone();
        let (z, item, new_certificate) = blocking(move || {
            let examined = examine(engine.index(), &raw);
            let stem = match &examined.parsed {
                Parsed::Pec(m) => match m.daticert.as_ref().and_then(|d| d.consegna.as_deref()) {
                    Some(to) => format!("{stem}-{}", safe_name(to)),
                    None => stem,
                },
                Parsed::NotPec(_) => stem,
            };
            let file = format!("{stem}.eml");
            zip.add(&file, &raw)?;
            let xml = match &examined.parsed {
                Parsed::Pec(m) => m.daticert_xml.clone(),
                Parsed::NotPec(_) => None,
            };
            let mut item = item_of(&file, examined);
            if let Some(xml) = xml {
                let daticert = format!("{stem}.daticert.xml");
                zip.add(&daticert, &xml)?;
                item.daticert_file = Some(daticert);
            }
            let certificate = item
                .signature
                .as_ref()
                .and_then(|s| Some((s.signer_certificate_sha256.clone()?, s.signer_certificate_pem.clone()?)));
            if let Some((sha, _)) = &certificate {
                item.certificate_file = Some(format!("certificati/{sha}.pem"));
            }
            Ok((zip, item, certificate))
        })
        .await?;
        zip = z;
        if let Some((sha, pem)) = new_certificate
            && !certificates.contains(&sha)
        {
            zip.add(&format!("certificati/{sha}.pem"), pem.as_bytes())?;
            certificates.push(sha);
        }
        items.push(item);
    }

    let legal_time = items
        .iter()
        .find(|i| i.kind.as_deref() == Some("accettazione"))
        .and_then(|i| i.legal_time.clone())
        .unwrap_or_else(|| pec::time::LegalTime::from_utc(accepted).to_string());
    let mut report = ProofReport {
        file_name: format!("{top}.zip"),
        identificativo: sent.identificativo.clone(),
        msgid: sent.msgid.clone(),
        sender: sent.sender.clone(),
        subject: sent.subject.clone(),
        accepted_at: accepted.to_rfc3339(),
        legal_time,
        receipt_type: sent.receipt_kind.clone(),
        recipients,
        items,
        files: Vec::new(),
        built_by: office.engine().gestore().name().to_string(),
        built_at: office.now().to_rfc3339(),
    };
    let json = serde_json::to_vec_pretty(&serde_json::json!({
        "format": "certa-proof-signatures",
        "version": 1,
        "identificativo": report.identificativo,
        "trust": "the signer certificates of the providers in the provider index of this installation",
        "checks": report.items,
    }))
    .map_err(|e| Error::corrupt(format!("cannot write the signature report: {e}")))?;
    zip.add("verifica-firme.json", &json)?;
    zip.add("verifica-firme.txt", summary::signatures_text(&report).as_bytes())?;
    report.files = zip.entries.clone();
    zip.add("riepilogo.html", summary::html(&report).as_bytes())?;
    report.files = zip.entries.clone();
    let manifest = zip.manifest();
    zip.add("SHA256SUMS", manifest.as_bytes())?;
    let (file, size) = blocking(move || zip.finish()).await?;
    tracing::info!(identificativo = %report.identificativo, size, "proof bundle built");
    Ok(Bundle { file, size, report })
}

fn item_of(file: &str, e: Examined) -> Item {
    let summary = pec::verdict::summary(file, &e.parsed);
    let mut item = Item {
        file: file.to_string(),
        daticert_file: None,
        certificate_file: None,
        kind: None,
        kind_description: None,
        legal_time: None,
        identificativo: None,
        recipient: None,
        error: None,
        outcome: e.outcome,
        verdict: e.line,
        signer_provider: e.provider,
        signature: None,
        findings: Vec::new(),
        summary,
    };
    match e.parsed {
        Parsed::NotPec(n) => item.findings.push(n.reason),
        Parsed::Pec(m) => {
            item.kind = Some(m.kind.to_string());
            item.kind_description = Some(m.kind.describe().to_string());
            item.legal_time = pec::verdict::legal_time(&m);
            item.error = pec::verdict::error(&m);
            if let Some(d) = &m.daticert {
                item.identificativo = Some(d.identificativo.clone());
                item.recipient = d.consegna.clone();
            }
            item.findings = m.findings.clone();
            item.signature = Some(m.signature);
        }
    }
    item
}

/// Runs `work` (file writes, signature checks) off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::corrupt(format!("the proof bundle stopped: {e}")))?
}

/// A file name of letters, digits and `@._-` only (anything else becomes `_`),
/// never starting with a dot, at most 120 characters.
pub fn safe_name(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    while name.starts_with('.') {
        name.replace_range(..1, "_");
    }
    if name.is_empty() {
        name.push('_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_everywhere() {
        assert_eq!(
            safe_name("opec.20261120.1@pec.office.test"),
            "opec.20261120.1@pec.office.test"
        );
        assert_eq!(safe_name("../../etc/passwd"), "_._.._etc_passwd");
        assert_eq!(safe_name("a b/c\\d\"e"), "a_b_c_d_e");
        assert_eq!(safe_name(""), "_");
        assert_eq!(safe_name(&"x".repeat(300)).len(), 120);
    }
}
