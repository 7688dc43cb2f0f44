//! Byte-level helpers over raw messages, where a MIME library would re-serialise.
//!
//! Signed content must be taken and produced byte for byte (RFC 1847 2.1, RFC 5751
//! 3.1.1), and the access point changes exactly two header fields of the original
//! (RFC 6109 3.1.1: Message-ID becomes the identificativo, X-Riferimento-Message-ID
//! keeps the client's). Everything here works on the raw bytes.

use std::borrow::Cow;

/// Converts bare LF (and lone CR) line ends to CRLF: the canonical form of
/// RFC 5322 and of S/MIME signed content. Returns the input when already canonical.
pub fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let canonical = raw.iter().enumerate().all(|(i, &b)| match b {
        b'\n' => i > 0 && raw.get(i - 1) == Some(&b'\r'),
        b'\r' => raw.get(i + 1) == Some(&b'\n'),
        _ => true,
    });
    if canonical {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'\r' if raw.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// One header field as it stands in the message: its name and the whole field
/// (name, colon, value and continuation lines, with the final line end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawField<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

impl RawField<'_> {
    /// The value, unfolded and trimmed, lossily decoded (for display and comparisons).
    pub fn value(&self) -> String {
        let text = String::from_utf8_lossy(self.bytes);
        let after = text.split_once(':').map(|(_, v)| v).unwrap_or_default();
        after
            .split(['\r', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Splits a message into its header fields and the offset where the body begins
/// (after the blank line; the length of the input when there is none).
pub fn header_fields(raw: &[u8]) -> (Vec<RawField<'_>>, usize) {
    let mut fields = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let line_end = line_end(raw, pos);
        let line = raw.get(pos..line_end).unwrap_or_default();
        if is_blank_line(line) {
            return (fields, line_end);
        }
        // A continuation line without a field before it is malformed; skip it.
        let mut end = line_end;
        while let Some(&next) = raw.get(end) {
            if next == b' ' || next == b'\t' {
                end = self::line_end(raw, end);
            } else {
                break;
            }
        }
        let field = raw.get(pos..end).unwrap_or_default();
        if let Some(colon) = line.iter().position(|&b| b == b':')
            && let Ok(name) = std::str::from_utf8(line.get(..colon).unwrap_or_default())
            && !name.is_empty()
            && !name.contains([' ', '\t'])
        {
            fields.push(RawField { name, bytes: field });
        }
        pos = end;
    }
    (fields, raw.len())
}

/// The first value of a header, case-insensitive (providers write both
/// `X-TipoRicevuta` and `X-Tiporicevuta`).
pub fn header_value(raw: &[u8], name: &str) -> Option<String> {
    let (fields, _) = header_fields(raw);
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(RawField::value)
}

/// Offset just past the line end of the line starting at `pos`.
fn line_end(raw: &[u8], pos: usize) -> usize {
    match raw.get(pos..).and_then(|rest| rest.iter().position(|&b| b == b'\n')) {
        Some(i) => pos + i + 1,
        None => raw.len(),
    }
}

fn is_blank_line(line: &[u8]) -> bool {
    line == b"\r\n" || line == b"\n"
}

/// The exact bytes of the first body part of a multipart entity with `boundary`
/// (RFC 2046 5.1.1: the line end before a delimiter belongs to the delimiter).
/// For multipart/signed these are the signed bytes (RFC 1847 2.1).
pub fn first_part<'a>(raw: &'a [u8], boundary: &str) -> Option<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut pos = 0;
    let mut start = None;
    while pos < raw.len() {
        let end = line_end(raw, pos);
        let line = raw.get(pos..end).unwrap_or_default();
        if line.starts_with(d) && is_delimiter_rest(line.get(d.len()..).unwrap_or_default()) {
            match start {
                None => start = Some(end),
                Some(s) => {
                    // Exclude the line end that precedes this delimiter.
                    let mut stop = pos;
                    if stop > s && raw.get(stop - 1) == Some(&b'\n') {
                        stop -= 1;
                        if stop > s && raw.get(stop - 1) == Some(&b'\r') {
                            stop -= 1;
                        }
                    }
                    return raw.get(s..stop);
                }
            }
        }
        pos = end;
    }
    None
}

/// After `--boundary`: optional `--`, then only blanks up to the line end.
fn is_delimiter_rest(rest: &[u8]) -> bool {
    let rest = rest.strip_prefix(b"--").unwrap_or(rest);
    rest.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Replaces the Message-ID of an original with its identificativo and records the
/// client's one in `X-Riferimento-Message-ID` (RFC 6109 3.1.1, 4.4), dropping any
/// `Bcc` (RFC 6109 3.1.1: no blind copies in PEC). Other fields and the body are
/// kept byte for byte; the result has CRLF line ends.
pub fn rewrite_message_id(raw: &[u8], identificativo: &str, msgid: Option<&str>) -> Vec<u8> {
    let raw = to_crlf(raw);
    let (fields, body_start) = header_fields(&raw);
    let mut out = Vec::with_capacity(raw.len() + 256);
    for f in &fields {
        if ["Message-ID", "X-Riferimento-Message-ID", "Bcc"]
            .iter()
            .any(|n| f.name.eq_ignore_ascii_case(n))
        {
            continue;
        }
        out.extend_from_slice(f.bytes);
        if !f.bytes.ends_with(b"\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(format!("Message-ID: <{identificativo}>\r\n").as_bytes());
    if let Some(msgid) = msgid {
        out.extend_from_slice(format!("X-Riferimento-Message-ID: {msgid}\r\n").as_bytes());
    }
    match raw.get(body_start..) {
        Some(body) if body_start < raw.len() || fields.is_empty() => {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
        }
        _ => out.extend_from_slice(b"\r\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_normalisation() {
        assert_eq!(to_crlf(b"a\nb\r\nc\rd").as_ref(), b"a\r\nb\r\nc\r\nd");
        assert!(matches!(to_crlf(b"a\r\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn folded_fields_and_case_insensitive_lookup() {
        let raw = b"Subject: one\r\n two\r\nX-Tiporicevuta: breve\r\n\r\nbody";
        let (fields, body) = header_fields(raw);
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].value(), "one two");
        assert_eq!(&raw[body..], b"body");
        assert_eq!(header_value(raw, "x-tiporicevuta").as_deref(), Some("breve"));
    }

    #[test]
    fn first_part_excludes_the_line_end_before_the_delimiter() {
        let raw = b"Content-Type: multipart/signed; boundary=\"b\"\r\n\r\npreamble\r\n--b\r\nA: 1\r\n\r\nbody\r\n\r\n--b\r\nsig\r\n--b--\r\n";
        assert_eq!(first_part(raw, "b").unwrap(), b"A: 1\r\n\r\nbody\r\n");
        assert_eq!(first_part(raw, "nothere"), None);
    }

    #[test]
    fn message_id_is_rewritten_and_bcc_dropped() {
        let raw = b"From: a@x\nMessage-ID: <c@client>\nBcc: hidden@x\nSubject: s\n\nbody\n";
        let out = rewrite_message_id(raw, "id1@pec.x", Some("<c@client>"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From: a@x\r\nSubject: s\r\nMessage-ID: <id1@pec.x>\r\nX-Riferimento-Message-ID: <c@client>\r\n\r\nbody\r\n"
        );
    }
}
