//! The lifecycle policy: what is due for a subscription at a given instant.
//!
//! [`due_actions`] is pure: it reads a subscription, its convention, what was
//! already [`Done`] and `now`, and returns the actions whose time has come. A
//! runner performs them (send the notice, change the mailbox's status, delete
//! the contents), then [`perform`]s them here in the same transaction, so each
//! happens once even across restarts and nodes.
//!
//! The rules, from `../shared/docs/lifecycle.md` ("Renewal notices",
//! "Expiry, suspension, closure" and its scenarios), with the words of the two
//! source notices in `../shared/seeds/` (Aruba and Poste in the doctors' Order's
//! notice of 2018, DCS in the social workers' Order's of 2023-2024):
//!
//! - **Notices** follow the plan's schedule relative to the current expiry, at
//!   the plan's `notice_at` local time. Poste: "a 30 giorni dalla scadenza della
//!   casella, a 5 giorni dalla scadenza e 25 giorni dopo la scadenza"; DCS: "un
//!   avviso ogni settimana a partire da 90 giorni prima della scadenza". Only
//!   the latest notice already due is sent: a runner that was down for three
//!   weeks sends one weekly notice, not three. Notices due before the
//!   activation, after a cancellation, or while the Order pays are not sent;
//!   the ordinary-email channel needs a reference e-mail (DCS: "all’eventuale
//!   casella di posta ordinaria, quando comunicata"; Aruba: "alla mail di
//!   riferimento presente nei dati intestatario").
//! - **Lapse**: when the current expiry passes unrenewed. Suspension happens
//!   at its local time on the expiry day (DCS: "sospesa, a partire dalle ore 11
//!   del giorno di scadenza per i successivi venti giorni"); deactivation and
//!   the receive-only grace at the start of the next local day (Aruba: "Il
//!   giorno successivo alla data di scadenza, qualora non risultino pervenuti
//!   l’ordine di rinnovo ed il relativo pagamento, il servizio verrà
//!   disattivato"). Non-payment is arrears, not cancellation (DCS: "il mancato
//!   pagamento non costituisce disdetta ma morosità").
//! - **Reactivation**: a suspended or receive-only box whose expiry has been
//!   moved past now by a renewal is reactivated at once (lifecycle.md, scenario
//!   2): the suspension only stops the box (DCS: "la sospensione permette di non
//!   perdere i contenuti").
//! - **The Order pays**: when the payer on the expiry date is the Order, the box
//!   renews itself at the lapse (the Order is billed in bulk), whatever the mode
//!   (CROAS: "L'attuale servizio di PEC rimarrà con costi a carico dell'Ordine
//!   sino al 31.12.2023").
//! - **Cancellation** (a PEC to the provider, at its legal time; DCS: "La
//!   casella è a tacito rinnovo quindi deve essere esplicitamente disdettata
//!   inviando una PEC"): no more notices, no tacit renewal; the service ends at
//!   the start of the day after expiry (or at the cancellation, if that is
//!   later), the contents are kept for the retention, then deleted (lifecycle.md,
//!   scenario 5).
//! - **Closure** ends the service; the contents are deleted `retention_days`
//!   later (DCS: 0, "la casella viene chiusa con perdita di tutti i contenuti";
//!   Poste, at the end of its contract: "trascorsi 30 (trenta) giorni, si
//!   riserva il diritto di effettuare la cancellazione dei dati").
//!
//! Each subscription is decided on its own expiry: "la scadenza è individuale e
//! le PEC non scadono tutte contemporaneamente" (CROAS), so notices, suspensions
//! and closures fall on every day of the year.
//!
//! Day counts are local calendar days: 20 days after 11:00 on 10 March is
//! 11:00 on 30 March even across the change to summer time. Local times that
//! do not exist resolve as [`crate::local`] says.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::convention::{Channel, Convention, ExpiryPolicy, NoticeKind, NoticeSchedule, Payer, Plan, add_months};
use crate::local::{instant, start_of_day};
use crate::subscription::{State, Subscription};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Action {
    /// A renewal notice naming `expiry`, due at `due_at`.
    SendNotice {
        kind: NoticeKind,
        channel: Channel,
        expiry: NaiveDate,
        due_at: DateTime<Utc>,
    },
    /// Neither sends nor receives (incoming PEC gets a non-delivery notice).
    Suspend { at: DateTime<Utc> },
    /// Receives but cannot send.
    ReceiveOnly { at: DateTime<Utc> },
    /// Paid while suspended: works again, nothing lost.
    Reactivate { at: DateTime<Utc> },
    /// Unrenewed: the service ends; contents kept for the retention.
    Close { at: DateTime<Utc> },
    /// Messages and blobs no longer referenced are deleted.
    DeleteContents { at: DateTime<Utc> },
    /// Renewed without an order, the Order paying: the expiry moves.
    TacitRenew { at: DateTime<Utc>, new_expiry: NaiveDate },
    /// Cancelled: the service ends at expiry; contents kept for the retention.
    EndService { at: DateTime<Utc> },
}

