//! The personal codice fiscale: 16 characters, DM 23/12/1976 n. 13813
//! (`../shared/docs/registries.md` 4.1-4.3).
//!
//! | positions | meaning |
//! | --- | --- |
//! | 1-3, 4-6 | surname and first-name codes ([`names`]) |
//! | 7-8 | last two digits of the birth year |
//! | 9 | month letter `ABCDEHLMPRST` (January … December) |
//! | 10-11 | day of birth, +40 for women |
//! | 12-15 | Belfiore code of the municipality of birth, `Z` + 3 digits for a foreign country |
//! | 16 | check character (`check.rs`) |
//!
//! Digits at positions 7, 8, 10, 11, 13, 14 and 15 may be replaced by letters
//! (omocodia, the Agenzia delle Entrate's rule for codes that would collide;
//! `omocodia.rs`). A [`CodiceFiscale`] is parsed once at the edge and then
//! trusted: it is 16 uppercase ASCII characters of the right shape, with the
//! right check character, a real month and a day that month can have.
//!
//! One exception, so that no stored record becomes unreadable: a value read
//! back with serde is also accepted when it is 16 letters and digits with the
//! right check character, all that mailbox holders' codes were checked for
//! before this crate. Its accessors still answer (a month letter that is not
//! one reads as January) and [`CodiceFiscale::birth_date`] says when the date
//! does not exist.
//!
//! The Belfiore code is not looked up in a table: an unknown municipality is not
//! a reason to refuse a code (registries.md 4.3 on the `codice_fiscale` crate).

mod build;
mod check;
mod cross_check;
pub mod names;
mod omocodia;

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use cross_check::{Finding, cross_check};

/// A valid personal codice fiscale, normalised (trimmed, uppercase). Omocodic
/// letters are kept as given: two codes that differ only by substitutions
/// belong to different people (that is why the substitution was made).
///
/// Serialised as the plain string (`"RSSMRA80A01H501U"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodiceFiscale(String);

/// Sex as the codice fiscale records it (day of birth +40 for women).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::Male => "M",
            Sex::Female => "F",
        })
    }
}

/// Why a text is not a codice fiscale. Positions count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CfError {
    #[error("a codice fiscale has 16 characters, this one has {found}")]
    Length { found: usize },
    #[error("invalid character '{found}' at position {position}: expected {expected}")]
    Character {
        position: usize,
        found: char,
        expected: &'static str,
    },
    #[error("wrong check character: expected {expected}, found {found} (a typing error?)")]
    CheckCharacter { expected: char, found: char },
    #[error("impossible month letter '{found}' at position 9 (one of ABCDEHLMPRST)")]
    Month { found: char },
    #[error("impossible day of birth {found:02} for month {month} (01-31 for men, 41-71 for women)")]
    Day { found: u32, month: u32 },
    #[error("the birth date {day:02}/{month:02}/{year} does not exist")]
    BirthDate { year: i32, month: u32, day: u32 },
}

/// What a codice fiscale says about its holder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoded {
    pub surname_code: String,
    pub name_code: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// Belfiore code, substitutions undone (`H501`, `Z129`).
    pub birth_place: String,
    /// How many digits were replaced by letters (0 to 7).
    pub omocodia_level: u32,
}

// DM 23/12/1976: the month letters, January to December.
const MONTHS: &[u8; 12] = b"ABCDEHLMPRST";

const LETTER: &str = "a letter A-Z";
const DIGIT: &str = "a digit, or one of LMNPQRSTUV standing for a digit (omocodia)";

/// What each position (0-based) may hold before the finer checks.
fn expected_at(index: usize) -> &'static str {
    if omocodia::is_substitutable(index) {
        DIGIT
    } else {
        LETTER
    }
}

