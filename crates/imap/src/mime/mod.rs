//! Messages as IMAP sees them (RFC 3501 6.4.5 and 7.4.2): the MIME part tree with exact byte
//! ranges over the stored bytes, the ENVELOPE and BODYSTRUCTURE built from it, and the
//! `BODY[section]<partial>` extraction.
//!
//! mail-parser reads the message once; its part offsets are kept as ranges over the original
//! bytes, so a section is always a slice of what was stored, never a re-serialisation. Nothing
//! here does I/O, and nothing panics on any input: the fuzz target feeds it arbitrary bytes.

mod envelope;
mod section;
mod structure;

use std::ops::Range;

use mail_parser::{HeaderValue, MessageParser, MessagePart, MimeHeaders, PartType};

pub use envelope::Envelope;
pub use section::{header_fields, section_bytes};

/// Deeper MIME nesting is served as an opaque leaf: it keeps BODYSTRUCTURE (and our recursion)
/// bounded whatever the input.
const MAX_DEPTH: usize = 24;

/// A message: its bytes and the tree of its parts.
#[derive(Debug)]
pub struct Message<'a> {
    raw: &'a [u8],
    top: Part,
}

/// One MIME entity: where its header and body are in the message bytes, and what its header
/// says. For the top-level message and an encapsulated one the header is the message header.
#[derive(Debug, Clone)]
pub struct Part {
    pub header: Range<usize>,
    pub body: Range<usize>,
    pub content: ContentFields,
    pub children: Children,
}

#[derive(Debug, Clone)]
pub enum Children {
    Leaf,
    Multipart(Vec<Part>),
    /// `message/rfc822`: the envelope and top part of the encapsulated message.
    Message(Box<Envelope>, Box<Part>),
}

/// The MIME header fields BODYSTRUCTURE reports (RFC 2045, 2183, 3066, 2557).
#[derive(Debug, Clone, Default)]
pub struct ContentFields {
    pub r#type: String,
    pub subtype: String,
    pub params: Vec<(String, String)>,
    pub id: Option<String>,
    pub description: Option<String>,
    pub encoding: Option<String>,
    pub disposition: Option<(String, Vec<(String, String)>)>,
    pub language: Vec<String>,
    pub location: Option<String>,
}

impl ContentFields {
    fn is(&self, r#type: &str, subtype: &str) -> bool {
        self.r#type.eq_ignore_ascii_case(r#type) && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

impl<'a> Message<'a> {
    /// Reads a message; bytes mail-parser finds no header in become a message with an empty
    /// header and the whole input as its text body.
    pub fn parse(raw: &'a [u8]) -> Message<'a> {
        let top = match MessageParser::default().parse(raw) {
            Some(parsed) => {
                let mut builder = Builder { raw, limit: raw.len() };
                builder.part(&parsed, 0, None, 0..raw.len(), 0)
            }
            None => None,
        };
        let top = top.unwrap_or_else(|| Part {
            header: 0..0,
            body: 0..raw.len(),
            content: default_content(None),
            children: Children::Leaf,
        });
        Message { raw, top }
    }

    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    pub fn top(&self) -> &Part {
        &self.top
    }

    /// The ENVELOPE of the message (RFC 3501 7.4.2), from its top-level header.
    pub fn envelope(&self) -> Envelope {
        let header = self.raw.get(self.top.header.clone()).unwrap_or_default();
        Envelope::from_header(header)
    }

    /// The bytes of a range of the message; empty when out of bounds.
    pub fn slice(&self, range: Range<usize>) -> &'a [u8] {
        self.raw.get(range).unwrap_or_default()
    }
}

struct Builder<'a> {
    raw: &'a [u8],
    limit: usize,
}

impl Builder<'_> {
    /// The part `index` of `message`, its ranges clamped into `within` (its parent's body), so
    /// every range is a valid slice of the message bytes whatever mail-parser reported.
    fn part(
        &mut self,
        message: &mail_parser::Message<'_>,
        index: usize,
        parent: Option<&ContentFields>,
        within: Range<usize>,
        depth: usize,
    ) -> Option<Part> {
        let mp = message.parts.get(index)?;
        let (header, body) = ranges(mp, &within, self.limit);
        let content = content_fields(mp, parent);
        let children = if depth >= MAX_DEPTH {
            Children::Leaf
        } else {
            match &mp.body {
                PartType::Multipart(ids) if content.r#type.eq_ignore_ascii_case("multipart") => {
                    let mut children = Vec::new();
                    for &id in ids {
                        let id = id as usize;
                        // Children come after their parent; anything else would be a cycle.
                        if id <= index {
                            continue;
                        }
                        if let Some(child) = self.part(message, id, Some(&content), body.clone(), depth + 1) {
                            children.push(child);
                        }
                    }
                    Children::Multipart(children)
                }
                PartType::Multipart(_) => Children::Leaf,
                PartType::Message(inner) if content.is("message", "rfc822") && is_identity(mp) => {
                    self.encapsulated(inner, body.clone(), depth)
                }
                _ if content.is("message", "rfc822") => opaque_message(body.clone()),
                _ => Children::Leaf,
            }
        };
        let content = match (&children, content.r#type.eq_ignore_ascii_case("multipart")) {
            // A multipart mail-parser could not split (no boundary found) is served as text.
            (Children::Leaf, true) => default_content(None),
            _ => content,
        };
        Some(Part {
            header,
            body,
            content,
            children,
        })
    }

    /// An unencoded `message/rfc822` part: mail-parser parsed it in place, so its offsets are
    /// over the same bytes.
    fn encapsulated(&mut self, inner: &mail_parser::Message<'_>, body: Range<usize>, depth: usize) -> Children {
        match self.part(inner, 0, None, body.clone(), depth + 1) {
            Some(mut top) => {
                // The encapsulated message starts where the part's body does.
                top.header.start = body.start;
                top.header.end = top.header.end.max(body.start);
                top.body.start = top.body.start.max(top.header.end);
                top.body.end = body.end.max(top.body.start);
                let header = self.raw.get(top.header.clone()).unwrap_or_default();
                Children::Message(Box::new(Envelope::from_header(header)), Box::new(top))
            }
            None => opaque_message(body),
        }
    }
}

