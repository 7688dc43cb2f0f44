//! The Orders' registries: Orders, their members, the PEC addresses members
//! communicated, the compliance steps, and the INI-PEC and ReGIndE exports with
//! ReGIndE's answers (`crates/registry`, `../shared/docs/registries.md`).
//!
//! The store knows none of the registry's rules: a member is kept as the
//! registry crate's JSON with the columns queries need beside it (status, CTU
//! flag, codice fiscale, surname), an export with the state it leaves the
//! national register in, so that the next delta starts from what was sent.
//! Dates are `YYYY-MM-DD` text; `now` is milliseconds since the epoch.

use crate::{Conn, Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredOrder {
    pub code: String,
    pub name: String,
    pub tax_id: String,
    pub codice_ente: String,
    pub pec: String,
    /// The registry crate's `SigningDelegate`, as JSON.
    pub delegate: Option<String>,
    pub created_at: i64,
}

type OrderRow = (String, String, String, String, String, Option<String>, i64);

fn to_order(r: OrderRow) -> StoredOrder {
    StoredOrder {
        code: r.0,
        name: r.1,
        tax_id: r.2,
        codice_ente: r.3,
        pec: r.4,
        delegate: r.5,
        created_at: r.6,
    }
}

/// Adds an Order; one whose code exists (any case) is a [`Error::Conflict`].
pub async fn add_order(c: &mut Conn, order: &StoredOrder) -> Result<()> {
    if let Some(existing) = self::order(c, &order.code).await? {
        return Err(Error::Conflict(format!("Order {} exists already", existing.code)));
    }
    sqlx::query(
        "INSERT INTO registry_orders (code, code_key, name, tax_id, codice_ente, pec, delegate, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(order.code.trim())
    .bind(order.code.trim().to_ascii_uppercase())
    .bind(&order.name)
    .bind(&order.tax_id)
    .bind(&order.codice_ente)
    .bind(&order.pec)
    .bind(&order.delegate)
    .bind(order.created_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The Order with `code`, compared without regard to case.
pub async fn order(c: &mut Conn, code: &str) -> Result<Option<StoredOrder>> {
    let row: Option<OrderRow> = sqlx::query_as(
        "SELECT code, name, tax_id, codice_ente, pec, delegate, created_at FROM registry_orders WHERE code_key = $1",
    )
    .bind(code.trim().to_ascii_uppercase())
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_order))
}

pub async fn orders(c: &mut Conn) -> Result<Vec<StoredOrder>> {
    let rows: Vec<OrderRow> = sqlx::query_as(
        "SELECT code, name, tax_id, codice_ente, pec, delegate, created_at FROM registry_orders ORDER BY code_key",
    )
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_order).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredMember {
    pub id: i64,
    pub order_code: String,
    pub codice_fiscale: String,
    pub surname: String,
    /// The registry crate's `MemberStatus` in kebab-case (`active`, `struck-off`).
    pub status: String,
    pub ctu: bool,
    /// The registry crate's `Member`, as JSON.
    pub data: String,
    pub updated_at: i64,
}

/// The columns of a member row, as written.
#[derive(Debug, Clone, Copy)]
pub struct MemberRow<'a> {
    pub codice_fiscale: &'a str,
    pub surname: &'a str,
    pub status: &'a str,
    pub ctu: bool,
    pub data: &'a str,
}

type MemberTuple = (i64, String, String, String, String, i64, String, i64);
macro_rules! member_columns {
    () => {
        "id, order_code, codice_fiscale, surname, status, ctu, data, updated_at"
    };
}

fn to_member(r: MemberTuple) -> StoredMember {
    StoredMember {
        id: r.0,
        order_code: r.1,
        codice_fiscale: r.2,
        surname: r.3,
        status: r.4,
        ctu: r.5 != 0,
        data: r.6,
        updated_at: r.7,
    }
}

/// Adds a member to the Order (its code as stored); a codice fiscale already on
/// the Order's roll is a [`Error::Conflict`] (the unique index says so).
pub async fn insert_member(c: &mut Conn, order_code: &str, row: &MemberRow<'_>, now: i64) -> Result<i64> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO registry_members (order_code, codice_fiscale, surname, status, ctu, data, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(order_code)
    .bind(row.codice_fiscale)
    .bind(row.surname)
    .bind(row.status)
    .bind(i64::from(row.ctu))
    .bind(row.data)
    .bind(now)
    .fetch_one(c)
    .await?;
    Ok(id.0)
}

/// Rows per statement of [`insert_members`] and [`add_first_pecs`]. Not more:
/// sqlx binds each `$n` of a SQLite statement by looking its name up among all
/// the statement's parameters, so a statement costs the square of its
/// parameters (500 rows of 8 spent most of an import there; 20 to 100 measure alike).
pub const BATCH: usize = 50;

/// `($1, …, $width), ($width + 1, …), …`: the VALUES of `rows` rows.
fn values(rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for f in 1..=width {
            if f > 1 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * width + f).to_string());
        }
        sql.push(')');
    }
    sql
}

