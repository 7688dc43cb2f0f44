//! `BODY[section]` (RFC 3501 6.4.5): part numbers, HEADER, HEADER.FIELDS (.NOT), TEXT and MIME,
//! always as slices of the stored bytes (header field selections are whole raw fields).

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_types::core::AString;
use imap_types::fetch::{Part as PartPath, Section};

use super::{Children, Message, Part};

/// The bytes `section` names; `None` is `BODY[]`, the whole message. A part that does not exist
/// gives an empty string, as most servers answer.
pub fn section_bytes<'a>(message: &Message<'a>, section: Option<&Section<'_>>) -> Cow<'a, [u8]> {
    let top = message.top();
    let part_of = |path: &PartPath| resolve(top, path.0.as_ref());
    // HEADER, HEADER.FIELDS and TEXT with a part number refer to an encapsulated message.
    let message_of = |path: Option<&PartPath>| match path {
        None => Some(top),
        Some(path) => match part_of(path).map(|p| &p.children) {
            Some(Children::Message(_, inner)) => Some(&**inner),
            _ => None,
        },
    };
    let slice = |part: Option<&Part>, header: bool| match part {
        Some(p) => Cow::Borrowed(message.slice(if header { p.header.clone() } else { p.body.clone() })),
        None => Cow::Borrowed(&b""[..]),
    };
    match section {
        None => Cow::Borrowed(message.raw()),
        Some(Section::Part(path)) => slice(part_of(path), false),
        Some(Section::Mime(path)) => slice(part_of(path), true),
        Some(Section::Header(path)) => slice(message_of(path.as_ref()), true),
        Some(Section::Text(path)) => slice(message_of(path.as_ref()), false),
        Some(Section::HeaderFields(path, names)) => match message_of(path.as_ref()) {
            Some(p) => Cow::Owned(select_fields(message.slice(p.header.clone()), names.as_ref(), true)),
            None => Cow::Borrowed(&b""[..]),
        },
        Some(Section::HeaderFieldsNot(path, names)) => match message_of(path.as_ref()) {
            Some(p) => Cow::Owned(select_fields(message.slice(p.header.clone()), names.as_ref(), false)),
            None => Cow::Borrowed(&b""[..]),
        },
    }
}

/// RFC 3501 6.4.5: "Every message has at least one part number. Non-[MIME-IMB] messages, and
/// non-multipart [MIME-IMB] messages with no encapsulated message, only have a part 1." Part
/// numbers below a message/rfc822 part address the parts of the encapsulated message.
fn resolve<'p>(top: &'p Part, path: &[NonZeroU32]) -> Option<&'p Part> {
    let mut current = top;
    let mut at_message_top = true;
    for n in path {
        if !at_message_top && let Children::Message(_, inner) = &current.children {
            current = inner;
            at_message_top = true;
        }
        current = match &current.children {
            Children::Multipart(children) => children.get(n.get() as usize - 1)?,
            _ if at_message_top && n.get() == 1 => current,
            _ => return None,
        };
        at_message_top = false;
    }
    Some(current)
}

/// One header field as it stands, folded lines included: its name and its raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    pub name: &'a [u8],
    pub raw: &'a [u8],
}

/// The fields of a header block, up to the blank line that ends it.
pub fn header_fields(block: &[u8]) -> Vec<Field<'_>> {
    let mut spans: Vec<(usize, usize, usize)> = Vec::new(); // start, name end, end
    let mut at = 0;
    while at < block.len() {
        let end = block[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(block.len(), |i| at + i + 1);
        let line = &block[at..end];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        match (line.first(), spans.last_mut()) {
            (Some(b' ' | b'\t'), Some(last)) => last.2 = end,
            _ => {
                let name_end = line.iter().position(|&b| b == b':').map_or(end, |i| at + i);
                spans.push((at, name_end, end));
            }
        }
        at = end;
    }
    spans
        .into_iter()
        .map(|(start, name_end, end)| Field {
            name: block[start..name_end].trim_ascii(),
            raw: &block[start..end],
        })
        .collect()
}

/// HEADER.FIELDS (`keep` = true) or HEADER.FIELDS.NOT: the chosen fields, then the blank line
/// (RFC 3501 6.4.5 includes it).
fn select_fields(block: &[u8], names: &[AString<'_>], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for field in header_fields(block) {
        let named = names.iter().any(|n| n.as_ref().eq_ignore_ascii_case(field.name));
        if named == keep {
            out.extend_from_slice(field.raw);
            if !field.raw.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_fields_stay_whole() {
        let block = b"Subject: a\r\n b\r\nFrom: x@y.it\r\n\r\nbody";
        let fields = header_fields(block);
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].name, b"Subject");
        assert_eq!(fields[0].raw, b"Subject: a\r\n b\r\n");
        assert_eq!(fields[1].raw, b"From: x@y.it\r\n");
    }
}
