//! Builders for every message a gestore generates (pec-rules.md 3.2), each signed.
//!
//! Layout (RFC 6109 3, observed in every real provider's message):
//!
//! ```text
//! multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256
//! ├── multipart/mixed                         <- the signed bytes
//! │   ├── text/plain                          human text, Italian
//! │   ├── application/xml  daticert.xml       certification data (not in the anomaly envelope)
//! │   └── message/rfc822   postacert.eml      the original, where the kind carries it
//! └── application/pkcs7-signature  smime.p7s  detached CMS over the multipart/mixed bytes
//! ```
//!
//! The multipart/mixed entity is rendered once to bytes, signed as it is, and
//! placed unchanged in the multipart/signed wrapper: nothing is re-serialised
//! after signing (RFC 1847 2.1).

mod breve;
mod messages;
pub mod samples;
mod subject;
mod text;

pub use breve::{HASH_FILENAME_SUFFIX, hash_attachments};
pub use messages::{NonAcceptanceReason, NonDeliveryReason};

use std::borrow::Cow;

use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::{Header, HeaderType};
use mail_builder::mime::MimePart;

use crate::daticert::{self, Data, Daticert, Destinatario, Errore, ReceiptKind, Tipo};
use crate::ident::{IdGenerator, Identificativo, MsgId};
use crate::smime::{Signer, SmimeError};
use crate::time::LegalTime;

/// The local part of the address every gestore signs and sends from (pec-rules.md 3.1).
pub const PROVIDER_LOCAL_PART: &str = "posta-certificata";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot sign the message: {0}")]
    Sign(#[from] SmimeError),
    #[error("cannot read the input message: {0}")]
    Input(String),
}

/// A provider (gestore) able to issue signed PEC messages.
#[derive(Debug)]
pub struct Gestore {
    name: String,
    domain: String,
    signer: Signer,
    ids: IdGenerator,
}

/// One generated message.
#[derive(Debug, Clone)]
pub struct Built {
    /// The whole message, CRLF line ends, ready for SMTP DATA or a mailbox.
    pub bytes: Vec<u8>,
    /// Its Message-ID header, with angle brackets.
    pub message_id: String,
    /// The certification data it carries (`None` for the anomaly envelope).
    pub daticert: Option<Daticert>,
}

/// What a receipt, notice or envelope certifies: the facts of one accepted message,
/// as the access point recorded them or as read from a received envelope's daticert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certified {
    pub identificativo: Identificativo,
    /// The client's Message-ID (absent in some providers' envelopes).
    pub msgid: Option<MsgId>,
    pub sender: String,
    pub recipients: Vec<Destinatario>,
    /// `risposte`: the original Reply-To or the sender.
    pub reply_to: String,
    /// The decoded original subject.
    pub subject: String,
    pub receipt_kind: ReceiptKind,
}

impl Certified {
    /// The facts of a received document, from its daticert (e.g. a transport envelope
    /// from another gestore, to answer with presa in carico and delivery receipts).
    pub fn from_daticert(d: &Daticert) -> Option<Self> {
        Some(Certified {
            identificativo: Identificativo::parse(&d.identificativo)?,
            msgid: d.msgid.as_deref().and_then(MsgId::parse),
            sender: d.mittente.clone(),
            recipients: d.destinatari.clone(),
            reply_to: d.risposte.clone(),
            subject: d.oggetto.clone().unwrap_or_default(),
            receipt_kind: d.ricevuta.clone().unwrap_or_default(),
        })
    }
}

