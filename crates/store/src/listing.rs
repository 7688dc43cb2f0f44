//! Messages as the webmail lists and searches them: each row's summary (what
//! `pec::summary` read from its header when it was stored, migration 0012), a
//! folder a page at a time newest first, and a search over a mailbox.
//!
//! Pages are keyset pages over `(internal_date, id)` (index
//! `messages_folder_newest`): the next page starts after the last row shown,
//! so a page costs the same at the start and at the end of 100 000 messages
//! (an OFFSET would read every row before it).

use pec::Summary;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::receipts::RECEIPT_KINDS;
use crate::{Conn, Result};

/// One message in a list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub id: i64,
    pub folder_id: i64,
    pub size: i64,
    pub internal_date: i64,
    pub flags: Vec<String>,
    pub pec_kind: Option<String>,
    pub identificativo: Option<String>,
    /// Whether the summary below was read (rows stored before migration 0012
    /// have none until `office::mail::backfill` reaches them).
    pub summarised: bool,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub subject: Option<String>,
    pub sent_date: Option<i64>,
    pub message_id: Option<String>,
    pub has_attachments: bool,
    pub inner_from_address: Option<String>,
    pub inner_from_name: Option<String>,
    pub inner_subject: Option<String>,
}

const COLUMNS: &str = "m.id, m.folder_id, m.size, m.internal_date, m.flags, m.pec_kind, m.identificativo, \
     m.summarised, m.from_address, m.from_name, m.subject, m.sent_date, m.message_id, m.has_attachments, \
     m.inner_from_address, m.inner_from_name, m.inner_subject";

fn to_row(r: &AnyRow) -> Result<Row> {
    to_row_at(r, 0)
}

/// Where a page starts: after (older than) or before (newer than) a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    Newest,
    OlderThan { internal_date: i64, id: i64 },
    NewerThan { internal_date: i64, id: i64 },
}

/// The condition that leaves receipts out (they belong to their message, pec-rules.md 3.2).
fn without_receipts() -> String {
    let kinds: Vec<String> = RECEIPT_KINDS.iter().map(|k| format!("'{k}'")).collect();
    format!("(m.pec_kind IS NULL OR m.pec_kind NOT IN ({}))", kinds.join(", "))
}

/// Up to `limit` messages of `folder_id`, newest first, from `from`.
pub async fn folder_page(
    c: &mut Conn,
    folder_id: i64,
    from: From,
    hide_receipts: bool,
    limit: i64,
) -> Result<Vec<Row>> {
    let filter = if hide_receipts {
        format!(" AND {}", without_receipts())
    } else {
        String::new()
    };
    let (bound, order) = match from {
        From::Newest => ("", "DESC"),
        From::OlderThan { .. } => (" AND (m.internal_date, m.id) < ($3, $4)", "DESC"),
        From::NewerThan { .. } => (" AND (m.internal_date, m.id) > ($3, $4)", "ASC"),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM messages m WHERE m.folder_id = $1{filter}{bound} \
         ORDER BY m.internal_date {order}, m.id {order} LIMIT $2"
    );
    // Made of this module's fixed fragments only; every value is bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(folder_id).bind(limit.max(1));
    if let From::OlderThan { internal_date, id } | From::NewerThan { internal_date, id } = from {
        q = q.bind(internal_date).bind(id);
    }
    let rows = q.fetch_all(c).await?;
    let mut out = rows.iter().map(to_row).collect::<Result<Vec<_>>>()?;
    if matches!(from, From::NewerThan { .. }) {
        out.reverse();
    }
    Ok(out)
}

/// What a search asks; every field given must match. Texts match anywhere, without case.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub from: Option<String>,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    /// `internal_date` at or after (milliseconds).
    pub since: Option<i64>,
    /// `internal_date` before (milliseconds).
    pub until: Option<i64>,
    pub identificativo: Option<String>,
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// PEC kinds (`busta-trasporto`, ...); `ordinary` for mail that is not PEC.
    pub kinds: Vec<String>,
    /// The mailbox's own copies of messages `sender` sent of which some
    /// recipient is neither delivered to nor handed to an ordinary mail server
    /// (no delivery receipt: failed, or still waiting).
    pub not_delivered_by: Option<String>,
    /// Older than this row (keyset).
    pub older_than: Option<(i64, i64)>,
}