/// [`insert_member`] for many members, [`BATCH`] to a statement: their ids, in
/// order. Each statement is a round trip to the database (on SQLite, to sqlx's
/// worker thread, tens of microseconds on a busy machine): one per member made
/// the import of 100 000 members a matter of ~20 s (`certa registry bench`).
pub async fn insert_members(c: &mut Conn, order_code: &str, rows: &[MemberRow<'_>], now: i64) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO registry_members (order_code, codice_fiscale, surname, status, ctu, data, created_at, updated_at)
             VALUES {} RETURNING id, codice_fiscale",
            values(chunk.len(), 8)
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            query = query
                .bind(order_code)
                .bind(row.codice_fiscale)
                .bind(row.surname)
                .bind(row.status)
                .bind(i64::from(row.ctu))
                .bind(row.data)
                .bind(now)
                .bind(now);
        }
        // RETURNING gives no order: match the ids by codice fiscale, unique on the roll.
        let returned: std::collections::HashMap<String, i64> = query
            .fetch_all(&mut *c)
            .await?
            .into_iter()
            .map(|(id, cf)| (cf, id))
            .collect();
        for row in chunk {
            let id = returned.get(row.codice_fiscale).ok_or_else(|| Error::NotFound {
                what: "inserted member",
                key: row.codice_fiscale.to_owned(),
            })?;
            ids.push(*id);
        }
    }
    Ok(ids)
}

/// Replaces a member's data (the codice fiscale never changes).
pub async fn update_member(c: &mut Conn, id: i64, row: &MemberRow<'_>, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE registry_members SET surname = $1, status = $2, ctu = $3, data = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(row.surname)
    .bind(row.status)
    .bind(i64::from(row.ctu))
    .bind(row.data)
    .bind(now)
    .bind(id)
    .execute(c)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound {
            what: "member",
            key: id.to_string(),
        });
    }
    Ok(())
}

pub async fn member(c: &mut Conn, order_code: &str, codice_fiscale: &str) -> Result<Option<StoredMember>> {
    let row: Option<MemberTuple> = sqlx::query_as(concat!(
        "SELECT ",
        member_columns!(),
        " FROM registry_members WHERE order_code = $1 AND codice_fiscale = $2"
    ))
    .bind(order_code)
    .bind(codice_fiscale.trim().to_ascii_uppercase())
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_member))
}

/// Which members [`members`] returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemberFilter<'a> {
    pub status: Option<&'a str>,
    /// Only the court experts.
    pub ctu: bool,
}

/// The Order's members, by codice fiscale.
pub async fn members(c: &mut Conn, order_code: &str, filter: MemberFilter<'_>) -> Result<Vec<StoredMember>> {
    let rows: Vec<MemberTuple> = sqlx::query_as(concat!(
        "SELECT ",
        member_columns!(),
        " FROM registry_members WHERE order_code = $1 AND ($2 = '' OR status = $2) AND ($3 = 0 OR ctu = 1)
         ORDER BY codice_fiscale"
    ))
    .bind(order_code)
    .bind(filter.status.unwrap_or(""))
    .bind(i64::from(filter.ctu))
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_member).collect())
}

pub async fn member_count(c: &mut Conn, order_code: &str) -> Result<i64> {
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM registry_members WHERE order_code = $1")
        .bind(order_code)
        .fetch_one(c)
        .await?;
    Ok(n.0)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredPec {
    pub id: i64,
    pub member_id: i64,
    pub address: String,
    pub communicated_on: String,
    /// The registry crate's `Channel` in kebab-case.
    pub channel: String,
    pub official: bool,
    pub superseded_on: Option<String>,
    pub valid: bool,
    /// The registry crate's `PecWarning`s, as a JSON array.
    pub warnings: String,
    pub recorded_at: i64,
    /// Why the address was found unusable after it was communicated (a mailbox of
    /// this installation closed, a diffida not delivered), when it was.
    pub flag: Option<String>,
}

/// An address as communicated.
#[derive(Debug, Clone, Copy)]
pub struct NewPec<'a> {
    pub address: &'a str,
    pub communicated_on: &'a str,
    pub channel: &'a str,
    pub official: bool,
    pub warnings: &'a str,
    /// Known unusable from the start (a closed mailbox of this installation): not valid, and why.
    pub flag: Option<&'a str>,
}

