//! The 11-digit code: the partita IVA assigned when a business starts (DPR
//! 633/1972 art. 35), and the numeric codice fiscale of bodies (Orders
//! included) and of temporary personal codes, which share its form and check
//! (`../shared/docs/registries.md` 4.4).
//!
//! Digits 1-7 are the holder's number, 8-10 the provincial office code, 11 the
//! check digit.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid 11-digit code (partita IVA or numeric codice fiscale), digits only
/// (an `IT` prefix is dropped).
///
/// Serialised as the plain string (`"00743110157"`). Read back with serde, 11
/// digits with the right check digit are enough (the office code and the
/// holder number unchecked): the rule mailbox holders' codes were checked with
/// before this crate, so that no stored subscription becomes unreadable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitaIva(String);

/// Why a text is not a partita IVA. Positions count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitaIvaError {
    #[error("a partita IVA has 11 digits, this one has {found} characters")]
    Length { found: usize },
    #[error("invalid character '{found}' at position {position}: a partita IVA has digits only")]
    Character { position: usize, found: char },
    #[error("wrong check digit: expected {expected}, found {found} (a typing error?)")]
    CheckDigit { expected: char, found: char },
    #[error("office code {code} (digits 8-10) does not exist: valid are 001-100, 120, 121, 888, 999")]
    OfficeCode { code: String },
    #[error("a partita IVA cannot have a holder number of zeros (digits 1-7)")]
    ZeroNumber,
}

/// The check digit over the first 10 digits (registries.md 4.4): digits in odd
/// positions as they are, digits in even positions doubled less 9 when over 9;
/// the check makes the sum a multiple of 10 (Luhn).
pub(crate) fn check_digit(first10: &[u8]) -> u8 {
    let sum: u32 = first10
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c.wrapping_sub(b'0') % 10);
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    b'0' + ((10 - sum % 10) % 10) as u8
}

/// Agenzia delle Entrate office codes, digits 8-10 (registries.md 4.4, after
/// python-stdnum's `it.iva`): 001-100, 120, 121, 888 and 999.
fn office_code_exists(code: u32) -> bool {
    matches!(code, 1..=100 | 120 | 121 | 888 | 999)
}

impl PartitaIva {
    /// Parses 11 digits; surrounding blanks and an `IT` prefix (the EU VAT
    /// form) are ignored.
    pub fn parse(text: &str) -> Result<PartitaIva, PartitaIvaError> {
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix("IT")
            .or_else(|| trimmed.strip_prefix("it"))
            .unwrap_or(trimmed);
        let chars: Vec<char> = digits.chars().collect();
        if chars.len() != 11 {
            return Err(PartitaIvaError::Length { found: chars.len() });
        }
        if let Some((i, &c)) = chars.iter().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(PartitaIvaError::Character {
                position: i + 1,
                found: c,
            });
        }
        let bytes = digits.as_bytes();
        // registries.md 4.4: the 11th digit is the Luhn check of the first 10.
        let expected = check_digit(&bytes[..10]);
        if expected != bytes[10] {
            return Err(PartitaIvaError::CheckDigit {
                expected: char::from(expected),
                found: char::from(bytes[10]),
            });
        }
        // As python-stdnum's `it.iva` (the port registries.md 4.4 cites): no
        // holder is numbered 0000000.
        if bytes[..7].iter().all(|&b| b == b'0') {
            return Err(PartitaIvaError::ZeroNumber);
        }
        // registries.md 4.4: digits 8-10 name an office that exists.
        let office = &digits[7..10];
        if !office_code_exists(office.parse().unwrap_or(0)) {
            return Err(PartitaIvaError::OfficeCode {
                code: office.to_owned(),
            });
        }
        Ok(PartitaIva(digits.to_owned()))
    }

    /// A code as stored: what [`PartitaIva::parse`] accepts, or else 11 digits
    /// with the right check digit, the rule mailbox holders' codes were checked
    /// with before this crate (`lifecycle`'s own `TaxId`).
    pub(crate) fn from_stored(text: &str) -> Result<PartitaIva, PartitaIvaError> {
        let strict = PartitaIva::parse(text);
        if strict.is_ok() {
            return strict;
        }
        let digits = text.trim();
        let bytes = digits.as_bytes();
        if bytes.len() == 11 && bytes.iter().all(u8::is_ascii_digit) && check_digit(&bytes[..10]) == bytes[10] {
            return Ok(PartitaIva(digits.to_owned()));
        }
        strict
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartitaIva {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PartitaIva {
    type Error = PartitaIvaError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PartitaIva::parse(&s)
    }
}

impl std::str::FromStr for PartitaIva {
    type Err = PartitaIvaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartitaIva::parse(s)
    }
}

impl From<PartitaIva> for String {
    fn from(p: PartitaIva) -> String {
        p.0
    }
}

impl Serialize for PartitaIva {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PartitaIva {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PartitaIva::from_stored(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_partite_iva_and_numeric_codici_fiscali_parse() {
        // registries.md 4.6: businesses, then bodies (OMCeO Firenze, Comune di Ravenna, a PA).
        for code in [
            "00743110157",
            "07973780013",
            "03189950961",
            "00140869991",
            "12345670017",
            "80029990480",
            "00354730392",
            "80016350821",
        ] {
            assert_eq!(PartitaIva::parse(code).unwrap().as_str(), code);
        }
        assert_eq!(PartitaIva::parse(" IT00743110157 ").unwrap().as_str(), "00743110157");
    }

    #[test]
    fn a_wrong_check_digit_names_expected_and_found() {
        assert_eq!(
            PartitaIva::parse("12345670018"),
            Err(PartitaIvaError::CheckDigit {
                expected: '7',
                found: '8'
            })
        );
    }

    #[test]
    fn shape_and_office_code_are_checked() {
        assert_eq!(
            PartitaIva::parse("1234567001"),
            Err(PartitaIvaError::Length { found: 10 })
        );
        assert_eq!(
            PartitaIva::parse("1234567A017"),
            Err(PartitaIvaError::Character {
                position: 8,
                found: 'A'
            })
        );
        // Office 101 does not exist; the check digit is right for it.
        let first10 = b"1234567101";
        let code = format!("1234567101{}", char::from(check_digit(first10)));
        assert_eq!(
            PartitaIva::parse(&code),
            Err(PartitaIvaError::OfficeCode { code: "101".into() })
        );
        assert_eq!(PartitaIva::parse("00000000000"), Err(PartitaIvaError::ZeroNumber));
    }
}
