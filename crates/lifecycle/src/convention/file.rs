#![doc = include_str!("format.md")]

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::Deserialize;

use super::{
    Channel, Convention, ExpiryPolicy, NoticeKind, NoticeSchedule, OfferWindow, Payer, PayerPeriod, Plan, Price,
    RenewalMode,
};
use crate::money::{Money, VatRate};

/// A rule broken by a convention file, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The path of the field, e.g. `plans[0].notices.every_days`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConventionError {
    /// Not TOML, a missing key, an unknown key or a value of the wrong type;
    /// toml's message names the key and the line.
    // Transparent: the message is the inner one, said once (a prefix with
    // `{0}` AND a source would print it twice in an error chain).
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ValidationError {
    ValidationError {
        field: field.into(),
        message: message.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConvention {
    code: String,
    order: String,
    domains: Vec<String>,
    time_zone: Option<String>,
    offer: RawOffer,
    common_expiry: Option<toml::Value>,
    list_price: Option<RawPrice>,
    cancellation_address: Option<String>,
    #[serde(default)]
    payers: Vec<RawPayer>,
    plans: Vec<RawPlan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffer {
    from: toml::Value,
    to: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    net: toml::Value,
    vat: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPayer {
    payer: Payer,
    from: Option<toml::Value>,
    to: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    name: String,
    first_term_months: i64,
    renewal_term_months: Option<i64>,
    net: toml::Value,
    vat: Option<toml::Value>,
    quota: toml::Value,
    renewal: RenewalMode,
    notices: RawNotices,
    notice_at: Option<String>,
    channels: Vec<Channel>,
    expiry: RawExpiry,
    retention_days: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotices {
    before: Option<Vec<i64>>,
    after: Option<Vec<i64>>,
    every_days: Option<i64>,
    from_days_before: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpiry {
    policy: String,
    at: Option<String>,
    days: Option<i64>,
    then_close: Option<bool>,
}

impl Convention {
    /// Parses and validates a convention file (format in [`self::file`](crate::convention::file)).
    pub fn from_toml(text: &str) -> Result<Convention, ConventionError> {
        let raw: RawConvention = toml::from_str(text)?;
        Ok(convert(raw)?)
    }
}

fn convert(raw: RawConvention) -> Result<Convention, ValidationError> {
    let code = raw.code.trim().to_owned();
    if code.is_empty() {
        return Err(invalid(
            "code",
            "empty: give the code members type when buying, e.g. OMCEO-AL-0056",
        ));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(invalid(
            "code",
            format!("\"{code}\" may hold only letters, digits, '-', '_' and '.'"),
        ));
    }
    if raw.order.trim().is_empty() {
        return Err(invalid("order", "empty: name the Order the convention was made with"));
    }
    if raw.domains.is_empty() {
        return Err(invalid("domains", "empty: give at least one mailbox domain"));
    }
    for (i, domain) in raw.domains.iter().enumerate() {
        let plausible = domain.contains('.')
            && domain.split('.').all(|l| {
                !l.is_empty() && !l.starts_with('-') && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !plausible {
            return Err(invalid(
                format!("domains[{i}]"),
                format!("\"{domain}\" is not a domain name"),
            ));
        }
    }
    let time_zone = match &raw.time_zone {
        None => chrono_tz::Europe::Rome,
        Some(name) => name.parse::<Tz>().map_err(|_| {
            invalid(
                "time_zone",
                format!("unknown time zone \"{name}\": use an IANA name such as Europe/Rome"),
            )
        })?,
    };
    let offer = OfferWindow {
        from: date(&raw.offer.from, "offer.from")?,
        to: raw.offer.to.as_ref().map(|v| date(v, "offer.to")).transpose()?,
    };
    if let Some(to) = offer.to
        && to < offer.from
    {
        return Err(invalid(
            "offer.to",
            format!("the offer window ends on {to}, before it starts on {}", offer.from),
        ));
    }
    let common_expiry = raw
        .common_expiry
        .as_ref()
        .map(|v| date(v, "common_expiry"))
        .transpose()?;
    let list_price = raw
        .list_price
        .as_ref()
        .map(|p| price(&p.net, p.vat.as_ref(), "list_price."))
        .transpose()?;
    if let Some(address) = &raw.cancellation_address
        && !address.contains('@')
    {
        return Err(invalid(
            "cancellation_address",
            format!("\"{address}\" is not an e-mail address"),
        ));
    }
    let payers = payers(&raw.payers)?;
    if raw.plans.is_empty() {
        return Err(invalid("plans", "no plan: a convention sells at least one"));
    }
    let mut names = HashSet::new();
    let mut plans = Vec::with_capacity(raw.plans.len());
    for (i, raw_plan) in raw.plans.iter().enumerate() {
        let plan = plan(raw_plan, &format!("plans[{i}]."))?;
        if !names.insert(plan.name.clone()) {
            return Err(invalid(
                format!("plans[{i}].name"),
                format!("duplicate plan name \"{}\"", plan.name),
            ));
        }
        plans.push(plan);
    }
    Ok(Convention {
        code,
        order: raw.order.trim().to_owned(),
        domains: raw.domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
        time_zone,
        offer,
        common_expiry,
        list_price,
        payers,
        cancellation_address: raw.cancellation_address,
        plans,
    })
}

fn payers(raw: &[RawPayer]) -> Result<Vec<PayerPeriod>, ValidationError> {
    let mut periods: Vec<PayerPeriod> = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let period = PayerPeriod {
            payer: p.payer,
            from: p
                .from
                .as_ref()
                .map(|v| date(v, &format!("payers[{i}].from")))
                .transpose()?,
            to: p.to.as_ref().map(|v| date(v, &format!("payers[{i}].to"))).transpose()?,
        };
        if let (Some(from), Some(to)) = (period.from, period.to)
            && to < from
        {
            return Err(invalid(
                format!("payers[{i}].to"),
                format!("the period ends on {to}, before it starts on {from}"),
            ));
        }
        for (j, other) in periods.iter().enumerate() {
            let starts_before_other_ends = match (period.from, other.to) {
                (Some(from), Some(to)) => from <= to,
                _ => true,
            };
            let ends_after_other_starts = match (period.to, other.from) {
                (Some(to), Some(from)) => to >= from,
                _ => true,
            };
            if starts_before_other_ends && ends_after_other_starts {
                return Err(invalid(
                    format!("payers[{i}]"),
                    format!("overlaps payers[{j}]: who pays would be ambiguous"),
                ));
            }
        }
        periods.push(period);
    }
    Ok(periods)
}

fn plan(raw: &RawPlan, at: &str) -> Result<Plan, ValidationError> {
    let name = raw.name.trim().to_owned();
    if name.is_empty() {
        return Err(invalid(format!("{at}name"), "empty plan name"));
    }
    let first_term_months = months(raw.first_term_months, &format!("{at}first_term_months"))?;
    let renewal_term_months = match raw.renewal_term_months {
        None => first_term_months,
        Some(m) => months(m, &format!("{at}renewal_term_months"))?,
    };
    let price = price(&raw.net, raw.vat.as_ref(), at)?;
    let quota_bytes = quota(&raw.quota, &format!("{at}quota"))?;
    let notice_at = match &raw.notice_at {
        None => NaiveTime::MIN,
        Some(text) => time_of_day(text, &format!("{at}notice_at"))?,
    };
    if raw.channels.is_empty() {
        return Err(invalid(
            format!("{at}channels"),
            "empty: notices need \"pec-mailbox\" and/or \"ordinary-email\"",
        ));
    }
    let expiry = expiry(&raw.expiry, &format!("{at}expiry."))?;
    let retention_days = non_negative(raw.retention_days, &format!("{at}retention_days"))?;
    let plan = Plan {
        name,
        first_term_months,
        renewal_term_months,
        price,
        quota_bytes,
        renewal: raw.renewal,
        notices: notices(&raw.notices, &format!("{at}notices"))?,
        notice_at,
        channels: dedup(&raw.channels),
        expiry,
        retention_days,
    };
    check_schedule_fires(&plan, &format!("{at}notices"))?;
    Ok(plan)
}

fn dedup(channels: &[Channel]) -> Vec<Channel> {
    let mut out = channels.to_vec();
    out.sort();
    out.dedup();
    out
}

fn notices(raw: &RawNotices, at: &str) -> Result<NoticeSchedule, ValidationError> {
    let offsets = raw.before.is_some() || raw.after.is_some();
    let every = raw.every_days.is_some() || raw.from_days_before.is_some();
    match (offsets, every) {
        (true, true) => Err(invalid(
            at,
            "give either before/after offsets or every_days/from_days_before, not both",
        )),
        (false, false) => Err(invalid(
            at,
            "no notice: give before = [...], after = [...] or every_days/from_days_before",
        )),
        (true, false) => {
            let mut kinds = Vec::new();
            for (i, &days) in raw.before.iter().flatten().enumerate() {
                kinds.push(NoticeKind::Before {
                    days: non_negative(days, &format!("{at}.before[{i}]"))?,
                });
            }
            for (i, &days) in raw.after.iter().flatten().enumerate() {
                let days = non_negative(days, &format!("{at}.after[{i}]"))?;
                kinds.push(if days == 0 {
                    NoticeKind::Before { days: 0 }
                } else {
                    NoticeKind::After { days }
                });
            }
            if kinds.is_empty() {
                return Err(invalid(at, "the offset lists are empty: this schedule never fires"));
            }
            kinds.sort_by_key(|k| k.offset_days());
            kinds.dedup_by_key(|k| k.offset_days());
            Ok(NoticeSchedule::Offsets(kinds))
        }
        (false, true) => {
            let every_days = match raw.every_days {
                None => {
                    return Err(invalid(
                        format!("{at}.every_days"),
                        "missing: how many days between notices",
                    ));
                }
                Some(d) => non_negative(d, &format!("{at}.every_days"))?,
            };
            if every_days == 0 {
                return Err(invalid(
                    format!("{at}.every_days"),
                    "0: a schedule every 0 days never fires",
                ));
            }
            let from_days_before = match raw.from_days_before {
                None => {
                    return Err(invalid(
                        format!("{at}.from_days_before"),
                        "missing: how many days before expiry",
                    ));
                }
                Some(d) => non_negative(d, &format!("{at}.from_days_before"))?,
            };
            Ok(NoticeSchedule::Every {
                every_days,
                from_days_before,
            })
        }
    }
}

/// An after-expiry notice must fall while the mailbox can still be renewed:
/// before it is closed (a closed mailbox can only be bought again), and so
/// before its contents are deleted.
fn check_schedule_fires(plan: &Plan, at: &str) -> Result<(), ValidationError> {
    let NoticeSchedule::Offsets(kinds) = &plan.notices else {
        return Ok(());
    };
    let Some(closure) = plan.expiry.closure_offset_days() else {
        return Ok(());
    };
    for kind in kinds {
        if let NoticeKind::After { days } = *kind
            && days >= closure
        {
            return Err(invalid(
                at,
                format!(
                    "after = {days} falls when the mailbox is already closed ({closure} days after expiry, contents deleted {} days after): it never fires",
                    closure + plan.retention_days
                ),
            ));
        }
    }
    Ok(())
}

fn expiry(raw: &RawExpiry, at: &str) -> Result<ExpiryPolicy, ValidationError> {
    let days = |min: u32| -> Result<u32, ValidationError> {
        let field = format!("{at}days");
        let days = non_negative(
            raw.days.ok_or_else(|| invalid(&field, "missing: how many days"))?,
            &field,
        )?;
        if days < min {
            return Err(invalid(field, format!("must be at least {min}")));
        }
        Ok(days)
    };
    let unexpected = |key: &str, present: bool| -> Result<(), ValidationError> {
        if present {
            return Err(invalid(
                format!("{at}{key}"),
                format!("not used by policy \"{}\"", raw.policy),
            ));
        }
        Ok(())
    };
    match raw.policy.as_str() {
        "deactivate-next-day" => {
            unexpected("at", raw.at.is_some())?;
            unexpected("days", raw.days.is_some())?;
            unexpected("then_close", raw.then_close.is_some())?;
            Ok(ExpiryPolicy::DeactivateNextDay)
        }
        "suspend" => {
            let field = format!("{at}at");
            let time = raw
                .at
                .as_deref()
                .ok_or_else(|| invalid(&field, "missing: the local time of the suspension"))?;
            Ok(ExpiryPolicy::Suspend {
                at: time_of_day(time, &field)?,
                days: days(0)?,
                then_close: raw.then_close.unwrap_or(true),
            })
        }
        "receive-only-grace" => {
            unexpected("at", raw.at.is_some())?;
            unexpected("then_close", raw.then_close.is_some())?;
            Ok(ExpiryPolicy::ReceiveOnlyGrace { days: days(1)? })
        }
        other => Err(invalid(
            format!("{at}policy"),
            format!("unknown policy \"{other}\": use deactivate-next-day, suspend or receive-only-grace"),
        )),
    }
}

fn price(net: &toml::Value, vat: Option<&toml::Value>, at: &str) -> Result<Price, ValidationError> {
    let field = format!("{at}net");
    let text = match net {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        other => {
            return Err(invalid(
                field,
                format!("{other} is not an amount: write it as a string, e.g. \"13.20\""),
            ));
        }
    };
    let net = Money::parse(&text).map_err(|e| invalid(&field, e.to_string()))?;
    let field = format!("{at}vat");
    let vat = match vat {
        None => VatRate::default(),
        Some(toml::Value::String(s)) => VatRate::parse(s).map_err(|e| invalid(&field, e.to_string()))?,
        Some(toml::Value::Integer(i)) => VatRate::parse(&i.to_string()).map_err(|e| invalid(&field, e.to_string()))?,
        Some(other) => return Err(invalid(field, format!("{other} is not a VAT rate: write e.g. \"22\""))),
    };
    Ok(Price { net, vat })
}

fn quota(value: &toml::Value, field: &str) -> Result<u64, ValidationError> {
    let bad = |what: &str| {
        invalid(
            field,
            format!("\"{what}\" is not a size: write e.g. \"1 GB\", \"500 MB\" or bytes"),
        )
    };
    let bytes = match value {
        toml::Value::Integer(i) if *i > 0 => *i as u64,
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (number, unit) = s.split_at(split);
            let number: u64 = number.parse().map_err(|_| bad(s))?;
            let multiplier: u64 = match unit.trim().to_ascii_uppercase().as_str() {
                "" | "B" => 1,
                "KB" | "KIB" => 1 << 10,
                "MB" | "MIB" => 1 << 20,
                "GB" | "GIB" => 1 << 30,
                "TB" | "TIB" => 1 << 40,
                _ => return Err(bad(s)),
            };
            number.checked_mul(multiplier).ok_or_else(|| bad(s))?
        }
        other => return Err(bad(&other.to_string())),
    };
    if bytes == 0 {
        return Err(invalid(field, "a quota of 0 bytes"));
    }
    Ok(bytes)
}

fn months(value: i64, field: &str) -> Result<u32, ValidationError> {
    match value {
        1..=1200 => Ok(value as u32),
        _ => Err(invalid(field, format!("{value} months: a term is 1 to 1200 months"))),
    }
}

fn non_negative(value: i64, field: &str) -> Result<u32, ValidationError> {
    u32::try_from(value).map_err(|_| invalid(field, format!("{value}: must be a whole number of days, 0 or more")))
}

fn time_of_day(text: &str, field: &str) -> Result<NaiveTime, ValidationError> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
        invalid(
            field,
            format!("\"{text}\" is not a time of day: write HH:MM, e.g. \"11:00\""),
        )
    })
}

fn date(value: &toml::Value, field: &str) -> Result<NaiveDate, ValidationError> {
    let bad = |shown: &str| invalid(field, format!("{shown} is not a date: write YYYY-MM-DD"));
    match value {
        toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()).ok_or_else(|| bad(&dt.to_string()))
            }
            _ => Err(bad(&dt.to_string())),
        },
        toml::Value::String(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad(&format!("\"{s}\""))),
        other => Err(bad(&other.to_string())),
    }
}
