//! CSV statements as Italian home banking exports them.
//!
//! `;` between fields, `"` around a field that holds a `;`, a quote or a line
//! break (a quote inside doubled, RFC 4180 2.5-2.7), decimal comma with `.`
//! thousands (`-1.234,56`), dates `dd/mm/yyyy`, a header row naming the
//! columns, often after a few lines about the account, and Windows-1252 text
//! when the file comes from a spreadsheet. Layouts differ by bank: one signed
//! amount column (`Importo`) or two (`Accrediti`/`Addebiti`, `Avere`/`Dare`), the
//! causale in one or two columns. [`CsvFormat`] names them; its default knows
//! the common Italian names.

use chrono::NaiveDate;

use super::amount::{ITALIAN, parse_cents};
use super::{BankError, Parsed, StatementLine};

/// How a bank writes its CSV statement. Column names are compared trimmed and
/// case-insensitively; each field lists the names a bank may use, the first
/// present in the header wins (for `reference`, every one present is joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFormat {
    pub separator: char,
    pub encoding: TextEncoding,
    /// A chrono format for both date columns.
    pub date_format: String,
    pub booking_date: Vec<String>,
    pub value_date: Vec<String>,
    /// One signed amount column (credits positive). When none is present,
    /// `credit` (required) and `debit` (optional) columns are read instead.
    pub amount: Vec<String>,
    pub credit: Vec<String>,
    pub debit: Vec<String>,
    /// All the present columns are joined with a space, in this order.
    pub reference: Vec<String>,
    /// The bank's id of the transaction (CRO, TRN, an operation number).
    pub id: Vec<String>,
    pub counterparty: Vec<String>,
    pub currency: Vec<String>,
    /// For files without a currency column, or an empty cell.
    pub default_currency: String,
}

/// The text encoding of a CSV statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8, or Latin-1 when the bytes are not valid UTF-8.
    #[default]
    Auto,
    Utf8,
    /// ISO-8859-1, read as Windows-1252 (its superset spreadsheets write: `€` is 0x80).
    Latin1,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for CsvFormat {
    fn default() -> Self {
        CsvFormat {
            separator: ';',
            encoding: TextEncoding::Auto,
            date_format: "%d/%m/%Y".into(),
            booking_date: names(&["Data contabile", "Data operazione", "Data registrazione", "Data"]),
            value_date: names(&["Data valuta", "Valuta"]),
            amount: names(&["Importo", "Importo (EUR)", "Importo EUR", "Importo in euro"]),
            credit: names(&["Accrediti", "Entrate", "Avere"]),
            debit: names(&["Addebiti", "Uscite", "Dare"]),
            reference: names(&["Causale", "Descrizione", "Descrizione operazione", "Dettagli"]),
            id: names(&["Id", "Id operazione", "Riferimento banca", "CRO", "TRN"]),
            counterparty: names(&["Ordinante", "Controparte", "Beneficiario/Ordinante"]),
            currency: names(&["Divisa"]),
            default_currency: "EUR".into(),
        }
    }
}

/// Reads a CSV statement. Lines before the header row are skipped; every line
/// after it is a [`Parsed`] (blank lines aside), numbered by the physical line it starts on.
pub fn parse_csv(text: &[u8], format: &CsvFormat) -> Result<Vec<Parsed>, BankError> {
    let text = decode(text, format.encoding)?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(BankError::Empty);
    }
    let records: Vec<Record> = records(text, format.separator)
        .into_iter()
        .filter(|r| !r.is_blank())
        .collect();
    let (header_at, columns) = records
        .iter()
        .enumerate()
        .find_map(|(i, r)| Columns::locate(&r.fields, format).ok().map(|c| (i, c)))
        .ok_or_else(|| no_header(&records, format))?;
    Ok(records[header_at + 1..]
        .iter()
        .map(|r| columns.read(r, format))
        .collect())
}

fn no_header(records: &[Record], format: &CsvFormat) -> BankError {
    let first = records.first().map(|r| r.fields.as_slice()).unwrap_or_default();
    let missing = Columns::locate(first, format).err().unwrap_or_default();
    let first_line: String = first.join(&format.separator.to_string()).chars().take(120).collect();
    BankError::NoHeader {
        missing,
        first_line,
        separator: format.separator,
    }
}

