//! Ricevuta breve: the original with each attachment replaced by its hash.
//!
//! The rules say only that attachments are "replaced by their hashes" (pec-rules.md
//! 3.7, open question 3). Our choice, documented in the README: every attachment
//! part becomes a `text/plain` part named `<original name>.sha256.txt` holding one
//! line in the BSD tag format of `sha256sum --tag`:
//!
//! ```text
//! SHA256 (fattura.pdf) = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//! ```
//!
//! The digest is SHA-256 (the algorithm of our own signatures) over the decoded
//! content, i.e. the file as the sender saved it, so `sha256sum -c` on that line
//! next to the sender's copy proves the content. Everything else of the original
//! (headers, text bodies, structure) is kept byte for byte.

use mail_builder::headers::content_type::ContentType;
use mail_builder::mime::MimePart;
use mail_parser::{MessageParser, MimeHeaders};

/// The suffix added to an attachment's name for its hash part.
pub const HASH_FILENAME_SUFFIX: &str = ".sha256.txt";

/// Replaces every attachment of `message` with a part holding its SHA-256.
/// A message that cannot be parsed, or has no attachment, is returned unchanged.
pub fn hash_attachments(message: &[u8]) -> Vec<u8> {
    let Some(parsed) = MessageParser::default().parse(message) else {
        return message.to_vec();
    };
    let mut spans: Vec<(usize, usize, Vec<u8>)> = Vec::new();
    for (n, id) in parsed.attachments.iter().enumerate() {
        let Some(part) = parsed.parts.get(*id as usize) else {
            continue;
        };
        let start = part.offset_header as usize;
        let end = part.offset_end as usize;
        if start >= end || end > message.len() {
            continue;
        }
        let name = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("allegato-{}", n + 1));
        let digest = openssl::sha::sha256(part.contents());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let line = format!("SHA256 ({name}) = {hex}\r\n");
        // Plain text on the wire (not quoted-printable), so the line reads as is.
        let encoding = if line.is_ascii() { "7bit" } else { "8bit" };
        let mut replacement = Vec::new();
        MimePart::new(ContentType::new("text/plain").attribute("charset", "utf-8"), line)
            .header(
                "Content-Disposition",
                ContentType::new("attachment").attribute("filename", format!("{name}{HASH_FILENAME_SUFFIX}")),
            )
            .transfer_encoding(encoding)
            .write_part(&mut replacement);
        spans.push((start, end, replacement));
    }
    spans.sort_by_key(|s| s.0);
    let mut out = Vec::with_capacity(message.len());
    let mut pos = 0;
    for (start, end, replacement) in spans {
        if start < pos {
            continue; // nested inside a part already replaced
        }
        out.extend_from_slice(message.get(pos..start).unwrap_or_default());
        out.extend_from_slice(&replacement);
        pos = end;
    }
    out.extend_from_slice(message.get(pos..).unwrap_or_default());
    out
}
