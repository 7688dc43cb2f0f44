//! One message as a person reads it. A transport envelope is read as what it
//! carries (the original, `postacert.eml`: pec-rules.md 3.3), with the
//! certification said in words beside it: who sent it, the legal time, the
//! identificativo, the receipt type asked for, and whether the gestore's
//! signature is valid and whose it is (the same examination as the public
//! verifier, `crate::verify`, with this installation's provider index as trust
//! list). An anomaly envelope (pec-rules.md 3.9) says why it is one; a receipt
//! says what it proves and links to the sent message when the holder sent it.
//!
//! The message's HTML is handed to the page as it is: the page shows it only in
//! a sandboxed frame with a CSP of its own (web's `pages/message.rs`).

use chrono::{DateTime, FixedOffset};
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};
use pec::Parsed;
use pec::verdict::Outcome;
use serde::Serialize;
use store::changes::{self, FlagOp};
use store::mailboxes::{self, Status};

use super::{Category, legal_ms, person};
use crate::proof::own_message;
use crate::verify::examine;
use crate::{Error, Office, Result};

/// The most text of a body shown (the rest is in the `.eml`).
const TEXT_LIMIT: usize = 1024 * 1024;

/// A message's page.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub id: i64,
    pub folder_id: i64,
    pub category: Category,
    pub pec_kind: Option<String>,
    pub size: i64,
    pub arrived: DateTime<FixedOffset>,
    /// The message the holder reads: for an envelope, the original inside.
    pub shown: Shown,
    /// For an envelope: the gestore's own subject ("POSTA CERTIFICATA: ...").
    pub envelope_subject: Option<String>,
    /// For any PEC message: what its certification says.
    pub certification: Option<Certification>,
    /// For an anomaly envelope: why it is one.
    pub anomaly: Option<Anomaly>,
    /// For a receipt or notice: what it is about.
    pub receipt: Option<ReceiptFacts>,
}

/// A readable message: its header fields decoded, its text, its HTML (to show
/// sandboxed), and its attachments numbered for [`part`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Shown {
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub date: Option<String>,
    pub message_id: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    /// Its number in `/message/{id}/part/{n}`.
    pub n: usize,
    pub name: String,
    pub content_type: String,
    pub size: usize,
}

/// The certification of a PEC message, from its daticert and signature.
#[derive(Debug, Clone, Serialize)]
pub struct Certification {
    /// The original sender (daticert `mittente`).
    pub sent_by: Option<String>,
    pub legal_time: Option<DateTime<FixedOffset>>,
    pub identificativo: Option<String>,
    /// The delivery receipt type asked for (`completa`, `breve`, `sintetica`).
    pub receipt_type: Option<String>,
    /// The provider that issued it (daticert `gestore-emittente`).
    pub issued_by: Option<String>,
    pub outcome: Outcome,
    /// Who signed, as a person names them.
    pub signer: Option<String>,
    /// The provider of the index whose certificate signed, if one did.
    pub signer_provider: Option<String>,
    /// Deviations from the rules and the signature's problems.
    pub problems: Vec<String>,
}

/// Why an anomaly envelope is one: the gestore's explanation (its text) and
/// what the examination found.
#[derive(Debug, Clone, Serialize)]
pub struct Anomaly {
    pub explanation: Option<String>,
    pub error: Option<String>,
}

/// A receipt's facts.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptFacts {
    pub kind: String,
    pub identificativo: Option<String>,
    /// The recipient a delivery receipt or non-delivery notice is about.
    pub recipient: Option<String>,
    /// The daticert's error and its reason (a non-delivery).
    pub error: Option<String>,
    /// The identificativo of the message the holder sent that it proves:
    /// its timeline is `/sent/{identificativo}`.
    pub sent_by_holder: Option<String>,
}