fn decode(bytes: &[u8], encoding: TextEncoding) -> Result<String, BankError> {
    match (encoding, std::str::from_utf8(bytes)) {
        (TextEncoding::Utf8 | TextEncoding::Auto, Ok(s)) => Ok(s.to_string()),
        (TextEncoding::Utf8, Err(e)) => Err(BankError::NotUtf8 {
            position: e.valid_up_to(),
        }),
        (TextEncoding::Auto, Err(_)) | (TextEncoding::Latin1, _) => {
            Ok(bytes.iter().map(|&b| windows_1252(b)).collect())
        }
    }
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// One CSV record and the physical line it starts on.
#[derive(Debug)]
struct Record {
    line: usize,
    fields: Vec<String>,
    unterminated_quote: bool,
}

impl Record {
    fn is_blank(&self) -> bool {
        !self.unterminated_quote && self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// Splits text into records. Tolerant where banks are sloppy: text after a
/// closing quote is kept, a quote inside an unquoted field is a plain character.
fn records(text: &str, separator: char) -> Vec<Record> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let mut record = Record {
            line,
            fields: Vec::new(),
            unterminated_quote: false,
        };
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => {
                            record.unterminated_quote = true;
                            break;
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
            }
            let mut end_of_record = true;
            for c in chars.by_ref() {
                if c == separator {
                    end_of_record = false;
                    break;
                }
                if c == '\n' {
                    line += 1;
                    break;
                }
                field.push(c);
            }
            if end_of_record && field.ends_with('\r') {
                field.pop();
            }
            record.fields.push(field);
            if end_of_record {
                break;
            }
        }
        out.push(record);
    }
    out
}

/// Where each needed field is in a record, found from the header.
struct Columns {
    width: usize,
    booking_date: usize,
    value_date: Option<usize>,
    amount: AmountAt,
    reference: Vec<usize>,
    id: Option<usize>,
    counterparty: Option<usize>,
    currency: Option<usize>,
}

enum AmountAt {
    Signed(usize),
    Split { credit: usize, debit: Option<usize> },
}

impl Columns {
    /// The columns, or a description of the required ones the header lacks.
    fn locate(header: &[String], format: &CsvFormat) -> Result<Columns, String> {
        let find = |names: &[String]| {
            names
                .iter()
                .find_map(|n| header.iter().position(|h| h.trim().eq_ignore_ascii_case(n.trim())))
        };
        let describe = |what: &str, names: &[String]| format!("{what} ({})", names.join(" | "));
        let mut missing = Vec::new();
        let booking_date = find(&format.booking_date);
        if booking_date.is_none() {
            missing.push(describe("booking date", &format.booking_date));
        }
        let amount = match (find(&format.amount), find(&format.credit)) {
            (Some(i), _) => Some(AmountAt::Signed(i)),
            (None, Some(credit)) => Some(AmountAt::Split {
                credit,
                debit: find(&format.debit),
            }),
            (None, None) => {
                missing.push(format!(
                    "{} or {}",
                    describe("amount", &format.amount),
                    describe("credit", &format.credit)
                ));
                None
            }
        };
        let reference: Vec<usize> = format
            .reference
            .iter()
            .filter_map(|n| find(std::slice::from_ref(n)))
            .collect();
        if reference.is_empty() {
            missing.push(describe("reference", &format.reference));
        }
        match (booking_date, amount) {
            (Some(booking_date), Some(amount)) if missing.is_empty() => Ok(Columns {
                width: header.len(),
                booking_date,
                value_date: find(&format.value_date),
                amount,
                reference,
                id: find(&format.id),
                counterparty: find(&format.counterparty),
                currency: find(&format.currency),
            }),
            _ => Err(missing.join(", ")),
        }
    }

    fn read(&self, record: &Record, format: &CsvFormat) -> Parsed {
        match self.read_line(record, format) {
            Ok(line) => Parsed::Line(line),
            Err(reason) => Parsed::Malformed {
                line: record.line,
                reason,
            },
        }
    }

