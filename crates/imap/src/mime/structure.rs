//! BODY and BODYSTRUCTURE (RFC 3501 7.4.2): the part tree as imap-types' `BodyStructure`.

use imap_types::body::{
    BasicFields, Body, BodyStructure, Disposition, Language, Location, MultiPartExtensionData, SinglePartExtensionData,
    SpecificFields,
};
use imap_types::core::{IString, NString, Vec1};

use super::envelope::{istring, nstring};
use super::{Children, ContentFields, Message, Part};

impl Message<'_> {
    /// BODYSTRUCTURE with `extensions`, BODY without.
    pub fn body_structure(&self, extensions: bool) -> BodyStructure<'static> {
        structure(self, &self.top, extensions)
    }
}

fn structure(message: &Message<'_>, part: &Part, extensions: bool) -> BodyStructure<'static> {
    match &part.children {
        Children::Multipart(children) => {
            let bodies: Vec<BodyStructure<'static>> =
                children.iter().map(|c| structure(message, c, extensions)).collect();
            // imap-types wants one body at least; a multipart without parts gets an empty text.
            let bodies = Vec1::try_from(bodies).unwrap_or_else(|_| Vec1::from(empty_text()));
            BodyStructure::Multi {
                bodies,
                subtype: string(&part.content.subtype),
                extension_data: extensions.then(|| MultiPartExtensionData {
                    parameter_list: params(&part.content.params),
                    tail: Some(disposition(&part.content)),
                }),
            }
        }
        Children::Leaf => single(message, part, leaf_specific(message, part), extensions),
        Children::Message(envelope, inner) => {
            let specific = SpecificFields::Message {
                envelope: Box::new(envelope.to_wire()),
                body_structure: Box::new(structure(message, inner, extensions)),
                number_of_lines: lines(message.slice(part.body.clone())),
            };
            single(message, part, specific, extensions)
        }
    }
}

fn leaf_specific(message: &Message<'_>, part: &Part) -> SpecificFields<'static> {
    if part.content.r#type.eq_ignore_ascii_case("text") {
        SpecificFields::Text {
            subtype: string(&part.content.subtype),
            number_of_lines: lines(message.slice(part.body.clone())),
        }
    } else {
        SpecificFields::Basic {
            r#type: string(&part.content.r#type),
            subtype: string(&part.content.subtype),
        }
    }
}

fn single(
    message: &Message<'_>,
    part: &Part,
    specific: SpecificFields<'static>,
    extensions: bool,
) -> BodyStructure<'static> {
    let c = &part.content;
    let size = message.slice(part.body.clone()).len();
    BodyStructure::Single {
        body: Body {
            basic: BasicFields {
                parameter_list: params(&c.params),
                id: nstring(c.id.as_deref().map(str::as_bytes)),
                description: nstring(c.description.as_deref().map(str::as_bytes)),
                // RFC 2045 6.1: 7BIT is the default.
                content_transfer_encoding: string(c.encoding.as_deref().unwrap_or("7BIT")),
                size: u32::try_from(size).unwrap_or(u32::MAX),
            },
            specific,
        },
        extension_data: extensions.then(|| SinglePartExtensionData {
            md5: NString(None),
            tail: Some(disposition(c)),
        }),
    }
}

fn disposition(c: &ContentFields) -> Disposition<'static> {
    Disposition {
        disposition: c.disposition.as_ref().map(|(kind, p)| (string(kind), params(p))),
        tail: Some(Language {
            language: c.language.iter().map(|l| string(l)).collect(),
            tail: Some(Location {
                location: nstring(c.location.as_deref().map(str::as_bytes)),
                extensions: Vec::new(),
            }),
        }),
    }
}

fn empty_text() -> BodyStructure<'static> {
    BodyStructure::Single {
        body: Body {
            basic: BasicFields {
                parameter_list: Vec::new(),
                id: NString(None),
                description: NString(None),
                content_transfer_encoding: string("7BIT"),
                size: 0,
            },
            specific: SpecificFields::Text {
                subtype: string("plain"),
                number_of_lines: 0,
            },
        },
        extension_data: None,
    }
}

fn params(list: &[(String, String)]) -> Vec<(IString<'static>, IString<'static>)> {
    list.iter().map(|(k, v)| (string(k), string(v))).collect()
}

/// An IMAP string of a header-derived value; [`istring`] only fails on nothing it is given
/// (it drops NUL, the one byte no IMAP string carries), so `""` is a formality.
fn string(s: &str) -> IString<'static> {
    istring(s.as_bytes()).unwrap_or_else(|| IString::Quoted(imap_types::core::Quoted::unvalidated("")))
}

/// Lines of a text body (RFC 3501 7.4.2 body-fld-lines): its line ends, plus a last line without one.
pub(crate) fn lines(body: &[u8]) -> u32 {
    let breaks = body.iter().filter(|&&b| b == b'\n').count();
    let last = usize::from(!body.is_empty() && !body.ends_with(b"\n"));
    u32::try_from(breaks + last).unwrap_or(u32::MAX)
}
