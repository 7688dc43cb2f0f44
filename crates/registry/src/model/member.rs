//! A member (iscritto) of an Order's roll (albo): identity, enrolment, and
//! what the national registers need of them (registries.md, "Member record",
//! and the ReGIndE data model of 2.4).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Sex, TaxId};

/// One member. The PEC addresses are kept apart ([`crate::model::pec`]): a
/// member may communicate several over time, and only the official one counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// 16 characters, or 11 digits for a temporary code.
    pub codice_fiscale: TaxId,
    pub surname: String,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_place: Option<BirthPlace>,
    pub sex: Option<Sex>,
    /// Numero di iscrizione, as the Order writes it (may hold letters).
    pub registration_number: Option<String>,
    pub registration_date: Option<NaiveDate>,
    /// Section or roll within the Order ("Medici chirurghi", "Odontoiatri", "Sez. A").
    pub section: Option<String>,
    pub status: MemberStatus,
    /// When the member left the roll (cancelled or struck off).
    pub cancellation_date: Option<NaiveDate>,
    /// Listed among the court experts (consulenti tecnici d'ufficio), and so
    /// sent to ReGIndE as "Altro Professionista" (registries.md 2.1).
    pub ctu: bool,
    /// Domicilio legale, required for ReGIndE (at least one, registries.md 2.4).
    pub legal_domicile: Option<PostalAddress>,
    /// Ordinary e-mail, for reminders; never a substitute for the PEC.
    pub email: Option<String>,
}

/// A member's standing on the roll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberStatus {
    Active,
    /// Still enrolled, may not practise (e.g. for want of a PEC, DL 185/2008 art. 16 c.7-bis).
    Suspended,
    /// Radiato: removed as a disciplinary sanction.
    StruckOff,
    /// Cancellato: removed on request, death, transfer.
    Cancelled,
}

impl MemberStatus {
    /// Still on the roll (active or suspended): listed in INI-PEC and bound by
    /// the PEC duty.
    pub fn enrolled(self) -> bool {
        matches!(self, MemberStatus::Active | MemberStatus::Suspended)
    }
}

/// Where a member was born, as ReGIndE wants it (luogo and provincia di nascita).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthPlace {
    /// Municipality, or the foreign country.
    pub municipality: String,
    /// Province abbreviation (`FI`); `EE` or none for a foreign country.
    pub province: Option<String>,
}

/// A postal address (ReGIndE INDIRIZZI: indirizzo, CAP, comune, provincia).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street and number.
    pub street: String,
    /// Five digits.
    pub postcode: String,
    pub municipality: String,
    /// Province abbreviation (`FI`).
    pub province: String,
    pub phone: Option<String>,
    pub fax: Option<String>,
}
