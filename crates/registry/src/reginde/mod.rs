//! ReGIndE (Registro Generale degli Indirizzi Elettronici, DM 44/2011 art. 7):
//! the Order sends its court experts (CTU) to the Ministry of Justice as
//! `ComunicazioniSoggetti.xml`, signed by its delegate and attached to a PEC,
//! and gets `Esiti.xml` back (`../shared/docs/registries.md` 2.2-2.5).
//!
//! The official XSDs (`ComunicazioneSoggetti.xsd`, `TipiBaseReGIndE.xsd`) are
//! not public (registries.md 2.7). The file written here follows the documented
//! *semantics* of [ReGIndE-v1] §2.5 with element names of our own, and
//! validates against the project's schema `schema/ComunicazioniSoggetti.xsd`;
//! once the official XSD is obtained, [`xml`] and the schema change together.
//!
//! - [`Soggetto`]: what one subject carries, built from a [`Member`] and checked
//!   so that the file validates;
//! - [`whole_roll`] and [`incremental`]: the two kinds of communication;
//! - [`xml`]: the file; [`esiti`]: the answer.

pub mod esiti;
pub mod xml;

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::PostalAddress;
use crate::{Member, MemberStatus, TaxId};

/// The file name of the 2011 GU text and [ReGIndE-v1]; the PST sheet spells
/// it `ComunicazioneSoggetti.xml` (registries.md 2.3): emit what the
/// Ministry's answer to the censimento asks for.
pub const FILE_NAME: &str = "ComunicazioniSoggetti.xml";

/// Operazione richiesta ([ReGIndE-v1] §2.5). A *modifica* is carried out as a
/// deletion and a re-insertion; the operation is ignored in a whole roll.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operazione {
    Inserimento,
    Cancellazione,
    Modifica,
}

/// Ruolo ([ReGIndE-v1] §2.5). Doctors and social workers as court experts are
/// "Altro Professionista" (registries.md 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ruolo {
    Avvocato,
    AvvocatoEntePubblico,
    FunzionarioEntePubblico,
    AltroProfessionista,
}

/// Stato ([ReGIndE-v1] §2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stato {
    Attivo,
    Sospeso,
    Radiato,
    Cancellato,
}

impl From<MemberStatus> for Stato {
    fn from(status: MemberStatus) -> Stato {
        match status {
            MemberStatus::Active => Stato::Attivo,
            MemberStatus::Suspended => Stato::Sospeso,
            MemberStatus::StruckOff => Stato::Radiato,
            MemberStatus::Cancelled => Stato::Cancellato,
        }
    }
}

/// One subject as ReGIndE holds it (SOGGETTI and INDIRIZZI of [ReGIndE-v1] §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Soggetto {
    pub codice_fiscale: TaxId,
    pub surname: String,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_municipality: Option<String>,
    pub birth_province: Option<String>,
    pub pec: Option<String>,
    pub role: Ruolo,
    pub status: Stato,
    /// Domicilio legale (type D), required: at least one per subject.
    pub legal_domicile: PostalAddress,
    /// The member's ordinary e-mail, on the legal-domicile address.
    pub email: Option<String>,
}

/// Why a member cannot be put in the file as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{codice_fiscale}: {problem}")]
pub struct SoggettoError {
    pub codice_fiscale: TaxId,
    pub problem: String,
}

/// ReGIndE column sizes ([ReGIndE-v1] §5): PEC VARCHAR2(256), provincia (4),
/// CAP (5); the project's schema holds every other text to 256 characters too.
const TEXT_MAX: usize = 256;
const PROVINCE_MAX: usize = 4;

impl Soggetto {
    /// The subject of a court expert, with the official PEC if any (a member
    /// suspended for want of one is still sent, as *sospeso*).
    pub fn from_member(member: &Member, pec: Option<&str>) -> Result<Soggetto, SoggettoError> {
        let fail = |problem: String| SoggettoError {
            codice_fiscale: member.codice_fiscale.clone(),
            problem,
        };
        let domicile = member
            .legal_domicile
            .clone()
            .ok_or_else(|| fail("no legal domicile (domicilio legale), which ReGIndE requires".into()))?;
        let soggetto = Soggetto {
            codice_fiscale: member.codice_fiscale.clone(),
            surname: member.surname.trim().to_owned(),
            name: member.name.trim().to_owned(),
            birth_date: member.birth_date,
            birth_municipality: member.birth_place.as_ref().map(|p| p.municipality.trim().to_owned()),
            birth_province: member.birth_place.as_ref().and_then(|p| p.province.clone()),
            pec: pec.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
            role: Ruolo::AltroProfessionista,
            status: member.status.into(),
            legal_domicile: PostalAddress {
                street: domicile.street.trim().to_owned(),
                postcode: domicile.postcode.trim().to_owned(),
                municipality: domicile.municipality.trim().to_owned(),
                province: domicile.province.trim().to_owned(),
                ..domicile
            },
            email: member.email.clone(),
        };
        soggetto.problem().map_or(Ok(soggetto), |p| Err(fail(p)))
    }

