//! Responses to bytes. Typed responses go through imap-codec's `ResponseCodec`; the few lines
//! imap-types has no type for (CAPABILITY with our extension names, continuation requests) are
//! written here from fixed text.

use imap_codec::ResponseCodec;
use imap_codec::encode::Encoder;
use imap_types::core::{Tag, Text};
use imap_types::response::{Bye, Code, CodeOther, Data, Response, Status, StatusBody, StatusKind, Tagged};

/// Responses waiting to be sent.
#[derive(Debug, Default)]
pub struct Out {
    buf: Vec<u8>,
}

impl Out {
    pub fn data(&mut self, data: Data<'_>) {
        self.encode(&Response::Data(data));
    }

    pub fn tagged(&mut self, tag: &Tag<'_>, kind: StatusKind, code: Option<Code<'_>>, text_: &str) {
        let status = Status::Tagged(Tagged {
            tag: tag.clone(),
            body: StatusBody {
                kind,
                code,
                text: text(text_),
            },
        });
        self.encode(&Response::Status(status));
    }

    pub fn ok(&mut self, tag: &Tag<'_>, code: Option<Code<'_>>, text: &str) {
        self.tagged(tag, StatusKind::Ok, code, text);
    }

    pub fn no(&mut self, tag: &Tag<'_>, code: Option<Code<'_>>, text: &str) {
        self.tagged(tag, StatusKind::No, code, text);
    }

    pub fn bad(&mut self, tag: &Tag<'_>, text: &str) {
        self.tagged(tag, StatusKind::Bad, None, text);
    }

    /// `* OK|NO|BAD [code] text`.
    pub fn untagged(&mut self, kind: StatusKind, code: Option<Code<'_>>, text_: &str) {
        let status = Status::Untagged(StatusBody {
            kind,
            code,
            text: text(text_),
        });
        self.encode(&Response::Status(status));
    }

    pub fn bye(&mut self, code: Option<Code<'_>>, text_: &str) {
        let status = Status::Bye(Bye {
            code,
            text: text(text_),
        });
        self.encode(&Response::Status(status));
    }

    /// `+ text`: a continuation request (RFC 3501 7.5).
    pub fn continuation(&mut self, text_: &str) {
        self.buf.extend_from_slice(b"+ ");
        self.buf.extend_from_slice(text(text_).as_ref().as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+ base64`: a SASL challenge (RFC 3501 6.2.2); an empty one is `+ ` alone.
    pub fn challenge(&mut self, base64: &str) {
        self.buf.extend_from_slice(b"+ ");
        self.buf.extend(
            base64
                .bytes()
                .filter(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b)),
        );
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A line of our own fixed text (no CRLF in `line`).
    pub fn line(&mut self, line: &str) {
        self.buf.extend(line.bytes().filter(|&b| b != b'\r' && b != b'\n'));
        self.buf.extend_from_slice(b"\r\n");
    }

    fn encode(&mut self, response: &Response<'_>) {
        self.buf.extend(ResponseCodec::default().encode(response).dump());
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

/// Response text (RFC 3501 `text = 1*TEXT-CHAR`): anything else becomes `?`, and a text that
/// could be read as a response code gets a `-` in front.
pub fn text(s: &str) -> Text<'static> {
    let mut t: String = s
        .chars()
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
        .collect();
    if t.starts_with('[') {
        t.insert(0, '-');
    }
    if t.trim().is_empty() {
        t = "OK".into();
    }
    Text::try_from(t).unwrap_or_else(|_| Text::unvalidated("OK"))
}

/// A response code imap-types has no variant for (RFC 5530 and others); `name` is ours, fixed.
pub fn code(name: &'static str) -> Code<'static> {
    Code::Other(CodeOther::unvalidated(name.as_bytes()))
}
