//! The PEC duty of DL 185/2008 art. 16 c.7-bis (as rewritten by DL 76/2020
//! art. 37): members without a valid PEC are warned (diffida, [`super::campaign`]),
//! given 30 days, then listed for suspension; a member who communicates an
//! address is restored ([`super::members::set_pec`]). Every step is a dated row
//! of the store's `registry_compliance`, so the cycle can be shown later.
//!
//! The steps: `warned` (by PEC, detail the address) and `letter` open a cycle;
//! `received` / `undelivered` say what became of a diffida sent by PEC through
//! this installation (they name its message); `suspension-listed` records the
//! day the member appeared on the list to suspend; `suspended` the Order's act;
//! `restored` closes the cycle.

use std::collections::HashMap;

use chrono::NaiveDate;
use registry::compliance::{self, Compliance, Diffida, DiffidaChannel, MemberCompliance, Report};
use registry::{Member, MemberStatus, TaxId};
use serde::Serialize;
use store::pec::RecipientState;
use store::registry::{self as reg, StoredMember, StoredStep};

use super::roll::Roll;
use super::stored;
use crate::{Error, Office, Result};

/// The roll's compliance on a day.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceReport {
    #[serde(skip)]
    pub order: String,
    pub date: NaiveDate,
    pub report: Report,
}

/// Who lacks a valid PEC, is due a warning, is warned, is to be suspended, is
/// restored, on `on` (default today), after recording what became of the
/// diffide sent by PEC.
pub async fn report(office: &Office, order: &str, on: Option<NaiveDate>) -> Result<ComplianceReport> {
    let on = on.unwrap_or_else(|| office.today());
    let mut tx = office.store().begin().await?;
    let roll = current_roll(&mut tx, order, office.now_ms()).await?;
    tx.commit().await?;
    let (report, _) = assess(&roll, on)?;
    Ok(ComplianceReport {
        order: roll.order.code,
        date: on,
        report,
    })
}

/// The members past the 30 days, as `compliance due` lists them.
#[derive(Debug, Clone, Serialize)]
pub struct DueReport {
    pub order: String,
    pub date: NaiveDate,
    /// They were suspended, not only listed.
    pub suspended: bool,
    pub members: Vec<DueMember>,
}

/// A member to suspend. (Serialised as `compliance due --json` prints it: the
/// codice fiscale and the deadline.)
#[derive(Debug, Clone, Serialize)]
pub struct DueMember {
    pub codice_fiscale: TaxId,
    pub deadline: NaiveDate,
    #[serde(skip)]
    pub surname: String,
    #[serde(skip)]
    pub name: String,
}

/// The members to suspend on `on` (default today): warned, the 30 days passed,
/// still without a valid PEC. Each is listed once per cycle (a
/// `suspension-listed` step on the first day found past the deadline); with
/// `suspend`, suspended now (status and step). One transaction.
pub async fn due(office: &Office, order: &str, on: Option<NaiveDate>, suspend: bool) -> Result<DueReport> {
    let on = on.unwrap_or_else(|| office.today());
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    let roll = current_roll(&mut tx, order, now).await?;
    let (report, by_cf) = assess(&roll, on)?;
    let mut members = Vec::with_capacity(report.to_suspend.len());
    for (cf, deadline) in &report.to_suspend {
        let (stored, member) = by_cf[cf.as_str()];
        let listed = roll
            .steps_of(stored.id)
            .iter()
            .any(|s| s.kind == "suspension-listed" && s.detail == deadline.to_string());
        if !listed {
            reg::add_step(
                &mut tx,
                stored.id,
                "suspension-listed",
                &on.to_string(),
                &deadline.to_string(),
                now,
            )
            .await?;
        }
        if suspend {
            reg::add_step(&mut tx, stored.id, "suspended", &on.to_string(), "", now).await?;
            let mut m = member.clone();
            m.status = MemberStatus::Suspended;
            stored::update_member(&mut tx, stored.id, &m, now).await?;
        }
        members.push(DueMember {
            codice_fiscale: cf.clone(),
            deadline: *deadline,
            surname: member.surname.clone(),
            name: member.name.clone(),
        });
    }
    tx.commit().await?;
    Ok(DueReport {
        order: roll.order.code,
        date: on,
        suspended: suspend,
        members,
    })
}

