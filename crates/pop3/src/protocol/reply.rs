//! Responses (RFC 1939 3): a status line `+OK` or `-ERR`, possibly followed by a
//! multi-line body ended by a line holding only `.`, with byte-stuffing of lines that
//! begin with `.`. RFC 5034 4 adds the `+ ` continuation of an AUTH exchange.

/// RFC 2449 4: the first line of a response is at most 512 octets with its CRLF.
const STATUS_LINE_MAX: usize = 510;

/// One response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK text`.
    Ok(String),
    /// `-ERR text`; the text may open with an RFC 2449 response code, `[AUTH] ...`.
    Err(String),
    /// `+OK text`, then the lines (ASCII, dot-stuffed on the wire), then `.`.
    Multi { text: String, lines: Vec<String> },
    /// `+ challenge`: the server's base64 challenge in an AUTH exchange (RFC 5034 4).
    Continue(String),
}

impl Reply {
    pub fn ok(text: impl Into<String>) -> Reply {
        Reply::Ok(text.into())
    }

    pub fn err(text: impl Into<String>) -> Reply {
        Reply::Err(text.into())
    }

    pub fn is_ok(&self) -> bool {
        !matches!(self, Reply::Err(_))
    }

    /// The status line's text.
    pub fn text(&self) -> &str {
        match self {
            Reply::Ok(text) | Reply::Err(text) | Reply::Multi { text, .. } | Reply::Continue(text) => text,
        }
    }

    /// Appends the reply as sent.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let (status, text) = match self {
            Reply::Ok(text) | Reply::Multi { text, .. } => ("+OK", text),
            Reply::Err(text) => ("-ERR", text),
            Reply::Continue(text) => ("+", text),
        };
        status_line(out, status, text);
        if let Reply::Multi { lines, .. } = self {
            for line in lines {
                stuffed_line(out, line.as_bytes());
            }
            out.extend_from_slice(b".\r\n");
        }
    }

    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

/// `status text CRLF`, the text cut to the line limit and cleared of line breaks, so
/// that no text (an `Auth` implementation's message, say) can forge a second response.
fn status_line(out: &mut Vec<u8>, status: &str, text: &str) {
    let start = out.len();
    out.extend_from_slice(status.as_bytes());
    // RFC 5034 4: the continuation is "+" SP and the (possibly empty) base64 challenge.
    if !text.is_empty() || status == "+" {
        out.push(b' ');
    }
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() - start + c.len_utf8() > STATUS_LINE_MAX {
            break;
        }
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// RFC 1939 3: a line of a multi-line body that begins with "." gets one more.
fn stuffed_line(out: &mut Vec<u8>, line: &[u8]) {
    if line.first() == Some(&b'.') {
        out.push(b'.');
    }
    out.extend_from_slice(line);
    out.extend_from_slice(b"\r\n");
}

/// The whole answer to RETR (`top` = `None`) or TOP (RFC 1939 7): `+OK`, the message
/// (for TOP its header, the blank line and the first `top` lines of the body) with its
/// lines dot-stuffed and ended by CRLF, then `.`. A bare LF in a stored message is sent
/// as CRLF, and a last line without a line end gets one.
pub fn message(message: &[u8], top: Option<u64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 64);
    let status = match top {
        None => format!("{} octets", message.len()),
        Some(_) => "top of message follows".to_string(),
    };
    status_line(&mut out, "+OK", &status);
    let mut in_header = true;
    let mut body_lines: u64 = 0;
    let mut lines = message.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        // The empty piece after the last LF is not a line.
        if line.is_empty() && lines.peek().is_none() {
            break;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !in_header && let Some(limit) = top {
            if body_lines >= limit {
                break;
            }
            body_lines += 1;
        }
        stuffed_line(&mut out, line);
        if line.is_empty() {
            in_header = false;
        }
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"From: a@x.it\r\nSubject: s\r\n\r\nline 1\r\n.dot line\r\n..two\r\n.\r\nlast\r\n";

    #[test]
    fn single_line_replies() {
        assert_eq!(Reply::ok("2 320").to_wire(), b"+OK 2 320\r\n");
        assert_eq!(Reply::err("no such message").to_wire(), b"-ERR no such message\r\n");
        assert_eq!(Reply::ok("").to_wire(), b"+OK\r\n");
        assert_eq!(Reply::Continue(String::new()).to_wire(), b"+ \r\n");
    }

    #[test]
    fn texts_cannot_break_the_line_or_the_limit() {
        assert_eq!(Reply::err("a\r\n+OK forged").to_wire(), b"-ERR a  +OK forged\r\n");
        let long = Reply::err("é".repeat(1000)).to_wire();
        assert!(long.len() <= 512, "{}", long.len());
        assert!(std::str::from_utf8(&long).is_ok());
        assert!(long.ends_with(b"\r\n"));
    }

    #[test]
    fn multi_line_replies_end_with_a_dot() {
        let reply = Reply::Multi {
            text: "capabilities".into(),
            lines: vec!["TOP".into(), ".odd".into()],
        };
        assert_eq!(reply.to_wire(), b"+OK capabilities\r\nTOP\r\n..odd\r\n.\r\n");
    }

    #[test]
    fn retr_sends_the_message_dot_stuffed() {
        let out = message(MESSAGE, None);
        let expected = format!(
            "+OK {} octets\r\nFrom: a@x.it\r\nSubject: s\r\n\r\nline 1\r\n..dot line\r\n...two\r\n..\r\nlast\r\n.\r\n",
            MESSAGE.len()
        );
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn top_sends_the_header_and_n_body_lines() {
        let out = String::from_utf8(message(MESSAGE, Some(2))).unwrap();
        assert_eq!(
            out,
            "+OK top of message follows\r\nFrom: a@x.it\r\nSubject: s\r\n\r\nline 1\r\n..dot line\r\n.\r\n"
        );
        let out = String::from_utf8(message(MESSAGE, Some(0))).unwrap();
        assert_eq!(
            out,
            "+OK top of message follows\r\nFrom: a@x.it\r\nSubject: s\r\n\r\n.\r\n"
        );
        let body = |reply: Vec<u8>| reply[reply.iter().position(|&b| b == b'\n').unwrap()..].to_vec();
        assert_eq!(body(message(MESSAGE, Some(u64::MAX))), body(message(MESSAGE, None)));
    }

    #[test]
    fn bare_lf_and_a_missing_last_line_end_are_mended() {
        let out = String::from_utf8(message(b"A: b\n\nbody\n.x", None)).unwrap();
        assert_eq!(out, "+OK 13 octets\r\nA: b\r\n\r\nbody\r\n..x\r\n.\r\n");
        assert_eq!(message(b"", None), b"+OK 0 octets\r\n.\r\n");
        // A header without a body: TOP sends all of it.
        assert_eq!(
            message(b"A: b\r\n", Some(3)),
            b"+OK top of message follows\r\nA: b\r\n.\r\n"
        );
    }
}
