//! `Esiti.xml`, ReGIndE's answer to a communication ([ReGIndE-v1] §2.6, the
//! Ministry of Justice's design document "Nuovo ReGIndE v1.0" as
//! `../shared/docs/registries.md` 2.5 summarises it; the register itself is DM
//! 44/2011 art. 7, fed under the technical specifications' art. 8, registries.md
//! 2.1): the id of the message answered, the body, an optional outcome for the
//! whole file (F001-F005, F999) and one outcome per subject (S000, W001,
//! E001-E005, E999). It comes back by PEC, attached to a reply whose subject
//! is the original's plus " – Esito" (registries.md 2.5).
//!
//! `Esiti.xsd` is not public, so the element names are unknown. The reader is
//! tolerant and assumes only this much:
//!
//! - names are compared without namespace prefix and case;
//! - a subject's outcome is an element whose name starts with `EsitoSoggett`
//!   (`EsitoSoggetto`, as the type `EsitoSoggettoType` suggests) and holds no
//!   such element itself (so a plural container is not taken for one);
//! - inside it, in child elements or attributes: the codice fiscale (named
//!   `CodiceFiscale`/`CF`, else any value shaped like one), the code (named
//!   `Codice`/`CodiceEsito`/`Esito`, else any value shaped `[SWE]nnn`, else the
//!   element's own text) and a description (`Descrizione`/`Messaggio`);
//! - the whole-file outcome is an element whose name starts with
//!   `EsitoComunicazione` holding a value shaped `Fnnn`;
//! - the message id is in an element whose name contains `IdMessaggio` or is
//!   `MessageId`; the body in `CodiceEnte`, `EnteDestinatario` or `Ente`.
//!
//! The layout we expect until the real one is seen is the test's `ESITI`.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::{Deserialize, Serialize};

/// The answer, as far as it could be read: the header fields of [ReGIndE-v1]
/// §2.6 (the id of the sender's PEC message, the destination body's code) and
/// the outcomes (registries.md 2.5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Esiti {
    /// The id of the Order's PEC message this answers.
    pub message_id: Option<String>,
    /// The destination body's code.
    pub codice_ente: Option<String>,
    /// Present when the whole file was refused.
    pub file_outcome: Option<Outcome<FileCode>>,
    pub subjects: Vec<SubjectOutcome>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome<C> {
    pub code: C,
    pub description: Option<String>,
}

/// One subject's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectOutcome {
    /// As written in the answer, uppercase; `None` if it names none.
    pub codice_fiscale: Option<String>,
    pub outcome: Outcome<SubjectCode>,
}

/// EsitoComunicazione: why the whole file was refused ([ReGIndE-v1] §2.6).
/// With one, no subject was processed (registries.md 2.3: when a rule of the
/// message fails, an automatic negative outcome is returned and the attachment
/// is not processed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileCode {
    /// F001
    SignerNotAuthorised,
    /// F002
    SenderPecNotAuthorised,
    /// F003
    NotValidAgainstSchema,
    /// F004
    WholeRollNotAllowed,
    /// F005
    MessageFormat,
    /// F999
    Generic,
    Other(String),
}

/// EsitoSoggettoType: S = success, W = warning, E = error ([ReGIndE-v1] §2.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubjectCode {
    /// S000
    Done,
    /// W001: present under another body; linked, profile unchanged.
    PresentUnderAnotherBody,
    /// E001
    InvalidPec,
    /// E002
    InvalidPersonalData,
    /// E003: insertion refused, already present for this body.
    AlreadyPresent,
    /// E004: deletion refused, not present.
    DeleteNotPresent,
    /// E005: update refused, not present.
    UpdateNotPresent,
    /// E999
    Generic,
    Other(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Success,
    Warning,
    Error,
}

impl FileCode {
    fn from_code(code: &str) -> FileCode {
        match code {
            "F001" => FileCode::SignerNotAuthorised,
            "F002" => FileCode::SenderPecNotAuthorised,
            "F003" => FileCode::NotValidAgainstSchema,
            "F004" => FileCode::WholeRollNotAllowed,
            "F005" => FileCode::MessageFormat,
            "F999" => FileCode::Generic,
            other => FileCode::Other(other.to_owned()),
        }
    }
}