impl CodiceFiscale {
    /// Parses a codice fiscale: surrounding blanks are ignored and lowercase
    /// letters accepted; the result is uppercase.
    pub fn parse(text: &str) -> Result<CodiceFiscale, CfError> {
        let chars: Vec<char> = text.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
        if chars.len() != 16 {
            return Err(CfError::Length { found: chars.len() });
        }
        for (index, &c) in chars.iter().enumerate() {
            let fits = if omocodia::is_substitutable(index) {
                c.is_ascii() && omocodia::digit_value(c as u8).is_some()
            } else {
                c.is_ascii_uppercase()
            };
            if !fits {
                return Err(CfError::Character {
                    position: index + 1,
                    found: c,
                    expected: expected_at(index),
                });
            }
        }
        let code: String = chars.into_iter().collect();
        let bytes = code.as_bytes();
        // DM 23/12/1976: position 16 is the check character of the first 15.
        let expected = check::check_character(&bytes[..15]);
        if expected != bytes[15] {
            return Err(CfError::CheckCharacter {
                expected: char::from(expected),
                found: char::from(bytes[15]),
            });
        }
        let cf = CodiceFiscale(code);
        // DM 23/12/1976: position 9 is one of the twelve month letters.
        let month = cf.birth_month_checked()?;
        let raw_day = cf.raw_day();
        let day = if raw_day > 40 { raw_day - 40 } else { raw_day };
        // DM 23/12/1976: positions 10-11 are the day, plus 40 for women.
        // February may have 29 days; whether this year does is known only once
        // the century is ([`CodiceFiscale::birth_date`]).
        let longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month as usize - 1];
        if (!(1..=31).contains(&raw_day) && !(41..=71).contains(&raw_day)) || day > longest {
            return Err(CfError::Day { found: raw_day, month });
        }
        Ok(cf)
    }

    /// A code as stored: what [`CodiceFiscale::parse`] accepts, or else 16
    /// letters and digits with the right check character. The second is the
    /// rule mailbox holders' codes were checked with before this crate
    /// (`lifecycle`'s own `TaxId`), and a stored subscription must stay readable.
    pub(crate) fn from_stored(text: &str) -> Result<CodiceFiscale, CfError> {
        let strict = CodiceFiscale::parse(text);
        if strict.is_ok() {
            return strict;
        }
        let code = text.trim().to_ascii_uppercase();
        let bytes = code.as_bytes();
        if bytes.len() == 16
            && bytes.iter().all(u8::is_ascii_alphanumeric)
            && check::check_character(&bytes[..15]) == bytes[15]
        {
            return Ok(CodiceFiscale(code));
        }
        strict
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Positions 1-3.
    pub fn surname_code(&self) -> &str {
        &self.0[0..3]
    }

    /// Positions 4-6.
    pub fn name_code(&self) -> &str {
        &self.0[3..6]
    }

    /// The first 15 characters with the omocodic substitutions undone.
    fn plain(&self) -> Vec<u8> {
        omocodia::undo(self.0.as_bytes())
    }

    fn number(&self, from: usize, to: usize) -> u32 {
        self.plain()[from..to]
            .iter()
            .fold(0, |n, &c| n * 10 + u32::from(c.wrapping_sub(b'0') % 10))
    }

    fn raw_day(&self) -> u32 {
        self.number(9, 11)
    }

    fn birth_month_checked(&self) -> Result<u32, CfError> {
        let letter = self.0.as_bytes()[8];
        MONTHS
            .iter()
            .position(|&m| m == letter)
            .map(|i| i as u32 + 1)
            .ok_or(CfError::Month {
                found: char::from(letter),
            })
    }

    /// The last two digits of the birth year.
    pub fn birth_year_digits(&self) -> u32 {
        self.number(6, 8)
    }

    /// The birth month, 1-12.
    pub fn birth_month(&self) -> u32 {
        // Checked by `parse`.
        self.birth_month_checked().unwrap_or(1)
    }

    /// The day of birth, 1-31 (the +40 for women removed).
    pub fn birth_day(&self) -> u32 {
        let raw = self.raw_day();
        if raw > 40 { raw - 40 } else { raw }
    }

    pub fn sex(&self) -> Sex {
        if self.raw_day() > 40 { Sex::Female } else { Sex::Male }
    }

    /// The Belfiore code of the place of birth, substitutions undone.
    pub fn birth_place(&self) -> String {
        String::from_utf8_lossy(&self.plain()[11..15]).into_owned()
    }

    /// Born abroad: the place is a country code (`Z` + 3 digits).
    pub fn born_abroad(&self) -> bool {
        self.0.as_bytes()[11] == b'Z'
    }

    /// The birth date, its century chosen so that the date is not after
    /// `reference` (usually today): `80` is 1980 in 2025, and `24` is 2024
    /// before 2124. A person older than a century is decoded a century late;
    /// the code itself cannot tell.
    pub fn birth_date(&self, reference: NaiveDate) -> Result<NaiveDate, CfError> {
        let (month, day) = (self.birth_month(), self.birth_day());
        let century = reference.year().div_euclid(100) * 100;
        let mut year = century + self.birth_year_digits() as i32;
        if year > reference.year() || (year == reference.year() && (month, day) > (reference.month(), reference.day()))
        {
            year -= 100;
        }
        NaiveDate::from_ymd_opt(year, month, day).ok_or(CfError::BirthDate { year, month, day })
    }

    /// Everything the code says, the century resolved against `reference`.
    pub fn decode(&self, reference: NaiveDate) -> Result<Decoded, CfError> {
        Ok(Decoded {
            surname_code: self.surname_code().to_owned(),
            name_code: self.name_code().to_owned(),
            birth_date: self.birth_date(reference)?,
            sex: self.sex(),
            birth_place: self.birth_place(),
            omocodia_level: self.omocodia_level(),
        })
    }

    /// How many digits were replaced by letters (0 to 7).
    pub fn omocodia_level(&self) -> u32 {
        omocodia::level(self.0.as_bytes())
    }

    /// The code with every substitution undone and its check character
    /// recomputed: the base code the omocode was derived from.
    pub fn without_omocodia(&self) -> CodiceFiscale {
        self.variant(0)
    }

    /// The omocodic variant of this code's base with the positions picked by
    /// `mask` substituted: bit 0 is position 15, bit 1 position 14, then 13,
    /// 11, 10, 8 and 7 (the Agenzia's order); bits above the 7th are ignored.
    /// The Agenzia's `n`-th variant is `variant((1 << n) - 1)`.
    pub fn variant(&self, mask: u8) -> CodiceFiscale {
        let mut code = omocodia::substitute(&self.plain(), mask);
        code.push(check::check_character(&code));
        CodiceFiscale(String::from_utf8_lossy(&code).into_owned())
    }

    /// Whether two codes have the same base (equal once substitutions are
    /// undone): the same data, perhaps two people told apart by omocodia, or
    /// one person's code written with and without the substitutions.
    pub fn same_base(&self, other: &CodiceFiscale) -> bool {
        self.plain() == other.plain()
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CodiceFiscale {
    type Err = CfError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CodiceFiscale::parse(s)
    }
}

impl TryFrom<String> for CodiceFiscale {
    type Error = CfError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CodiceFiscale::parse(&s)
    }
}

impl From<CodiceFiscale> for String {
    fn from(cf: CodiceFiscale) -> String {
        cf.0
    }
}

impl Serialize for CodiceFiscale {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CodiceFiscale {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        CodiceFiscale::from_stored(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
