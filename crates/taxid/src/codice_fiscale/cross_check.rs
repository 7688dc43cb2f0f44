//! A codice fiscale against the data a member declared. Mismatches are
//! findings for the operator, not refusals: the code may be right and the
//! roll wrong, or an omocode may have been assigned (the Agenzia's register
//! is the authority, not our computation).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::names::{name_code, surname_code};
use super::{CodiceFiscale, Sex};

/// One way a codice fiscale disagrees with the declared data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "finding")]
pub enum Finding {
    /// Day, month or the last two digits of the year differ.
    BirthDate {
        in_code: String,
        declared: NaiveDate,
    },
    Sex {
        in_code: Sex,
        declared: Sex,
    },
    /// Positions 1-3 are not what the declared surname gives.
    Surname {
        in_code: String,
        expected: String,
    },
    /// Positions 4-6 are not what the declared first name gives.
    Name {
        in_code: String,
        expected: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::BirthDate { in_code, declared } => write!(
                f,
                "the codice fiscale says born on {in_code}, the declared birth date is {}",
                declared.format("%d/%m/%Y")
            ),
            Finding::Sex { in_code, declared } => {
                write!(
                    f,
                    "the codice fiscale says sex {in_code}, the declared sex is {declared}"
                )
            }
            Finding::Surname { in_code, expected } => write!(
                f,
                "the codice fiscale's surname letters are {in_code}, the declared surname gives {expected}"
            ),
            Finding::Name { in_code, expected } => write!(
                f,
                "the codice fiscale's name letters are {in_code}, the declared first name gives {expected}"
            ),
        }
    }
}

/// Compares a codice fiscale with declared data; missing data (`None`, an
/// empty name) is not compared. The year is compared on its last two digits,
/// all the code holds.
pub fn cross_check(
    cf: &CodiceFiscale,
    surname: &str,
    name: &str,
    birth_date: Option<NaiveDate>,
    sex: Option<Sex>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !surname.trim().is_empty() {
        let expected = surname_code(surname);
        if expected != cf.surname_code() {
            findings.push(Finding::Surname {
                in_code: cf.surname_code().to_owned(),
                expected,
            });
        }
    }
    if !name.trim().is_empty() {
        let expected = name_code(name);
        if expected != cf.name_code() {
            findings.push(Finding::Name {
                in_code: cf.name_code().to_owned(),
                expected,
            });
        }
    }
    if let Some(declared) = birth_date {
        let in_code = (cf.birth_day(), cf.birth_month(), cf.birth_year_digits());
        let given = (declared.day(), declared.month(), declared.year().rem_euclid(100) as u32);
        if in_code != given {
            findings.push(Finding::BirthDate {
                in_code: format!("{:02}/{:02}/..{:02}", in_code.0, in_code.1, in_code.2),
                declared,
            });
        }
    }
    if let Some(declared) = sex
        && declared != cf.sex()
    {
        findings.push(Finding::Sex {
            in_code: cf.sex(),
            declared,
        });
    }
    findings
}
