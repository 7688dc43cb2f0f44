//! The holder of a mailbox: who is billed, and who alone may buy a deleted
//! address again.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A codice fiscale (16 characters, people) or a partita IVA (11 digits,
/// businesses and most professionals' firms), checked once here and then trusted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum TaxId {
    CodiceFiscale(String),
    PartitaIva(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxIdError {
    #[error("\"{0}\" is neither a codice fiscale (16 characters) nor a partita IVA (11 digits)")]
    Shape(String),
    #[error("\"{0}\": the check character is wrong (a typing error?)")]
    Check(String),
}

impl TaxId {
    /// Parses either form, ignoring case and spaces; an 11-digit codice fiscale
    /// (companies) is a partita IVA.
    pub fn parse(text: &str) -> Result<TaxId, TaxIdError> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let bytes = clean.as_bytes();
        if bytes.len() == 11 && bytes.iter().all(u8::is_ascii_digit) {
            if partita_iva_check(bytes) != bytes[10] - b'0' {
                return Err(TaxIdError::Check(clean));
            }
            return Ok(TaxId::PartitaIva(clean));
        }
        if bytes.len() == 16 && bytes.iter().all(u8::is_ascii_alphanumeric) {
            if codice_fiscale_check(&bytes[..15]) != bytes[15] {
                return Err(TaxIdError::Check(clean));
            }
            return Ok(TaxId::CodiceFiscale(clean));
        }
        Err(TaxIdError::Shape(text.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            TaxId::CodiceFiscale(s) | TaxId::PartitaIva(s) => s,
        }
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// DPR 605/1973, DM 23/12/1976: odd positions (1st, 3rd, ...) use a table,
/// even positions their plain value; the sum mod 26 is the check letter.
fn codice_fiscale_check(first15: &[u8]) -> u8 {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
    ];
    let value = |c: u8| {
        if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A')
        }
    };
    let sum: u32 = first15
        .iter()
        .enumerate()
        .map(|(i, &c)| if i % 2 == 0 { ODD[value(c) as usize] } else { value(c) })
        .sum();
    b'A' + (sum % 26) as u8
}

/// DPR 633/1972 art. 35: the Luhn-like check digit of the partita IVA.
fn partita_iva_check(digits: &[u8]) -> u8 {
    let sum: u32 = digits[..10]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 0 {
                d
            } else {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Holder data, as given when buying and as printed on invoices and notices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub tax_id: TaxId,
    pub name: String,
    pub billing_address: String,
    /// The ordinary e-mail for notices (Aruba: "la mail di riferimento").
    pub reference_email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_codice_fiscale_and_partita_iva_parse() {
        // The textbook example of the Agenzia delle Entrate.
        assert_eq!(
            TaxId::parse("rssmra85t10a562s").unwrap(),
            TaxId::CodiceFiscale("RSSMRA85T10A562S".into())
        );
        // Agenzia delle Entrate's own partita IVA.
        assert_eq!(
            TaxId::parse("06363391001").unwrap(),
            TaxId::PartitaIva("06363391001".into())
        );
    }

    #[test]
    fn a_wrong_check_character_is_refused() {
        assert!(matches!(TaxId::parse("RSSMRA85T10A562T"), Err(TaxIdError::Check(_))));
        assert!(matches!(TaxId::parse("06363391002"), Err(TaxIdError::Check(_))));
        assert!(matches!(TaxId::parse("RSSMRA85"), Err(TaxIdError::Shape(_))));
    }
}