impl Gestore {
    /// `name` is the `gestore-emittente` of every daticert (e.g. "Certa PEC S.p.A.");
    /// `domain` the provider's PEC domain (messages come from `posta-certificata@domain`).
    pub fn new(name: &str, domain: &str, signer: Signer) -> Self {
        Gestore {
            name: name.to_string(),
            domain: domain.to_ascii_lowercase(),
            ids: IdGenerator::new(domain),
            signer,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// `posta-certificata@<domain>`: From of receipts and envelopes.
    pub fn address(&self) -> String {
        format!("{PROVIDER_LOCAL_PART}@{}", self.domain)
    }

    pub fn ids(&self) -> &IdGenerator {
        &self.ids
    }

    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// A new identificativo for a message accepted at `at`.
    pub fn new_identificativo(&self, at: LegalTime) -> Identificativo {
        self.ids.identificativo(at)
    }

    /// The daticert of a document about `c`, issued by this gestore at `at`.
    fn daticert(&self, tipo: Tipo, errore: Errore, c: &Certified, at: LegalTime) -> Daticert {
        Daticert {
            tipo,
            errore,
            mittente: c.sender.clone(),
            destinatari: c.recipients.clone(),
            risposte: c.reply_to.clone(),
            oggetto: Some(c.subject.clone()),
            gestore_emittente: self.name.clone(),
            data: Data::from(at),
            identificativo: c.identificativo.as_str().to_string(),
            msgid: c.msgid.as_ref().map(|m| m.as_str().to_string()),
            ricevuta: None,
            consegna: None,
            ricezione: Vec::new(),
            errore_esteso: None,
        }
    }

    /// Renders, signs and wraps one message.
    fn assemble(&self, message: Assembly<'_>) -> Result<Built, BuildError> {
        let mut parts = vec![MimePart::new("text/plain", message.text).inline()];
        if let Some(d) = &message.daticert {
            parts.push(
                MimePart::new(
                    ContentType::new("application/xml").attribute("name", "daticert.xml"),
                    daticert::write(d).into_bytes(),
                )
                .header(
                    "Content-Disposition",
                    ContentType::new("inline").attribute("filename", "daticert.xml"),
                ),
            );
        }
        if let Some(original) = message.postacert {
            let encoding = transfer_encoding(&original);
            parts.push(
                MimePart::new(
                    ContentType::new("message/rfc822").attribute("name", "postacert.eml"),
                    original.into_owned(),
                )
                .header(
                    "Content-Disposition",
                    ContentType::new("inline").attribute("filename", "postacert.eml"),
                )
                .transfer_encoding(encoding),
            );
        }
        let mut signed = Vec::new();
        MimePart::new("multipart/mixed", parts).write_part(&mut signed);
        let signature = self.signer.sign_detached(&signed)?;
        let signed_len = signed.len();
        let envelope = MimePart::new(
            ContentType::new("multipart/signed")
                .attribute("protocol", "application/pkcs7-signature")
                .attribute("micalg", self.signer.micalg()),
            vec![
                MimePart::raw(signed),
                MimePart::new(
                    ContentType::new("application/pkcs7-signature").attribute("name", "smime.p7s"),
                    signature,
                )
                .header(
                    "Content-Disposition",
                    ContentType::new("attachment").attribute("filename", "smime.p7s"),
                ),
            ],
        );
        let mut bytes = Vec::with_capacity(signed_len + 4096);
        for (i, (name, value)) in message.headers.iter().enumerate() {
            if i == 2 {
                subject::write(&mut bytes, message.subject.0, &message.subject.1);
            }
            bytes.extend_from_slice(name.as_bytes());
            bytes.extend_from_slice(b": ");
            value.write_header(&mut bytes, name.len() + 2);
        }
        bytes.extend_from_slice(format!("Message-ID: {}\r\nMIME-Version: 1.0\r\n", message.message_id).as_bytes());
        envelope.write_part(&mut bytes);
        Ok(Built {
            bytes,
            message_id: message.message_id,
            daticert: message.daticert,
        })
    }
}

/// Everything one message is made of, before rendering.
struct Assembly<'a> {
    /// Written in this order, with Subject after the first two (Date and From or X-Trasporto).
    headers: Vec<(&'static str, HeaderType<'a>)>,
    /// Subject prefix and original subject.
    subject: (&'static str, String),
    message_id: String,
    text: String,
    daticert: Option<Daticert>,
    postacert: Option<Cow<'a, [u8]>>,
}

/// 7bit when the message is plain ASCII with short lines, 8bit when it has 8-bit
/// bytes but short lines, binary otherwise (RFC 2045 2.7-2.9, RFC 5322 2.1.1).
fn transfer_encoding(message: &[u8]) -> &'static str {
    let long_lines = message.split(|&b| b == b'\n').any(|l| l.len() > 998);
    let eight_bit = message.iter().any(|&b| b >= 0x80 || b == 0);
    match (long_lines, eight_bit) {
        (false, false) => "7bit",
        (false, true) => "8bit",
        (true, _) => "binary",
    }
}

#[cfg(test)]
mod tests;