/// Message `message_id` of the mailbox, read; it is marked `\Seen` (through
/// the store's flag change, so IMAP sessions see it) unless the mailbox may
/// only be read.
pub async fn read(office: &Office, mailbox_id: i64, message_id: i64) -> Result<MessageView> {
    let m = own_message(office, mailbox_id, message_id).await?;
    let raw = office.store().blobs().get(&m.blob).await?;
    let engine = office.engine().clone();
    let (shown, envelope_subject, certification, anomaly, facts) = tokio::task::spawn_blocking(move || {
        let e = examine(engine.index(), &raw);
        let top = MessageParser::default().parse(&raw);
        let (shown, envelope_subject, anomaly) = match &e.parsed {
            Parsed::Pec(p) if p.kind.carries_original() => {
                let inner = p.postacert.as_deref().and_then(|b| MessageParser::default().parse(b));
                let shown = inner.as_ref().map(shown_of).unwrap_or_default();
                let anomaly = (p.kind == pec::Kind::BustaAnomalia).then(|| Anomaly {
                    explanation: top.as_ref().and_then(|t| t.body_text(0)).map(|t| bounded(&t)),
                    error: pec::verdict::error(p),
                });
                (shown, p.headers.subject.clone(), anomaly)
            }
            _ => (top.as_ref().map(shown_of).unwrap_or_default(), None, None),
        };
        let (certification, facts) = match &e.parsed {
            Parsed::Pec(p) => {
                let d = p.daticert.as_ref();
                let c = Certification {
                    sent_by: p.sender().map(str::to_string),
                    legal_time: d.and_then(|d| d.time()).map(|t| t.local()),
                    identificativo: d.map(|d| d.identificativo.trim().to_string()),
                    receipt_type: p.receipt_kind().map(|k| k.as_str().to_string()),
                    issued_by: d.map(|d| d.gestore_emittente.clone()).filter(|g| !g.is_empty()),
                    outcome: e.outcome,
                    signer: (p.signature.verdict != pec::smime::SignatureVerdict::Unreadable)
                        .then(|| pec::verdict::signer_name(&p.signature)),
                    signer_provider: e.provider.clone(),
                    problems: pec::verdict::problems(p).into_iter().cloned().collect(),
                };
                let facts = (!p.kind.carries_original()).then(|| ReceiptFacts {
                    kind: p.kind.as_str().to_string(),
                    identificativo: d.map(|d| d.identificativo.trim().to_string()),
                    recipient: d.and_then(|d| d.consegna.clone()),
                    error: pec::verdict::error(p),
                    sent_by_holder: None,
                });
                (Some(c), facts)
            }
            Parsed::NotPec(_) => (None, None),
        };
        (shown, envelope_subject, certification, anomaly, facts)
    })
    .await
    .map_err(|e| Error::corrupt(format!("reading message {message_id} stopped: {e}")))?;

    let mut c = office.store().conn().await?;
    let mailbox = mailboxes::by_id(&mut c, mailbox_id).await?;
    let receipt = match facts {
        Some(mut f) => {
            // The receipt's identificativo, else the one the delivery point recorded.
            let id = f.identificativo.clone().or_else(|| m.identificativo.clone());
            if let Some(id) = id {
                f.sent_by_holder = store::pec::by_identificativo(&mut c, &id)
                    .await?
                    .filter(|p| p.sender.eq_ignore_ascii_case(&mailbox.address))
                    .map(|p| p.identificativo);
            }
            Some(f)
        }
        None => None,
    };
    drop(c);
    let seen = m.flags.iter().any(|f| f.eq_ignore_ascii_case("\\Seen"));
    if !seen && mailbox.status != Status::Suspended {
        let mut tx = office.store().begin().await?;
        changes::set_flags(
            &mut tx,
            m.folder_id,
            &[m.id],
            FlagOp::Add,
            &["\\Seen".to_string()],
            None,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(MessageView {
        id: m.id,
        folder_id: m.folder_id,
        category: Category::of(m.pec_kind.as_deref(), m.identificativo.as_deref()),
        pec_kind: m.pec_kind,
        size: m.size,
        arrived: legal_ms(m.internal_date),
        shown,
        envelope_subject,
        certification,
        anomaly,
        receipt,
    })
}

fn bounded(text: &str) -> String {
    text.chars().take(TEXT_LIMIT).collect()
}

fn addresses(list: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    list.map(|l| l.iter().map(|a| person(a.name(), a.address())).collect())
        .unwrap_or_default()
}

fn shown_of(m: &Message<'_>) -> Shown {
    let from = m
        .from()
        .and_then(|a| a.first())
        .map(|a| person(a.name(), a.address()))
        .unwrap_or_default();
    // mail-parser makes HTML of a text body; only a real text/html part is HTML.
    let html = m
        .html_part(0)
        .filter(|p| matches!(p.body, PartType::Html(_)))
        .and_then(|_| m.body_html(0))
        .map(|h| bounded(&h));
    let text = m
        .text_part(0)
        .filter(|p| matches!(p.body, PartType::Text(_)))
        .and_then(|_| m.body_text(0))
        .map(|t| bounded(&t));
    Shown {
        from,
        to: addresses(m.to()),
        cc: addresses(m.cc()),
        subject: m.subject().unwrap_or_default().to_string(),
        date: m.date().map(|d| d.to_rfc822()),
        message_id: m.message_id().map(str::to_string),
        text,
        html,
        attachments: attachments(m),
    }
}

/// The parts a person downloads: not the signature (RFC 5751 3.4.3).
fn attachments(m: &Message<'_>) -> Vec<Attachment> {
    m.attachments
        .iter()
        .filter_map(|n| m.parts.get(*n as usize).map(|p| (*n as usize, p)))
        .filter(|(_, p)| !is_signature(p))
        .map(|(n, p)| Attachment {
            n,
            name: file_name(p, n),
            content_type: content_type(p),
            size: p.contents().len(),
        })
        .collect()
}

fn is_signature(p: &MessagePart<'_>) -> bool {
    p.content_type().is_some_and(|ct| {
        ct.subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("pkcs7-signature") || s.eq_ignore_ascii_case("x-pkcs7-signature"))
    })
}

fn content_type(p: &MessagePart<'_>) -> String {
    match (p.content_type(), &p.body) {
        (Some(ct), _) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        (None, PartType::Message(_)) => "message/rfc822".to_string(),
        (None, _) => "application/octet-stream".to_string(),
    }
}

/// The part's own name, else one made of its number.
fn file_name(p: &MessagePart<'_>, n: usize) -> String {
    p.attachment_name()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| match p.body {
            PartType::Message(_) => format!("messaggio-{n}.eml"),
            _ => format!("allegato-{n}"),
        })
}