type PecTuple = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    Option<String>,
    i64,
    String,
    i64,
    Option<String>,
);
macro_rules! pec_columns {
    () => {
        "p.id, p.member_id, p.address, p.communicated_on, p.channel, p.official, p.superseded_on, p.valid, p.warnings, p.recorded_at, p.flag"
    };
}

fn to_pec(r: PecTuple) -> StoredPec {
    StoredPec {
        id: r.0,
        member_id: r.1,
        address: r.2,
        communicated_on: r.3,
        channel: r.4,
        official: r.5 != 0,
        superseded_on: r.6,
        valid: r.7 != 0,
        warnings: r.8,
        recorded_at: r.9,
        flag: r.10,
    }
}

/// Records an address a member communicated. An official one supersedes the
/// member's official address of before (kept, with the day it was superseded):
/// exactly one is official at a time.
pub async fn add_pec(c: &mut Conn, member_id: i64, pec: &NewPec<'_>, now: i64) -> Result<i64> {
    if pec.official {
        sqlx::query("UPDATE registry_pec SET official = 0, superseded_on = $1 WHERE member_id = $2 AND official = 1")
            .bind(pec.communicated_on)
            .bind(member_id)
            .execute(&mut *c)
            .await?;
    }
    add_first_pec(c, member_id, pec, now).await
}

/// [`add_pec`] for a member without an official address (one an import just
/// added): nothing to supersede, so one statement instead of two. The import
/// writes a new member with three statements, each a round trip to SQLite's
/// worker thread: this saves a third of them. A second official address is
/// still refused, by the `registry_pec_official` index.
pub async fn add_first_pec(c: &mut Conn, member_id: i64, pec: &NewPec<'_>, now: i64) -> Result<i64> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO registry_pec (member_id, address, communicated_on, channel, official, valid, warnings, recorded_at, flag)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(member_id)
    .bind(pec.address)
    .bind(pec.communicated_on)
    .bind(pec.channel)
    .bind(i64::from(pec.official))
    .bind(i64::from(pec.flag.is_none()))
    .bind(pec.warnings)
    .bind(now)
    .bind(pec.flag)
    .fetch_one(c)
    .await?;
    Ok(id.0)
}

/// [`add_first_pec`] for many members, [`BATCH`] to a statement (see
/// [`insert_members`]): `(member id, address)`.
pub async fn add_first_pecs(c: &mut Conn, pecs: &[(i64, NewPec<'_>)], now: i64) -> Result<()> {
    for chunk in pecs.chunks(BATCH) {
        let sql = format!(
            "INSERT INTO registry_pec (member_id, address, communicated_on, channel, official, valid, warnings, recorded_at, flag)
             VALUES {}",
            values(chunk.len(), 9)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (member_id, pec) in chunk {
            query = query
                .bind(*member_id)
                .bind(pec.address)
                .bind(pec.communicated_on)
                .bind(pec.channel)
                .bind(i64::from(pec.official))
                .bind(i64::from(pec.flag.is_none()))
                .bind(pec.warnings)
                .bind(now)
                .bind(pec.flag);
        }
        query.execute(&mut *c).await?;
    }
    Ok(())
}

/// Marks an address valid or not (bounced, inactive, refused by the Order).
pub async fn set_pec_valid(c: &mut Conn, pec_id: i64, valid: bool) -> Result<()> {
    sqlx::query("UPDATE registry_pec SET valid = $1 WHERE id = $2")
        .bind(i64::from(valid))
        .bind(pec_id)
        .execute(c)
        .await?;
    Ok(())
}

/// Marks an official address not valid, with why: a mailbox of this installation
/// that closed, a diffida that could not be delivered (after any earlier flag). Every member (of any Order)
/// whose official address it is: `(member id, order, codice fiscale)`.
pub async fn flag_address(c: &mut Conn, address: &str, flag: &str) -> Result<Vec<(i64, String, String)>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT m.id, m.order_code, m.codice_fiscale FROM registry_pec p JOIN registry_members m ON m.id = p.member_id
         WHERE LOWER(p.address) = $1 AND p.official = 1 ORDER BY m.id",
    )
    .bind(address.trim().to_lowercase())
    .fetch_all(&mut *c)
    .await?;
    if !rows.is_empty() {
        // A flag already there (why the address never counted, say) is kept, the new one after it.
        sqlx::query(
            "UPDATE registry_pec SET valid = 0, flag = CASE WHEN flag IS NULL THEN $1 ELSE flag || '; ' || $1 END
             WHERE LOWER(address) = $2 AND official = 1",
        )
        .bind(flag)
        .bind(address.trim().to_lowercase())
        .execute(c)
        .await?;
    }
    Ok(rows)
}

/// Every address of a member, oldest first.
pub async fn pec_history(c: &mut Conn, member_id: i64) -> Result<Vec<StoredPec>> {
    let rows: Vec<PecTuple> = sqlx::query_as(concat!(
        "SELECT ",
        pec_columns!(),
        " FROM registry_pec p WHERE p.member_id = $1 ORDER BY p.id"
    ))
    .bind(member_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_pec).collect())
}

