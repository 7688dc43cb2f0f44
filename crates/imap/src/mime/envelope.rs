//! ENVELOPE (RFC 3501 7.4.2): date, subject, addresses and ids from a message header. Date,
//! subject and ids are the header's own bytes (unfolded); addresses are mail-parser's reading,
//! with non-ASCII display names put back into RFC 2047 encoded words.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use imap_types::core::{IString, NString};
use imap_types::envelope as wire;
use mail_parser::{HeaderName, HeaderValue, MessageParser};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    pub date: Option<Vec<u8>>,
    pub subject: Option<Vec<u8>>,
    pub from: Vec<Address>,
    pub sender: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub in_reply_to: Option<Vec<u8>>,
    pub message_id: Option<Vec<u8>>,
}

/// One element of an address list. A group is framed by a start element (`mailbox` = group
/// name, `host` = NIL) and an end element (all NIL), as RFC 3501 7.4.2 has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub name: Option<String>,
    pub mailbox: Option<String>,
    pub host: Option<String>,
}

impl Envelope {
    /// Reads the header block of a message (or of an encapsulated one).
    pub fn from_header(header: &[u8]) -> Envelope {
        let mut envelope = Envelope::default();
        let Some(parsed) = MessageParser::default().parse_headers(header) else {
            return envelope;
        };
        let Some(top) = parsed.parts.first() else {
            return envelope;
        };
        for h in &top.headers {
            let raw = || {
                let bytes = header
                    .get(h.offset_start as usize..h.offset_end as usize)
                    .unwrap_or_default();
                Some(unfold(bytes))
            };
            // RFC 5322 allows one of each; the first wins, as most servers do.
            match &h.name {
                HeaderName::Date if envelope.date.is_none() => envelope.date = raw(),
                HeaderName::Subject if envelope.subject.is_none() => envelope.subject = raw(),
                HeaderName::InReplyTo if envelope.in_reply_to.is_none() => envelope.in_reply_to = raw(),
                HeaderName::MessageId if envelope.message_id.is_none() => envelope.message_id = raw(),
                HeaderName::From if envelope.from.is_empty() => envelope.from = addresses(&h.value),
                HeaderName::Sender if envelope.sender.is_empty() => envelope.sender = addresses(&h.value),
                HeaderName::ReplyTo if envelope.reply_to.is_empty() => envelope.reply_to = addresses(&h.value),
                HeaderName::To if envelope.to.is_empty() => envelope.to = addresses(&h.value),
                HeaderName::Cc if envelope.cc.is_empty() => envelope.cc = addresses(&h.value),
                HeaderName::Bcc if envelope.bcc.is_empty() => envelope.bcc = addresses(&h.value),
                _ => {}
            }
        }
        // RFC 3501 7.4.2: the server sets sender and reply-to to from when they are absent.
        if envelope.sender.is_empty() {
            envelope.sender = envelope.from.clone();
        }
        if envelope.reply_to.is_empty() {
            envelope.reply_to = envelope.from.clone();
        }
        envelope
    }

    pub fn to_wire(&self) -> wire::Envelope<'static> {
        wire::Envelope {
            date: nstring(self.date.as_deref()),
            subject: nstring(self.subject.as_deref()),
            from: wire_addresses(&self.from),
            sender: wire_addresses(&self.sender),
            reply_to: wire_addresses(&self.reply_to),
            to: wire_addresses(&self.to),
            cc: wire_addresses(&self.cc),
            bcc: wire_addresses(&self.bcc),
            in_reply_to: nstring(self.in_reply_to.as_deref()),
            message_id: nstring(self.message_id.as_deref()),
        }
    }
}

/// A header value without its line folding and surrounding white space; NUL, which no IMAP
/// string may carry, is dropped.
fn unfold(bytes: &[u8]) -> Vec<u8> {
    let unfolded: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n' && b != 0)
        .collect();
    unfolded.trim_ascii().to_vec()
}

fn addresses(value: &HeaderValue<'_>) -> Vec<Address> {
    let mut list = Vec::new();
    match value {
        HeaderValue::Address(mail_parser::Address::List(addrs)) => {
            list.extend(addrs.iter().map(address));
        }
        HeaderValue::Address(mail_parser::Address::Group(groups)) => {
            for group in groups {
                match &group.name {
                    Some(name) => {
                        list.push(Address {
                            name: None,
                            mailbox: Some(clean(name)),
                            host: None,
                        });
                        list.extend(group.addresses.iter().map(address));
                        list.push(Address::default());
                    }
                    None => list.extend(group.addresses.iter().map(address)),
                }
            }
        }
        _ => {}
    }
    list
}

fn address(addr: &mail_parser::Addr<'_>) -> Address {
    let (mailbox, host) = match addr.address.as_deref().map(clean) {
        Some(a) => match a.rsplit_once('@') {
            Some((local, domain)) => (Some(local.to_string()), Some(domain.to_string())),
            // A NIL host would mean a group (RFC 3501 7.4.2): an address without a domain
            // gets an empty one.
            None => (Some(a), Some(String::new())),
        },
        None => (None, Some(String::new())),
    };
    Address {
        name: addr
            .name
            .as_deref()
            .map(clean)
            .filter(|n| !n.is_empty())
            .map(|n| encode_word(&n)),
        mailbox,
        host,
    }
}

fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// RFC 2047: a display name with non-ASCII characters as one `=?utf-8?b?...?=` word, so the
/// envelope stays 7-bit like the header it came from usually was.
fn encode_word(name: &str) -> String {
    if name.is_ascii() {
        name.to_string()
    } else {
        format!("=?utf-8?b?{}?=", BASE64.encode(name.as_bytes()))
    }
}

/// Names and addresses as text, for SEARCH FROM/TO/CC/BCC.
pub(super) fn address_text(value: &mail_parser::Address<'_>) -> Vec<String> {
    let addrs: Vec<&mail_parser::Addr<'_>> = match value {
        mail_parser::Address::List(list) => list.iter().collect(),
        mail_parser::Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).collect(),
    };
    let mut text = Vec::new();
    for a in addrs {
        text.extend(a.name.as_deref().map(str::to_string));
        text.extend(a.address.as_deref().map(str::to_string));
    }
    text
}

/// An IMAP string (quoted when it can be, else a literal), or NIL.
pub(crate) fn nstring(bytes: Option<&[u8]>) -> NString<'static> {
    match bytes {
        Some(b) => NString(istring(b)),
        None => NString(None),
    }
}

pub(crate) fn istring(bytes: &[u8]) -> Option<IString<'static>> {
    let clean: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
    IString::try_from(clean).ok()
}

fn wire_addresses(list: &[Address]) -> Vec<wire::Address<'static>> {
    list.iter()
        .map(|a| wire::Address {
            name: nstring(a.name.as_deref().map(str::as_bytes)),
            adl: NString(None),
            mailbox: nstring(a.mailbox.as_deref().map(str::as_bytes)),
            host: nstring(a.host.as_deref().map(str::as_bytes)),
        })
        .collect()
}
