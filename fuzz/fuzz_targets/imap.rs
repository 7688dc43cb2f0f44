//! IMAP command handling without I/O: arbitrary bytes through the receiver (fragmenting,
//! literal decisions, imap-codec decoding, our LIST-EXTENDED parser), each command through
//! `Request::parse` and `admit` in every state, refusals encoded; and the same bytes as a
//! stored message through ENVELOPE, BODYSTRUCTURE, sections and SEARCH. Nothing may panic.
#![no_main]

use imap::imap_types::core::{AString, Vec1};
use imap::imap_types::fetch::{MessageDataItem, Part, Section};
use imap::imap_types::response::{Data, StatusKind};
use imap::mime::{self, Message, SearchHeader};
use imap::request::{Phase, Request};
use imap::wire::{Event, Expect, Out, Receiver};
use libfuzzer_sys::fuzz_target;
use std::num::NonZeroU32;

fuzz_target!(|data: &[u8]| {
    commands(data, false);
    commands(data, true);
    message(data);
});

fn commands(data: &[u8], logged_in: bool) {
    let mut receiver = Receiver::new(1024 * 1024);
    if logged_in {
        receiver.logged_in(1024 * 1024);
    }
    let mut out = Out::default();
    // Feed in uneven chunks, as reads would deliver them.
    for (i, chunk) in data.chunks(7 + data.len() % 13).enumerate() {
        if i % 5 == 4 {
            receiver.expect(Expect::AuthenticateData);
        } else if i % 7 == 6 {
            receiver.expect(Expect::IdleDone);
        } else {
            receiver.expect(Expect::Command);
        }
        receiver.feed(chunk);
        while let Some(event) = receiver.event() {
            match event {
                Event::Command(command) => {
                    let tag = command.tag.clone();
                    match Request::parse(command.body) {
                        Ok(request) => admit(&request, &mut out, &tag),
                        Err(reply) => out.tagged(&tag, reply.kind, reply.code, &reply.text),
                    }
                }
                Event::List(list) => match Request::from_list(&list) {
                    Ok(request) => admit(&request, &mut out, &list.tag),
                    Err(reply) => out.tagged(&list.tag, reply.kind, reply.code, &reply.text),
                },
                Event::Refused(r) => match &r.tag {
                    Some(tag) => out.tagged(tag, r.kind, r.code, &r.text),
                    None => out.untagged(r.kind, r.code, &r.text),
                },
                Event::Continue => out.continuation("Ready for literal data"),
                Event::Close(text) => {
                    out.bye(None, text);
                    return;
                }
                Event::AuthenticateData(_) | Event::IdleDone => {}
            }
            out.clear();
        }
    }
}

fn admit(request: &Request, out: &mut Out, tag: &imap::imap_types::core::Tag<'_>) {
    for phase in [Phase::NotAuthenticated, Phase::Authenticated, Phase::Selected] {
        for tls in [false, true] {
            if let Err(reply) = request.admit(phase, tls) {
                out.tagged(tag, reply.kind, reply.code, &reply.text);
            }
        }
    }
    let _ = request.allows_expunge();
    out.tagged(tag, StatusKind::Ok, None, "done");
}

fn message(data: &[u8]) {
    let message = Message::parse(data);
    let mut out = Out::default();
    let seq = NonZeroU32::MIN;
    let mut items = vec![
        MessageDataItem::Envelope(message.envelope().to_wire()),
        MessageDataItem::BodyStructure(message.body_structure(true)),
        MessageDataItem::Body(message.body_structure(false)),
    ];
    // Part paths from the input's first bytes, so the fuzzer steers into the tree.
    let path: Vec<NonZeroU32> = data
        .iter()
        .take(4)
        .filter_map(|&b| NonZeroU32::new(u32::from(b % 5)))
        .collect();
    let part = Vec1::try_from(path).ok().map(Part);
    let names = Vec1::from(AString::try_from("Subject").unwrap_or_else(|_| AString::try_from("X").unwrap()));
    let mut sections = vec![
        None,
        Some(Section::Header(None)),
        Some(Section::Text(None)),
        Some(Section::HeaderFields(None, names.clone())),
        Some(Section::HeaderFieldsNot(None, names.clone())),
    ];
    if let Some(part) = part {
        sections.extend([
            Some(Section::Part(part.clone())),
            Some(Section::Mime(part.clone())),
            Some(Section::Header(Some(part.clone()))),
            Some(Section::Text(Some(part.clone()))),
            Some(Section::HeaderFields(Some(part), names)),
        ]);
    }
    for section in sections {
        let bytes = mime::section_bytes(&message, section.as_ref());
        let data = imap::imap_types::core::Literal::try_from(bytes.iter().map(|&b| b.max(1)).collect::<Vec<u8>>())
            .ok()
            .map(|l| imap::imap_types::core::NString(Some(l.into())))
            .unwrap_or_default();
        items.push(MessageDataItem::BodyExt {
            section,
            origin: None,
            data,
        });
    }
    if let Ok(items) = Vec1::try_from(items) {
        out.data(Data::Fetch { seq, items });
    }
    let header = SearchHeader::new(data);
    let _ = header.contains("subject", "pec");
    let _ = mime::text_contains(data, "posta", true);
    let _ = mime::header_fields(data);
}
