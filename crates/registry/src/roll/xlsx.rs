//! A roll kept as an Excel workbook (`.xlsx`, what most secretariats export):
//! the first sheet, its first non-blank row the header, read with the same
//! columns and rules as the CSV. A row's "line" is its row number in the sheet.
//!
//! Cells become the text the CSV would hold: dates as `dd/mm/yyyy`, whole
//! numbers without decimals (a registration number typed as a number), truth
//! values as `si`/`no`. A cell in error (`#N/A`) makes its row rejected, named.
//! A CAP typed as a number has lost its leading zeros in the workbook itself:
//! it is read as written.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use super::columns::Columns;
use super::{Encoding, Roll, RollError, read_rows};

/// Whether `bytes` look like an Excel workbook (a ZIP archive) rather than text.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads the first sheet of a workbook.
pub fn parse_xlsx(bytes: &[u8]) -> Result<Roll, RollError> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| RollError::Workbook { reason: e.to_string() })?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(e)) => return Err(RollError::Workbook { reason: e.to_string() }),
        None => return Err(RollError::Empty),
    };
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let mut rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i as u64 + 1, cells))
        .filter(|(_, cells)| cells.iter().any(|c| !text(c).is_empty()));
    let Some((_, header)) = rows.next() else {
        return Err(RollError::Empty);
    };
    let header: Vec<String> = header.iter().map(text).collect();
    let columns = Columns::locate(header.iter().map(String::as_str));
    let missing = columns.missing();
    if !missing.is_empty() {
        return Err(RollError::MissingColumns {
            missing,
            header: header.join(";"),
        });
    }
    let records = rows.map(|(line, cells)| {
        let errors: Vec<String> = cells
            .iter()
            .enumerate()
            .filter_map(|(col, c)| match c {
                Data::Error(e) => Some(format!(
                    "the cell of column {} is in error ({e})",
                    header_name(&header, col)
                )),
                _ => None,
            })
            .collect();
        if errors.is_empty() {
            (
                line,
                Ok(csv::StringRecord::from(cells.iter().map(text).collect::<Vec<_>>())),
            )
        } else {
            (line, Err(errors.join("; ")))
        }
    });
    let rows = read_rows(&columns, records);
    Ok(Roll {
        encoding: Encoding::Utf8,
        separator: '\t',
        rows,
    })
}

fn header_name(header: &[String], col: usize) -> String {
    header
        .get(col)
        .filter(|h| !h.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("#{}", col + 1))
}

/// A cell as the CSV would hold it.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        // Whole numbers as typed (1234, not 1234.0); 2^53 bounds the exact ones.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "si" } else { "no" }.to_owned(),
        Data::DateTime(d) => d
            .as_datetime()
            .map_or_else(|| d.to_string(), |t| t.format("%d/%m/%Y").to_string()),
        // ISO dates (from an ODS-like writer): the date part, in the roll's format.
        Data::DateTimeIso(s) => chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d")
            .map_or_else(|_| s.clone(), |d| d.format("%d/%m/%Y").to_string()),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e}"),
    }
}
