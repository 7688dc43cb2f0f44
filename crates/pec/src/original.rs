//! The message a user submits: what the access point reads from it and the
//! certified copy (`postacert.eml`) it makes of it.

use mail_parser::{Address, HeaderName, MessageParser};

use crate::daticert::ReceiptKind;
use crate::ident::{Identificativo, MsgId};
use crate::mime;

/// A mailbox of an address header: display name (decoded) and address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// A submitted message, as the access point reads it (RFC 6109 3.1.1).
#[derive(Debug, Clone)]
pub struct Original {
    raw: Vec<u8>,
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    /// The decoded subject (empty when missing).
    pub subject: String,
    /// The client's Message-ID, with angle brackets.
    pub msgid: Option<MsgId>,
    /// The receipt type requested with `X-TipoRicevuta`, when present.
    pub receipt_kind: Option<ReceiptKind>,
    /// Header fields that are not syntactically what they should be, for the formal checks.
    pub malformed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginalError {
    #[error("the message is empty")]
    Empty,
    #[error("the message has no header section that can be read")]
    Unreadable,
}

impl Original {
    /// Reads a submitted message. Line ends are made CRLF (the SMTP form).
    pub fn parse(raw: &[u8]) -> Result<Self, OriginalError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Err(OriginalError::Empty);
        }
        let raw = mime::to_crlf(raw).into_owned();
        // Only the header section is read (the access point's checks are all about
        // it), and the bytes are moved, not copied, into the result: a submission
        // with large attachments is held once here, not three times.
        let mut original = Original::read_header(&raw)?;
        original.raw = raw;
        Ok(original)
    }

    /// Everything but the bytes.
    fn read_header(raw: &[u8]) -> Result<Self, OriginalError> {
        let message = MessageParser::default()
            .parse_headers(raw)
            .ok_or(OriginalError::Unreadable)?;
        let mut malformed = Vec::new();
        let mut list = |name: HeaderName<'static>, label: &str| {
            let boxes = mailboxes(message.header(name).and_then(|v| v.as_address()));
            for b in &boxes {
                if !is_address(&b.address) {
                    malformed.push(format!("{label}: {:?} is not an e-mail address", b.address));
                }
            }
            boxes
        };
        let from = list(HeaderName::From, "From");
        let to = list(HeaderName::To, "To");
        let cc = list(HeaderName::Cc, "Cc");
        let bcc = list(HeaderName::Bcc, "Bcc");
        let reply_to = list(HeaderName::ReplyTo, "Reply-To");
        let subject = message.subject().unwrap_or_default().trim().to_string();
        let msgid = message.message_id().and_then(MsgId::parse);
        let receipt_kind = mime::header_value(raw, "X-TipoRicevuta").map(|v| ReceiptKind::parse(&v));
        Ok(Original {
            raw: Vec::new(),
            from,
            to,
            cc,
            bcc,
            reply_to,
            subject,
            msgid,
            receipt_kind,
            malformed,
        })
    }

    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The single From address, when there is exactly one.
    pub fn sender(&self) -> Option<&str> {
        match self.from.as_slice() {
            [one] => Some(&one.address),
            _ => None,
        }
    }

    /// `risposte`: the original Reply-To, or the sender.
    pub fn reply_address(&self) -> Option<&str> {
        self.reply_to
            .first()
            .map(|m| m.address.as_str())
            .or_else(|| self.sender())
    }

    /// Every address of To and Cc, in order, without duplicates (case-insensitive).
    pub fn recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.to.iter().chain(&self.cc) {
            if !out.iter().any(|a| a.eq_ignore_ascii_case(&m.address)) {
                out.push(m.address.clone());
            }
        }
        out
    }

    /// The certified copy: the original with its Message-ID replaced by the
    /// identificativo and the client's one kept in `X-Riferimento-Message-ID`.
    pub fn certified_copy(&self, identificativo: &Identificativo) -> Vec<u8> {
        mime::rewrite_message_id(
            &self.raw,
            identificativo.as_str(),
            self.msgid.as_ref().map(MsgId::as_str),
        )
    }
}

fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .filter_map(|a| {
            a.address().map(|addr| Mailbox {
                name: a.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
                address: addr.trim().to_string(),
            })
        })
        .collect()
}

/// A plain `local@domain` check: what daticert and SMTP paths need (RFC 5321 4.1.2,
/// without quoted local parts, which no PEC provider accepts).
pub fn is_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) || !c.is_ascii();
    !local.is_empty()
        && local.len() <= 64
        && local.chars().all(atext)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && domain.len() <= 255
        && domain.contains('.')
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_the_access_point_checks() {
        let raw = b"From: Mario Rossi <mario@pec.example.it>\r\nTo: a@pec.example.it, \"B\" <b@example.com>\r\nCc: c@pec.other.it\r\nSubject: =?UTF-8?Q?Caff=C3=A8?=\r\nMessage-ID: <x1@client>\r\nX-Tiporicevuta: sintetica\r\n\r\nciao\r\n";
        let o = Original::parse(raw).unwrap();
        assert_eq!(o.sender(), Some("mario@pec.example.it"));
        assert_eq!(
            o.recipients(),
            vec!["a@pec.example.it", "b@example.com", "c@pec.other.it"]
        );
        assert_eq!(o.subject, "Caffè");
        assert_eq!(o.msgid.as_ref().unwrap().as_str(), "<x1@client>");
        assert_eq!(o.receipt_kind, Some(ReceiptKind::Sintetica));
        assert_eq!(o.reply_address(), Some("mario@pec.example.it"));
        assert!(o.malformed.is_empty());
    }

    #[test]
    fn address_syntax() {
        assert!(is_address("mario.rossi@pec.example.it"));
        assert!(!is_address("example.example.com"));
        assert!(!is_address("a b@x.it"));
        assert!(!is_address("a@localhost"));
        assert!(!is_address(".a@x.it"));
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(Original::parse(b"").unwrap_err(), OriginalError::Empty);
    }
}
