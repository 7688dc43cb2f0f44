//! A roll imported: a CSV, or an Excel workbook's first sheet
//! (`registry::roll`), every row reported imported, updated, unchanged or
//! rejected with its reasons, with the warnings of the PEC checks
//! ([`super::pec_checker`]). All or nothing: one transaction, so a failure
//! leaves the roll as it was.

use std::collections::HashMap;

use chrono::NaiveDate;
use registry::model::Channel;
use registry::pec_checks;
use registry::roll::{Verdict, parse_roll, xlsx};
use registry::{Member, TaxId};
use serde::Serialize;
use store::registry::{self as reg, MemberFilter, MemberRow, NewPec, StoredMember};
use store::sqlx::Acquire as _;

use super::pec_checker::{CheckLists, Checked, Checker};
use super::stored::{self, member_row, tag};
use crate::{Error, Office, Result};

/// A roll file to import.
#[derive(Debug, Clone)]
pub struct RollFile<'a> {
    pub order: &'a str,
    /// The file's bytes: an .xlsx workbook (told by its signature), else CSV.
    pub bytes: &'a [u8],
    /// The day PEC addresses in the file count as communicated (default today).
    pub date: Option<NaiveDate>,
    pub lists: &'a CheckLists,
}

/// How far an import is: `done` of `total` rows checked and written (not yet
/// committed). Reported every [`PROGRESS_EVERY`] rows and once all are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

pub const PROGRESS_EVERY: usize = 1000;

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Imported,
    Updated,
    Unchanged,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Imported => "imported",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Rejected => "rejected",
        }
    }
}

/// One row of the file. (Fields in the order `member import --json` has always printed them.)
#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    pub codice_fiscale: Option<String>,
    pub line: u64,
    pub outcome: Outcome,
    /// Why the row was rejected.
    pub reasons: Vec<String>,
    /// What the row's and the PEC checks found: recorded, never refused.
    pub warnings: Vec<String>,
}

/// The whole import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub order: String,
    pub rejected: usize,
    pub rows: Vec<RowReport>,
    pub unchanged: usize,
    pub updated: usize,
}

/// Imports a roll into the Order's: new members added with their PEC, changed
/// ones updated, a new address recorded as the official one (the one before
/// kept in the history).
pub async fn import(
    office: &Office,
    file: &RollFile<'_>,
    progress: &mut (dyn FnMut(ImportProgress) + Send),
) -> Result<ImportReport> {
    let roll = if xlsx::is_xlsx(file.bytes) {
        xlsx::parse_xlsx(file.bytes)
    } else {
        parse_roll(file.bytes)
    }
    .map_err(|e| Error::invalid("file", e.to_string()))?;
    let day = file.date.unwrap_or_else(|| office.today()).to_string();
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    let order = stored::order(&mut tx, file.order).await?;
    let existing: HashMap<String, StoredMember> = reg::members(&mut tx, &order.code, MemberFilter::default())
        .await?
        .into_iter()
        .map(|m| (m.codice_fiscale.clone(), m))
        .collect();
    let mut official = stored::official_addresses(&mut tx, &order.code).await?;
    // Shared addresses: against every Order's official addresses and the file's own.
    let mut book: Vec<(String, TaxId)> = reg::all_official_addresses(&mut tx)
        .await?
        .into_iter()
        .filter_map(|(a, cf)| Some((a, TaxId::parse(&cf).ok()?)))
        .collect();
    book.extend(roll.rows.iter().filter_map(|r| match &r.verdict {
        Verdict::Accepted(a) => Some((
            pec_checks::normalise(a.pec.as_deref()?),
            a.member.codice_fiscale.clone(),
        )),
        Verdict::Rejected { .. } => None,
    }));
    let checker = Checker::new(office, &mut tx, file.lists, &book).await?;
    let channel = tag(&Channel::Import);
    let total = roll.rows.len();
    let mut rows = Vec::with_capacity(total);
    let mut new = Vec::with_capacity(NEW_AT_ONCE);
    for (i, r) in roll.rows.iter().enumerate() {
        if i > 0 && i.is_multiple_of(PROGRESS_EVERY) {
            progress(ImportProgress { done: i, total });
        }
        let accepted = match &r.verdict {
            Verdict::Rejected { reasons } => {
                rows.push(RowReport {
                    line: r.line,
                    codice_fiscale: None,
                    outcome: Outcome::Rejected,
                    reasons: reasons.iter().map(|x| x.to_string()).collect(),
                    warnings: Vec::new(),
                });
                continue;
            }
            Verdict::Accepted(a) => a,
        };
        let member = &accepted.member;
        let cf = member.codice_fiscale.as_str().to_owned();
        let at = |e: store::Error| Error::at(format!("line {} ({cf})", r.line), e);
        let mut warnings: Vec<String> = accepted.warnings.iter().map(|w| w.to_string()).collect();
        let pec = accepted.pec.as_deref().map(pec_checks::normalise);
        let Some(known) = existing.get(&cf) else {
            let pec = match pec {
                Some(address) => {
                    let checked = checker.check(&mut tx, &address, &member.codice_fiscale).await?;
                    warnings.extend(checked.warnings.iter().cloned());
                    Some((address, checked))
                }
                None => None,
            };
            new.push(NewMember {
                line: r.line,
                member,
                status: tag(&member.status),
                data: stored::json(member)?,
                pec,
            });
            if new.len() == NEW_AT_ONCE {
                insert_new(&mut tx, &order.code, &new, &day, &channel, now).await?;
                new.clear();
            }
            rows.push(RowReport {
                line: r.line,
                codice_fiscale: Some(cf),
                outcome: Outcome::Imported,
                reasons: Vec::new(),
                warnings,
            });
            continue;
        };
        let mut outcome = Outcome::Unchanged;
        if stored::decode(known)? != *member {
            let data = stored::json(member)?;
            reg::update_member(&mut tx, known.id, &member_row(member, &tag(&member.status), &data), now)
                .await
                .map_err(at)?;
            outcome = Outcome::Updated;
        }
        if let Some(address) = pec
            && official.get(&known.id) != Some(&address)
        {
            let checked = checker.check(&mut tx, &address, &member.codice_fiscale).await?;
            warnings.extend(checked.warnings.iter().cloned());
            let new = imported_pec(&address, &checked, &day, &channel);
            if official.contains_key(&known.id) {
                reg::add_pec(&mut tx, known.id, &new, now).await.map_err(at)?;
            } else {
                reg::add_first_pec(&mut tx, known.id, &new, now).await.map_err(at)?;
            }
            official.insert(known.id, address);
            outcome = Outcome::Updated;
        }
        rows.push(RowReport {
            line: r.line,
            codice_fiscale: Some(cf),
            outcome,
            reasons: Vec::new(),
            warnings,
        });
    }
    insert_new(&mut tx, &order.code, &new, &day, &channel, now).await?;
    if total > 0 {
        progress(ImportProgress { done: total, total });
    }
    tx.commit()
        .await
        .map_err(|e| Error::at("nothing was imported", store::Error::Db(e)))?;
    let count = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
    Ok(ImportReport {
        order: order.code,
        imported: count(Outcome::Imported),
        updated: count(Outcome::Updated),
        unchanged: count(Outcome::Unchanged),
        rejected: count(Outcome::Rejected),
        rows,
    })
}