/// The official address of every member of the Order that has one.
pub async fn official_pecs(c: &mut Conn, order_code: &str) -> Result<Vec<StoredPec>> {
    let rows: Vec<PecTuple> = sqlx::query_as(concat!(
        "SELECT ",
        pec_columns!(),
        " FROM registry_pec p JOIN registry_members m ON m.id = p.member_id
         WHERE m.order_code = $1 AND p.official = 1 ORDER BY p.member_id"
    ))
    .bind(order_code)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_pec).collect())
}

/// Members (codice fiscale) of any Order whose official address is `address`
/// (compared lowercased).
pub async fn official_owners(c: &mut Conn, address: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT m.codice_fiscale FROM registry_pec p JOIN registry_members m ON m.id = p.member_id
         WHERE LOWER(p.address) = $1 AND p.official = 1 ORDER BY m.codice_fiscale",
    )
    .bind(address.trim().to_lowercase())
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Every official address of every Order's members, with the member's codice
/// fiscale: the book an import checks shared addresses against.
pub async fn all_official_addresses(c: &mut Conn) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT LOWER(p.address), m.codice_fiscale FROM registry_pec p JOIN registry_members m ON m.id = p.member_id
         WHERE p.official = 1",
    )
    .fetch_all(c)
    .await?)
}

/// The compliance steps of the PEC duty.
pub const STEP_KINDS: [&str; 8] = [
    "warned",
    "letter",
    "deadline",
    "suspension-listed",
    "suspended",
    "restored",
    "received",
    "undelivered",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredStep {
    pub id: i64,
    pub member_id: i64,
    /// One of [`STEP_KINDS`].
    pub kind: String,
    pub on_date: String,
    pub detail: String,
    /// The PEC that carried the step (its identificativo), when sent by this installation.
    pub message: Option<String>,
    pub recorded_at: i64,
}

type StepTuple = (i64, i64, String, String, String, Option<String>, i64);

fn to_step(r: StepTuple) -> StoredStep {
    StoredStep {
        id: r.0,
        member_id: r.1,
        kind: r.2,
        on_date: r.3,
        detail: r.4,
        message: r.5,
        recorded_at: r.6,
    }
}

pub async fn add_step(c: &mut Conn, member_id: i64, kind: &str, on_date: &str, detail: &str, now: i64) -> Result<i64> {
    add_message_step(c, member_id, kind, on_date, detail, None, now).await
}

/// [`add_step`] naming the PEC that carried it (its identificativo).
pub async fn add_message_step(
    c: &mut Conn,
    member_id: i64,
    kind: &str,
    on_date: &str,
    detail: &str,
    message: Option<&str>,
    now: i64,
) -> Result<i64> {
    if !STEP_KINDS.contains(&kind) {
        return Err(Error::Invalid(format!(
            "unknown compliance step {kind:?}: one of {}",
            STEP_KINDS.join(", ")
        )));
    }
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO registry_compliance (member_id, kind, on_date, detail, message, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(member_id)
    .bind(kind)
    .bind(on_date)
    .bind(detail)
    .bind(message)
    .bind(now)
    .fetch_one(c)
    .await?;
    Ok(id.0)
}

/// A member's steps, in the order they happened.
pub async fn steps(c: &mut Conn, member_id: i64) -> Result<Vec<StoredStep>> {
    let rows: Vec<StepTuple> = sqlx::query_as(
        "SELECT id, member_id, kind, on_date, detail, message, recorded_at FROM registry_compliance
         WHERE member_id = $1 ORDER BY on_date, id",
    )
    .bind(member_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_step).collect())
}

/// Every step of the Order's members, by member, in the order they happened.
pub async fn order_steps(c: &mut Conn, order_code: &str) -> Result<Vec<StoredStep>> {
    let rows: Vec<StepTuple> = sqlx::query_as(
        "SELECT s.id, s.member_id, s.kind, s.on_date, s.detail, s.message, s.recorded_at FROM registry_compliance s
         JOIN registry_members m ON m.id = s.member_id WHERE m.order_code = $1 ORDER BY s.member_id, s.on_date, s.id",
    )
    .bind(order_code)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_step).collect())
}

