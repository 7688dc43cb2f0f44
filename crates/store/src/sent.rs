//! What a mailbox sent, as its holder looks at it: the PEC messages the access
//! point accepted from it, newest first, with where their recipients stand
//! counted, a page at a time; and the messages of its mailbox that are about
//! one of them (the receipts and notices, linked by identificativo).

use crate::messages::{self, MessageRow, StoredMessage};
use crate::{Conn, Result};

/// One accepted message with its recipients counted by where they stand.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SentRow {
    /// The provider's record of the message (`pec_messages.id`): the page's key.
    pub id: i64,
    pub identificativo: String,
    pub subject: String,
    pub receipt_kind: String,
    pub accepted_at: i64,
    pub recipients: i64,
    /// With a delivery receipt.
    pub delivered: i64,
    /// With a non-delivery notice (or refused by the ordinary mail server).
    pub failed: i64,
    /// Ordinary (non-PEC) recipients handed to their mail server: no receipt follows.
    pub ordinary_handed_on: i64,
}

type Row = (i64, String, String, String, i64, i64, i64, i64, i64);

/// The messages `sender` sent, newest first, after the one with id `before`
/// (none: from the newest), at most `limit` (the access point records the
/// sender in lower case).
pub async fn page(c: &mut Conn, sender: &str, before: Option<i64>, limit: i64) -> Result<Vec<SentRow>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT m.id, m.identificativo, m.subject, m.receipt_kind, m.accepted_at,
                COUNT(r.address),
                COALESCE(SUM(CASE WHEN r.state = 'delivered' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN r.state = 'failed' THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN r.state = 'relayed' AND r.certified = 0 THEN 1 ELSE 0 END), 0)
         FROM (SELECT id, identificativo, subject, receipt_kind, accepted_at FROM pec_messages
               WHERE sender = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3) m
         LEFT JOIN pec_recipients r ON r.pec_message_id = m.id
         GROUP BY m.id, m.identificativo, m.subject, m.receipt_kind, m.accepted_at
         ORDER BY m.id DESC",
    )
    .bind(sender.trim().to_ascii_lowercase())
    .bind(before)
    .bind(limit.max(1))
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SentRow {
            id: r.0,
            identificativo: r.1,
            subject: r.2,
            receipt_kind: r.3,
            accepted_at: r.4,
            recipients: r.5,
            delivered: r.6,
            failed: r.7,
            ordinary_handed_on: r.8,
        })
        .collect())
}

/// The PEC messages (receipts, notices, envelopes) of `mailbox_id`'s folders
/// that carry or certify `identificativo`, in arrival order.
pub async fn about(c: &mut Conn, mailbox_id: i64, identificativo: &str) -> Result<Vec<StoredMessage>> {
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT m.id, m.folder_id, m.uid, m.modseq, m.blob, m.size, m.internal_date, m.flags, m.pec_kind, m.identificativo
         FROM messages m JOIN folders f ON f.id = m.folder_id
         WHERE m.identificativo = $1 AND f.mailbox_id = $2 AND m.pec_kind IS NOT NULL
         ORDER BY m.id",
    )
    .bind(identificativo)
    .bind(mailbox_id)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(messages::to_message).collect())
}

/// The mailbox a message belongs to (through its folder), if the message exists.
pub async fn owner(c: &mut Conn, message_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT f.mailbox_id FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = $1")
            .bind(message_id)
            .fetch_optional(c)
            .await?;
    Ok(row.map(|r| r.0))
}
