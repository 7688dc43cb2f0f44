//! What the registry suites share: an Order, members with real codici fiscali,
//! a roll written as a secretariat's CSV.
#![allow(dead_code)]

use chrono::{NaiveDate, TimeZone, Utc};
use office::Office;
use office::registry::import::{self, ImportReport, RollFile};
use office::registry::orders::{self, NewOrder};
use office::registry::pec_checker::CheckLists;
use registry::{CodiceFiscale, Sex};

pub const ORDER: &str = "OMCEO-FI";

/// 2026-03-10 10:00 in Italy: the office's clock.
pub fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap()
}

/// The office's day.
pub fn today() -> NaiveDate {
    day(2026, 3, 10)
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn cf(surname: &str, name: &str, birth: NaiveDate, sex: Sex) -> String {
    CodiceFiscale::compute(surname, name, birth, sex, "D612")
        .unwrap()
        .as_str()
        .to_owned()
}

/// The Order, its PEC `pec`.
pub async fn add_order(office: &Office, pec: &str) {
    let order = NewOrder {
        code: ORDER,
        name: "Ordine dei Medici Chirurghi e degli Odontoiatri della Provincia di Firenze",
        tax_id: "80003530484",
        codice_ente: "80003530484",
        pec,
        delegate: None,
    };
    orders::add(office, &order).await.unwrap();
}

pub const HEADER: &str = "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Numero iscrizione;Data iscrizione;\
                          Stato;Data cancellazione;CTU;PEC;Indirizzo;CAP;Comune;Provincia\n";

/// A member as a roll's row.
pub struct Row<'a> {
    pub surname: &'a str,
    pub name: &'a str,
    pub birth: NaiveDate,
    pub sex: Sex,
    pub status: &'a str,
    pub cancelled: &'a str,
    pub ctu: bool,
    pub pec: &'a str,
    pub street: &'a str,
}

impl<'a> Row<'a> {
    pub fn new(surname: &'a str, name: &'a str, birth: NaiveDate, sex: Sex, pec: &'a str) -> Row<'a> {
        Row {
            surname,
            name,
            birth,
            sex,
            status: "attivo",
            cancelled: "",
            ctu: false,
            pec,
            street: "Via dei Servi 12",
        }
    }

    pub fn cf(&self) -> String {
        cf(self.surname, self.name, self.birth, self.sex)
    }

    pub fn line(&self) -> String {
        format!(
            "{};{};{};{};{};1{};15/09/2010;{};{};{};{};{};50122;Firenze;FI\n",
            self.cf(),
            self.surname,
            self.name,
            self.birth.format("%d/%m/%Y"),
            if self.sex == Sex::Male { "M" } else { "F" },
            self.birth.format("%j"),
            self.status,
            self.cancelled,
            if self.ctu { "si" } else { "no" },
            self.pec,
            self.street,
        )
    }
}

pub fn roll(rows: &[Row<'_>]) -> String {
    let mut text = String::from(HEADER);
    for r in rows {
        text.push_str(&r.line());
    }
    text
}

/// Imports `text` into the Order, PEC addresses communicated on `date`.
pub async fn import(office: &Office, text: &str, date: NaiveDate, lists: &CheckLists) -> ImportReport {
    let file = RollFile {
        order: ORDER,
        bytes: text.as_bytes(),
        date: Some(date),
        lists,
    };
    import::import(office, &file, &mut |_| {}).await.unwrap()
}
