//! The PEC duty and its sanction (DL 185/2008 art. 16 c.7-bis, as rewritten by
//! DL 76/2020 art. 37; `../shared/docs/registries.md` 5.2 and 5.4): a member
//! without a digital domicile must be sent a formal warning (*diffida ad
//! adempiere*) giving 30 days; if it is ignored, the Order suspends the member
//! until the domicile is communicated.
//!
//! [`assess`] tells, for one member on a given day, which step of that cycle
//! is due; [`report`] does it for the roll. Pure: the dated diffida records
//! come in, and the caller records what it does (sending, suspending,
//! restoring) as new dated records, so every step stays documented (the
//! suspension is an act that can be challenged).
//!
//! Assumptions where the sources are silent:
//! - the 30 days run from the day the diffida was received (the PEC delivery
//!   receipt, the raccomandata's return card) when known, else from the day it
//!   was sent; the member is to be suspended from the 31st day;
//! - a member with a PEC that is not valid (bounced, inactive, full: the
//!   CNDCEC 2025 position, registries.md 5.1) is treated as one without;
//! - the diffida goes by PEC when the member has an address on file, even an
//!   invalid one (it may still receive), else by letter (registries.md 5.3:
//!   OMCeO Latina's raccomandata); the caller may choose otherwise;
//! - only enrolled members (active or suspended) are bound; a member
//!   suspended for another reason still gets the diffida;
//! - a valid PEC with a diffida still open means restoration, whenever the
//!   address was communicated: the cycle is closed, and lifted if it led to a suspension;
//! - a diffida sent by PEC that was not delivered (a non-delivery notice) is
//!   void: it opens no term, and the next one to that address goes by letter.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{Member, TaxId};

/// DL 185/2008 art. 16 c.7-bis: the term the diffida gives.
pub const DEADLINE_DAYS: u64 = 30;

/// The member's official PEC as the compliance check sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficialPec {
    pub address: String,
    pub communicated_on: NaiveDate,
    /// False when found bounced, inactive or full, or refused by the Order
    /// (an employer's or a CEC-PAC address).
    pub valid: bool,
}

/// How a diffida was sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "channel", content = "to")]
pub enum DiffidaChannel {
    /// To this PEC address.
    Pec(String),
    /// Raccomandata A/R or another delivery with proof.
    Letter,
}

/// One formal warning and what followed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diffida {
    pub sent_on: NaiveDate,
    /// When the member received it, if known; the term runs from here.
    pub received_on: Option<NaiveDate>,
    pub channel: DiffidaChannel,
    /// Protocol number of the act.
    pub protocol: Option<String>,
    /// The day the member was suspended for ignoring it.
    pub suspended_on: Option<NaiveDate>,
    /// The day the cycle was closed (address communicated, suspension lifted).
    pub closed_on: Option<NaiveDate>,
    /// Sent by PEC and not delivered: void.
    #[serde(default)]
    pub undelivered: bool,
}

impl Diffida {
    /// The last day the member may comply.
    pub fn deadline(&self) -> NaiveDate {
        let from = self.received_on.unwrap_or(self.sent_on);
        from.checked_add_days(Days::new(DEADLINE_DAYS))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// What one member's assessment reads (borrowed: a view, not a record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberCompliance<'a> {
    pub member: &'a Member,
    pub pec: Option<&'a OfficialPec>,
    /// Every diffida sent to the member, any order.
    pub diffide: &'a [Diffida],
}

/// The step of the cycle a member is at on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Compliance {
    /// Not enrolled: the duty does not apply.
    NotBound,
    /// A valid official PEC, no open diffida.
    Compliant,
    /// No valid PEC and no open diffida: one is due, by this channel.
    DiffidaDue { channel: DiffidaChannel },
    /// Warned, the term still running.
    Warned { sent_on: NaiveDate, deadline: NaiveDate },
    /// The term passed without a valid PEC: to be suspended.
    ToSuspend { sent_on: NaiveDate, deadline: NaiveDate },
    /// Suspended for want of a PEC, still without one.
    Suspended { since: NaiveDate },
    /// A valid PEC after a diffida: close the cycle, and lift the suspension
    /// if there was one.
    Restored {
        sent_on: NaiveDate,
        suspended_on: Option<NaiveDate>,
        pec_communicated_on: NaiveDate,
    },
}