impl SubjectCode {
    fn from_code(code: &str) -> SubjectCode {
        match code {
            "S000" => SubjectCode::Done,
            "W001" => SubjectCode::PresentUnderAnotherBody,
            "E001" => SubjectCode::InvalidPec,
            "E002" => SubjectCode::InvalidPersonalData,
            "E003" => SubjectCode::AlreadyPresent,
            "E004" => SubjectCode::DeleteNotPresent,
            "E005" => SubjectCode::UpdateNotPresent,
            "E999" => SubjectCode::Generic,
            other => SubjectCode::Other(other.to_owned()),
        }
    }

    /// By the code's letter ([ReGIndE-v1] §2.6: S = success, W = warning,
    /// E = error); an unknown code of another letter is an error.
    pub fn severity(&self) -> Severity {
        match self {
            SubjectCode::Done => Severity::Success,
            SubjectCode::PresentUnderAnotherBody => Severity::Warning,
            SubjectCode::Other(c) if c.starts_with('S') => Severity::Success,
            SubjectCode::Other(c) if c.starts_with('W') => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// W001, E003, E005: the Order's view and ReGIndE's differ; offer to send
    /// the whole roll (registries.md 2.5).
    pub fn diverged(&self) -> bool {
        matches!(
            self,
            SubjectCode::PresentUnderAnotherBody | SubjectCode::AlreadyPresent | SubjectCode::UpdateNotPresent
        )
    }
}

/// Why the answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EsitiError {
    #[error("not well-formed XML at byte {position}: {reason}")]
    NotXml { position: u64, reason: String },
    #[error("the XML nests deeper than {MAX_DEPTH} elements")]
    TooDeep,
    #[error("no outcome found: neither a whole-file outcome (Fnnn) nor any subject's (EsitoSoggetto)")]
    NoOutcome,
}

const MAX_DEPTH: usize = 64;

/// An element: local name lowercased, attributes, own text, children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

/// Reads an `Esiti.xml` answer.
pub fn parse_esiti(xml: &[u8]) -> Result<Esiti, EsitiError> {
    let root = tree(xml)?;
    let mut esiti = Esiti {
        message_id: first_value(&root, &|n| n == "messageid" || n.contains("idmessaggio")),
        codice_ente: first_value(&root, &|n| matches!(n, "codiceente" | "entedestinatario" | "ente")),
        ..Esiti::default()
    };
    let mut outcomes = Vec::new();
    innermost(&root, &|n| n.starts_with("esitosoggett"), &mut outcomes);
    esiti.subjects = outcomes.into_iter().filter_map(subject_outcome).collect();
    let mut files = Vec::new();
    innermost(&root, &|n| n.starts_with("esitocomunicazione"), &mut files);
    esiti.file_outcome = files.into_iter().find_map(|node| {
        let fields = fields(node);
        let code = fields
            .iter()
            .map(|(_, v)| v.as_str())
            .chain([node.text.trim()])
            .find(|v| shaped_code(v, b"F"))?;
        Some(Outcome {
            code: FileCode::from_code(code),
            description: description(&fields),
        })
    });
    if esiti.subjects.is_empty() && esiti.file_outcome.is_none() {
        return Err(EsitiError::NoOutcome);
    }
    Ok(esiti)
}

fn subject_outcome(node: &Node) -> Option<SubjectOutcome> {
    let fields = fields(node);
    let named = |names: &[&str]| {
        fields
            .iter()
            .find(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, v)| v.clone())
    };
    let codice_fiscale = named(&["codicefiscale", "cf", "codfiscale"])
        .or_else(|| {
            fields
                .iter()
                .map(|(_, v)| v)
                .find(|v| crate::TaxId::parse(v).is_ok())
                .cloned()
        })
        .map(|v| v.trim().to_uppercase());
    let code = named(&["codice", "codiceesito", "esito", "code"])
        .filter(|v| shaped_code(v, b"SWE"))
        .or_else(|| fields.iter().map(|(_, v)| v).find(|v| shaped_code(v, b"SWE")).cloned())
        .or_else(|| shaped_code(node.text.trim(), b"SWE").then(|| node.text.trim().to_owned()))?;
    Some(SubjectOutcome {
        codice_fiscale,
        outcome: Outcome {
            code: SubjectCode::from_code(code.trim()),
            description: description(&fields),
        },
    })
}

