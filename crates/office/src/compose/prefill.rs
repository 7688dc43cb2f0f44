//! Reply and forward: what the form starts from, read from a message of the
//! holder's mailbox. A PEC transport envelope (or an anomaly envelope) is
//! answered as what it carries: the message inside (`postacert.eml`,
//! pec-rules.md 3.3, 3.9), whose From and Reply-To are the sender's own; the
//! envelope's are the gestore's.
//!
//! A forward attaches that message whole, as `message/rfc822` (RFC 2046
//! 5.2.1): its sender, date, text and attachments reach the recipient as they
//! were, where re-attaching the attachments alone would lose who wrote them and
//! when. (The proof of a PEC is its signed envelope and receipts: those are
//! downloaded as `.eml`, not forwarded.)

use mail_parser::MessageParser;
use serde::Serialize;

use crate::{Error, Office, Result};

/// Where a reply or a forward starts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Prefill {
    pub to: String,
    pub subject: String,
    /// The text quoted by a reply.
    pub quote: Option<Quote>,
    /// The message answered (its id in the mailbox), for In-Reply-To.
    pub reply: Option<i64>,
    /// The message forwarded, attached whole.
    pub forward: Option<Forward>,
}

/// The text a reply quotes.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    /// Who wrote it (the original From).
    pub from: String,
    /// When, as the original's Date says.
    pub date: Option<String>,
    /// Its text, each line after `> ` (RFC 3676 4.5).
    pub text: String,
}

/// A message attached to a forward.
#[derive(Debug, Clone, Serialize)]
pub struct Forward {
    pub message: i64,
    pub subject: String,
    pub size: u64,
}

/// The most of the original's text a reply quotes.
const QUOTE_LIMIT: usize = 64 * 1024;

/// A reply to the message `message_id` of the mailbox: To is the original's
/// Reply-To, else its From; the subject `Re: ...`; its text quoted.
pub async fn reply(office: &Office, mailbox_id: i64, message_id: i64) -> Result<Prefill> {
    let bytes = original(office, mailbox_id, message_id).await?;
    let m = MessageParser::default()
        .parse(&bytes)
        .ok_or_else(|| Error::invalid("message", "the message cannot be read"))?;
    let first =
        |a: Option<&mail_parser::Address<'_>>| a.and_then(|a| a.first()).and_then(|x| x.address()).map(str::to_string);
    let from = first(m.from()).unwrap_or_default();
    let to = first(m.reply_to()).unwrap_or_else(|| from.clone());
    let text: String = m.body_text(0).unwrap_or_default().chars().take(QUOTE_LIMIT).collect();
    let quoted = text
        .lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Prefill {
        to,
        subject: prefixed("Re:", m.subject().unwrap_or_default()),
        quote: Some(Quote {
            from,
            date: m.date().map(|d| d.to_rfc822()),
            text: quoted,
        }),
        reply: Some(message_id),
        forward: None,
    })
}

/// A forward of the message `message_id` of the mailbox: subject `Fwd: ...`,
/// the message attached.
pub async fn forward(office: &Office, mailbox_id: i64, message_id: i64) -> Result<Prefill> {
    let bytes = original(office, mailbox_id, message_id).await?;
    let subject = MessageParser::default()
        .parse_headers(&bytes)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default();
    Ok(Prefill {
        to: String::new(),
        subject: prefixed("Fwd:", &subject),
        quote: None,
        reply: None,
        forward: Some(Forward {
            message: message_id,
            subject,
            size: bytes.len() as u64,
        }),
    })
}

/// The message a reply answers: its Message-ID (with brackets), if it has one.
pub(super) async fn message_id_of(office: &Office, mailbox_id: i64, message_id: i64) -> Result<Option<String>> {
    let bytes = original(office, mailbox_id, message_id).await?;
    Ok(MessageParser::default()
        .parse_headers(&bytes)
        .and_then(|m| m.message_id().map(|id| format!("<{id}>"))))
}

/// The message `message_id` of the mailbox as a reply or forward sees it: the
/// message inside for an envelope, else itself. Another mailbox's is not found.
pub(super) async fn original(office: &Office, mailbox_id: i64, message_id: i64) -> Result<Vec<u8>> {
    let mut c = office.store().conn().await?;
    if store::sent::owner(&mut c, message_id).await? != Some(mailbox_id) {
        return Err(Error::not_found(
            "message",
            format!("no message {message_id} in this mailbox"),
        ));
    }
    let stored = store::messages::get(&mut c, message_id).await?;
    drop(c);
    let raw = office.store().blobs().get(&stored.blob).await?;
    let envelope = matches!(stored.pec_kind.as_deref(), Some("busta-trasporto" | "busta-anomalia"));
    if !envelope {
        return Ok(raw);
    }
    tokio::task::spawn_blocking(move || match pec::parse(&raw, None) {
        pec::Parsed::Pec(p) => p.postacert.unwrap_or(raw),
        pec::Parsed::NotPec(_) => raw,
    })
    .await
    .map_err(|e| Error::corrupt(format!("reading the message stopped: {e}")))
}

/// `Re: subject`, without stacking prefixes.
fn prefixed(prefix: &str, subject: &str) -> String {
    let subject = subject.trim();
    let already = subject
        .get(..prefix.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(prefix));
    if already {
        subject.to_string()
    } else {
        format!("{prefix} {subject}")
    }
}

#[cfg(test)]
mod tests {
    use super::prefixed;

    #[test]
    fn prefixes_do_not_stack() {
        assert_eq!(prefixed("Re:", "Ricorso"), "Re: Ricorso");
        assert_eq!(prefixed("Re:", "RE: Ricorso"), "RE: Ricorso");
        assert_eq!(prefixed("Fwd:", "Re: Ricorso"), "Fwd: Re: Ricorso");
    }
}
