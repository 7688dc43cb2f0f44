//! What a list row and a search need of a message, read once from its bytes:
//! From (address and display name), To and Cc addresses, the subject decoded
//! (RFC 2047), Date, Message-ID, whether it has attachments, and for an envelope
//! that carries an original (`X-Trasporto: posta-certificata` or `errore`,
//! pec-rules.md 3.3, 3.9) the original's own sender and subject, which is what
//! its reader wants to see instead of the gestore's "POSTA CERTIFICATA: ...".
//!
//! Outside input never fails here: a header that cannot be read is left out,
//! text that is not UTF-8 has its bad bytes replaced (U+FFFD).

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};

use crate::mime;

/// The most characters kept of a subject or a name (a list row shows far fewer).
const MAX_TEXT: usize = 998;

/// A message at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    /// To's addresses, then Cc's, in lower case.
    pub recipients: Vec<String>,
    /// Decoded; empty when there is none.
    pub subject: String,
    /// The Date field, milliseconds since the Unix epoch (UTC).
    pub date: Option<i64>,
    /// Without its angle brackets (RFC 5322 3.6.4 `msg-id` is `<id-left@id-right>`).
    pub message_id: Option<String>,
    /// Whether a person would see attachments: for an envelope, the original's.
    pub has_attachments: bool,
    /// For an envelope, the message it carries.
    pub inner: Option<Inner>,
}

/// The original inside a transport or anomaly envelope (`postacert.eml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Inner {
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
}

/// The summary of `raw`.
pub fn summary(raw: &[u8]) -> Summary {
    let Some(message) = MessageParser::default().parse(raw) else {
        return from_header_only(raw);
    };
    let (from_address, from_name) = sender(&message);
    let mut recipients: Vec<String> = Vec::new();
    for list in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(addresses(list));
    }
    let inner = carries_original(raw)
        .then(|| original(&message))
        .flatten()
        .and_then(|bytes| MessageParser::default().parse(bytes));
    let has_attachments = match &inner {
        Some(m) => shows_attachments(m),
        None => shows_attachments(&message),
    };
    Summary {
        from_address,
        from_name,
        recipients,
        subject: subject(&message, raw),
        date: message.date().map(|d| d.to_timestamp().saturating_mul(1000)),
        message_id: message.message_id().map(bounded),
        has_attachments,
        inner: inner.map(|m| {
            let (from_address, from_name) = sender(&m);
            Inner {
                from_address,
                from_name,
                subject: subject(&m, m.raw_message()),
            }
        }),
    }
}

/// What can be said of bytes mail-parser does not read as a message.
fn from_header_only(raw: &[u8]) -> Summary {
    Summary {
        subject: mime::header_value(raw, "Subject")
            .map(|s| bounded(&s))
            .unwrap_or_default(),
        ..Summary::default()
    }
}

/// An envelope carries the original (pec-rules.md 3.2: `X-Trasporto`).
fn carries_original(raw: &[u8]) -> bool {
    mime::header_value(raw, "X-Trasporto").is_some()
}

/// The `postacert.eml` part, or the first message part, of the envelope's own tree.
fn original<'a>(message: &'a Message<'a>) -> Option<&'a [u8]> {
    let named = message.parts.iter().find(|p| {
        p.attachment_name()
            .is_some_and(|n| n.eq_ignore_ascii_case("postacert.eml"))
    });
    named
        .or_else(|| message.parts.iter().find(|p| matches!(p.body, PartType::Message(_))))
        .map(|p| p.contents())
}

fn sender(message: &Message<'_>) -> (Option<String>, Option<String>) {
    let first = message.from().and_then(Address::first);
    (
        first
            .and_then(|a| a.address())
            .map(|a| bounded(a.trim()).to_ascii_lowercase()),
        first
            .and_then(|a| a.name())
            .map(|n| bounded(n.trim()))
            .filter(|n| !n.is_empty()),
    )
}

fn addresses(list: &Address<'_>) -> Vec<String> {
    list.iter()
        .filter_map(|a| a.address())
        .map(|a| bounded(a.trim()).to_ascii_lowercase())
        .filter(|a| !a.is_empty())
        .collect()
}

/// The decoded subject. mail-parser decodes RFC 2047 words; raw 8-bit bytes
/// that are not UTF-8 are read again from the header as it stands, lossily.
fn subject(message: &Message<'_>, raw: &[u8]) -> String {
    match message.subject() {
        Some(s) => bounded(s.trim()),
        None => mime::header_value(raw, "Subject")
            .map(|s| bounded(s.trim()))
            .unwrap_or_default(),
    }
}

/// Attachments a person sees: not the signature (`smime.p7s`, RFC 5751 3.4.3).
fn shows_attachments(message: &Message<'_>) -> bool {
    message.attachments().any(|p| {
        let signature = p.content_type().is_some_and(|ct| {
            ct.subtype().is_some_and(|s| {
                s.eq_ignore_ascii_case("pkcs7-signature") || s.eq_ignore_ascii_case("x-pkcs7-signature")
            })
        });
        !signature
    })
}

fn bounded(text: &str) -> String {
    text.chars().take(MAX_TEXT).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_message_is_summarised() {
        let raw = b"From: \"Mario Rossi\" <Mario@Example.IT>\r\nTo: a@x.it, B <b@y.it>\r\nCc: c@z.it\r\n\
                    Subject: =?UTF-8?Q?Citt=C3=A0?=\r\nDate: Tue, 13 Nov 2018 16:39:26 +0100\r\n\
                    Message-ID: <abc@example.it>\r\n\r\nciao\r\n";
        let s = summary(raw);
        assert_eq!(s.from_address.as_deref(), Some("mario@example.it"));
        assert_eq!(s.from_name.as_deref(), Some("Mario Rossi"));
        assert_eq!(s.recipients, ["a@x.it", "b@y.it", "c@z.it"]);
        assert_eq!(s.subject, "Città");
        assert_eq!(s.date, Some(1_542_123_566_000));
        assert_eq!(s.message_id.as_deref(), Some("abc@example.it"));
        assert!(!s.has_attachments);
        assert!(s.inner.is_none());
    }

    #[test]
    fn a_subject_that_is_not_utf8_keeps_its_readable_part() {
        let raw = b"From: a@x.it\r\nSubject: Perch\xe8 no\r\n\r\nbody\r\n";
        let s = summary(raw);
        assert!(s.subject.starts_with("Perch"), "{:?}", s.subject);
        assert!(s.subject.ends_with(" no"), "{:?}", s.subject);
        assert_eq!(s.subject, "Perch\u{FFFD} no");
    }

    #[test]
    fn garbage_never_panics() {
        for raw in [
            &b""[..],
            b"\xff\xfe\x00",
            b"Subject",
            b"X-Trasporto: errore\r\n\r\n--",
            b"From: <<<@>>>\r\n\r\n",
        ] {
            let _ = summary(raw);
        }
    }
}