/// An attachment, to download.
#[derive(Debug, Clone)]
pub struct PartFile {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Attachment `n` of message `message_id` (of the original, for an envelope).
pub async fn part(office: &Office, mailbox_id: i64, message_id: i64, n: usize) -> Result<PartFile> {
    let m = own_message(office, mailbox_id, message_id).await?;
    let raw = office.store().blobs().get(&m.blob).await?;
    let found = tokio::task::spawn_blocking(move || {
        let bytes = readable(raw);
        let message = MessageParser::default().parse(&bytes)?;
        if !message.attachments.iter().any(|a| *a as usize == n) {
            return None;
        }
        let p = message.parts.get(n).filter(|p| !is_signature(p))?;
        Some(PartFile {
            name: file_name(p, n),
            content_type: content_type(p),
            bytes: p.contents().to_vec(),
        })
    })
    .await
    .map_err(|e| Error::corrupt(format!("reading message {message_id} stopped: {e}")))?;
    found.ok_or_else(|| Error::not_found("part", "no such attachment in this message"))
}

/// The bytes a person reads of `raw`: an envelope's original, else `raw`.
fn readable(raw: Vec<u8>) -> Vec<u8> {
    let original = match pec::parse(&raw, None) {
        Parsed::Pec(p) if p.kind.carries_original() => p.postacert,
        _ => None,
    };
    original.unwrap_or(raw)
}

/// The HTML body of message `message_id` (of the original, for an envelope),
/// as the message wrote it, for the page's sandboxed frame; not found when it
/// has none. Reading it does not mark the message (its page did).
pub async fn html(office: &Office, mailbox_id: i64, message_id: i64) -> Result<String> {
    let m = own_message(office, mailbox_id, message_id).await?;
    let raw = office.store().blobs().get(&m.blob).await?;
    let html = tokio::task::spawn_blocking(move || {
        let bytes = readable(raw);
        MessageParser::default().parse(&bytes).and_then(|m| shown_of(&m).html)
    })
    .await
    .map_err(|e| Error::corrupt(format!("reading message {message_id} stopped: {e}")))?;
    html.ok_or_else(|| Error::not_found("html", "this message has no HTML part"))
}
