//! An Order's members: one shown with its PEC history, steps and compliance,
//! the roll listed, and a PEC address a member communicated recorded (checked,
//! kept with its history, exactly one official). The roll's import is
//! [`super::import`].

use chrono::NaiveDate;
use registry::compliance::{self, Compliance, MemberCompliance};
use registry::model::Channel;
use registry::{Member, MemberStatus, TaxId, pec_checks};
use serde::Serialize;
use store::registry::{self as reg, NewPec, StoredMember, StoredOrder, StoredPec, StoredStep};

use super::compliance::{diffide, restore};
use super::pec_checker::{CheckLists, Checked, Checker};
use super::stored::{self, tag};
use crate::{Error, Office, Result};

/// A member as `member show` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MemberShown {
    /// The step of the PEC duty's cycle the member is at today.
    pub compliance: Compliance,
    pub member: Member,
    /// Every address communicated, oldest first; exactly one official.
    pub pec: Vec<StoredPec>,
    pub steps: Vec<StoredStep>,
    /// The status as the roll's column holds it (`struck-off`).
    #[serde(skip)]
    pub status: String,
}

pub async fn show(office: &Office, order: &str, codice_fiscale: &str) -> Result<MemberShown> {
    let mut c = office.store().conn().await?;
    let order = stored::order(&mut c, order).await?;
    let (stored, member) = member_of(&mut c, &order, codice_fiscale).await?;
    let history = reg::pec_history(&mut c, stored.id).await?;
    let steps = reg::steps(&mut c, stored.id).await?;
    let pec = history.iter().find(|p| p.official).map(stored::official).transpose()?;
    let diffide = diffide(&steps)?;
    let state = compliance::assess(
        &MemberCompliance {
            member: &member,
            pec: pec.as_ref(),
            diffide: &diffide,
        },
        office.today(),
    );
    Ok(MemberShown {
        compliance: state,
        member,
        pec: history,
        steps,
        status: stored.status,
    })
}

/// Which members [`list`] returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub status: Option<MemberStatus>,
    /// Only the court experts (CTU).
    pub ctu: bool,
}

/// A member of the list, with its official PEC.
#[derive(Debug, Clone, Serialize)]
pub struct ListedMember {
    pub member: Member,
    pub pec: Option<String>,
    /// The status as the roll's column holds it.
    pub status: String,
}

/// The Order's members, by codice fiscale.
pub async fn list(office: &Office, order: &str, filter: Filter) -> Result<Vec<ListedMember>> {
    let mut c = office.store().conn().await?;
    let order = stored::order(&mut c, order).await?;
    let status = filter.status.map(|s| tag(&s));
    let members = reg::members(
        &mut c,
        &order.code,
        reg::MemberFilter {
            status: status.as_deref(),
            ctu: filter.ctu,
        },
    )
    .await?;
    let mut official = stored::official_addresses(&mut c, &order.code).await?;
    members
        .into_iter()
        .map(|m| {
            Ok(ListedMember {
                member: stored::decode(&m)?,
                pec: official.remove(&m.id),
                status: m.status,
            })
        })
        .collect()
}

/// An address a member communicated.
#[derive(Debug, Clone)]
pub struct CommunicatedPec<'a> {
    pub order: &'a str,
    pub codice_fiscale: &'a str,
    pub address: &'a str,
    pub channel: Channel,
    /// The day the Order received it (default today).
    pub date: Option<NaiveDate>,
    pub lists: &'a CheckLists,
}

/// What recording an address did.
#[derive(Debug, Clone, Serialize)]
pub struct PecRecorded {
    pub codice_fiscale: TaxId,
    /// Normalised (lowercase, trimmed).
    pub address: String,
    pub communicated_on: NaiveDate,
    pub channel: Channel,
    /// What the checks found: recorded, never refused.
    pub warnings: Vec<String>,
    /// The warning cycle closed, or the suspension lifted, by this address.
    pub restored: Option<String>,
}

/// Records the address a member communicated; it becomes the official one (the
/// one before is kept in the history). The checks' warnings are reported; an
/// address they find unusable is recorded not valid, with why. A member warned
/// (or suspended) for want of a PEC is restored by a valid one. One transaction.
pub async fn set_pec(office: &Office, new: &CommunicatedPec<'_>) -> Result<PecRecorded> {
    let address = pec_checks::normalise(new.address);
    pec_checks::split(&address).map_err(|e| Error::invalid("address", format!("{address:?}: {e}")))?;
    let day = new.date.unwrap_or_else(|| office.today());
    let now = office.now_ms();
    let mut tx = office.store().begin().await?;
    let order = stored::order(&mut tx, new.order).await?;
    let (stored, member) = member_of(&mut tx, &order, new.codice_fiscale).await?;
    let checked = check(office, &mut tx, &address, &member, new.lists).await?;
    let pec = NewPec {
        address: &address,
        communicated_on: &day.to_string(),
        channel: &tag(&new.channel),
        official: true,
        warnings: &checked.json,
        flag: checked.flag.as_deref(),
    };
    reg::add_pec(&mut tx, stored.id, &pec, now).await?;
    let restored = restore(&mut tx, &stored, &member, day, &address, now).await?;
    tx.commit().await?;
    Ok(PecRecorded {
        codice_fiscale: member.codice_fiscale,
        address,
        communicated_on: day,
        channel: new.channel,
        warnings: checked.warnings,
        restored,
    })
}

/// The checks of `address` (normalised) communicated by `member`, against the
/// official addresses of every member it may clash with.
pub(crate) async fn check(
    office: &Office,
    c: &mut store::Conn,
    address: &str,
    member: &Member,
    lists: &CheckLists,
) -> Result<Checked> {
    let owners: Vec<(String, TaxId)> = reg::official_owners(c, address)
        .await?
        .iter()
        .filter_map(|o| TaxId::parse(o).ok())
        .map(|o| (address.to_owned(), o))
        .collect();
    let checker = Checker::new(office, c, lists, &owners).await?;
    checker.check(c, address, &member.codice_fiscale).await
}

pub(crate) async fn member_of(c: &mut store::Conn, order: &StoredOrder, cf: &str) -> Result<(StoredMember, Member)> {
    let tax_id = TaxId::parse(cf).map_err(|e| Error::invalid("codice_fiscale", e.to_string()))?;
    let stored = reg::member(c, &order.code, tax_id.as_str()).await?.ok_or_else(|| {
        Error::not_found(
            "codice_fiscale",
            format!("{} is not on the roll of Order {}", tax_id.as_str(), order.code),
        )
    })?;
    let member = stored::decode(&stored)?;
    Ok((stored, member))
}
