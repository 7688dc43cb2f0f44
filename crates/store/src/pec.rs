//! Certified messages accepted by the access point, and the delivery state of
//! each of their recipients.

use crate::blobs::BlobId;
use crate::{Conn, Error, Result};

/// Where a recipient stands (pec-rules.md 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecipientState {
    /// Accepted, not yet handed on.
    Pending,
    /// The envelope was handed to the recipient's gestore (or to the ordinary MX).
    Relayed,
    /// The recipient's gestore sent a presa in carico.
    TakenOver,
    /// A delivery receipt was issued or received: final.
    Delivered,
    /// A non-delivery notice was issued or received: final.
    Failed,
}

impl RecipientState {
    pub fn as_str(&self) -> &'static str {
        match self {
            RecipientState::Pending => "pending",
            RecipientState::Relayed => "relayed",
            RecipientState::TakenOver => "taken-over",
            RecipientState::Delivered => "delivered",
            RecipientState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => RecipientState::Pending,
            "relayed" => RecipientState::Relayed,
            "taken-over" => RecipientState::TakenOver,
            "delivered" => RecipientState::Delivered,
            "failed" => RecipientState::Failed,
            other => return Err(Error::Invalid(format!("unknown recipient state {other:?}"))),
        })
    }

    pub fn is_final(&self) -> bool {
        matches!(self, RecipientState::Delivered | RecipientState::Failed)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PecMessage {
    pub id: i64,
    pub identificativo: String,
    pub msgid: Option<String>,
    pub sender: String,
    /// `risposte`: the original Reply-To (or the sender); `None` for messages
    /// accepted before it was recorded, which fall back to the sender.
    pub reply_to: Option<String>,
    pub subject: String,
    pub receipt_kind: String,
    pub original_blob: BlobId,
    pub envelope_blob: Option<BlobId>,
    pub accepted_at: i64,
}

impl PecMessage {
    /// `risposte`: the recorded reply address, else the sender.
    pub fn reply_address(&self) -> &str {
        self.reply_to.as_deref().unwrap_or(&self.sender)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Recipient {
    pub address: String,
    pub certified: bool,
    pub local: bool,
    pub state: RecipientState,
    pub detail: Option<String>,
    pub updated_at: i64,
}

/// A message accepted by the access point, to record.
#[derive(Debug, Clone)]
pub struct NewPecMessage<'a> {
    pub identificativo: &'a str,
    pub msgid: Option<&'a str>,
    pub sender: &'a str,
    /// `risposte`: the original Reply-To, or the sender.
    pub reply_to: &'a str,
    pub subject: &'a str,
    pub receipt_kind: &'a str,
    pub original_blob: &'a BlobId,
    pub original_size: usize,
    pub accepted_at: i64,
    /// (address, certified, local), in the order submitted (which is kept).
    pub recipients: &'a [(String, bool, bool)],
}

type PecRow = (
    i64,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    i64,
);
macro_rules! pec_columns {
    () => {
        "id, identificativo, msgid, sender, reply_to, subject, receipt_kind, original_blob, envelope_blob, accepted_at"
    };
}

fn pec(r: PecRow) -> PecMessage {
    PecMessage {
        id: r.0,
        identificativo: r.1,
        msgid: r.2,
        sender: r.3,
        reply_to: r.4,
        subject: r.5,
        receipt_kind: r.6,
        original_blob: BlobId(r.7),
        envelope_blob: r.8.map(BlobId),
        accepted_at: r.9,
    }
}

pub async fn insert(c: &mut Conn, m: &NewPecMessage<'_>) -> Result<i64> {
    crate::blobs::add_ref(c, m.original_blob, m.original_size, m.accepted_at).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO pec_messages (identificativo, msgid, sender, reply_to, subject, receipt_kind, original_blob, accepted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(m.identificativo)
    .bind(m.msgid)
    .bind(m.sender)
    .bind(m.reply_to)
    .bind(m.subject)
    .bind(m.receipt_kind)
    .bind(m.original_blob.as_str())
    .bind(m.accepted_at)
    .fetch_one(&mut *c)
    .await?;
    for (position, (address, certified, local)) in (0_i64..).zip(m.recipients) {
        sqlx::query(
            "INSERT INTO pec_recipients (pec_message_id, address, certified, local, state, updated_at, position)
             VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
        )
        .bind(id)
        .bind(address)
        .bind(i64::from(*certified))
        .bind(i64::from(*local))
        .bind(m.accepted_at)
        .bind(position)
        .execute(&mut *c)
        .await?;
    }
    Ok(id)
}

pub async fn by_identificativo(c: &mut Conn, identificativo: &str) -> Result<Option<PecMessage>> {
    let row: Option<PecRow> = sqlx::query_as(concat!(
        "SELECT ",
        pec_columns!(),
        " FROM pec_messages WHERE identificativo = $1"
    ))
    .bind(identificativo)
    .fetch_optional(c)
    .await?;
    Ok(row.map(pec))
}

pub async fn get(c: &mut Conn, id: i64) -> Result<PecMessage> {
    let row: Option<PecRow> = sqlx::query_as(concat!("SELECT ", pec_columns!(), " FROM pec_messages WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.map(pec).ok_or(Error::NotFound {
        what: "PEC message",
        key: id.to_string(),
    })
}

/// Records the signed transport envelope built for the message (once).
pub async fn set_envelope(c: &mut Conn, id: i64, blob: &BlobId, size: usize, now: i64) -> Result<()> {
    if get(c, id).await?.envelope_blob.is_some() {
        return Err(Error::Conflict(format!(
            "the transport envelope of PEC message {id} is already recorded"
        )));
    }
    crate::blobs::add_ref(c, blob, size, now).await?;
    sqlx::query("UPDATE pec_messages SET envelope_blob = $1 WHERE id = $2")
        .bind(blob.as_str())
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The recipients of a message in the order they were submitted (by address for
/// messages recorded before the order was).
pub async fn recipients(c: &mut Conn, pec_message_id: i64) -> Result<Vec<Recipient>> {
    let rows: Vec<(String, i64, i64, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT address, certified, local, state, detail, updated_at FROM pec_recipients
         WHERE pec_message_id = $1 ORDER BY position, address",
    )
    .bind(pec_message_id)
    .fetch_all(c)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Recipient {
                address: r.0,
                certified: r.1 != 0,
                local: r.2 != 0,
                state: RecipientState::parse(&r.3)?,
                detail: r.4,
                updated_at: r.5,
            })
        })
        .collect()
}

/// Moves a recipient to `to` unless it is already final (a delivery receipt or a
/// non-delivery notice is the last word) or already at `to`. Returns whether it moved.
pub async fn advance(
    c: &mut Conn,
    pec_message_id: i64,
    address: &str,
    to: RecipientState,
    detail: Option<&str>,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE pec_recipients SET state = $1, detail = COALESCE($2, detail), updated_at = $3
         WHERE pec_message_id = $4 AND lower(address) = lower($5) AND state NOT IN ('delivered', 'failed') AND state <> $1",
    )
    .bind(to.as_str())
    .bind(detail)
    .bind(now)
    .bind(pec_message_id)
    .bind(address)
    .execute(c)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Marks `key` as processed; false when it already was (a replay or a duplicate).
pub async fn first_time(c: &mut Conn, key: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("INSERT INTO seen (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
        .bind(key)
        .bind(now)
        .execute(c)
        .await?;
    Ok(r.rows_affected() > 0)
}

/// The identificativi of the PEC messages `sender` sent, oldest first (the
/// access point records the sender in lower case).
pub async fn sent_by(c: &mut Conn, sender: &str) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT identificativo FROM pec_messages WHERE sender = $1 ORDER BY accepted_at, id")
            .bind(sender.to_ascii_lowercase())
            .fetch_all(c)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The messages accepted after the one with id `after_id`, in id order, at most
/// `limit`: a watcher learns each new message's identificativo without rescanning.
/// (On PostgreSQL a transaction may commit a smaller id after a larger one was read.)
pub async fn accepted_after(c: &mut Conn, after_id: i64, limit: i64) -> Result<Vec<PecMessage>> {
    let rows: Vec<PecRow> = sqlx::query_as(concat!(
        "SELECT ",
        pec_columns!(),
        " FROM pec_messages WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after_id)
    .bind(limit)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(pec).collect())
}

/// The PEC message `sender` sent with Message-ID `msgid`, if any: a sender that
/// gives its messages deterministic Message-IDs (the Order's diffide) finds out
/// whether one was already accepted before a crash, instead of sending it twice.
pub async fn sent_with_msgid(c: &mut Conn, sender: &str, msgid: &str) -> Result<Option<PecMessage>> {
    let row: Option<PecRow> = sqlx::query_as(concat!(
        "SELECT ",
        pec_columns!(),
        " FROM pec_messages WHERE sender = $1 AND msgid = $2 ORDER BY id LIMIT 1"
    ))
    .bind(sender.to_ascii_lowercase())
    .bind(msgid)
    .fetch_optional(c)
    .await?;
    Ok(row.map(pec))
}
