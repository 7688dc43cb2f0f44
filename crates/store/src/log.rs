//! The provider log (DPR 68/2005 art. 11; pec-rules.md 1.2): every event of the
//! rules with its time, identificativo, msgid, sender, recipients and subject,
//! kept 30 months, searchable.

use crate::{Conn, Result};

/// The events of the rules (labels as in providers' logs, pec-rules.md 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Event {
    Accettazione,
    NonAccettazione,
    NonAccettazioneVirus,
    BustaTrasporto,
    PresaInCarico,
    Consegna,
    MancataConsegna,
    MancataConsegnaVirus,
    RilevazioneVirus,
    MancataConsegna12h,
    MancataConsegna24h,
    BustaAnomalia,
    /// Receipts and notices from other providers, received for our senders.
    RicevutaRicevuta,
}

impl Event {
    pub fn as_str(&self) -> &'static str {
        match self {
            Event::Accettazione => "Accettazione",
            Event::NonAccettazione => "NonAccettazione",
            Event::NonAccettazioneVirus => "NonAccettazioneVirus",
            Event::BustaTrasporto => "BustaTrasporto",
            Event::PresaInCarico => "PresaInCarico",
            Event::Consegna => "Consegna",
            Event::MancataConsegna => "MancataConsegna",
            Event::MancataConsegnaVirus => "MancataConsegnaVirus",
            Event::RilevazioneVirus => "RilevazioneVirus",
            Event::MancataConsegna12h => "MancataConsegna12h",
            Event::MancataConsegna24h => "MancataConsegna24h",
            Event::BustaAnomalia => "BustaAnomalia",
            Event::RicevutaRicevuta => "RicevutaRicevuta",
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub identificativo: Option<String>,
    pub msgid: Option<String>,
    pub sender: Option<String>,
    pub recipients: Vec<String>,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

/// One event to record.
#[derive(Debug, Clone, Default)]
pub struct NewEntry<'a> {
    pub identificativo: Option<&'a str>,
    pub msgid: Option<&'a str>,
    pub sender: Option<&'a str>,
    pub recipients: &'a [String],
    pub subject: Option<&'a str>,
    pub detail: Option<&'a str>,
}

pub async fn append(c: &mut Conn, at: i64, event: Event, e: &NewEntry<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO provider_log (at, event, identificativo, msgid, sender, recipients, subject, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at)
    .bind(event.as_str())
    .bind(e.identificativo)
    .bind(e.msgid)
    .bind(e.sender)
    .bind(e.recipients.join(" "))
    .bind(e.subject)
    .bind(e.detail)
    .execute(c)
    .await?;
    Ok(())
}

/// A search of the log; every field given must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub identificativo: Option<String>,
    pub msgid: Option<String>,
    /// Sender or one of the recipients (case-insensitive).
    pub address: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub event: Option<String>,
    pub limit: i64,
}

type LogRow = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

pub async fn search(c: &mut Conn, f: &Filter) -> Result<Vec<Entry>> {
    let msgid = f
        .msgid
        .as_ref()
        .map(|m| format!("<{}>", m.trim().trim_start_matches('<').trim_end_matches('>')));
    let address = f.address.as_ref().map(|a| a.trim().to_ascii_lowercase());
    let rows: Vec<LogRow> = sqlx::query_as(
        "SELECT id, at, event, identificativo, msgid, sender, recipients, subject, detail FROM provider_log
             WHERE ($1 IS NULL OR identificativo = $1)
               AND ($2 IS NULL OR msgid = $2)
               AND ($3 IS NULL OR lower(sender) = $3 OR (' ' || lower(recipients) || ' ') LIKE ('% ' || $3 || ' %'))
               AND ($4 IS NULL OR at >= $4)
               AND ($5 IS NULL OR at < $5)
               AND ($6 IS NULL OR event = $6)
             ORDER BY at, id LIMIT $7",
    )
    .bind(f.identificativo.as_deref())
    .bind(msgid.as_deref())
    .bind(address.as_deref())
    .bind(f.from)
    .bind(f.to)
    .bind(f.event.as_deref())
    .bind(if f.limit > 0 { f.limit } else { 1000 })
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            id: r.0,
            at: r.1,
            event: r.2,
            identificativo: r.3,
            msgid: r.4,
            sender: r.5,
            recipients: r.6.split_whitespace().map(str::to_string).collect(),
            subject: r.7,
            detail: r.8,
        })
        .collect())
}

/// Deletes entries older than `before` (the retention, 30 months by default).
pub async fn purge(c: &mut Conn, before: i64) -> Result<u64> {
    let r = sqlx::query("DELETE FROM provider_log WHERE at < $1")
        .bind(before)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}