fn description(fields: &[(String, String)]) -> Option<String> {
    fields
        .iter()
        .find(|(n, _)| {
            matches!(
                n.as_str(),
                "descrizione" | "descrizioneesito" | "messaggio" | "description"
            )
        })
        .map(|(_, v)| v.clone())
}

/// A letter of `letters` and three digits.
fn shaped_code(value: &str, letters: &[u8]) -> bool {
    let b = value.trim().as_bytes();
    b.len() == 4 && letters.contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit)
}

/// The attributes and the texts of the descendants, as (name, value), in
/// document order, blank values left out.
fn fields(node: &Node) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_fields(node, &mut out);
    out
}

fn collect_fields(node: &Node, out: &mut Vec<(String, String)>) {
    out.extend(node.attributes.iter().cloned());
    for child in &node.children {
        if !child.text.trim().is_empty() {
            out.push((child.name.clone(), child.text.trim().to_owned()));
        }
        collect_fields(child, out);
    }
}

/// The text (or attribute) of the first element named as `wanted` says.
fn first_value(node: &Node, wanted: &dyn Fn(&str) -> bool) -> Option<String> {
    if wanted(&node.name) && !node.text.trim().is_empty() {
        return Some(node.text.trim().to_owned());
    }
    if let Some((_, v)) = node.attributes.iter().find(|(n, _)| wanted(n)) {
        return Some(v.clone());
    }
    node.children.iter().find_map(|c| first_value(c, wanted))
}

/// The elements named as `wanted` says that hold no such element.
fn innermost<'a>(node: &'a Node, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<&'a Node>) {
    let before = out.len();
    for child in &node.children {
        innermost(child, wanted, out);
    }
    if out.len() == before && wanted(&node.name) {
        out.push(node);
    }
}

/// The document as a tree under an unnamed root.
fn tree(xml: &[u8]) -> Result<Node, EsitiError> {
    let text = String::from_utf8_lossy(xml);
    let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut stack = vec![Node::default()];
    loop {
        let event = reader.read_event().map_err(|e| EsitiError::NotXml {
            position: reader.buffer_position(),
            reason: e.to_string(),
        })?;
        match event {
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err(EsitiError::TooDeep);
                }
                stack.push(node(&e));
            }
            Event::Empty(e) => {
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node(&e));
                }
            }
            Event::End(_) => {
                if stack.len() > 1
                    && let Some(done) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.children.push(done);
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut stack, &t),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_predefined_entity(&r.xml10_content()).map(str::to_string),
                };
                if let Some(s) = resolved {
                    push_text(&mut stack, &s);
                }
            }
            Event::Eof if stack.len() > 1 => {
                return Err(EsitiError::NotXml {
                    position: reader.buffer_position(),
                    reason: "the file ends inside an element: truncated?".into(),
                });
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    Ok(stack.pop().unwrap_or_default())
}

fn push_text(stack: &mut [Node], text: &str) {
    if let Some(top) = stack.last_mut() {
        top.text.push_str(text);
    }
}

fn node(e: &BytesStart<'_>) -> Node {
    Node {
        name: local(e.local_name().as_ref()),
        attributes: e
            .attributes()
            .flatten()
            .filter(|a| a.key.as_ref() != "xmlns" && !a.key.as_ref().starts_with("xmlns:"))
            .map(|a| {
                let value = a
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .unwrap_or_default();
                (local(a.key.local_name().as_ref()), value.trim().to_owned())
            })
            .collect(),
        ..Node::default()
    }
}

fn local(name: &str) -> String {
    name.to_lowercase()
}
