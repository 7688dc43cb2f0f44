//! A roll (albo) in CSV read into members, with a verdict per row: accepted,
//! with the cross-check findings as warnings, or rejected with every reason.
//! Pure: bytes in, rows out; the import into the database decides what to do
//! with them (never half a file, the rule, is the importer's).
//!
//! The file: a header row naming the columns ([`columns`]: codice fiscale,
//! cognome and nome required, the rest optional), `;`, `,` or tab between
//! fields ([`text::detect_separator`]), quotes per RFC 4180, UTF-8 or Latin-1
//! ([`text::decode`]). Blank lines are skipped. Or the first sheet of an
//! Excel workbook ([`xlsx`]), read the same way, row numbers as lines.

pub mod columns;
pub mod text;
pub mod values;
pub mod xlsx;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{BirthPlace, PostalAddress};
use crate::{Member, MemberStatus, TaxId};
use columns::{Columns, Field};
use taxid::{Finding, cross_check};
pub use text::Encoding;

/// The file as read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roll {
    pub encoding: Encoding,
    pub separator: char,
    /// Every data row, in file order.
    pub rows: Vec<RollRow>,
}

/// One data row and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollRow {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Verdict {
    Accepted(Box<Accepted>),
    Rejected { reasons: Vec<Rejection> },
}

/// A row that makes a member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub member: Member,
    /// The PEC column, as written (checked by [`crate::pec_checks`] when recorded).
    pub pec: Option<String>,
    /// The codice fiscale disagrees with the declared data: to look at, not a refusal.
    pub warnings: Vec<Finding>,
}

/// Why a row was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "rejection")]
pub enum Rejection {
    MissingCodiceFiscale,
    BadCodiceFiscale {
        value: String,
        error: String,
    },
    /// The same codice fiscale is on an earlier row (accepted or not): the
    /// file is ambiguous about this member; the first row alone may be accepted.
    DuplicateCodiceFiscale {
        first_line: u64,
    },
    MissingSurname,
    MissingName,
    BadDate {
        column: String,
        value: String,
    },
    BadValue {
        column: String,
        value: String,
    },
    /// The CSV reader could not read the row.
    Unreadable {
        reason: String,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::MissingCodiceFiscale => f.write_str("no codice fiscale"),
            Rejection::BadCodiceFiscale { value, error } => write!(f, "bad codice fiscale \"{value}\": {error}"),
            Rejection::DuplicateCodiceFiscale { first_line } => {
                write!(f, "duplicate codice fiscale, already on line {first_line}")
            }
            Rejection::MissingSurname => f.write_str("no surname (cognome)"),
            Rejection::MissingName => f.write_str("no name (nome)"),
            Rejection::BadDate { column, value } => {
                write!(f, "bad date \"{value}\" in {column} (dd/mm/yyyy or yyyy-mm-dd)")
            }
            Rejection::BadValue { column, value } => write!(f, "unknown value \"{value}\" in {column}"),
            Rejection::Unreadable { reason } => write!(f, "unreadable row: {reason}"),
        }
    }
}

/// Why the file as a whole cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollError {
    #[error("the roll is empty")]
    Empty,
    #[error("not a readable Excel workbook: {reason}")]
    Workbook { reason: String },
    #[error("the header row has no column for {}: it names {header}", .missing.join(", "))]
    MissingColumns { missing: Vec<&'static str>, header: String },
}

impl Roll {
    pub fn accepted(&self) -> impl Iterator<Item = &Accepted> {
        self.rows.iter().filter_map(|r| match &r.verdict {
            Verdict::Accepted(a) => Some(a.as_ref()),
            Verdict::Rejected { .. } => None,
        })
    }

    pub fn rejected(&self) -> impl Iterator<Item = (u64, &[Rejection])> {
        self.rows.iter().filter_map(|r| match &r.verdict {
            Verdict::Rejected { reasons } => Some((r.line, reasons.as_slice())),
            Verdict::Accepted(_) => None,
        })
    }
}

/// Reads a roll file.
pub fn parse_roll(bytes: &[u8]) -> Result<Roll, RollError> {
    let (text, encoding) = text::decode(bytes);
    if text.trim().is_empty() {
        return Err(RollError::Empty);
    }
    let separator = text::detect_separator(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(u8::try_from(separator).unwrap_or(b';'))
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records().filter(|r| {
        // Blank lines: csv skips truly empty ones; a line of only separators too.
        r.as_ref().map_or(true, |rec| rec.iter().any(|f| !f.is_empty()))
    });
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => return Err(missing_columns(&e.to_string())),
        None => return Err(RollError::Empty),
    };
    let columns = Columns::locate(header.iter());
    let missing = columns.missing();
    if !missing.is_empty() {
        return Err(RollError::MissingColumns {
            missing,
            header: header.iter().collect::<Vec<_>>().join(&separator.to_string()),
        });
    }
    // After a CRLF, csv reports a record as starting on the LF, one line
    // early: count the newlines up to and including its start byte instead.
    let newlines: Vec<u64> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i as u64)
        .collect();
    let line_of = |position: Option<&csv::Position>| {
        position.map_or(0, |p| newlines.partition_point(|&n| n <= p.byte()) as u64 + 1)
    };
    let rows = read_rows(
        &columns,
        records.map(|record| match record {
            Ok(record) => (line_of(record.position()), Ok(record)),
            Err(e) => (line_of(e.position()), Err(e.to_string())),
        }),
    );
    Ok(Roll {
        encoding,
        separator,
        rows,
    })
}