/// A member new to the roll, written with others by [`insert_new`].
struct NewMember<'a> {
    line: u64,
    member: &'a Member,
    status: String,
    data: String,
    /// The official address, normalised, and what its checks found.
    pec: Option<(String, Checked)>,
}

fn imported_pec<'a>(address: &'a str, checked: &'a Checked, day: &'a str, channel: &'a str) -> NewPec<'a> {
    NewPec {
        address,
        communicated_on: day,
        channel,
        official: true,
        warnings: &checked.json,
        flag: checked.flag.as_deref(),
    }
}

/// New members written by one [`insert_new`].
const NEW_AT_ONCE: usize = 10 * reg::BATCH;

/// Writes new members with their addresses, [`reg::BATCH`] to a statement
/// (`reg::insert_members`): a statement per member and per address made the
/// import of 100 000 members take ~20 s, mostly waiting for round trips to the
/// database (`certa registry bench`). A batch that fails is undone (a
/// savepoint) and written again row by row, so that the error names the row.
async fn insert_new(
    tx: &mut store::Tx,
    order: &str,
    batch: &[NewMember<'_>],
    day: &str,
    channel: &str,
    now: i64,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows: Vec<MemberRow> = batch.iter().map(|n| member_row(n.member, &n.status, &n.data)).collect();
    let mut savepoint = tx.begin().await?;
    let written = async {
        let ids = reg::insert_members(&mut savepoint, order, &rows, now).await?;
        let pecs: Vec<(i64, NewPec)> = ids
            .into_iter()
            .zip(batch)
            .filter_map(|(id, n)| {
                let (address, checked) = n.pec.as_ref()?;
                Some((id, imported_pec(address, checked, day, channel)))
            })
            .collect();
        reg::add_first_pecs(&mut savepoint, &pecs, now).await
    }
    .await;
    if written.is_ok() {
        savepoint.commit().await?;
        return Ok(());
    }
    savepoint.rollback().await?;
    for (n, r) in batch.iter().zip(&rows) {
        let at = |e| Error::at(format!("line {} ({})", n.line, r.codice_fiscale), e);
        let id = reg::insert_member(tx, order, r, now).await.map_err(at)?;
        if let Some((address, checked)) = &n.pec {
            let pec = imported_pec(address, checked, day, channel);
            reg::add_first_pec(tx, id, &pec, now).await.map_err(at)?;
        }
    }
    let lines = (batch[0].line, batch[batch.len() - 1].line);
    written.map_err(|e| Error::at(format!("lines {}-{}", lines.0, lines.1), e))
}