    /// The first thing that would make the file fail the schema.
    fn problem(&self) -> Option<String> {
        let d = &self.legal_domicile;
        let required = [
            ("surname", self.surname.as_str()),
            ("name", self.name.as_str()),
            ("legal domicile's street", d.street.as_str()),
            ("legal domicile's municipality", d.municipality.as_str()),
            ("legal domicile's province", d.province.as_str()),
        ];
        if let Some((what, _)) = required.iter().find(|(_, v)| v.is_empty()) {
            return Some(format!("the {what} is empty"));
        }
        if d.postcode.len() != 5 || !d.postcode.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!("the legal domicile's CAP \"{}\" is not 5 digits", d.postcode));
        }
        for province in [Some(&d.province), self.birth_province.as_ref()].into_iter().flatten() {
            if province.chars().count() > PROVINCE_MAX {
                return Some(format!(
                    "the province \"{province}\" is longer than {PROVINCE_MAX} characters"
                ));
            }
        }
        if self
            .pec
            .as_ref()
            .is_some_and(|p| p.contains(char::is_whitespace) || p.split('@').count() != 2)
        {
            return Some(format!(
                "the PEC \"{}\" is not an e-mail address",
                self.pec.as_deref().unwrap_or_default()
            ));
        }
        if let Some(long) = self.texts().find(|t| t.chars().count() > TEXT_MAX) {
            return Some(format!("\"{long}\" is longer than {TEXT_MAX} characters"));
        }
        if self.texts().any(|t| t.chars().any(|c| c.is_control())) {
            return Some("a field holds a control character, which XML cannot carry".into());
        }
        None
    }

    fn texts(&self) -> impl Iterator<Item = &str> {
        let d = &self.legal_domicile;
        [
            Some(self.surname.as_str()),
            Some(&self.name),
            self.birth_municipality.as_deref(),
            self.birth_province.as_deref(),
            self.pec.as_deref(),
            Some(&d.street),
            Some(&d.municipality),
            Some(&d.province),
            d.phone.as_deref(),
            d.fax.as_deref(),
            self.email.as_deref(),
        ]
        .into_iter()
        .flatten()
    }
}

impl fmt::Display for Operazione {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operazione::Inserimento => "inserimento",
            Operazione::Cancellazione => "cancellazione",
            Operazione::Modifica => "modifica",
        })
    }
}

impl fmt::Display for Ruolo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ruolo::Avvocato => "Avvocato",
            Ruolo::AvvocatoEntePubblico => "Avvocato Ente Pubblico",
            Ruolo::FunzionarioEntePubblico => "Funzionario Ente Pubblico",
            Ruolo::AltroProfessionista => "Altro Professionista",
        })
    }
}

impl fmt::Display for Stato {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stato::Attivo => "attivo",
            Stato::Sospeso => "sospeso",
            Stato::Radiato => "radiato",
            Stato::Cancellato => "cancellato",
        })
    }
}

/// One communication to ReGIndE: the whole roll, or the changes since the last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comunicazione {
    /// Ente mittente: the Order's code (its partita IVA, registries.md 2.4).
    pub codice_ente: String,
    /// Comunicazione intero albo: ReGIndE replaces all the body's subjects with these.
    pub whole_roll: bool,
    /// Sorted by codice fiscale. The operation is `None` in a whole roll.
    pub subjects: Vec<(Option<Operazione>, Soggetto)>,
}

/// The subjects by codice fiscale, as sent or as they are today.
pub type Subjects = BTreeMap<TaxId, Soggetto>;

/// The court experts among `members` (with their official PEC) as subjects,
/// and the members that cannot be sent, each with the reason. Pass the court
/// experts who left the roll since the last communication too: ReGIndE then
/// records them as *cancellato* or *radiato*.
pub fn subjects<'a>(
    members: impl IntoIterator<Item = (&'a Member, Option<&'a str>)>,
) -> (Subjects, Vec<SoggettoError>) {
    let mut out = Subjects::new();
    let mut refused = Vec::new();
    for (member, pec) in members.into_iter().filter(|(m, _)| m.ctu) {
        match Soggetto::from_member(member, pec) {
            Ok(s) => {
                out.insert(s.codice_fiscale.clone(), s);
            }
            Err(e) => refused.push(e),
        }
    }
    (out, refused)
}

/// The whole roll: every subject, no operation.
pub fn whole_roll(codice_ente: &str, today: &Subjects) -> Comunicazione {
    Comunicazione {
        codice_ente: codice_ente.to_owned(),
        whole_roll: true,
        subjects: today.values().map(|s| (None, s.clone())).collect(),
    }
}

/// The changes from `last` (what was sent) to `today`: new subjects are
/// inserted, changed ones modified (status changes included), missing ones
/// deleted with their last sent data. `None` when nothing changed.
pub fn incremental(codice_ente: &str, last: &Subjects, today: &Subjects) -> Option<Comunicazione> {
    let mut keys: Vec<&TaxId> = last.keys().chain(today.keys()).collect();
    keys.sort();
    keys.dedup();
    let subjects: Vec<(Option<Operazione>, Soggetto)> = keys
        .into_iter()
        .filter_map(|cf| match (last.get(cf), today.get(cf)) {
            (None, Some(now)) => Some((Some(Operazione::Inserimento), now.clone())),
            (Some(before), Some(now)) if before != now => Some((Some(Operazione::Modifica), now.clone())),
            (Some(before), None) => Some((Some(Operazione::Cancellazione), before.clone())),
            _ => None,
        })
        .collect();
    (!subjects.is_empty()).then(|| Comunicazione {
        codice_ente: codice_ente.to_owned(),
        whole_roll: false,
        subjects,
    })
}
