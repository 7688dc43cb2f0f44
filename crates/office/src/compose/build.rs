//! Writing the message a holder composed, as a mail client would submit it.
//!
//! mail-builder writes every header (RFC 2047 words, folding, the MIME
//! structure and its boundaries) but takes each part's content in memory. So
//! each attachment is given to it as a placeholder (a random token, declared
//! `base64`, which it writes as it stands), and the placeholder is replaced by
//! the file's base64, encoded from the file a line at a time (RFC 2045 6.8: 76
//! characters per line) into the one buffer that becomes the message, sized
//! before the first byte. The attachments are never in memory themselves: the
//! message is, once, because the access point takes it whole.

use std::borrow::Cow;
use std::io::Read;

use base64::Engine as _;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::{BodyPart, MimePart};

use super::Attachment;
use super::addresses::Addressee;
use crate::{Error, Result};

/// Raw bytes per encoded line: 57 bytes are 76 base64 characters.
const LINE: usize = 57;

/// A message to write.
pub(super) struct Letter<'a> {
    pub from: &'a str,
    pub to: &'a [Addressee],
    pub cc: &'a [Addressee],
    pub subject: &'a str,
    pub text: &'a str,
    /// `X-TipoRicevuta` (pec-rules.md 3.7).
    pub receipt: &'a str,
    /// Seconds since the Unix epoch (the office's clock).
    pub date: i64,
    /// Without angle brackets.
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub forwarded: Option<Forwarded>,
    pub attachments: &'a [Attachment],
    /// A token found nowhere else (random), for the placeholders.
    pub token: &'a str,
}

/// A message attached whole (a forward).
pub(super) struct Forwarded {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Writes the message; blocking (files are read), for the blocking pool.
pub(super) fn write(letter: Letter<'_>) -> Result<Vec<u8>> {
    let markers: Vec<String> = (0..letter.attachments.len())
        .map(|i| format!("{}-{i}-", letter.token))
        .collect();
    let skeleton = skeleton(&letter, &markers)?;
    let mut size = skeleton.len();
    for (a, m) in letter.attachments.iter().zip(&markers) {
        size = size - m.len() + encoded_len(a.size);
    }
    let mut out = Vec::with_capacity(size);
    let mut rest = skeleton.as_slice();
    for (a, m) in letter.attachments.iter().zip(&markers) {
        let at = find(rest, m.as_bytes())
            .ok_or_else(|| Error::corrupt("an attachment's place is missing from the message written"))?;
        out.extend_from_slice(&rest[..at]);
        encode_file(a, &mut out)?;
        rest = &rest[at + m.len()..];
    }
    out.extend_from_slice(rest);
    Ok(out)
}

fn list<'a>(people: &'a [Addressee]) -> Address<'a> {
    Address::new_list(
        people
            .iter()
            .map(|p| Address::new_address(p.name.as_deref(), p.address.as_str()))
            .collect(),
    )
}

/// The message with each attachment's content a placeholder.
fn skeleton(letter: &Letter<'_>, markers: &[String]) -> Result<Vec<u8>> {
    let mut builder = MessageBuilder::new()
        .from(letter.from)
        .to(list(letter.to))
        .subject(letter.subject)
        .date(letter.date)
        .message_id(letter.message_id)
        .header("X-TipoRicevuta", Raw::new(letter.receipt));
    if !letter.cc.is_empty() {
        builder = builder.cc(list(letter.cc));
    }
    if let Some(id) = letter.in_reply_to {
        builder = builder.in_reply_to(id).references(id);
    }
    let text = MimePart::new("text/plain", BodyPart::Text(Cow::Borrowed(letter.text)));
    let mut parts = vec![text];
    for (a, m) in letter.attachments.iter().zip(markers) {
        parts.push(
            MimePart::new(a.content_type.as_str(), BodyPart::Text(Cow::Borrowed(m.as_str())))
                .attachment(a.name.as_str())
                .transfer_encoding("base64"),
        );
    }
    if let Some(f) = &letter.forwarded {
        parts.push(forwarded_part(f));
    }
    let builder = if parts.len() == 1 {
        builder.body(parts.remove(0))
    } else {
        builder.body(MimePart::new("multipart/mixed", parts))
    };
    builder
        .write_to_vec()
        .map_err(|e| Error::corrupt(format!("cannot write the message: {e}")))
}

/// RFC 2046 5.2.1: a message/rfc822 part is 7bit or 8bit (never base64), so its
/// lines must be at most 998 octets (RFC 5322 2.1.1); a message that has longer
/// ones is attached as a file (`.eml`, base64) instead.
fn forwarded_part(f: &Forwarded) -> MimePart<'_> {
    let long_line = f.bytes.split(|b| *b == b'\n').any(|l| l.len() > 999);
    if long_line {
        return MimePart::new("application/octet-stream", BodyPart::Binary(Cow::Borrowed(&f.bytes)))
            .attachment(f.name.as_str());
    }
    let encoding = if f.bytes.is_ascii() { "7bit" } else { "8bit" };
    MimePart::new("message/rfc822", BodyPart::Binary(Cow::Borrowed(&f.bytes)))
        .attachment(f.name.as_str())
        .transfer_encoding(encoding)
}

/// The length of `size` bytes in base64 lines joined by CRLF (no CRLF after the last).
fn encoded_len(size: u64) -> usize {
    let size = size as usize;
    let full = size / LINE;
    let rest = size % LINE;
    let lines = full + usize::from(rest > 0);
    full * 76 + rest.div_ceil(3) * 4 + lines.saturating_sub(1) * 2
}

/// The file's base64 into `out`, a line at a time.
fn encode_file(a: &Attachment, out: &mut Vec<u8>) -> Result<()> {
    let mut file = std::fs::File::open(&a.path).map_err(|e| Error::file(&a.path, e))?;
    let mut buf = vec![0u8; LINE * 1024];
    let mut first = true;
    let mut line = [0u8; 76];
    loop {
        let n = fill(&mut file, &mut buf).map_err(|e| Error::file(&a.path, e))?;
        for chunk in buf[..n].chunks(LINE) {
            if !first {
                out.extend_from_slice(b"\r\n");
            }
            first = false;
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(chunk, &mut line)
                .map_err(|e| Error::corrupt(format!("base64: {e}")))?;
            out.extend_from_slice(&line[..written]);
        }
        if n < buf.len() {
            return Ok(());
        }
    }
}

/// Reads until `buf` is full or the file ends (so that every line but the last is whole).
fn fill(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoded_length_is_known_before_encoding() {
        for size in [1_u64, 2, 3, 56, 57, 58, 114, 1000, 58_368, 58_369, 200_000] {
            let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, &bytes).unwrap();
            let a = Attachment {
                name: "f".into(),
                content_type: "application/octet-stream".into(),
                size,
                path,
            };
            let mut out = Vec::new();
            encode_file(&a, &mut out).unwrap();
            assert_eq!(out.len(), encoded_len(size), "{size} bytes");
            let joined: Vec<u8> = out.iter().copied().filter(|b| *b != b'\r' && *b != b'\n').collect();
            let decoded = base64::engine::general_purpose::STANDARD.decode(&joined).unwrap();
            assert_eq!(decoded, bytes);
            assert!(out.split(|b| *b == b'\n').all(|l| l.len() <= 77));
        }
    }
}