impl Action {
    /// When the action is due (a reactivation: when it was found due).
    pub fn at(&self) -> DateTime<Utc> {
        match *self {
            Action::SendNotice { due_at, .. } => due_at,
            Action::Suspend { at }
            | Action::ReceiveOnly { at }
            | Action::Reactivate { at }
            | Action::Close { at }
            | Action::DeleteContents { at }
            | Action::TacitRenew { at, .. }
            | Action::EndService { at } => at,
        }
    }

    /// The key under which this action, decided for a subscription expiring on
    /// `expiry`, is recorded as done.
    pub fn key(&self, expiry: NaiveDate) -> DoneKey {
        let step = match *self {
            Action::SendNotice {
                kind, channel, expiry, ..
            } => return DoneKey::Notice { expiry, kind, channel },
            Action::Suspend { .. } => Step::Suspend,
            Action::ReceiveOnly { .. } => Step::ReceiveOnly,
            Action::Reactivate { .. } => Step::Reactivate,
            Action::Close { .. } => Step::Close,
            Action::DeleteContents { .. } => Step::DeleteContents,
            Action::TacitRenew { .. } => Step::TacitRenew,
            Action::EndService { .. } => Step::EndService,
        };
        DoneKey::Transition { expiry, step }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Suspend,
    ReceiveOnly,
    Reactivate,
    Close,
    DeleteContents,
    TacitRenew,
    EndService,
}

/// What makes an action happen once: the expiry it was decided for, and which
/// notice (with its channel) or which transition. A store keeps these per
/// subscription, e.g. as a unique `(mailbox, key)` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "done")]
pub enum DoneKey {
    Notice {
        expiry: NaiveDate,
        kind: NoticeKind,
        channel: Channel,
    },
    Transition {
        expiry: NaiveDate,
        step: Step,
    },
}

/// The notices sent and transitions made for one subscription.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Done {
    keys: BTreeSet<DoneKey>,
}

impl Done {
    pub fn new() -> Done {
        Done::default()
    }

    pub fn contains(&self, key: &DoneKey) -> bool {
        self.keys.contains(key)
    }

