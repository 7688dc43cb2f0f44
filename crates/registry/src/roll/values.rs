//! The values of a roll's cells: dates as spreadsheets write them, sex,
//! status and yes/no in Italian or English.

use chrono::NaiveDate;

use crate::{MemberStatus, Sex};

/// `dd/mm/yyyy` (also with `-` or `.`) or ISO `yyyy-mm-dd`.
pub fn date(text: &str) -> Option<NaiveDate> {
    ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
}

pub fn sex(text: &str) -> Option<Sex> {
    match text.to_lowercase().as_str() {
        "m" | "maschio" | "male" => Some(Sex::Male),
        "f" | "femmina" | "female" => Some(Sex::Female),
        _ => None,
    }
}

pub fn status(text: &str) -> Option<MemberStatus> {
    match text.to_lowercase().as_str() {
        "attivo" | "attiva" | "iscritto" | "iscritta" | "active" | "a" => Some(MemberStatus::Active),
        "sospeso" | "sospesa" | "suspended" | "s" => Some(MemberStatus::Suspended),
        "radiato" | "radiata" | "struck-off" | "struck off" | "r" => Some(MemberStatus::StruckOff),
        "cancellato" | "cancellata" | "cancelled" | "c" => Some(MemberStatus::Cancelled),
        _ => None,
    }
}

/// Yes/no as spreadsheets write it; empty is no.
pub fn yes_no(text: &str) -> Option<bool> {
    match text.to_lowercase().as_str() {
        "si" | "sì" | "s" | "yes" | "y" | "true" | "1" | "x" => Some(true),
        "no" | "n" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_usual_forms() {
        let d = NaiveDate::from_ymd_opt(1980, 1, 31);
        for text in ["31/01/1980", "1980-01-31", "31-01-1980", "31.01.1980"] {
            assert_eq!(date(text), d, "{text}");
        }
        assert_eq!(date("31/02/1980"), None);
        assert_eq!(date("1980"), None);
    }
}
