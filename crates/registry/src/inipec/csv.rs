//! Writes the INI-PEC rows as the upload file: eight fields per row,
//! separators kept for empty fields (registries.md 1.3), in the configured
//! encoding.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::format::{HEADER, IniPecEncoding, IniPecFormat};
use super::{IniPecRow, Operation};
use crate::TaxId;

/// Why the file cannot be written as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniPecError {
    #[error(
        "{codice_fiscale}: the {field} holds '{character}', which ISO-8859-1 cannot encode; correct the member's data or write the file in UTF-8"
    )]
    Unencodable {
        codice_fiscale: TaxId,
        field: &'static str,
        character: char,
    },
    #[error("the date format \"{0}\" is not a valid chrono format")]
    DateFormat(String),
    #[error("the configured {0} cannot be written in ISO-8859-1")]
    Configuration(&'static str),
}

const FIELDS: [&str; 8] = [
    "PEC address",
    "name",
    "surname",
    "registration number",
    "codice fiscale",
    "operation code",
    "registration date",
    "cancellation date",
];

/// The file's bytes: the header row when configured, then one line per row,
/// each ended by the configured line ending.
pub fn render_csv(rows: &[IniPecRow], format: &IniPecFormat) -> Result<Vec<u8>, IniPecError> {
    check_configuration(format)?;
    let mut text = String::new();
    if format.header {
        push_line(&mut text, HEADER.iter().map(|h| h.to_string()), format);
    }
    let mut out = Vec::with_capacity(text.len() + rows.len() * 100);
    // The header is ASCII and the configuration was checked: cannot fail.
    let _ = encode(&text, format.encoding, &mut out);
    for row in rows {
        let fields = fields(row, format)?;
        for (field, name) in fields.iter().zip(FIELDS) {
            check_encodable(field, name, row, format.encoding)?;
        }
        let mut line = String::new();
        push_line(&mut line, fields.into_iter(), format);
        // Checked above: cannot fail.
        let _ = encode(&line, format.encoding, &mut out);
    }
    Ok(out)
}

fn check_configuration(format: &IniPecFormat) -> Result<(), IniPecError> {
    if format.encoding == IniPecEncoding::Utf8 {
        return Ok(());
    }
    let latin1 = |s: &str| s.chars().all(|c| u32::from(c) <= 0xFF);
    let codes = &format.codes;
    for (what, text) in [
        ("separator", format.separator.to_string().as_str()),
        ("line ending", format.line_ending.as_str()),
        (
            "operation codes",
            [codes.update.as_str(), &codes.insert, &codes.delete].concat().as_str(),
        ),
    ] {
        if !latin1(text) {
            return Err(IniPecError::Configuration(what));
        }
    }
    Ok(())
}

fn fields(row: &IniPecRow, format: &IniPecFormat) -> Result<[String; 8], IniPecError> {
    let r = &row.record;
    let code = match row.operation {
        Operation::Update => &format.codes.update,
        Operation::Insert => &format.codes.insert,
        Operation::Delete => &format.codes.delete,
    };
    let registered = match row.operation {
        Operation::Insert => date(r.registration_date, format)?,
        _ => String::new(),
    };
    let cancelled = match row.operation {
        Operation::Delete => date(row.cancellation_date, format)?,
        _ => String::new(),
    };
    Ok([
        r.pec.clone(),
        r.name.clone(),
        r.surname.clone(),
        r.registration_number.clone(),
        row.codice_fiscale.to_string(),
        code.clone(),
        registered,
        cancelled,
    ])
}

fn date(date: Option<NaiveDate>, format: &IniPecFormat) -> Result<String, IniPecError> {
    let mut out = String::new();
    if let Some(d) = date {
        // An invalid format makes Display fail; `to_string` would panic.
        write!(out, "{}", d.format(&format.date_format))
            .map_err(|_| IniPecError::DateFormat(format.date_format.clone()))?;
    }
    Ok(out)
}

fn push_line(out: &mut String, fields: impl Iterator<Item = String>, format: &IniPecFormat) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(format.separator);
        }
        out.push_str(&quoted(&field, format.separator));
    }
    out.push_str(&format.line_ending);
}

/// RFC 4180 2.6-2.7: a field holding the separator, a quote or a line break
/// is quoted, inner quotes doubled.
fn quoted(field: &str, separator: char) -> String {
    if field.contains([separator, '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn check_encodable(
    field: &str,
    name: &'static str,
    row: &IniPecRow,
    encoding: IniPecEncoding,
) -> Result<(), IniPecError> {
    if encoding == IniPecEncoding::Latin1
        && let Some(c) = field.chars().find(|&c| u32::from(c) > 0xFF)
    {
        return Err(IniPecError::Unencodable {
            codice_fiscale: row.codice_fiscale.clone(),
            field: name,
            character: c,
        });
    }
    Ok(())
}

/// Appends `text` in the encoding; the first character Latin-1 cannot hold is
/// the error.
fn encode(text: &str, encoding: IniPecEncoding, out: &mut Vec<u8>) -> Result<(), char> {
    match encoding {
        IniPecEncoding::Utf8 => out.extend_from_slice(text.as_bytes()),
        IniPecEncoding::Latin1 => {
            for c in text.chars() {
                out.push(u8::try_from(u32::from(c)).map_err(|_| c)?);
            }
        }
    }
    Ok(())
}
