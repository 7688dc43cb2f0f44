//! Parser and classifier: any raw message -> a [`PecMessage`] or [`Parsed::NotPec`].
//!
//! The kind comes from `X-Trasporto` / `X-Ricevuta` (header names compared without
//! case: providers write `X-Tiporicevuta` too) and from daticert `tipo`, never
//! from the subject: SDI sends envelopes whose subject reads "mancata consegna"
//! (pec-rules.md 8.6). Missing or malformed parts become findings; nothing here
//! panics on outside input.

mod checks;
mod kind;

pub use kind::Kind;

use chrono::{DateTime, Utc};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use crate::daticert::{self, Daticert, ReceiptKind};
use crate::mime::{self, RawField};
use crate::smime::{SignatureReport, SignatureVerdict, TrustList, verify_detached};

/// The PEC headers of the top-level message, as written (values unfolded).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PecHeaders {
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub reply_to: Option<String>,
    pub date: Option<String>,
    pub message_id: Option<String>,
    pub x_trasporto: Option<String>,
    pub x_ricevuta: Option<String>,
    pub x_tipo_ricevuta: Option<String>,
    pub x_riferimento_message_id: Option<String>,
    pub x_verifica_sicurezza: Option<String>,
    pub x_mittente: Option<String>,
}

/// A message classified as PEC.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PecMessage {
    pub kind: Kind,
    pub headers: PecHeaders,
    pub daticert: Option<Daticert>,
    /// The `daticert.xml` part as it stands in the message (decoded from its
    /// transfer encoding), for whoever keeps it as a file.
    #[serde(skip)]
    pub daticert_xml: Option<Vec<u8>>,
    /// The original carried as `postacert.eml`, as its bytes stand in the message.
    #[serde(skip)]
    pub postacert: Option<Vec<u8>>,
    pub signature: SignatureReport,
    /// Deviations from the rules, one sentence each.
    pub findings: Vec<String>,
}

impl PecMessage {
    /// The delivery receipt type: daticert `<ricevuta>`, else `X-TipoRicevuta`
    /// (Aruba omits the header on receipts; read daticert first).
    pub fn receipt_kind(&self) -> Option<ReceiptKind> {
        self.daticert
            .as_ref()
            .and_then(|d| d.ricevuta.clone())
            .or_else(|| self.headers.x_tipo_ricevuta.as_deref().map(ReceiptKind::parse))
    }

    /// The original sender: daticert `<mittente>`, else `X-Mittente`.
    pub fn sender(&self) -> Option<&str> {
        self.daticert
            .as_ref()
            .map(|d| d.mittente.as_str())
            .filter(|s| !s.is_empty())
            .or(self.headers.x_mittente.as_deref())
    }
}

/// A message that is not PEC, with the reason.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotPec {
    pub reason: String,
    pub subject: Option<String>,
    pub from: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "classification", rename_all = "kebab-case")]
pub enum Parsed {
    Pec(Box<PecMessage>),
    NotPec(NotPec),
}

/// Classifies and reads `raw`, verifying its signature over the exact bytes received
/// (and, when `trust` is given, the signer against it).
pub fn parse(raw: &[u8], trust: Option<&TrustList>) -> Parsed {
    let (fields, _) = mime::header_fields(raw);
    let headers = read_headers(&fields);
    let not_pec = |reason: String| {
        Parsed::NotPec(NotPec {
            reason,
            subject: headers.subject.clone(),
            from: headers.from.clone(),
        })
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return not_pec("the input is empty".to_string());
    }
    let Some(message) = MessageParser::default().parse(raw) else {
        return not_pec("the input is not an e-mail message".to_string());
    };
    let mut findings = Vec::new();
    let parts = find_parts(&message, &mut findings);
    let daticert = parts.daticert.as_deref().and_then(|bytes| match daticert::read(bytes) {
        Ok((d, mut notes)) => {
            findings.append(&mut notes);
            Some(d)
        }
        Err(e) => {
            findings.push(e.to_string());
            None
        }
    });
    let Some(kind) = kind::classify(&headers, daticert.as_ref(), &mut findings) else {
        return not_pec(kind::not_pec_reason(&headers));
    };
    let signature = verify_signature(raw, &message, trust);
    let mut pec = PecMessage {
        kind,
        headers,
        daticert,
        daticert_xml: parts.daticert,
        postacert: parts.postacert,
        signature,
        findings,
    };
    if pec.daticert_xml.is_none() {
        pec.findings.extend(checks::missing_daticert(kind));
    }
    checks::consistency(&mut pec);
    Parsed::Pec(Box::new(pec))
}

