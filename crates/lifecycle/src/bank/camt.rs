//! ISO 20022 camt.053 (BankToCustomerStatement), versions .001.02 to .001.08.
//!
//! Read per `Document/BkToCstmrStmt/Stmt/Ntry` (the message definition report,
//! "Entry" building block):
//!
//! - `Amt@Ccy`, `CdtDbtInd` (`CRDT`/`DBIT`): the signed amount;
//! - `Sts` (`.02`) or `Sts/Cd` (`.08`): only `BOOK` entries are final;
//! - `BookgDt/Dt` or `BookgDt/DtTm`, `ValDt/Dt` or `ValDt/DtTm`;
//! - `NtryDtls/TxDtls/RmtInf/Ustrd` (0..n, joined with a space: banks cut long
//!   text into pieces, the order-ID search tolerates the space) and
//!   `RmtInf/Strd/CdtrRefInf/Ref`; `AddtlNtryInf` when there is no `RmtInf`
//!   (several Italian banks put the causale only there);
//! - `RltdPties/Dbtr/Nm` (`.02`) or `RltdPties/Dbtr/Pty/Nm` (`.08`), the
//!   creditor for a debit;
//! - the bank's id: `Ntry/AcctSvcrRef`, else `TxDtls/Refs/AcctSvcrRef`,
//!   `Refs/TxId`, `Refs/EndToEndId` (not the placeholder `NOTPROVIDED`).
//!
//! The XML is read without a schema: unknown elements are skipped, an entry
//! missing what a payment needs becomes a malformed line, and only a document
//! that is not XML or not a camt.053 statement is an error. DTDs and external
//! entities are never resolved.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::amount::{XML, parse_cents};
use super::{BankError, Parsed, StatementLine};

const ENTRY_PATH: [&str; 4] = ["Document", "BkToCstmrStmt", "Stmt", "Ntry"];

/// Reads a camt.053 statement; entries are numbered from 1 across all its `<Stmt>`s.
pub fn parse_camt053(xml: &[u8]) -> Result<Vec<Parsed>, BankError> {
    let text = String::from_utf8_lossy(xml);
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(BankError::Empty);
    }
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut entry: Option<Entry> = None;
    let mut out = Vec::new();
    let mut saw_statement = false;
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| BankError::NotXml {
            position: reader.buffer_position(),
            reason: e.to_string(),
        })?;
        match event {
            Event::Start(e) => {
                saw_root = true;
                enter(&mut path, &e, &mut entry, &mut saw_statement)?;
            }
            Event::Empty(e) => {
                saw_root = true;
                enter(&mut path, &e, &mut entry, &mut saw_statement)?;
                leave(&mut path, &mut entry, &mut out);
            }
            Event::End(_) => leave(&mut path, &mut entry, &mut out),
            Event::Text(t) => push_text(&mut entry, &t.xml10_content()),
            Event::CData(t) => push_text(&mut entry, &t),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_predefined_entity(&r.xml10_content()).map(str::to_string),
                };
                if let Some(s) = resolved {
                    push_text(&mut entry, &s);
                }
            }
            Event::Eof if !path.is_empty() => {
                // quick-xml reports the end of input as Eof even inside open elements:
                // a truncated download must not import the half it holds.
                return Err(BankError::NotXml {
                    position: reader.buffer_position(),
                    reason: format!("the file ends inside <{}>: truncated?", path.join("><")),
                });
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !saw_statement {
        let why = if saw_root {
            "no <BkToCstmrStmt> in <Document>"
        } else {
            "no XML element in it"
        };
        return Err(BankError::NotCamt053(why.into()));
    }
    Ok(out)
}

fn enter(
    path: &mut Vec<String>,
    e: &BytesStart<'_>,
    entry: &mut Option<Entry>,
    saw_statement: &mut bool,
) -> Result<(), BankError> {
    if path.len() < 2 {
        check_envelope(path, e)?;
        *saw_statement |= path.len() == 1;
    }
    path.push(local_name(e));
    open(path, e, entry);
    Ok(())
}

fn leave(path: &mut Vec<String>, entry: &mut Option<Entry>, out: &mut Vec<Parsed>) {
    close(path, entry, out);
    path.pop();
}

/// The root must be `<Document>` (namespace, if any, a camt.053 one) holding `<BkToCstmrStmt>`.
fn check_envelope(path: &[String], e: &BytesStart<'_>) -> Result<(), BankError> {
    let name = local_name(e);
    match path.len() {
        0 if name != "Document" => Err(BankError::NotCamt053(format!(
            "the root element is <{name}>, not <Document>"
        ))),
        0 => match attribute(e, "xmlns") {
            Some(ns) if !ns.contains("camt.053") => Err(BankError::NotCamt053(format!(
                "the namespace is {ns:?}, not a camt.053 one"
            ))),
            _ => Ok(()),
        },
        _ if name != "BkToCstmrStmt" => Err(BankError::NotCamt053(format!(
            "<Document> holds <{name}>, not <BkToCstmrStmt> (camt.052 and camt.054 are not statements)"
        ))),
        _ => Ok(()),
    }
}