/// The diffide a member's steps record.
pub(crate) fn diffide(steps: &[StoredStep]) -> Result<Vec<Diffida>> {
    let mut out: Vec<Diffida> = Vec::new();
    // The message that carried each diffida, beside `out`.
    let mut messages: Vec<Option<&str>> = Vec::new();
    for s in steps {
        let on = stored::date(&s.on_date)?;
        if matches!(s.kind.as_str(), "received" | "undelivered") {
            let sent = messages.iter().rposition(|m| m.is_some() && *m == s.message.as_deref());
            if let Some(d) = sent.map(|i| &mut out[i]) {
                if s.kind == "received" {
                    d.received_on = Some(on);
                } else {
                    d.undelivered = true;
                }
            }
            continue;
        }
        let open = out.iter_mut().rev().find(|d| d.closed_on.is_none() && !d.undelivered);
        match s.kind.as_str() {
            "warned" | "letter" => {
                messages.push(s.message.as_deref());
                out.push(Diffida {
                    sent_on: on,
                    received_on: None,
                    channel: if s.kind == "warned" {
                        DiffidaChannel::Pec(s.detail.clone())
                    } else {
                        DiffidaChannel::Letter
                    },
                    protocol: None,
                    suspended_on: None,
                    closed_on: None,
                    undelivered: false,
                })
            }
            "suspended" => {
                if let Some(d) = open {
                    d.suspended_on = Some(on);
                }
            }
            "restored" => {
                if let Some(d) = open {
                    d.closed_on = Some(on);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The outcome of the Order's diffide sent through this installation, from the
/// provider's records of the messages: a `received` step on the day (in Italy)
/// the delivery receipt was issued or received (the 30 days run from it), or an
/// `undelivered` one on the day of the non-delivery notice, which also flags
/// the address as not valid (the diffida is void: the next goes by letter).
/// Messages still under way are left for a later run. The number recorded.
pub(crate) async fn record_deliveries(c: &mut store::Conn, order_code: &str, now: i64) -> Result<usize> {
    let mut recorded = 0;
    for step in reg::pending_deliveries(c, order_code).await? {
        let Some(identificativo) = step.message.as_deref() else {
            continue;
        };
        let Some(message) = store::pec::by_identificativo(c, identificativo).await? else {
            continue;
        };
        let recipients = store::pec::recipients(c, message.id).await?;
        let Some(r) = recipients.iter().find(|r| r.address.eq_ignore_ascii_case(&step.detail)) else {
            continue;
        };
        let on = chrono::DateTime::from_timestamp_millis(r.updated_at)
            .map(|t| t.with_timezone(&chrono_tz::Europe::Rome).date_naive())
            .ok_or_else(|| Error::corrupt(format!("bad time {} in the database", r.updated_at)))?
            .to_string();
        match r.state {
            RecipientState::Delivered => {
                reg::add_message_step(
                    c,
                    step.member_id,
                    "received",
                    &on,
                    &r.address,
                    Some(identificativo),
                    now,
                )
                .await?;
            }
            RecipientState::Failed => {
                let why = r.detail.as_deref().unwrap_or("non-delivery notice");
                reg::add_message_step(c, step.member_id, "undelivered", &on, why, Some(identificativo), now).await?;
                let flag = format!(
                    "the diffida of {} ({identificativo}) was not delivered: {why}",
                    step.on_date
                );
                reg::flag_address(c, &r.address, &flag).await?;
            }
            _ => continue,
        }
        recorded += 1;
    }
    Ok(recorded)
}

/// The Order's roll, after recording what became of its diffide sent by PEC.
pub(crate) async fn current_roll(c: &mut store::Conn, order: &str, now: i64) -> Result<Roll> {
    let code = stored::order(c, order).await?.code;
    record_deliveries(c, &code, now).await?;
    Roll::load(c, &code).await
}

/// After a member communicated `address`: closes an open cycle, and lifts a
/// suspension it led to. What was done, if anything.
pub(crate) async fn restore(
    c: &mut store::Conn,
    stored: &StoredMember,
    member: &Member,
    on: NaiveDate,
    address: &str,
    now: i64,
) -> Result<Option<String>> {
    let steps = reg::steps(c, stored.id).await?;
    let history = reg::pec_history(c, stored.id).await?;
    let pec = history.iter().find(|p| p.official).map(stored::official).transpose()?;
    let diffide = diffide(&steps)?;
    let input = MemberCompliance {
        member,
        pec: pec.as_ref(),
        diffide: &diffide,
    };
    let Compliance::Restored { suspended_on, .. } = compliance::assess(&input, on) else {
        return Ok(None);
    };
    reg::add_step(c, stored.id, "restored", &on.to_string(), address, now).await?;
    if suspended_on.is_some() && member.status == MemberStatus::Suspended {
        let mut m = member.clone();
        m.status = MemberStatus::Active;
        stored::update_member(c, stored.id, &m, now).await?;
        return Ok(Some(format!(
            "suspension of {} lifted, cycle closed",
            suspended_on.unwrap_or(on)
        )));
    }
    Ok(Some("warning cycle closed".into()))
}

/// The members by codice fiscale.
pub(crate) type ByCf<'a> = HashMap<&'a str, (&'a StoredMember, &'a Member)>;

/// The roll's report on `on`, with the members by codice fiscale.
pub(crate) fn assess(roll: &Roll, on: NaiveDate) -> Result<(Report, ByCf<'_>)> {
    let mut all_diffide = HashMap::new();
    for (s, _) in &roll.members {
        all_diffide.insert(s.id, diffide(roll.steps_of(s.id))?);
    }
    let inputs = roll.with_pec().map(|(s, member, pec)| MemberCompliance {
        member,
        pec,
        diffide: &all_diffide[&s.id],
    });
    let report = compliance::report(inputs, on);
    let by_cf = roll
        .members
        .iter()
        .map(|(s, m)| (s.codice_fiscale.as_str(), (s, m)))
        .collect();
    Ok((report, by_cf))
}