fn read_headers(fields: &[RawField<'_>]) -> PecHeaders {
    let get = |name: &str| {
        fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(RawField::value)
    };
    let decoded = |name: &str| get(name).map(|v| decode_words(&v));
    PecHeaders {
        subject: decoded("Subject"),
        from: decoded("From"),
        to: decoded("To"),
        cc: decoded("Cc"),
        reply_to: decoded("Reply-To"),
        date: get("Date"),
        message_id: get("Message-ID"),
        x_trasporto: get("X-Trasporto"),
        x_ricevuta: get("X-Ricevuta"),
        x_tipo_ricevuta: get("X-TipoRicevuta"),
        x_riferimento_message_id: get("X-Riferimento-Message-ID"),
        x_verifica_sicurezza: get("X-VerificaSicurezza"),
        x_mittente: get("X-Mittente"),
    }
}

/// RFC 2047 encoded words of a header value, decoded (through mail-parser).
fn decode_words(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_string();
    }
    let probe = format!("Subject: {value}\r\n\r\n");
    MessageParser::default()
        .parse(probe.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_else(|| value.to_string())
}

struct Parts {
    daticert: Option<Vec<u8>>,
    postacert: Option<Vec<u8>>,
}

/// Finds daticert.xml and postacert.eml in the message's own tree, in any order
/// (opec puts daticert first, others do not), without entering the original.
fn find_parts(message: &Message<'_>, findings: &mut Vec<String>) -> Parts {
    let mut daticert = None;
    let mut postacert = None;
    for part in &message.parts {
        let name = part.attachment_name().map(str::to_ascii_lowercase);
        match name.as_deref() {
            Some("daticert.xml") => {
                if daticert.is_some() {
                    findings.push("more than one daticert.xml; the first is read".to_string());
                } else {
                    daticert = Some(part.contents().to_vec());
                }
            }
            Some("postacert.eml") => {
                if postacert.is_none() {
                    postacert = Some(part.contents().to_vec());
                }
            }
            _ => {
                if postacert.is_none() && matches!(part.body, PartType::Message(_)) {
                    postacert = Some(part.contents().to_vec());
                }
            }
        }
    }
    Parts { daticert, postacert }
}

/// Verifies the multipart/signed signature over the exact bytes of its first part.
///
/// S/MIME signs the canonical form, with CRLF line ends (RFC 5751 3.1.1). A message
/// saved with LF line ends (as several real vectors are) is verified a second time
/// over the same bytes with CRLF line ends, and the report says so; the content is
/// never re-serialised.
fn verify_signature(raw: &[u8], message: &Message<'_>, trust: Option<&TrustList>) -> SignatureReport {
    let Some(root) = message.parts.first() else {
        return SignatureReport::unreadable("the message has no body");
    };
    let Some(ct) = root.content_type() else {
        return SignatureReport::unreadable("no Content-Type: the message is not signed");
    };
    let full = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase();
    if full != "multipart/signed" {
        return SignatureReport::unreadable(format!("the message is {full}, not multipart/signed"));
    }
    let Some(boundary) = ct.attribute("boundary") else {
        return SignatureReport::unreadable("multipart/signed without a boundary");
    };
    let Some(signed) = mime::first_part(raw, boundary) else {
        return SignatureReport::unreadable("the signed part cannot be found");
    };
    let signature_part = root
        .sub_parts()
        .and_then(|ids| ids.get(1))
        .and_then(|id| message.parts.get(*id as usize));
    let Some(signature_part) = signature_part else {
        return SignatureReport::unreadable("multipart/signed has no signature part (smime.p7s)");
    };
    let date = message
        .date()
        .and_then(|d| DateTime::<Utc>::from_timestamp(d.to_timestamp(), 0));
    let report = verify_detached(signed, signature_part.contents(), trust, date);
    let canonical = mime::to_crlf(signed);
    if report.verdict == SignatureVerdict::Invalid && canonical.as_ref() != signed {
        let mut second = verify_detached(&canonical, signature_part.contents(), trust, date);
        if second.verdict == SignatureVerdict::Valid {
            second.problems.push(
                "verified over the signed part with CRLF line ends: the message was stored with LF line ends"
                    .to_string(),
            );
            return second;
        }
    }
    report
}

#[cfg(test)]
mod tests;