    pub fn insert(&mut self, key: DoneKey) -> bool {
        self.keys.insert(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &DoneKey> {
        self.keys.iter()
    }
}

impl FromIterator<DoneKey> for Done {
    fn from_iter<I: IntoIterator<Item = DoneKey>>(iter: I) -> Self {
        Done {
            keys: iter.into_iter().collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("subscription of {mailbox} names convention {actual}, not {given}")]
    WrongConvention {
        mailbox: String,
        actual: String,
        given: String,
    },
    #[error("subscription of {mailbox}: convention {convention} has no plan \"{plan}\"")]
    UnknownPlan {
        mailbox: String,
        convention: String,
        plan: String,
    },
}

/// The actions due for `sub` at `now` and not yet in `done`, in the order to
/// perform them. Allocates nothing beyond the returned vector (none when
/// nothing is due).
pub fn due_actions(
    sub: &Subscription,
    conv: &Convention,
    done: &Done,
    now: DateTime<Utc>,
) -> Result<Vec<Action>, PolicyError> {
    let plan = plan_of(sub, conv)?;
    let tz = conv.time_zone;
    let mut out = Vec::new();
    let push = |out: &mut Vec<Action>, action: Action| {
        if !done.contains(&action.key(sub.expiry)) {
            out.push(action);
        }
    };
    let deletion = |closed_at: DateTime<Utc>| add_local_days(tz, closed_at, plan.retention_days);

    match sub.state {
        State::Deleted { .. } => return Ok(out),
        State::Closed { at } => {
            if now >= deletion(at) {
                push(&mut out, Action::DeleteContents { at: deletion(at) });
            }
            return Ok(out);
        }
        State::Active | State::Suspended { .. } | State::ReceiveOnly { .. } => {}
    }

    // CROAS: "con costi a carico dell'Ordine sino al 31.12.2023": the payer
    // is the one of the period the expiry falls in.
    let order_pays = conv.payer_on(sub.expiry) == Payer::Order;
    let cancelled = sub.cancelled_at.is_some_and(|t| t <= now);
    if !cancelled && !order_pays {
        push_notice(&mut out, sub, plan, tz, done, now);
    }

    let day_after = start_of_day(tz, next_day(sub.expiry));
    // lifecycle.md, scenario 5: a cancelled box gets no further notices and
    // serves until its expiry; its data is kept for the retention.
    if let Some(cancelled_at) = sub.cancelled_at.filter(|_| cancelled) {
        let end = day_after.max(cancelled_at);
        if now >= end {
            drop_notices(&mut out);
            push(&mut out, Action::EndService { at: end });
            if now >= deletion(end) {
                push(&mut out, Action::DeleteContents { at: deletion(end) });
            }
        }
        return Ok(out);
    }

    let lapse = match plan.expiry {
        // DCS: "a partire dalle ore 11 del giorno di scadenza".
        ExpiryPolicy::Suspend { at, .. } => instant(tz, sub.expiry, at),
        // Aruba: "Il giorno successivo alla data di scadenza".
        ExpiryPolicy::DeactivateNextDay | ExpiryPolicy::ReceiveOnlyGrace { .. } => day_after,
    };
    if now < lapse {
        // lifecycle.md, scenario 2: paid during the suspension, reactivated at
        // once, the next expiry counted from the old one.
        if matches!(sub.state, State::Suspended { .. } | State::ReceiveOnly { .. }) {
            push(&mut out, Action::Reactivate { at: now });
        }
        return Ok(out);
    }
    if order_pays {
        let new_expiry = add_months(sub.expiry, plan.renewal_term_months);
        push(&mut out, Action::TacitRenew { at: lapse, new_expiry });
        return Ok(out);
    }

    let active = sub.state == State::Active;
    let close_at = match plan.expiry {
        // Aruba: "il servizio verrà disattivato e la casella cesserà di funzionare".
        ExpiryPolicy::DeactivateNextDay => Some(lapse),
        // DCS: "per i successivi venti giorni ... Trascorsi i venti giorni e
        // comunque entro 30 giorni dalla data di sospensione, perdurando la
        // morosità, la casella viene chiusa".
        ExpiryPolicy::Suspend { at, days, then_close } => {
            if active {
                push(&mut out, Action::Suspend { at: lapse });
            }
            then_close.then(|| instant(tz, add_days(sub.expiry, days), at))
        }
        ExpiryPolicy::ReceiveOnlyGrace { days } => {
            if active {
                push(&mut out, Action::ReceiveOnly { at: lapse });
            }
            Some(start_of_day(tz, add_days(next_day(sub.expiry), days)))
        }
    };
    if let Some(close_at) = close_at.filter(|&t| now >= t) {
        push(&mut out, Action::Close { at: close_at });
        if now >= deletion(close_at) {
            push(&mut out, Action::DeleteContents { at: deletion(close_at) });
        }
        drop_notices(&mut out);
    }
    Ok(out)
}

/// A notice found due together with the closure is stale (a runner that was
/// down): a closed box cannot be renewed, so there is nothing to notify.
fn drop_notices(out: &mut Vec<Action>) {
    out.retain(|a| !matches!(a, Action::SendNotice { .. }));
}

/// Records `action` as done for `sub` and applies its effect on the
/// subscription's state. Call it once the runner has performed the action.
pub fn perform(sub: &mut Subscription, done: &mut Done, action: &Action) {
    done.insert(action.key(sub.expiry));
    match *action {
        Action::SendNotice { .. } => {}
        Action::Suspend { at } => sub.state = State::Suspended { since: at },
        Action::ReceiveOnly { at } => sub.state = State::ReceiveOnly { since: at },
        Action::Reactivate { .. } => sub.state = State::Active,
        Action::Close { at } | Action::EndService { at } => sub.state = State::Closed { at },
        Action::DeleteContents { at } => sub.state = State::Deleted { at },
        Action::TacitRenew { new_expiry, .. } => sub.expiry = new_expiry,
    }
}

fn plan_of<'c>(sub: &Subscription, conv: &'c Convention) -> Result<&'c Plan, PolicyError> {
    if sub.convention != conv.code {
        return Err(PolicyError::WrongConvention {
            mailbox: sub.mailbox.clone(),
            actual: sub.convention.clone(),
            given: conv.code.clone(),
        });
    }
    conv.plan(&sub.plan).ok_or_else(|| PolicyError::UnknownPlan {
        mailbox: sub.mailbox.clone(),
        convention: conv.code.clone(),
        plan: sub.plan.clone(),
    })
}

/// The latest notice of the schedule already due (and not before the
/// activation), on each channel not yet done.
fn push_notice(out: &mut Vec<Action>, sub: &Subscription, plan: &Plan, tz: Tz, done: &Done, now: DateTime<Utc>) {
    let due_at = |kind: NoticeKind| instant(tz, offset_date(sub.expiry, kind.offset_days()), plan.notice_at);
    let latest = match &plan.notices {
        NoticeSchedule::Offsets(kinds) => kinds.iter().rev().map(|&k| (k, due_at(k))).find(|&(_, t)| t <= now),
        NoticeSchedule::Every {
            every_days,
            from_days_before,
        } => {
            let (every, from) = (*every_days, *from_days_before);
            let mut days_before = from % every;
            let mut found = None;
            while days_before <= from {
                let kind = NoticeKind::Recurring { days_before };
                let t = due_at(kind);
                if t <= now {
                    found = Some((kind, t));
                    break;
                }
                days_before += every;
            }
            found
        }
    };
    let Some((kind, due_at)) = latest.filter(|&(_, t)| t >= sub.activated_at) else {
        return;
    };
    for &channel in &plan.channels {
        // DCS: "all’eventuale casella di posta ordinaria, quando comunicata".
        if channel == Channel::OrdinaryEmail && sub.holder.reference_email.is_none() {
            continue;
        }
        let action = Action::SendNotice {
            kind,
            channel,
            expiry: sub.expiry,
            due_at,
        };
        if !done.contains(&action.key(sub.expiry)) {
            out.push(action);
        }
    }
}

fn next_day(date: NaiveDate) -> NaiveDate {
    add_days(date, 1)
}

fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(days.into())).unwrap_or(NaiveDate::MAX)
}

fn offset_date(date: NaiveDate, days: i64) -> NaiveDate {
    let shifted = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    shifted.unwrap_or(if days >= 0 { NaiveDate::MAX } else { NaiveDate::MIN })
}

/// `days` local calendar days after `t`, at the same local time of day.
fn add_local_days(tz: Tz, t: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    if days == 0 {
        return t;
    }
    let local = t.with_timezone(&tz);
    instant(tz, add_days(local.date_naive(), days), local.time())
}