/// The diffide of the Order sent by PEC through this installation whose outcome
/// (a `received` or `undelivered` step naming the same message) is not recorded yet.
pub async fn pending_deliveries(c: &mut Conn, order_code: &str) -> Result<Vec<StoredStep>> {
    let rows: Vec<StepTuple> = sqlx::query_as(
        "SELECT s.id, s.member_id, s.kind, s.on_date, s.detail, s.message, s.recorded_at FROM registry_compliance s
         JOIN registry_members m ON m.id = s.member_id
         WHERE m.order_code = $1 AND s.kind = 'warned' AND s.message IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM registry_compliance o
                           WHERE o.message = s.message AND o.kind IN ('received', 'undelivered'))
         ORDER BY s.id",
    )
    .bind(order_code)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_step).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IniPecExport {
    pub id: i64,
    pub order_code: String,
    pub day: String,
    /// Nothing changed: nothing uploaded, the Order confirms it on the portal.
    pub no_changes: bool,
    pub row_count: i64,
    /// The upload file, absent on a day without changes.
    #[serde(skip)]
    pub file: Option<Vec<u8>>,
    /// The registry crate's `IniPecState` after this upload, as JSON.
    #[serde(skip)]
    pub state: String,
    pub created_at: i64,
}

type IniPecTuple = (i64, String, String, i64, i64, Option<Vec<u8>>, String, i64);
macro_rules! inipec_columns {
    () => {
        "id, order_code, day, no_changes, row_count, file, state, created_at"
    };
}

fn to_inipec(r: IniPecTuple) -> IniPecExport {
    IniPecExport {
        id: r.0,
        order_code: r.1,
        day: r.2,
        no_changes: r.3 != 0,
        row_count: r.4,
        file: r.5,
        state: r.6,
        created_at: r.7,
    }
}

/// Records a day's upload (the `id` is ignored). A second one for the same
/// Order and day is a [`Error::Conflict`].
pub async fn record_inipec(c: &mut Conn, e: &IniPecExport) -> Result<i64> {
    if inipec_export(c, &e.order_code, &e.day).await?.is_some() {
        return Err(Error::Conflict(format!(
            "the INI-PEC export of {} for {} exists already",
            e.order_code, e.day
        )));
    }
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO registry_inipec_exports (order_code, day, no_changes, row_count, file, state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&e.order_code)
    .bind(&e.day)
    .bind(i64::from(e.no_changes))
    .bind(e.row_count)
    .bind(&e.file)
    .bind(&e.state)
    .bind(e.created_at)
    .fetch_one(c)
    .await?;
    Ok(id.0)
}

pub async fn inipec_export(c: &mut Conn, order_code: &str, day: &str) -> Result<Option<IniPecExport>> {
    let row: Option<IniPecTuple> = sqlx::query_as(concat!(
        "SELECT ",
        inipec_columns!(),
        " FROM registry_inipec_exports WHERE order_code = $1 AND day = $2"
    ))
    .bind(order_code)
    .bind(day)
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_inipec))
}

/// The latest upload of the Order, whatever its day.
pub async fn last_inipec(c: &mut Conn, order_code: &str) -> Result<Option<IniPecExport>> {
    let row: Option<IniPecTuple> = sqlx::query_as(concat!(
        "SELECT ",
        inipec_columns!(),
        " FROM registry_inipec_exports WHERE order_code = $1 ORDER BY day DESC LIMIT 1"
    ))
    .bind(order_code)
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_inipec))
}

