//! From the roll file's bytes to text, and which separator it uses: rolls come
//! from spreadsheets, saved as UTF-8 or as Windows-1252 (Latin-1 with `€` and
//! friends in 0x80-0x9F), with `;` (Italian Excel), `,` or a tab.

use serde::{Deserialize, Serialize};

/// The encoding the bytes were read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Utf8,
    /// Not valid UTF-8: read as Windows-1252, the superset of ISO-8859-1
    /// spreadsheets write.
    Latin1,
}

/// The text, without a byte-order mark.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.trim_start_matches('\u{feff}').to_owned(), Encoding::Utf8),
        Err(_) => (bytes.iter().map(|&b| windows_1252(b)).collect(), Encoding::Latin1),
    }
}

/// Windows-1252: Latin-1 except 0x80-0x9F.
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

/// The separator of the header line: whichever of `;`, `,` and tab occurs
/// most outside quotes; `;` on a tie or when none does.
pub fn detect_separator(text: &str) -> char {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let mut counts = [(';', 0usize), (',', 0), ('\t', 0)];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(s, _)| *s == c) {
            entry.1 += 1;
        }
    }
    // max_by_key keeps the last maximum: scan in reverse to prefer `;`.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(';', |(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_bytes_are_read_as_windows_1252() {
        assert_eq!(decode(b"Nicol\xf2 \x80"), ("Nicolò €".to_owned(), Encoding::Latin1));
        assert_eq!(
            decode("\u{feff}Nicolò".as_bytes()),
            ("Nicolò".to_owned(), Encoding::Utf8)
        );
    }

    #[test]
    fn the_separator_is_the_header_lines_most_frequent() {
        assert_eq!(detect_separator("cf;cognome;nome\n"), ';');
        assert_eq!(detect_separator("cf,cognome,nome\n"), ',');
        assert_eq!(detect_separator("\"a;b\",cognome,nome\n"), ',');
        assert_eq!(detect_separator("cf\tcognome\tnome"), '\t');
        assert_eq!(detect_separator("cf"), ';');
        assert_eq!(detect_separator("cf;a,b"), ';');
    }
}
