//! INI-PEC: the daily delta of the members' PEC positions and the CSV the
//! Order uploads (DM 19/3/2013 art. 4-5; `../shared/docs/registries.md` 1.3
//! and 1.5). [`format`](mod@format) holds the file's configurable details, [`csv`](mod@csv) writes it.
//!
#![doc = include_str!("../inipec.md")]

pub mod csv;
pub mod format;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Member, TaxId};

pub use self::csv::{IniPecError, render_csv};
pub use format::{IniPecEncoding, IniPecFormat, OperationCodes};

/// The fields of one member's INI-PEC position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IniPecRecord {
    pub pec: String,
    pub name: String,
    pub surname: String,
    pub registration_number: String,
    /// Data Iscrizione, sent with an insertion.
    pub registration_date: Option<NaiveDate>,
}

impl IniPecRecord {
    /// Whether an update row is due: the fields every row carries differ.
    fn differs_from(&self, other: &IniPecRecord) -> bool {
        (&self.pec, &self.name, &self.surname, &self.registration_number)
            != (&other.pec, &other.name, &other.surname, &other.registration_number)
    }
}

/// The Order's positions on one day: what is listed, and who left the roll.
/// The state after an upload is the day's state; keep it as the next day's
/// "last sent" (only `listed` is read from it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IniPecState {
    /// Members with a position: enrolled, with an official PEC.
    pub listed: BTreeMap<TaxId, IniPecRecord>,
    /// Members no longer enrolled, with the day they left when known (Data
    /// Cancellazione of their deletion row).
    pub left: BTreeMap<TaxId, Option<NaiveDate>>,
}

impl IniPecState {
    /// Today's state from the members and each one's official PEC (`None`
    /// without a valid one). An enrolled member with a PEC is listed; a member
    /// off the roll is in `left`; an enrolled member without a PEC is neither
    /// (a position sent before is deleted without a date).
    pub fn from_members<'a>(members: impl IntoIterator<Item = (&'a Member, Option<&'a str>)>) -> IniPecState {
        let mut state = IniPecState::default();
        for (member, pec) in members {
            if !member.status.enrolled() {
                state
                    .left
                    .insert(member.codice_fiscale.clone(), member.cancellation_date);
                continue;
            }
            let Some(pec) = pec.map(str::trim).filter(|p| !p.is_empty()) else {
                continue;
            };
            state.listed.insert(
                member.codice_fiscale.clone(),
                IniPecRecord {
                    pec: pec.to_owned(),
                    name: member.name.trim().to_owned(),
                    surname: member.surname.trim().to_owned(),
                    registration_number: member.registration_number.clone().unwrap_or_default(),
                    registration_date: member.registration_date,
                },
            );
        }
        state
    }
}

/// The *Stato* of a row (DM 19/3/2013 art. 4 c.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// A position already sent changed.
    Update,
    /// A new position.
    Insert,
    /// A position no longer enrolled (or no longer with a PEC).
    Delete,
}

/// One row of the upload file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IniPecRow {
    pub codice_fiscale: TaxId,
    pub operation: Operation,
    /// Today's fields; for a deletion, the last sent ones.
    pub record: IniPecRecord,
    /// Data Cancellazione, deletions only.
    pub cancellation_date: Option<NaiveDate>,
}

/// A day's result: rows to upload, or the explicit "nothing changed", which
/// the Order must still confirm on the portal (INI-PEC FAQ 5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "result", content = "rows")]
pub enum DailyDelta {
    NoChanges,
    /// At least one row, sorted by codice fiscale.
    Changes(Vec<IniPecRow>),
}

/// The rows that bring INI-PEC from `last` (what was sent) to `today`.
pub fn daily_delta(last: &IniPecState, today: &IniPecState) -> DailyDelta {
    let mut rows = Vec::new();
    // Both maps are sorted: walk every codice fiscale of either once, in order.
    let mut keys: Vec<&TaxId> = last.listed.keys().chain(today.listed.keys()).collect();
    keys.sort();
    keys.dedup();
    for cf in keys {
        let row = match (last.listed.get(cf), today.listed.get(cf)) {
            (None, Some(now)) => Some((Operation::Insert, now.clone(), None)),
            (Some(before), Some(now)) if now.differs_from(before) => Some((Operation::Update, now.clone(), None)),
            (Some(before), None) => {
                let left_on = today.left.get(cf).copied().flatten();
                Some((Operation::Delete, before.clone(), left_on))
            }
            _ => None,
        };
        if let Some((operation, record, cancellation_date)) = row {
            rows.push(IniPecRow {
                codice_fiscale: cf.clone(),
                operation,
                record,
                cancellation_date,
            });
        }
    }
    if rows.is_empty() {
        DailyDelta::NoChanges
    } else {
        DailyDelta::Changes(rows)
    }
}