/// Every upload of the Order, oldest first.
pub async fn inipec_exports(c: &mut Conn, order_code: &str) -> Result<Vec<IniPecExport>> {
    let rows: Vec<IniPecTuple> = sqlx::query_as(concat!(
        "SELECT ",
        inipec_columns!(),
        " FROM registry_inipec_exports WHERE order_code = $1 ORDER BY day"
    ))
    .bind(order_code)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_inipec).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegindeExport {
    pub id: i64,
    pub order_code: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The whole roll, or the changes since the last communication.
    pub whole: bool,
    #[serde(skip)]
    pub xml: String,
    /// The registry crate's `Subjects` ReGIndE holds after it, as JSON.
    #[serde(skip)]
    pub subjects: String,
    pub created_at: i64,
    /// The PEC that carried it to the Ministry (its identificativo), when sent by this installation.
    pub message: Option<String>,
}

type RegindeTuple = (i64, String, String, i64, String, String, i64, Option<String>);
macro_rules! reginde_columns {
    () => {
        "id, order_code, month, whole, xml, subjects, created_at, message"
    };
}

fn to_reginde(r: RegindeTuple) -> RegindeExport {
    RegindeExport {
        id: r.0,
        order_code: r.1,
        month: r.2,
        whole: r.3 != 0,
        xml: r.4,
        subjects: r.5,
        created_at: r.6,
        message: r.7,
    }
}

/// Records a communication (the `id` is ignored).
pub async fn record_reginde(c: &mut Conn, e: &RegindeExport) -> Result<i64> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO registry_reginde_exports (order_code, month, whole, xml, subjects, created_at, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&e.order_code)
    .bind(&e.month)
    .bind(i64::from(e.whole))
    .bind(&e.xml)
    .bind(&e.subjects)
    .bind(e.created_at)
    .bind(&e.message)
    .fetch_one(c)
    .await?;
    Ok(id.0)
}

/// Records the PEC that carried communication `id` to the Ministry.
pub async fn set_reginde_message(c: &mut Conn, id: i64, identificativo: &str) -> Result<()> {
    sqlx::query("UPDATE registry_reginde_exports SET message = $1 WHERE id = $2")
        .bind(identificativo)
        .bind(id)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn last_reginde(c: &mut Conn, order_code: &str) -> Result<Option<RegindeExport>> {
    let row: Option<RegindeTuple> = sqlx::query_as(concat!(
        "SELECT ",
        reginde_columns!(),
        " FROM registry_reginde_exports WHERE order_code = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(order_code)
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_reginde))
}

pub async fn reginde_exports(c: &mut Conn, order_code: &str) -> Result<Vec<RegindeExport>> {
    let rows: Vec<RegindeTuple> = sqlx::query_as(concat!(
        "SELECT ",
        reginde_columns!(),
        " FROM registry_reginde_exports WHERE order_code = $1 ORDER BY id"
    ))
    .bind(order_code)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_reginde).collect())
}

/// One outcome of an `Esiti.xml`: a subject's, or the whole file's (no codice fiscale).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredEsito {
    pub order_code: String,
    pub message_id: Option<String>,
    pub codice_fiscale: Option<String>,
    pub code: String,
    /// `success`, `warning` or `error`.
    pub severity: String,
    pub description: Option<String>,
    pub recorded_at: i64,
}

pub async fn record_esito(c: &mut Conn, e: &StoredEsito) -> Result<()> {
    sqlx::query(
        "INSERT INTO registry_esiti (order_code, message_id, codice_fiscale, code, severity, description, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&e.order_code)
    .bind(&e.message_id)
    .bind(&e.codice_fiscale)
    .bind(&e.code)
    .bind(&e.severity)
    .bind(&e.description)
    .bind(e.recorded_at)
    .execute(c)
    .await?;
    Ok(())
}

/// The outcomes recorded for the Order, oldest first.
pub async fn esiti(c: &mut Conn, order_code: &str) -> Result<Vec<StoredEsito>> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT order_code, message_id, codice_fiscale, code, severity, description, recorded_at
         FROM registry_esiti WHERE order_code = $1 ORDER BY id",
    )
    .bind(order_code)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StoredEsito {
            order_code: r.0,
            message_id: r.1,
            codice_fiscale: r.2,
            code: r.3,
            severity: r.4,
            description: r.5,
            recorded_at: r.6,
        })
        .collect())
}
