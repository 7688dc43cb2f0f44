//! The registry's values in the store's form and back: a member is the registry
//! crate's JSON with the columns queries need beside it, a date is `YYYY-MM-DD`
//! text, an enum its kebab-case name (`store::registry`).

use std::collections::HashMap;

use chrono::NaiveDate;
use registry::Member;
use registry::compliance::OfficialPec;
use registry::model::SigningDelegate;
use serde::Serialize;
use store::registry::{self as reg, MemberRow, StoredMember, StoredOrder, StoredPec};

use crate::{Error, Result};

/// A serde enum's kebab-case name (`MemberStatus::StruckOff` is `struck-off`),
/// as the store's columns hold it.
pub fn tag<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The columns of a member's row: `status` its [`tag`], `data` its JSON.
pub fn member_row<'a>(member: &'a Member, status: &'a str, data: &'a str) -> MemberRow<'a> {
    MemberRow {
        codice_fiscale: member.codice_fiscale.as_str(),
        surname: &member.surname,
        status,
        ctu: member.ctu,
        data,
    }
}

/// A value as the JSON the store keeps.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::corrupt(format!("cannot write JSON: {e}")))
}

/// Writes `member`'s new data on its row.
pub(crate) async fn update_member(c: &mut store::Conn, id: i64, member: &Member, now: i64) -> Result<()> {
    let data = json(member)?;
    reg::update_member(c, id, &member_row(member, &tag(&member.status), &data), now).await?;
    Ok(())
}

pub(crate) fn decode(m: &StoredMember) -> Result<Member> {
    serde_json::from_str(&m.data).map_err(|e| {
        Error::corrupt(format!(
            "member {} of Order {} stored in the database is not valid: {e}",
            m.codice_fiscale, m.order_code
        ))
    })
}

pub(crate) fn date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Error::corrupt(format!("bad date {text:?} in the database")))
}

pub(crate) fn official(p: &StoredPec) -> Result<OfficialPec> {
    Ok(OfficialPec {
        address: p.address.clone(),
        communicated_on: date(&p.communicated_on)?,
        valid: p.valid,
    })
}

/// The Order named by `order` (any case).
pub(crate) async fn order(c: &mut store::Conn, code: &str) -> Result<StoredOrder> {
    reg::order(c, code)
        .await?
        .ok_or_else(|| Error::not_found("order", format!("no Order {code:?} on this installation")))
}

/// The Order's registered signing delegate, if any.
pub(crate) fn delegate(o: &StoredOrder) -> Result<Option<SigningDelegate>> {
    o.delegate
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| {
            Error::corrupt(format!(
                "the signing delegate of Order {} stored in the database is not valid: {e}",
                o.code
            ))
        })
}

/// The official address of each member of the Order, by member id.
pub(crate) async fn official_addresses(c: &mut store::Conn, order: &str) -> Result<HashMap<i64, String>> {
    Ok(reg::official_pecs(c, order)
        .await?
        .into_iter()
        .map(|p| (p.member_id, p.address))
        .collect())
}
