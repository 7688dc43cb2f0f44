//! The tolerant daticert reader.
//!
//! The format is the DM 2/11/2005 allegato tecnico's "schema dei dati di
//! certificazione" (its §7.4 as third-party code numbers it; RFC 6109 4.4), a
//! DTD whose text is reconstructed in `../shared/docs/pec-rules.md` 4.1, with
//! the fields' meaning and formats in 4.2 and real files in 4.3.
//!
//! Real files differ from the DTD: Poste omits `<msgid>` (pec-rules.md 4.1,
//! 8 item 5), an anonymised Aruba notice has a stray text node after
//! `</risposte>` (4.3), values outside the rules' sets occur (4.1). The reader
//! keeps what it finds and reports each deviation as a finding; it fails only
//! when the bytes are not XML or the root is not `<postacert>`.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::{Data, Daticert, Destinatario, DestinatarioTipo, Errore, ReceiptKind, Tipo};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("daticert.xml is not well-formed XML: {0}")]
    Malformed(String),
    #[error("daticert.xml has root <{0}>, expected <postacert>")]
    WrongRoot(String),
    #[error("daticert.xml is empty")]
    Empty,
}

/// Reads a daticert; returns the model and the deviations from the rules found on the way.
pub fn read(bytes: &[u8]) -> Result<(Daticert, Vec<String>), ReadError> {
    let mut findings = Vec::new();
    let text: Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        // pec-rules.md 4.2: the prolog says UTF-8. ISO-8859-1 is the charset
        // of the messages' human parts (8 item 9), the likely mistake.
        Err(_) => {
            findings.push("daticert.xml is not valid UTF-8; read as ISO-8859-1".to_string());
            Cow::Owned(bytes.iter().map(|&b| b as char).collect())
        }
    };
    let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut builder = Builder::default();
    let mut path: Vec<String> = Vec::new();
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ReadError::Malformed(format!("{e} at byte {}", reader.buffer_position())))?;
        match event {
            Event::Start(e) => {
                let name = element_name(&e);
                if path.is_empty() {
                    check_root(&name, &mut saw_root)?;
                }
                builder.open(&path, &name, &e, &mut findings);
                path.push(name);
                builder.text.clear();
            }
            Event::Empty(e) => {
                let name = element_name(&e);
                if path.is_empty() {
                    check_root(&name, &mut saw_root)?;
                }
                builder.open(&path, &name, &e, &mut findings);
                path.push(name);
                builder.text.clear();
                builder.close(&path, &mut findings);
                path.pop();
            }
            Event::End(_) => {
                builder.close(&path, &mut findings);
                path.pop();
                builder.text.clear();
            }
            Event::Text(t) => builder.text.push_str(&t.xml10_content()),
            Event::CData(t) => builder.text.push_str(&t),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                match r.resolve_char_ref() {
                    Ok(Some(c)) => builder.text.push(c),
                    _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(v) => builder.text.push_str(v),
                        None => findings.push(format!("unknown entity &{name}; left out")),
                    },
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !saw_root {
        return Err(ReadError::Empty);
    }
    Ok(builder.finish(findings))
}

/// DTD (pec-rules.md 4.1): `<!ELEMENT postacert (intestazione, dati)>` is the root.
fn check_root(name: &str, saw_root: &mut bool) -> Result<(), ReadError> {
    if name != "postacert" {
        return Err(ReadError::WrongRoot(name.to_string()));
    }
    *saw_root = true;
    Ok(())
}

fn element_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

/// Collects the fields while walking the document.
#[derive(Default)]
struct Builder {
    text: String,
    tipo: Option<Tipo>,
    errore: Option<Errore>,
    mittente: Option<String>,
    destinatari: Vec<Destinatario>,
    pending_destinatario: Option<DestinatarioTipo>,
    risposte: Option<String>,
    oggetto: Option<String>,
    gestore_emittente: Option<String>,
    data: Option<Data>,
    identificativo: Option<String>,
    msgid: Option<String>,
    ricevuta: Option<ReceiptKind>,
    consegna: Option<String>,
    ricezione: Vec<String>,
    errore_esteso: Option<String>,
}

impl Builder {
    fn open(&mut self, parents: &[String], name: &str, e: &BytesStart<'_>, findings: &mut Vec<String>) {
        self.stray_text(parents, findings);
        let parent = parents.last().map(String::as_str);
        match (parent, name) {
            // DTD: postacert's tipo is #REQUIRED, errore defaults to "nessuno".
            (None, "postacert") => {
                self.tipo = attribute(e, "tipo").map(|v| Tipo::parse(&v));
                self.errore = attribute(e, "errore").map(|v| Errore::parse(&v));
            }
            // DTD: destinatari tipo (certificato | esterno) #REQUIRED.
            (Some("intestazione"), "destinatari") => {
                let tipo = attribute(e, "tipo").unwrap_or_default();
                self.pending_destinatario = Some(DestinatarioTipo::parse(&tipo));
            }
            // DTD: data zona CDATA #REQUIRED, the local UTC offset (4.2).
            (Some("dati"), "data") => {
                let zona = attribute(e, "zona").unwrap_or_else(|| {
                    findings.push("<data> has no zona attribute".to_string());
                    String::new()
                });
                self.data = Some(Data {
                    zona,
                    ..Data::default()
                });
            }
            // DTD: ricevuta tipo (completa | breve | sintetica) "completa".
            (Some("dati"), "ricevuta") => {
                let tipo = attribute(e, "tipo").unwrap_or_else(|| "completa".to_string());
                self.ricevuta = Some(ReceiptKind::parse(&tipo));
            }
            // The DTD's content models: intestazione (mittente, destinatari+,
            // risposte, oggetto?); dati (gestore-emittente, data,
            // identificativo, msgid?, ricevuta?, consegna?, ricezione*,
            // errore-esteso?); data (giorno, ora).
            (Some("postacert"), "intestazione" | "dati") => {}
            (Some("intestazione"), "mittente" | "risposte" | "oggetto") => {}
            (Some("dati"), "gestore-emittente" | "identificativo" | "msgid" | "consegna")
            | (Some("dati"), "ricezione" | "errore-esteso") => {}
            (Some("data"), "giorno" | "ora") => {}
            (parent, name) => findings.push(format!(
                "unexpected element <{name}> inside <{}>",
                parent.unwrap_or("document")
            )),
        }
    }