/// `%text%` for LIKE, its own `%`, `_` and `!` escaped (`ESCAPE '!'`).
fn contains(text: &str) -> String {
    let mut out = String::from("%");
    for ch in text.trim().to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Up to `limit` messages of `mailbox_id` matching `s`, newest first, each with its folder's name.
pub async fn search(c: &mut Conn, mailbox_id: i64, s: &Search, limit: i64) -> Result<Vec<(String, Row)>> {
    enum Value {
        Int(i64),
        Text(String),
    }
    let mut values: Vec<Value> = vec![Value::Int(mailbox_id), Value::Int(limit.max(1))];
    let mut wheres: Vec<String> = Vec::new();
    let next = |v: Value, values: &mut Vec<Value>| {
        values.push(v);
        format!("${}", values.len())
    };
    if let Some(from) = s.from.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = next(Value::Text(contains(from)), &mut values);
        wheres.push(format!(
            "(LOWER(COALESCE(m.from_address, '') || ' ' || COALESCE(m.from_name, '') || ' ' || \
             COALESCE(m.inner_from_address, '') || ' ' || COALESCE(m.inner_from_name, '')) LIKE {p} ESCAPE '!')"
        ));
    }
    if let Some(to) = s.recipient.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = next(Value::Text(contains(to)), &mut values);
        wheres.push(format!("(COALESCE(m.recipients, '') LIKE {p} ESCAPE '!')"));
    }
    if let Some(subject) = s.subject.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = next(Value::Text(contains(subject)), &mut values);
        wheres.push(format!(
            "(LOWER(COALESCE(m.subject, '') || ' ' || COALESCE(m.inner_subject, '')) LIKE {p} ESCAPE '!')"
        ));
    }
    if let Some(since) = s.since {
        let p = next(Value::Int(since), &mut values);
        wheres.push(format!("m.internal_date >= {p}"));
    }
    if let Some(until) = s.until {
        let p = next(Value::Int(until), &mut values);
        wheres.push(format!("m.internal_date < {p}"));
    }
    if let Some(id) = s.identificativo.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = next(Value::Text(id.trim().to_string()), &mut values);
        wheres.push(format!("m.identificativo = {p}"));
    }
    if let Some(id) = s.message_id.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = next(Value::Text(id.trim().to_string()), &mut values);
        wheres.push(format!("m.message_id = {p}"));
    }
    if !s.kinds.is_empty() {
        let mut any = Vec::new();
        for kind in &s.kinds {
            if kind == "ordinary" {
                any.push("m.pec_kind IS NULL".to_string());
            } else {
                let p = next(Value::Text(kind.clone()), &mut values);
                any.push(format!("m.pec_kind = {p}"));
            }
        }
        wheres.push(format!("({})", any.join(" OR ")));
    }
    if let Some(sender) = &s.not_delivered_by {
        let p = next(Value::Text(sender.trim().to_ascii_lowercase()), &mut values);
        // The holder's copy of a sent message is the one without a PEC kind
        // carrying its identificativo (office::compose keeps it in Sent).
        wheres.push(format!(
            "(m.pec_kind IS NULL AND m.identificativo IN (\
               SELECT p.identificativo FROM pec_messages p JOIN pec_recipients r ON r.pec_message_id = p.id \
               WHERE p.sender = {p} AND r.state <> 'delivered' \
                 AND NOT (r.state = 'relayed' AND r.certified = 0)))"
        ));
    }
    if let Some((date, id)) = s.older_than {
        let a = next(Value::Int(date), &mut values);
        let b = next(Value::Int(id), &mut values);
        wheres.push(format!("(m.internal_date, m.id) < ({a}, {b})"));
    }
    let filter: String = wheres.iter().map(|w| format!(" AND {w}")).collect();
    let sql = format!(
        "SELECT f.name, {COLUMNS} FROM messages m JOIN folders f ON f.id = m.folder_id \
         WHERE f.mailbox_id = $1{filter} ORDER BY m.internal_date DESC, m.id DESC LIMIT $2"
    );
    // Made of this module's fixed fragments and numbered placeholders only; every value is bound.
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in values {
        q = match v {
            Value::Int(i) => q.bind(i),
            Value::Text(t) => q.bind(t),
        };
    }
    let rows = q.fetch_all(c).await?;
    rows.iter()
        .map(|r| {
            let folder: String = r.try_get(0)?;
            // The message's columns follow the folder's name.
            Ok((folder, to_row_at(r, 1)?))
        })
        .collect()
}