/// A `message/rfc822` part whose content we do not look into (encoded, against RFC 2046 5.2.1,
/// or unparseable): an empty envelope and a text body.
fn opaque_message(body: Range<usize>) -> Children {
    let top = Part {
        header: body.start..body.start,
        body,
        content: default_content(None),
        children: Children::Leaf,
    };
    Children::Message(Box::default(), Box::new(top))
}

/// RFC 2046 5.2.1: message/rfc822 may only be 7bit, 8bit or binary.
fn is_identity(mp: &MessagePart<'_>) -> bool {
    mp.content_transfer_encoding().is_none_or(|e| {
        ["7bit", "8bit", "binary"]
            .iter()
            .any(|x| e.trim().eq_ignore_ascii_case(x))
    })
}

fn ranges(mp: &MessagePart<'_>, within: &Range<usize>, limit: usize) -> (Range<usize>, Range<usize>) {
    // max then min rather than clamp: never panics, whatever the bounds.
    let clamp = |x: u32| (x as usize).max(within.start).min(within.end.min(limit));
    let header_start = clamp(mp.offset_header);
    let body_start = clamp(mp.offset_body).max(header_start);
    let body_end = clamp(mp.offset_end).max(body_start);
    (header_start..body_start, body_start..body_end)
}

/// RFC 2045 5.2: no Content-Type means text/plain; charset=us-ascii, except in a
/// multipart/digest, where it means message/rfc822 (RFC 2046 5.1.5).
fn default_content(parent: Option<&ContentFields>) -> ContentFields {
    if parent.is_some_and(|p| p.is("multipart", "digest")) {
        return ContentFields {
            r#type: "message".into(),
            subtype: "rfc822".into(),
            ..ContentFields::default()
        };
    }
    ContentFields {
        r#type: "text".into(),
        subtype: "plain".into(),
        params: vec![("charset".into(), "us-ascii".into())],
        ..ContentFields::default()
    }
}

