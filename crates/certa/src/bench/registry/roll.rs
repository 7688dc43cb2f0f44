//! The generated roll of `certa registry bench`: members with valid codici
//! fiscali, ~95 % with an official PEC (a few found invalid), ~3 % court
//! experts, ~2 % off the roll, some of the others already warned by letter;
//! and the same roll as the CSV a secretariat would import.

use std::collections::HashSet;
use std::fmt::Write as _;

use anyhow::{Result, bail};
use chrono::{Days, NaiveDate};
use registry::model::{BirthPlace, PostalAddress};
use registry::{CodiceFiscale, Member, MemberStatus, Sex, TaxId};

/// A generated member and what the bench records about it besides its data.
pub(super) struct Generated {
    pub member: Member,
    /// The official PEC.
    pub pec: Option<String>,
    /// The official PEC was found invalid (bounced): not listed, a diffida by PEC is due.
    pub invalid: bool,
    /// A diffida by letter sent this many days before the first day.
    pub letter_days_before: Option<u64>,
}

impl Generated {
    /// Listed in INI-PEC: enrolled, with a valid official PEC.
    pub fn listed(&self) -> bool {
        self.member.status.enrolled() && self.pec.is_some() && !self.invalid
    }
}
const SURNAMES: [&str; 20] = [
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
    "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
];
const MEN: [&str; 10] = [
    "Marco",
    "Giuseppe",
    "Luca",
    "Andrea",
    "Francesco",
    "Alessandro",
    "Giovanni",
    "Roberto",
    "Stefano",
    "Paolo",
];
const WOMEN: [&str; 10] = [
    "Maria",
    "Anna",
    "Giulia",
    "Francesca",
    "Laura",
    "Chiara",
    "Sara",
    "Elena",
    "Valentina",
    "Paola",
];
/// Belfiore code, municipality, province.
const PLACES: [(&str, &str, &str); 12] = [
    ("D612", "Firenze", "FI"),
    ("H501", "Roma", "RM"),
    ("F205", "Milano", "MI"),
    ("F839", "Napoli", "NA"),
    ("L219", "Torino", "TO"),
    ("A944", "Bologna", "BO"),
    ("G702", "Pisa", "PI"),
    ("E715", "Lucca", "LU"),
    ("G999", "Prato", "PO"),
    ("A390", "Arezzo", "AR"),
    ("I726", "Siena", "SI"),
    ("E625", "Livorno", "LI"),
];
const PROVIDERS: [&str; 4] = ["pec.it", "legalmail.it", "pec.omceo.it", "arubapec.it"];
/// 1950-01-01 to 1999-12-31.
const BIRTH_DAYS: u64 = 18_262;

/// The `i`-th member. Birth day and place walk every combination before one
/// repeats, so codes stay distinct; a collision beyond that moves further on.
pub(super) fn generate(i: usize, first_day: NaiveDate, taken: &mut HashSet<String>) -> Result<Generated> {
    let sex = if i.is_multiple_of(2) { Sex::Male } else { Sex::Female };
    let surname = SURNAMES[(i * 7 + i / 20) % SURNAMES.len()];
    let name = match sex {
        Sex::Male => MEN[(i / 2) % MEN.len()],
        Sex::Female => WOMEN[(i / 2) % WOMEN.len()],
    };
    let epoch = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default();
    let mut attempt = 0;
    let (cf, birth, place) = loop {
        let k = i as u64 + attempt * 1_000_003;
        let birth = epoch + Days::new(k % BIRTH_DAYS);
        let place = PLACES[(k / BIRTH_DAYS) as usize % PLACES.len()];
        let cf = CodiceFiscale::compute(surname, name, birth, sex, place.0)?;
        if taken.insert(cf.as_str().to_owned()) {
            break (cf, birth, place);
        }
        attempt += 1;
        if attempt > 1000 {
            bail!("cannot generate a new codice fiscale for member {i}");
        }
    };
    let local = format!(
        "{}.{}.{i}",
        name.to_lowercase(),
        surname.to_lowercase().replace(' ', "")
    );
    let has_pec = i * 37 % 100 < 95;
    let cancelled = i % 50 == 13;
    let registered = (birth + Days::new(26 * 365 + (i as u64 % 3000))).min(first_day - Days::new(1));
    let member = Member {
        codice_fiscale: TaxId::CodiceFiscale(cf),
        surname: surname.into(),
        name: name.into(),
        birth_date: Some(birth),
        birth_place: Some(BirthPlace {
            municipality: place.1.into(),
            province: Some(place.2.into()),
        }),
        sex: Some(sex),
        registration_number: Some((1000 + i).to_string()),
        registration_date: Some(registered),
        section: Some(if i % 9 == 4 { "Odontoiatri" } else { "Medici chirurghi" }.into()),
        status: if cancelled {
            MemberStatus::Cancelled
        } else {
            MemberStatus::Active
        },
        cancellation_date: cancelled.then(|| first_day - Days::new(1 + i as u64 % 700)),
        ctu: i % 33 == 5,
        legal_domicile: Some(PostalAddress {
            street: format!("Via dei Servi {}", 1 + i % 150),
            postcode: "50122".into(),
            municipality: "Firenze".into(),
            province: "FI".into(),
            phone: None,
            fax: None,
        }),
        email: Some(format!("{local}@example.it")),
    };
    Ok(Generated {
        member,
        pec: has_pec.then(|| format!("{local}@{}", PROVIDERS[i % PROVIDERS.len()])),
        invalid: has_pec && i % 200 == 11,
        letter_days_before: match (has_pec, i % 3) {
            (true, _) => None,
            // Past the 30 days: to suspend.
            (false, 0) => Some(45),
            // The term still running.
            (false, 1) => Some(10),
            (false, _) => None,
        },
    })
}

/// The roll as the import reads it (see `crates/registry/src/roll`).
pub(super) fn roll_csv(roll: &[Generated]) -> String {
    let mut text = String::from(
        "Codice Fiscale;Cognome;Nome;Data di nascita;Luogo di nascita;Provincia di nascita;Sesso;\
         Numero iscrizione;Data iscrizione;Sezione;Stato;Data cancellazione;CTU;PEC;Email;Indirizzo;CAP;Comune;Provincia\n",
    );
    let date = |d: Option<NaiveDate>| d.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_default();
    for g in roll {
        let m = &g.member;
        let place = m.birth_place.as_ref();
        let home = m.legal_domicile.as_ref();
        let _ = writeln!(
            text,
            "{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{};{}",
            m.codice_fiscale.as_str(),
            m.surname,
            m.name,
            date(m.birth_date),
            place.map_or("", |p| &p.municipality),
            place.and_then(|p| p.province.as_deref()).unwrap_or_default(),
            m.sex.map(|s| s.to_string()).unwrap_or_default(),
            m.registration_number.as_deref().unwrap_or_default(),
            date(m.registration_date),
            m.section.as_deref().unwrap_or_default(),
            if m.status.enrolled() { "attivo" } else { "cancellato" },
            date(m.cancellation_date),
            if m.ctu { "si" } else { "no" },
            g.pec.as_deref().unwrap_or_default(),
            m.email.as_deref().unwrap_or_default(),
            home.map_or("", |h| &h.street),
            home.map_or("", |h| &h.postcode),
            home.map_or("", |h| &h.municipality),
            home.map_or("", |h| &h.province),
        );
    }
    text
}
