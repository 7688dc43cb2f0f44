//! An SMTP reply: the basic code of RFC 5321 4.2, the enhanced status code of RFC 3463 and the text.

use std::fmt;

/// A reply as sent by the server or as received by the client.
///
/// `text` may hold several lines separated by `\n`; they become a multiline reply
/// (RFC 5321 4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// Enhanced status code (RFC 3463), e.g. `(5, 7, 1)`; its class matches the first digit of `code`.
    pub status: Option<(u8, u16, u16)>,
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, status: Option<(u8, u16, u16)>, text: impl Into<String>) -> Self {
        Reply {
            code,
            status,
            text: text.into(),
        }
    }

    /// `250 2.0.0 OK`.
    pub fn ok() -> Self {
        Reply::new(250, Some((2, 0, 0)), "OK")
    }

    /// `451 4.3.0 <text>`: a local error; the client should try again later (RFC 5321 4.2.3).
    pub fn temp_fail(text: impl Into<String>) -> Self {
        Reply::new(451, Some((4, 3, 0)), text)
    }

    /// `550 5.7.1 <text>`: refused by policy (RFC 3463 X.7.1 "delivery not authorized").
    pub fn perm_fail(text: impl Into<String>) -> Self {
        Reply::new(550, Some((5, 7, 1)), text)
    }

    /// 2xx (RFC 5321 4.2.1).
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx: the same command may succeed later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx, or anything that is not a valid reply code.
    pub fn is_permanent(&self) -> bool {
        !self.is_positive() && !self.is_transient() && !(300..400).contains(&self.code)
    }

    /// The reply as sent on the wire, CRLF-terminated, one line per line of `text`.
    ///
    /// A code outside 200..=599 (only a handler could produce one) is sent as 451, so that a
    /// bug never reaches the client as a malformed reply. CR and LF never leak into a line.
    pub(crate) fn to_wire(&self) -> Vec<u8> {
        let (code, status) = if (200..600).contains(&self.code) {
            (self.code, self.status)
        } else {
            (451, Some((4, 3, 0)))
        };
        let lines: Vec<&str> = self.text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
        let mut out = Vec::with_capacity(self.text.len() + 16 * lines.len());
        for (i, line) in lines.iter().enumerate() {
            let separator = if i + 1 == lines.len() { ' ' } else { '-' };
            let line: String = line.chars().filter(|c| *c != '\r').collect();
            let head = match status {
                Some((class, subject, detail)) => format!("{code}{separator}{class}.{subject}.{detail} "),
                None => format!("{code}{separator}"),
            };
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some((class, subject, detail)) = self.status {
            write!(f, " {class}.{subject}.{detail}")?;
        }
        write!(f, " {}", self.text.replace('\n', " / "))
    }
}

impl From<smtp_proto::Response<String>> for Reply {
    fn from(r: smtp_proto::Response<String>) -> Self {
        let [class, subject, detail] = r.esc;
        let status = (class != 0).then_some((class, u16::from(subject), u16::from(detail)));
        Reply::new(r.code, status, r.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_with_enhanced_status() {
        assert_eq!(Reply::perm_fail("no relay").to_wire(), b"550 5.7.1 no relay\r\n");
    }

    #[test]
    fn multiline_repeats_code_and_status_on_every_line() {
        let r = Reply::new(451, Some((4, 3, 0)), "one\r\ntwo\nthree");
        assert_eq!(r.to_wire(), b"451-4.3.0 one\r\n451-4.3.0 two\r\n451 4.3.0 three\r\n");
    }

    #[test]
    fn invalid_code_from_a_handler_becomes_451() {
        assert_eq!(Reply::new(0, None, "x").to_wire(), b"451 4.3.0 x\r\n");
    }

    #[test]
    fn bare_cr_never_reaches_the_wire() {
        assert_eq!(Reply::new(250, None, "a\rb").to_wire(), b"250 ab\r\n");
    }
}