/// The row whose columns start at index `at`.
fn to_row_at(r: &AnyRow, at: usize) -> Result<Row> {
    let flags: String = r.try_get(at + 4)?;
    Ok(Row {
        id: r.try_get(at)?,
        folder_id: r.try_get(at + 1)?,
        size: r.try_get(at + 2)?,
        internal_date: r.try_get(at + 3)?,
        flags: flags.split_whitespace().map(str::to_string).collect(),
        pec_kind: r.try_get(at + 5)?,
        identificativo: r.try_get(at + 6)?,
        summarised: r.try_get::<Option<i64>, _>(at + 7)?.is_some(),
        from_address: r.try_get(at + 8)?,
        from_name: r.try_get(at + 9)?,
        subject: r.try_get(at + 10)?,
        sent_date: r.try_get(at + 11)?,
        message_id: r.try_get(at + 12)?,
        has_attachments: r.try_get::<i64, _>(at + 13)? != 0,
        inner_from_address: r.try_get(at + 14)?,
        inner_from_name: r.try_get(at + 15)?,
        inner_subject: r.try_get(at + 16)?,
    })
}

/// How many messages `folder_id` holds (from the index, not the rows).
pub async fn count(c: &mut Conn, folder_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages WHERE folder_id = $1")
        .bind(folder_id)
        .fetch_one(c)
        .await?;
    Ok(n)
}

/// One message's list row.
pub async fn row(c: &mut Conn, message_id: i64) -> Result<Option<Row>> {
    let sql = format!("SELECT {COLUMNS} FROM messages m WHERE m.id = $1");
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(message_id)
        .fetch_optional(c)
        .await?;
    r.as_ref().map(to_row).transpose()
}

/// Records a message's summary.
pub async fn set_summary(c: &mut Conn, message_id: i64, s: &Summary) -> Result<()> {
    let recipients = if s.recipients.is_empty() {
        String::new()
    } else {
        format!(" {} ", s.recipients.join(" "))
    };
    let inner = s.inner.as_ref();
    sqlx::query(
        "UPDATE messages SET summarised = 1, from_address = $1, from_name = $2, recipients = $3, subject = $4,
                sent_date = $5, message_id = $6, has_attachments = $7, inner_from_address = $8,
                inner_from_name = $9, inner_subject = $10
         WHERE id = $11",
    )
    .bind(s.from_address.as_deref())
    .bind(s.from_name.as_deref())
    .bind(recipients)
    .bind(s.subject.as_str())
    .bind(s.date)
    .bind(s.message_id.as_deref())
    .bind(i64::from(s.has_attachments))
    .bind(inner.and_then(|i| i.from_address.as_deref()))
    .bind(inner.and_then(|i| i.from_name.as_deref()))
    .bind(inner.map(|i| i.subject.as_str()))
    .bind(message_id)
    .execute(c)
    .await?;
    Ok(())
}

/// Gives message `to` the summary of message `from` (a copy has the same bytes).
pub async fn copy_summary(c: &mut Conn, from: i64, to: i64) -> Result<()> {
    sqlx::query(
        "UPDATE messages SET (summarised, from_address, from_name, recipients, subject, sent_date, message_id,
                has_attachments, inner_from_address, inner_from_name, inner_subject) =
           (SELECT summarised, from_address, from_name, recipients, subject, sent_date, message_id,
                   has_attachments, inner_from_address, inner_from_name, inner_subject
            FROM messages WHERE id = $1)
         WHERE id = $2",
    )
    .bind(from)
    .bind(to)
    .execute(c)
    .await?;
    Ok(())
}

/// Up to `limit` messages without a summary, (id, blob), in id order; only
/// those of `mailbox_id` when given.
pub async fn unsummarised(c: &mut Conn, mailbox_id: Option<i64>, limit: i64) -> Result<Vec<(i64, String)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT m.id, m.blob FROM messages m
         WHERE m.summarised IS NULL
           AND ($1 IS NULL OR m.folder_id IN (SELECT id FROM folders WHERE mailbox_id = $1))
         ORDER BY m.id LIMIT $2",
    )
    .bind(mailbox_id)
    .bind(limit.max(1))
    .fetch_all(c)
    .await?;
    Ok(rows)
}