/// The verdict on each data row: `(line, cells or why they cannot be read)`.
fn read_rows(
    columns: &Columns,
    records: impl Iterator<Item = (u64, Result<csv::StringRecord, String>)>,
) -> Vec<RollRow> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    records
        .map(|(line, record)| RollRow {
            line,
            verdict: match record {
                Ok(record) => read_row(&record, columns, line, &mut seen),
                Err(reason) => Verdict::Rejected {
                    reasons: vec![Rejection::Unreadable { reason }],
                },
            },
        })
        .collect()
}

fn missing_columns(header: &str) -> RollError {
    RollError::MissingColumns {
        missing: columns::REQUIRED.iter().map(|(_, n)| *n).collect(),
        header: header.to_owned(),
    }
}

/// One row's cells by field, empty when the column is absent or the row short.
struct Cells<'a> {
    record: &'a csv::StringRecord,
    columns: &'a Columns,
}

impl Cells<'_> {
    fn get(&self, field: Field) -> &str {
        self.columns
            .index(field)
            .and_then(|i| self.record.get(i))
            .unwrap_or_default()
    }

    fn optional(&self, field: Field) -> Option<String> {
        Some(self.get(field).to_owned()).filter(|s| !s.is_empty())
    }
}

fn read_row(record: &csv::StringRecord, columns: &Columns, line: u64, seen: &mut HashMap<String, u64>) -> Verdict {
    let cells = Cells { record, columns };
    let mut reasons = Vec::new();
    let tax_id = codice_fiscale(cells.get(Field::CodiceFiscale), line, seen, &mut reasons);
    let surname = cells.get(Field::Surname);
    let name = cells.get(Field::Name);
    if surname.is_empty() {
        reasons.push(Rejection::MissingSurname);
    }
    if name.is_empty() {
        reasons.push(Rejection::MissingName);
    }
    let mut date = |field: Field, column: &str| {
        let value = cells.get(field);
        if value.is_empty() {
            return None;
        }
        let parsed = values::date(value);
        if parsed.is_none() {
            reasons.push(Rejection::BadDate {
                column: column.into(),
                value: value.into(),
            });
        }
        parsed
    };
    let birth_date = date(Field::BirthDate, "data di nascita");
    let registration_date = date(Field::RegistrationDate, "data di iscrizione");
    let cancellation_date = date(Field::CancellationDate, "data di cancellazione");
    let sex = coded(&cells, Field::Sex, "sesso", values::sex, &mut reasons);
    let status = coded(&cells, Field::Status, "stato", values::status, &mut reasons);
    let ctu = coded(&cells, Field::Ctu, "ctu", values::yes_no, &mut reasons);
    let Some(tax_id) = tax_id.filter(|_| reasons.is_empty()) else {
        return Verdict::Rejected { reasons };
    };
    let member = Member {
        codice_fiscale: tax_id,
        surname: surname.to_owned(),
        name: name.to_owned(),
        birth_date,
        birth_place: cells.optional(Field::BirthPlace).map(|municipality| BirthPlace {
            municipality,
            province: cells.optional(Field::BirthProvince),
        }),
        sex,
        registration_number: cells.optional(Field::RegistrationNumber),
        registration_date,
        section: cells.optional(Field::Section),
        status: status.unwrap_or(MemberStatus::Active),
        cancellation_date,
        ctu: ctu.unwrap_or(false),
        legal_domicile: cells.optional(Field::Street).map(|street| PostalAddress {
            street,
            postcode: cells.get(Field::Postcode).to_owned(),
            municipality: cells.get(Field::Municipality).to_owned(),
            province: cells.get(Field::Province).to_owned(),
            phone: None,
            fax: None,
        }),
        email: cells.optional(Field::Email),
    };
    let warnings = match member.codice_fiscale.personal() {
        Some(cf) => cross_check(cf, surname, name, birth_date, sex),
        None => Vec::new(),
    };
    Verdict::Accepted(Box::new(Accepted {
        member,
        pec: cells.optional(Field::Pec),
        warnings,
    }))
}

/// A coded cell's value; an unknown one is a rejection, an empty one `None`.
fn coded<T>(
    cells: &Cells<'_>,
    field: Field,
    column: &str,
    read: fn(&str) -> Option<T>,
    reasons: &mut Vec<Rejection>,
) -> Option<T> {
    let text = cells.get(field);
    let value = read(text);
    if value.is_none() && !text.is_empty() {
        reasons.push(Rejection::BadValue {
            column: column.into(),
            value: text.into(),
        });
    }
    value
}

/// The row's codice fiscale, or why not; a valid one is remembered to find
/// later duplicates.
fn codice_fiscale(
    text: &str,
    line: u64,
    seen: &mut HashMap<String, u64>,
    reasons: &mut Vec<Rejection>,
) -> Option<TaxId> {
    if text.is_empty() {
        reasons.push(Rejection::MissingCodiceFiscale);
        return None;
    }
    match TaxId::parse(text) {
        Ok(tax_id) => {
            if let Some(&first_line) = seen.get(tax_id.as_str()) {
                reasons.push(Rejection::DuplicateCodiceFiscale { first_line });
                return None;
            }
            seen.insert(tax_id.as_str().to_owned(), line);
            Some(tax_id)
        }
        Err(error) => {
            reasons.push(Rejection::BadCodiceFiscale {
                value: text.to_owned(),
                error: error.reason().to_string(),
            });
            None
        }
    }
}