    fn close(&mut self, path: &[String], findings: &mut Vec<String>) {
        let value = std::mem::take(&mut self.text).trim().to_string();
        let parent = path.len().checked_sub(2).and_then(|i| path.get(i)).map(String::as_str);
        let Some(name) = path.last().map(String::as_str) else {
            return;
        };
        match (parent, name) {
            (Some("intestazione"), "mittente") => self.mittente = Some(value),
            (Some("intestazione"), "destinatari") => {
                let tipo = self
                    .pending_destinatario
                    .take()
                    .unwrap_or(DestinatarioTipo::Other(String::new()));
                self.destinatari.push(Destinatario { address: value, tipo });
            }
            (Some("intestazione"), "risposte") => self.risposte = Some(value),
            (Some("intestazione"), "oggetto") => self.oggetto = Some(value),
            (Some("dati"), "gestore-emittente") => self.gestore_emittente = Some(value),
            (Some("dati"), "identificativo") => self.identificativo = Some(value),
            (Some("dati"), "msgid") => self.msgid = Some(value),
            (Some("dati"), "consegna") => self.consegna = Some(value),
            (Some("dati"), "ricezione") => self.ricezione.push(value),
            (Some("dati"), "errore-esteso") => self.errore_esteso = Some(value),
            (Some("data"), "giorno") => {
                if let Some(d) = self.data.as_mut() {
                    d.giorno = value;
                }
            }
            (Some("data"), "ora") => {
                if let Some(d) = self.data.as_mut() {
                    d.ora = value;
                }
            }
            _ => {
                if !value.is_empty() && is_container(name) {
                    findings.push(format!("stray text {value:?} inside <{name}> ignored"));
                }
            }
        }
    }

    /// Text met before a child element opens, inside an element that holds only elements.
    fn stray_text(&mut self, parents: &[String], findings: &mut Vec<String>) {
        let value = std::mem::take(&mut self.text);
        let value = value.trim();
        if let Some(parent) = parents.last()
            && !value.is_empty()
            && is_container(parent)
        {
            findings.push(format!("stray text {value:?} inside <{parent}> ignored"));
        }
    }

    /// The model, with a finding for each element the DTD requires and the
    /// file lacks, and each value outside the DTD's sets (pec-rules.md 4.1).
    fn finish(self, mut findings: Vec<String>) -> (Daticert, Vec<String>) {
        let mut required = |value: Option<String>, what: &str| {
            value.unwrap_or_else(|| {
                findings.push(format!("daticert has no {what}"));
                String::new()
            })
        };
        let mittente = required(self.mittente, "<mittente>");
        let risposte = required(self.risposte, "<risposte>");
        let gestore_emittente = required(self.gestore_emittente, "<gestore-emittente>");
        let identificativo = required(self.identificativo, "<identificativo>");
        let tipo = match self.tipo {
            Some(t) => t,
            None => {
                findings.push("<postacert> has no tipo attribute".to_string());
                Tipo::Other(String::new())
            }
        };
        let data = match self.data {
            Some(d) => d,
            None => {
                findings.push("daticert has no <data>".to_string());
                Data::default()
            }
        };
        if self.destinatari.is_empty() {
            findings.push("daticert has no <destinatari>".to_string());
        }
        let d = Daticert {
            tipo,
            // DTD (pec-rules.md 4.1): errore defaults to "nessuno".
            errore: self.errore.unwrap_or(Errore::Nessuno),
            mittente,
            destinatari: self.destinatari,
            risposte,
            oggetto: self.oggetto,
            gestore_emittente,
            data,
            identificativo,
            msgid: self.msgid,
            ricevuta: self.ricevuta,
            consegna: self.consegna,
            ricezione: self.ricezione,
            errore_esteso: self.errore_esteso,
        };
        for (what, known) in [
            (format!("tipo {:?}", d.tipo.as_str()), d.tipo.is_known()),
            (format!("errore {:?}", d.errore.as_str()), d.errore.is_known()),
        ] {
            if !known {
                findings.push(format!("postacert {what} is not a value of the rules; kept as written"));
            }
        }
        for dest in &d.destinatari {
            if !dest.tipo.is_known() {
                findings.push(format!(
                    "destinatari tipo {:?} for {} is not certificato or esterno; kept as written",
                    dest.tipo.as_str(),
                    dest.address
                ));
            }
        }
        if let Some(r) = &d.ricevuta
            && !r.is_known()
        {
            findings.push(format!(
                "ricevuta tipo {:?} is not completa, breve or sintetica; kept as written",
                r.as_str()
            ));
        }
        // pec-rules.md 4.2: giorno dd/mm/yyyy, ora hh:mm:ss, zona +0100/+0200.
        if !d.data.zona.is_empty() && d.time().is_none() {
            findings.push(format!(
                "<data> is not dd/mm/yyyy hh:mm:ss ±hhmm: {} {} {}",
                d.data.giorno, d.data.ora, d.data.zona
            ));
        }
        (d, findings)
    }
}

fn is_container(name: &str) -> bool {
    matches!(name, "postacert" | "intestazione" | "dati" | "data")
}
