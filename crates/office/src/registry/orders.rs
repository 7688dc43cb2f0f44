//! The Orders whose registries this installation keeps (one installation may
//! serve several; every registry operation names one by its code).

use registry::model::SigningDelegate;
use registry::{CodiceFiscale, PartitaIva, PartitaIvaError, pec_checks};
use serde::Serialize;
use store::registry::{self as reg, StoredOrder};

use super::stored;
use crate::{Error, Office, Result};

/// An Order to register: who it is for the tax office and ReGIndE, its PEC, its
/// signing delegate.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    /// A short code of the installation's choice (`OMCEO-FI`), one word.
    pub code: &'a str,
    pub name: &'a str,
    /// The Order's codice fiscale: 11 digits (see [`order_tax_id`]).
    pub tax_id: &'a str,
    /// The sending body's code in ReGIndE files, assigned at the censimento.
    pub codice_ente: &'a str,
    /// The Order's own PEC, the registered sender of ReGIndE rolls.
    pub pec: &'a str,
    pub delegate: Option<NewDelegate<'a>>,
}

/// The person registered with the Ministry to sign the ReGIndE roll.
#[derive(Debug, Clone)]
pub struct NewDelegate<'a> {
    pub codice_fiscale: &'a str,
    pub surname: &'a str,
    pub name: &'a str,
}

/// An Order as shown, with its members' count. (Fields in the order of the
/// JSON `certa order list|show --json` has always printed.)
#[derive(Debug, Clone, Serialize)]
pub struct OrderReport {
    pub code: String,
    pub codice_ente: String,
    pub delegate: Option<SigningDelegate>,
    pub members: i64,
    pub name: String,
    pub pec: String,
    pub tax_id: String,
}

impl OrderReport {
    fn of(o: StoredOrder, members: i64) -> Result<OrderReport> {
        Ok(OrderReport {
            delegate: stored::delegate(&o)?,
            code: o.code,
            codice_ente: o.codice_ente,
            members,
            name: o.name,
            pec: o.pec,
            tax_id: o.tax_id,
        })
    }
}

/// Registers an Order; every field is checked, and the one at fault named.
pub async fn add(office: &Office, new: &NewOrder<'_>) -> Result<OrderReport> {
    let order = checked(new, office.now_ms())?;
    reg::add_order(&mut *office.store().conn().await?, &order)
        .await
        .map_err(|e| match e {
            store::Error::Conflict(reason) => Error::refused(reason),
            other => other.into(),
        })?;
    OrderReport::of(order, 0)
}

/// Every Order, by code, with its members' count.
pub async fn list(office: &Office) -> Result<Vec<OrderReport>> {
    let mut c = office.store().conn().await?;
    let mut out = Vec::new();
    for o in reg::orders(&mut c).await? {
        let members = reg::member_count(&mut c, &o.code).await?;
        out.push(OrderReport::of(o, members)?);
    }
    Ok(out)
}

/// One Order (`order`: its code, any case).
pub async fn show(office: &Office, order: &str) -> Result<OrderReport> {
    let mut c = office.store().conn().await?;
    let o = stored::order(&mut c, order).await?;
    let members = reg::member_count(&mut c, &o.code).await?;
    OrderReport::of(o, members)
}

fn checked(new: &NewOrder<'_>, now: i64) -> Result<StoredOrder> {
    let code = new.code.trim();
    if code.is_empty() || code.contains(char::is_whitespace) {
        return Err(Error::invalid(
            "code",
            format!("{code:?} must be one word (e.g. OMCEO-FI)"),
        ));
    }
    if new.name.trim().is_empty() {
        return Err(Error::invalid("name", "the Order's name is empty"));
    }
    let tax_id = order_tax_id(new.tax_id)?;
    if new.codice_ente.trim().is_empty() {
        return Err(Error::invalid(
            "codice_ente",
            "empty (the code assigned at the ReGIndE censimento)",
        ));
    }
    let pec = pec_checks::normalise(new.pec);
    pec_checks::split(&pec).map_err(|e| Error::invalid("pec", format!("{pec:?}: {e}")))?;
    let delegate = match &new.delegate {
        Some(d) => {
            let codice_fiscale = CodiceFiscale::parse(d.codice_fiscale)
                .map_err(|e| Error::invalid("delegate", format!("{:?}: {e}", d.codice_fiscale)))?;
            for (field, value) in [("delegate_surname", d.surname), ("delegate_name", d.name)] {
                if value.trim().is_empty() {
                    return Err(Error::invalid(field, "empty"));
                }
            }
            Some(stored::json(&SigningDelegate {
                surname: d.surname.trim().to_owned(),
                name: d.name.trim().to_owned(),
                codice_fiscale,
            })?)
        }
        None => None,
    };
    Ok(StoredOrder {
        code: code.to_owned(),
        name: new.name.trim().to_owned(),
        tax_id: tax_id.as_str().to_owned(),
        codice_ente: new.codice_ente.trim().to_owned(),
        pec,
        delegate,
        created_at: now,
    })
}

/// An Order's codice fiscale. An Order is a public body: its codice fiscale is
/// numeric, 11 digits, with the partita IVA's structure and check
/// (registries.md 4.4; DPR 633/1972 art. 35): digits 1-7 the
/// body's number, 8-10 the code of the provincial tax office that assigned it
/// (001-100, 120, 121, 888, 999), 11 the check digit (Luhn). A person's
/// 16-character code is not an Order's. Each refusal says which part is wrong
/// and what to give.
pub fn order_tax_id(text: &str) -> Result<PartitaIva> {
    let given = text.trim();
    const GIVE: &str = "give the Order's codice fiscale, 11 digits as on its certificate of attribution \
                        (e.g. 80003530484)";
    let reason = match PartitaIva::parse(given) {
        Ok(code) => return Ok(code),
        Err(_) if CodiceFiscale::parse(given).is_ok() => {
            format!("a person's codice fiscale, not an Order's: {GIVE}")
        }
        Err(PartitaIvaError::Length { found }) => format!("{found} characters: {GIVE}"),
        Err(PartitaIvaError::Character { position, found }) => {
            format!("character {position} is {found:?}, and an Order's codice fiscale is digits only: {GIVE}")
        }
        Err(PartitaIvaError::CheckDigit { expected, found }) => format!(
            "the last digit is the check digit of the other ten, {expected} for these, not {found}: \
             a digit is mistyped; {GIVE}"
        ),
        Err(PartitaIvaError::OfficeCode { code }) => format!(
            "digits 8-10 are the code of the tax office that assigned it, and {code} is none \
             (001-100, 120, 121, 888 or 999): {GIVE}"
        ),
        Err(PartitaIvaError::ZeroNumber) => format!("digits 1-7 are all zeros: {GIVE}"),
    };
    Err(Error::invalid("tax_id", format!("{given:?}: {reason}")))
}
