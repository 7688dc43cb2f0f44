//! Conventions between an Order and a provider, and their plans.
//!
//! Every rule of `../shared/docs/lifecycle.md` is data here, because the
//! notices already disagree: Aruba renews explicitly and deactivates the day
//! after expiry, DCS renews tacitly and suspends at 11:00 on the expiry day,
//! Poste makes every box expire on one common date. The TOML form and its
//! validation are in [`file`]; the policy that reads these rules is
//! [`crate::policy`].

pub mod file;

use chrono::{Months, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::money::{Money, VatRate, gross};

pub use file::{ConventionError, ValidationError};

#[derive(Clone, Debug, PartialEq)]
pub struct Convention {
    /// The code a member types on the provider's portal, e.g. `OMCEO-AL-0056`.
    pub code: String,
    /// The Order the convention was made with.
    pub order: String,
    /// Domains the mailboxes live on (Poste: the Order's own `al.omceo.it`).
    pub domains: Vec<String>,
    /// The zone of the local rules ("11:00 Italian time"); Europe/Rome by default.
    pub time_zone: Tz,
    pub offer: OfferWindow,
    /// Poste: "le caselle PEC rinnovate ... scadranno tutte il 30/09/2019".
    pub common_expiry: Option<NaiveDate>,
    /// Poste: "alla scadenza dell'offerta ... applicherà i prezzi di listino".
    pub list_price: Option<Price>,
    /// Who pays, by period; a date outside every period is paid by the member.
    pub payers: Vec<PayerPeriod>,
    /// Where cancellations are sent as a PEC (DCS: `gestione.servizi@pec.dcssrl.it`).
    pub cancellation_address: Option<String>,
    pub plans: Vec<Plan>,
}

/// Dates on which activations get the convention's prices, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfferWindow {
    pub from: NaiveDate,
    /// `None`: open-ended.
    pub to: Option<NaiveDate>,
}

impl OfferWindow {
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.from && self.to.is_none_or(|to| date <= to)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    pub net: Money,
    pub vat: VatRate,
}

impl Price {
    pub fn gross(&self) -> Money {
        gross(self.net, self.vat)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payer {
    Member,
    /// The Order pays in bulk ("costi a carico dell'Ordine sino al 31.12.2023").
    Order,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayerPeriod {
    pub payer: Payer,
    /// First day, included; `None`: since always.
    pub from: Option<NaiveDate>,
    /// Last day, included; `None`: for ever.
    pub to: Option<NaiveDate>,
}

impl PayerPeriod {
    fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|from| date >= from) && self.to.is_none_or(|to| date <= to)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub name: String,
    pub first_term_months: u32,
    /// Poste: the first term is a year, a renewal "extends by three more years".
    pub renewal_term_months: u32,
    pub price: Price,
    pub quota_bytes: u64,
    pub renewal: RenewalMode,
    pub notices: NoticeSchedule,
    /// Local time of day at which a notice of a given day is due.
    pub notice_at: NaiveTime,
    pub channels: Vec<Channel>,
    pub expiry: ExpiryPolicy,
    /// Days between the closure and the deletion of the contents.
    pub retention_days: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RenewalMode {
    /// Aruba: nothing happens without a renewal order and its payment.
    Explicit,
    /// DCS: renews itself unless cancelled by PEC; non-payment is arrears.
    Tacit,
}

/// When renewal notices are due, relative to the expiry date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeSchedule {
    /// Poste: 30 and 5 days before, 25 days after. Sorted, earliest first;
    /// only `Before` and `After` kinds.
    Offsets(Vec<NoticeKind>),
    /// DCS: "un avviso ogni settimana a partire da 90 giorni prima della
    /// scadenza": days `from_days_before`, `from_days_before - every_days`, ...
    /// down to the expiry day itself.
    Every { every_days: u32, from_days_before: u32 },
}

/// Which notice of a schedule; with the expiry date it names, it is the key
/// that makes each notice be sent once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    Before {
        days: u32,
    },
    After {
        days: u32,
    },
    /// An occurrence of an [`NoticeSchedule::Every`] schedule.
    Recurring {
        days_before: u32,
    },
}

impl NoticeKind {
    /// Days from the expiry date: negative before it.
    pub fn offset_days(self) -> i64 {
        match self {
            NoticeKind::Before { days } => -i64::from(days),
            NoticeKind::After { days } => i64::from(days),
            NoticeKind::Recurring { days_before } => -i64::from(days_before),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// Delivered into the PEC mailbox itself (Poste, DCS).
    PecMailbox,
    /// Sent to the holder's reference e-mail, when given (Aruba, DCS).
    OrdinaryEmail,
}

/// What happens when the expiry date passes without a renewal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryPolicy {
    /// Aruba: "il giorno successivo alla data di scadenza ... il servizio verrà
    /// disattivato": closed at the start of the next local day.
    DeactivateNextDay,
    /// DCS: "sospesa, a partire dalle ore 11 del giorno di scadenza per i
    /// successivi venti giorni"; then, if `then_close`, closed.
    Suspend { at: NaiveTime, days: u32, then_close: bool },
    /// Receives but cannot send from the start of the next local day, for
    /// `days`, then closed.
    ReceiveOnlyGrace { days: u32 },
}

impl ExpiryPolicy {
    /// Days from the expiry date to the closure, `None` if never closed.
    pub fn closure_offset_days(self) -> Option<u32> {
        match self {
            ExpiryPolicy::DeactivateNextDay => Some(1),
            ExpiryPolicy::Suspend {
                days, then_close: true, ..
            } => Some(days),
            ExpiryPolicy::Suspend { then_close: false, .. } => None,
            ExpiryPolicy::ReceiveOnlyGrace { days } => Some(1 + days),
        }
    }
}

impl Plan {
    /// Days from the expiry date to the deletion of the contents, `None` if never.
    pub fn deletion_offset_days(&self) -> Option<u32> {
        self.expiry.closure_offset_days().map(|d| d + self.retention_days)
    }
}

impl Convention {
    pub fn plan(&self, name: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.name == name)
    }

    pub fn payer_on(&self, date: NaiveDate) -> Payer {
        self.payers
            .iter()
            .find(|p| p.contains(date))
            .map_or(Payer::Member, |p| p.payer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown convention code \"{0}\": check the code the Order gave its members")]
pub struct UnknownConvention(pub String);

/// The convention with `code` (codes compare without regard to case or spaces
/// around them, as members type them).
pub fn find<'c>(conventions: &'c [Convention], code: &str) -> Result<&'c Convention, UnknownConvention> {
    let wanted = code.trim();
    conventions
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| UnknownConvention(wanted.to_owned()))
}

/// `date` plus `months`, clamped to the end of a shorter month (31 January +
/// 1 month = 28 or 29 February), as chrono's `checked_add_months` does.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}
