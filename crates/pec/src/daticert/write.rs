//! The daticert writer: the exact layout of the opec providers (Aruba, Namirial, Sogei).
//!
//! Elements in the order of the DTD's content models (`../shared/docs/pec-rules.md`
//! 4.1, the allegato's "schema dei dati di certificazione"), formatted as 4.2
//! describes and the signed samples of 4.3 show.

use std::fmt::Write as _;

use quick_xml::escape::{escape, partial_escape};

use super::Daticert;

/// Writes `daticert.xml` as real providers do: UTF-8 prolog, 4-space indentation,
/// LF line ends, a final newline, `msgid` with escaped angle brackets, and
/// `<ricevuta tipo="..." />` with a space before the slash.
pub fn write(d: &Daticert) -> String {
    let mut x = String::with_capacity(1024);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<postacert tipo=\"{}\" errore=\"{}\">",
        attr(d.tipo.as_str()),
        attr(d.errore.as_str())
    );
    x.push_str("    <intestazione>\n");
    element(&mut x, 2, "mittente", &d.mittente);
    for dest in &d.destinatari {
        let _ = writeln!(
            x,
            "        <destinatari tipo=\"{}\">{}</destinatari>",
            attr(dest.tipo.as_str()),
            text(&dest.address)
        );
    }
    element(&mut x, 2, "risposte", &d.risposte);
    if let Some(oggetto) = &d.oggetto {
        element(&mut x, 2, "oggetto", oggetto);
    }
    x.push_str("    </intestazione>\n");
    x.push_str("    <dati>\n");
    element(&mut x, 2, "gestore-emittente", &d.gestore_emittente);
    let _ = writeln!(x, "        <data zona=\"{}\">", attr(&d.data.zona));
    element(&mut x, 3, "giorno", &d.data.giorno);
    element(&mut x, 3, "ora", &d.data.ora);
    x.push_str("        </data>\n");
    element(&mut x, 2, "identificativo", &d.identificativo);
    // pec-rules.md 4.2: the client's Message-ID with its angle brackets, escaped.
    if let Some(msgid) = &d.msgid {
        element(&mut x, 2, "msgid", msgid);
    }
    if let Some(ricevuta) = &d.ricevuta {
        let _ = writeln!(x, "        <ricevuta tipo=\"{}\" />", attr(ricevuta.as_str()));
    }
    if let Some(consegna) = &d.consegna {
        element(&mut x, 2, "consegna", consegna);
    }
    for ricezione in &d.ricezione {
        element(&mut x, 2, "ricezione", ricezione);
    }
    if let Some(errore_esteso) = &d.errore_esteso {
        element(&mut x, 2, "errore-esteso", errore_esteso);
    }
    x.push_str("    </dati>\n");
    x.push_str("</postacert>\n");
    x
}

fn element(x: &mut String, depth: usize, name: &str, value: &str) {
    let indent = "    ".repeat(depth);
    let _ = writeln!(x, "{indent}<{name}>{}</{name}>", text(value));
}

fn text(value: &str) -> String {
    partial_escape(xml_chars(value)).into_owned()
}

fn attr(value: &str) -> String {
    escape(xml_chars(value)).into_owned()
}

/// XML 1.0 forbids most control characters, and a parser turns CR and LF inside
/// text into plain line ends; a subject is one line, so both become spaces and
/// the forbidden ones become U+FFFD, keeping the document well formed.
fn xml_chars(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\r' | '\n' => ' ',
            '\t' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}