    fn read_line(&self, record: &Record, format: &CsvFormat) -> Result<StatementLine, String> {
        if record.unterminated_quote {
            return Err("a quoted field is not closed before the end of the file".into());
        }
        let fields = &record.fields;
        if fields.len() < self.width {
            return Err(format!("{} fields, the header has {}", fields.len(), self.width));
        }
        if fields[self.width..].iter().any(|f| !f.trim().is_empty()) {
            return Err(format!(
                "{} fields, the header has {} (a {:?} inside an unquoted field?)",
                fields.len(),
                self.width,
                format.separator
            ));
        }
        let cell = |i: usize| fields[i].trim();
        let optional = |i: Option<usize>| i.map(cell).filter(|s| !s.is_empty()).map(str::to_string);
        let date = |i: usize, what: &str| {
            NaiveDate::parse_from_str(cell(i), &format.date_format)
                .map_err(|_| format!("bad {what} {:?}, expected the format {}", cell(i), format.date_format))
        };
        let booking_date = date(self.booking_date, "booking date")?;
        let value_date = match self.value_date.filter(|&i| !cell(i).is_empty()) {
            Some(i) => Some(date(i, "value date")?),
            None => None,
        };
        let amount_cents = match self.amount {
            AmountAt::Signed(i) => parse_cents(cell(i), ITALIAN)?,
            AmountAt::Split { credit, debit } => {
                let debit = debit.map(cell).filter(|s| !s.is_empty());
                match (cell(credit), debit) {
                    ("", None) => return Err("no amount: both credit and debit are empty".into()),
                    ("", Some(d)) => -parse_cents(d, ITALIAN)?.abs(),
                    (c, None) => parse_cents(c, ITALIAN)?,
                    (_, Some(_)) => return Err("both a credit and a debit amount".into()),
                }
            }
        };
        let reference = self
            .reference
            .iter()
            .map(|&i| cell(i))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(StatementLine {
            line: record.line,
            booking_date,
            value_date,
            amount_cents,
            currency: optional(self.currency)
                .unwrap_or_else(|| format.default_currency.clone())
                .to_ascii_uppercase(),
            reference,
            counterparty: optional(self.counterparty),
            bank_id: optional(self.id),
            booked: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<(usize, Vec<String>, bool)> {
        records(text, ';')
            .into_iter()
            .map(|r| (r.line, r.fields, r.unterminated_quote))
            .collect()
    }

    #[test]
    fn quoted_fields_hold_separators_quotes_and_line_breaks() {
        let got = fields("a;\"b;c\";\"say \"\"hi\"\"\"\r\n\"two\nlines\";x\nlast");
        assert_eq!(got[0], (1, vec!["a".into(), "b;c".into(), "say \"hi\"".into()], false));
        assert_eq!(got[1], (2, vec!["two\nlines".into(), "x".into()], false));
        assert_eq!(got[2], (4, vec!["last".into()], false));
    }

    #[test]
    fn an_unclosed_quote_is_reported_on_its_record() {
        let got = fields("a;b\n\"open;c\nd");
        assert_eq!(got.len(), 2);
        assert!(got[1].2);
        assert_eq!(got[1].0, 2);
    }

    #[test]
    fn latin1_fallback_reads_accents_and_euro() {
        let bytes = b"Citt\xe0 \x80 4,88";
        assert_eq!(decode(bytes, TextEncoding::Auto).unwrap(), "Città € 4,88");
        assert!(matches!(
            decode(bytes, TextEncoding::Utf8),
            Err(BankError::NotUtf8 { position: 4 })
        ));
    }

    #[test]
    fn split_credit_and_debit_columns() {
        let csv = "Data contabile;Data valuta;Descrizione;Accrediti;Addebiti\n\
                   12/03/2025;12/03/2025;BONIFICO CRT-2025-000123;7,93;\n\
                   12/03/2025;12/03/2025;COMMISSIONI;;1,50\n\
                   12/03/2025;12/03/2025;BOTH;1,00;1,00\n";
        let got = parse_csv(csv.as_bytes(), &CsvFormat::default()).unwrap();
        assert!(matches!(&got[0], Parsed::Line(l) if l.amount_cents == 793 && l.currency == "EUR"));
        assert!(matches!(&got[1], Parsed::Line(l) if l.amount_cents == -150));
        assert!(matches!(&got[2], Parsed::Malformed { line: 4, .. }));
    }
}
