//! A codice fiscale computed from personal data, as the Agenzia delle Entrate
//! would assign it when no omocodia applies: for tests, for generated rolls,
//! and to tell a member what their code should be when the cross-check differs.

use chrono::{Datelike, NaiveDate};

use super::names::{name_code, surname_code};
use super::{CfError, CodiceFiscale, MONTHS, Sex, check};

impl CodiceFiscale {
    /// The code of a person born on `birth_date` at `birth_place` (Belfiore
    /// code, `H501`, or a country's `Z` code). A place that is not a letter and
    /// three digits is refused with the position at fault.
    pub fn compute(
        surname: &str,
        name: &str,
        birth_date: NaiveDate,
        sex: Sex,
        birth_place: &str,
    ) -> Result<CodiceFiscale, CfError> {
        let month = MONTHS[birth_date.month0() as usize % 12];
        let day = birth_date.day() + if sex == Sex::Female { 40 } else { 0 };
        let mut code = format!(
            "{}{}{:02}{}{:02}{}",
            surname_code(surname),
            name_code(name),
            birth_date.year().rem_euclid(100),
            char::from(month),
            day,
            birth_place.trim().to_ascii_uppercase(),
        );
        let check = check::check_character(code.as_bytes());
        code.push(char::from(check));
        CodiceFiscale::parse(&code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn computes_the_textbook_codes() {
        let cf = CodiceFiscale::compute("Rossi", "Mario", date(1980, 1, 1), Sex::Male, "H501").unwrap();
        assert_eq!(cf.as_str(), "RSSMRA80A01H501U");
        let cf = CodiceFiscale::compute("Rossi", "Maria", date(1985, 12, 10), Sex::Female, "A562").unwrap();
        assert_eq!(&cf.as_str()[..15], "RSSMRA85T50A562");
    }

    #[test]
    fn a_bad_place_is_refused_with_its_position() {
        let err = CodiceFiscale::compute("Rossi", "Mario", date(1980, 1, 1), Sex::Male, "H50").unwrap_err();
        assert!(matches!(err, CfError::Length { found: 15 }), "{err:?}");
        let err = CodiceFiscale::compute("Rossi", "Mario", date(1980, 1, 1), Sex::Male, "1501").unwrap_err();
        assert!(matches!(err, CfError::Character { position: 12, .. }), "{err:?}");
    }
}