/// The fields of one `<Ntry>`, by their path below it (`NtryDtls/TxDtls/Refs/TxId`).
#[derive(Default)]
struct Entry {
    number: usize,
    fields: Vec<(String, String)>,
    attributes: HashMap<String, String>,
    text: String,
    transactions: usize,
}

fn open(path: &[String], e: &BytesStart<'_>, entry: &mut Option<Entry>) {
    if path == ENTRY_PATH {
        *entry = Some(Entry::default());
        return;
    }
    let Some(entry) = entry.as_mut() else { return };
    entry.text.clear();
    let below = relative(path);
    if below == "NtryDtls/TxDtls" {
        entry.transactions += 1;
    }
    if let Some(ccy) = attribute(e, "Ccy") {
        entry.attributes.insert(below, ccy);
    }
}

fn close(path: &[String], entry: &mut Option<Entry>, out: &mut Vec<Parsed>) {
    if path == ENTRY_PATH {
        if let Some(mut done) = entry.take() {
            done.number = out.len() + 1;
            out.push(done.into_parsed());
        }
        return;
    }
    let Some(entry) = entry.as_mut() else { return };
    let text = std::mem::take(&mut entry.text);
    let text = text.trim();
    if !text.is_empty() {
        entry.fields.push((relative(path), text.to_string()));
    }
}

fn push_text(entry: &mut Option<Entry>, s: &str) {
    if let Some(entry) = entry.as_mut() {
        entry.text.push_str(s);
    }
}

fn relative(path: &[String]) -> String {
    path.get(ENTRY_PATH.len()..).unwrap_or_default().join("/")
}

impl Entry {
    fn first(&self, paths: &[&str]) -> Option<&str> {
        paths
            .iter()
            .find_map(|p| self.fields.iter().find(|(k, _)| k == p).map(|(_, v)| v.as_str()))
    }

    fn all(&self, path: &str) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(move |(k, _)| k == path)
            .map(|(_, v)| v.as_str())
    }

    fn into_parsed(self) -> Parsed {
        match self.read() {
            Ok(line) => Parsed::Line(line),
            Err(reason) => Parsed::Malformed {
                line: self.number,
                reason,
            },
        }
    }

    fn read(&self) -> Result<StatementLine, String> {
        let amount = self.first(&["Amt"]).ok_or("no <Amt>")?;
        let currency = self.attributes.get("Amt").ok_or("<Amt> has no Ccy attribute")?;
        let cents = parse_cents(amount, XML)?;
        if cents < 0 {
            return Err(format!("negative <Amt> {amount:?}: the sign belongs in <CdtDbtInd>"));
        }
        let credit = match self.first(&["CdtDbtInd"]) {
            Some("CRDT") => true,
            Some("DBIT") => false,
            Some(other) => return Err(format!("<CdtDbtInd> is {other:?}, expected CRDT or DBIT")),
            None => return Err("no <CdtDbtInd>".into()),
        };
        let booking_date = self.date("BookgDt")?.ok_or("no <BookgDt>")?;
        let reference = self.reference();
        let party = if credit { "Dbtr" } else { "Cdtr" };
        let counterparty = self
            .first(&[
                &format!("NtryDtls/TxDtls/RltdPties/{party}/Nm"),
                &format!("NtryDtls/TxDtls/RltdPties/{party}/Pty/Nm"),
            ])
            .map(str::to_string);
        let bank_id = self
            .first(&[
                "AcctSvcrRef",
                "NtryDtls/TxDtls/Refs/AcctSvcrRef",
                "NtryDtls/TxDtls/Refs/TxId",
                "NtryDtls/TxDtls/Refs/EndToEndId",
            ])
            .filter(|id| *id != "NOTPROVIDED")
            .map(str::to_string);
        let status = self.first(&["Sts", "Sts/Cd"]).unwrap_or("BOOK");
        Ok(StatementLine {
            line: self.number,
            booking_date,
            value_date: self.date("ValDt")?,
            amount_cents: if credit { cents } else { -cents },
            currency: currency.trim().to_ascii_uppercase(),
            reference,
            counterparty,
            bank_id,
            booked: status == "BOOK",
        })
    }

    /// `<X><Dt>` or `<X><DtTm>`; the date part of a date-time is the bank's local date.
    fn date(&self, element: &str) -> Result<Option<NaiveDate>, String> {
        if let Some(d) = self.first(&[&format!("{element}/Dt")]) {
            return NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("bad <{element}><Dt> {d:?}, expected YYYY-MM-DD"));
        }
        if let Some(dt) = self.first(&[&format!("{element}/DtTm")]) {
            let local = dt.get(..19).unwrap_or(dt);
            return NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S")
                .map(|t| Some(t.date()))
                .map_err(|_| format!("bad <{element}><DtTm> {dt:?}, expected an ISO date-time"));
        }
        Ok(None)
    }

    fn reference(&self) -> String {
        let mut parts: Vec<&str> = self.all("NtryDtls/TxDtls/RmtInf/Ustrd").collect();
        parts.extend(self.all("NtryDtls/TxDtls/RmtInf/Strd/CdtrRefInf/Ref"));
        if parts.is_empty() {
            parts.extend(self.all("NtryDtls/TxDtls/AddtlTxInf"));
            parts.extend(self.all("AddtlNtryInf"));
        }
        parts.join(" ")
    }
}

fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}