/// The member's step on `today`.
pub fn assess(input: &MemberCompliance<'_>, today: NaiveDate) -> Compliance {
    if !input.member.status.enrolled() {
        return Compliance::NotBound;
    }
    // The latest diffida not closed; earlier cycles were closed or superseded.
    let open = input
        .diffide
        .iter()
        .filter(|d| d.closed_on.is_none() && !d.undelivered && d.sent_on <= today)
        .max_by_key(|d| d.sent_on);
    let valid = input.pec.filter(|p| p.valid);
    match (valid, open) {
        (Some(pec), Some(d)) => Compliance::Restored {
            sent_on: d.sent_on,
            suspended_on: d.suspended_on,
            pec_communicated_on: pec.communicated_on,
        },
        (Some(_), None) => Compliance::Compliant,
        (None, None) => Compliance::DiffidaDue {
            channel: match input.pec {
                Some(p) if !bounced(input.diffide, &p.address) => DiffidaChannel::Pec(p.address.clone()),
                _ => DiffidaChannel::Letter,
            },
        },
        (None, Some(d)) => match d.suspended_on {
            Some(since) => Compliance::Suspended { since },
            None if today > d.deadline() => Compliance::ToSuspend {
                sent_on: d.sent_on,
                deadline: d.deadline(),
            },
            None => Compliance::Warned {
                sent_on: d.sent_on,
                deadline: d.deadline(),
            },
        },
    }
}

/// A diffida sent by PEC to `address` was not delivered.
fn bounced(diffide: &[Diffida], address: &str) -> bool {
    diffide
        .iter()
        .any(|d| d.undelivered && matches!(&d.channel, DiffidaChannel::Pec(a) if a.eq_ignore_ascii_case(address)))
}

/// The roll's compliance on a day, each list sorted by codice fiscale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Enrolled members without a valid official PEC (every step below but restored).
    pub without_valid_pec: Vec<TaxId>,
    pub diffida_due: Vec<(TaxId, DiffidaChannel)>,
    /// Warned, term running: (member, deadline).
    pub warned: Vec<(TaxId, NaiveDate)>,
    /// Term passed: (member, deadline).
    pub to_suspend: Vec<(TaxId, NaiveDate)>,
    pub suspended: Vec<TaxId>,
    /// Communicated a valid address after a diffida: (member, was suspended).
    pub restored: Vec<(TaxId, bool)>,
}

pub fn report<'a>(members: impl IntoIterator<Item = MemberCompliance<'a>>, today: NaiveDate) -> Report {
    let mut report = Report::default();
    for input in members {
        let cf = input.member.codice_fiscale.clone();
        let state = assess(&input, today);
        if matches!(
            state,
            Compliance::DiffidaDue { .. }
                | Compliance::Warned { .. }
                | Compliance::ToSuspend { .. }
                | Compliance::Suspended { .. }
        ) {
            report.without_valid_pec.push(cf.clone());
        }
        match state {
            Compliance::DiffidaDue { channel } => report.diffida_due.push((cf, channel)),
            Compliance::Warned { deadline, .. } => report.warned.push((cf, deadline)),
            Compliance::ToSuspend { deadline, .. } => report.to_suspend.push((cf, deadline)),
            Compliance::Suspended { .. } => report.suspended.push(cf),
            Compliance::Restored { suspended_on, .. } => report.restored.push((cf, suspended_on.is_some())),
            Compliance::NotBound | Compliance::Compliant => {}
        }
    }
    report.without_valid_pec.sort();
    report.diffida_due.sort_by(|a, b| a.0.cmp(&b.0));
    report.warned.sort();
    report.to_suspend.sort();
    report.suspended.sort();
    report.restored.sort();
    report
}