fn content_fields(mp: &MessagePart<'_>, parent: Option<&ContentFields>) -> ContentFields {
    let mut fields = match mp.content_type() {
        Some(ct) => ContentFields {
            r#type: ct.ctype().to_string(),
            subtype: ct.subtype().map(str::to_string).unwrap_or_else(|| match ct.ctype() {
                t if t.eq_ignore_ascii_case("text") => "plain".into(),
                _ => "octet-stream".into(),
            }),
            params: attributes(ct),
            ..ContentFields::default()
        },
        None => default_content(parent),
    };
    fields.id = mp.content_id().map(|id| format!("<{id}>"));
    fields.description = mp.content_description().map(str::to_string);
    fields.encoding = mp.content_transfer_encoding().map(|e| e.trim().to_string());
    fields.disposition = mp.content_disposition().map(|d| (d.ctype().to_string(), attributes(d)));
    fields.language = match mp.content_language() {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    fields.location = mp.content_location().map(str::to_string);
    fields
}

fn attributes(ct: &mail_parser::ContentType<'_>) -> Vec<(String, String)> {
    ct.attributes()
        .map(|list| list.iter().map(|a| (a.name.to_string(), a.value.to_string())).collect())
        .unwrap_or_default()
}

/// Whether `needle` (already lowercase) occurs in the message's header or in the decoded text of
/// any of its parts, ignoring case (SEARCH TEXT, RFC 3501 6.4.4).
pub fn text_contains(raw: &[u8], needle: &str, with_header: bool) -> bool {
    let Some(parsed) = MessageParser::default().parse(raw) else {
        return contains_ignore_case(&String::from_utf8_lossy(raw), needle);
    };
    if with_header {
        let header_end = parsed.parts.first().map_or(0, |p| p.offset_body as usize);
        let header = String::from_utf8_lossy(raw.get(..header_end).unwrap_or_default());
        if contains_ignore_case(&header, needle) || decoded_headers_contain(&parsed, needle) {
            return true;
        }
    }
    parsed.parts.iter().any(|part| match &part.body {
        PartType::Text(text) | PartType::Html(text) => contains_ignore_case(text, needle),
        _ => false,
    })
}

fn decoded_headers_contain(parsed: &mail_parser::Message<'_>, needle: &str) -> bool {
    parsed.parts.first().is_some_and(|top| {
        top.headers.iter().any(|h| match &h.value {
            HeaderValue::Text(t) => contains_ignore_case(t, needle),
            HeaderValue::TextList(list) => list.iter().any(|t| contains_ignore_case(t, needle)),
            HeaderValue::Address(a) => envelope::address_text(a)
                .iter()
                .any(|t| contains_ignore_case(t, needle)),
            _ => false,
        })
    })
}

/// Case-insensitive substring test; `needle` must already be lowercase.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_lowercase().contains(needle)
}

/// What SEARCH looks at in a message header: each field's name and its text (raw, unfolded,
/// and decoded), lowercase; and the Date field's calendar date as written.
#[derive(Debug, Default)]
pub struct SearchHeader {
    fields: Vec<(String, String)>,
    pub sent: Option<chrono::NaiveDate>,
}

impl SearchHeader {
    pub fn new(raw: &[u8]) -> SearchHeader {
        let Some(parsed) = MessageParser::default().parse_headers(raw) else {
            return SearchHeader::default();
        };
        let Some(top) = parsed.parts.first() else {
            return SearchHeader::default();
        };
        let mut header = SearchHeader::default();
        for h in &top.headers {
            let value = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            let mut text = String::from_utf8_lossy(value).replace(['\r', '\n'], "");
            match &h.value {
                HeaderValue::Text(t) => text.push_str(&format!(" {t}")),
                HeaderValue::TextList(list) => list.iter().for_each(|t| text.push_str(&format!(" {t}"))),
                HeaderValue::Address(a) => envelope::address_text(a)
                    .iter()
                    .for_each(|t| text.push_str(&format!(" {t}"))),
                HeaderValue::DateTime(d) if header.sent.is_none() => {
                    header.sent =
                        chrono::NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day));
                }
                _ => {}
            }
            header
                .fields
                .push((h.name.as_str().to_ascii_lowercase(), text.to_lowercase()));
        }
        header
    }

    /// RFC 3501 6.4.4 HEADER / FROM / SUBJECT ...: a field named `name` contains `needle`
    /// (lowercase; empty matches any such field).
    pub fn contains(&self, name: &str, needle: &str) -> bool {
        self.fields
            .iter()
            .any(|(n, text)| n.eq_ignore_ascii_case(name) && text.contains(needle))
    }
}
